"""The reports' exact rollups: one table of counts, kept by the database itself.

`reports.Rollup` holds, per fact (a case, an activity, a complaint, a granted protection
measure), per service and per month, how many facts fall under each key of each dimension,
and one extra sum (an activity's participants; a measure decided on time). The reports read it
instead of scanning the period's cases (`reports.queries`).

Exact at every moment, whatever writes. The rollup is not kept by the application's code but by
triggers on the source tables, created from the definitions below (`install_triggers`, run after
every `migrate`). So every write path keeps it in the writing transaction: the forms and
actions, `bulk_create` in the imports, `COPY` in the demo generator, `QuerySet.update()`, a
raw `UPDATE` in a shell, a deletion. On PostgreSQL they are statement-level triggers reading the
statement's transition tables, so a `COPY` of a million cases costs one grouped `INSERT … ON
CONFLICT` per dimension, not a million; rows are upserted in key order, so two writers lock the
same rollup rows in the same order. On SQLite they are row-level triggers with the same SQL.

An update adds the new row's contributions and subtracts the old's, and writes nothing where they
cancel out: closing a case changes no count and touches no rollup row.

Distinct counts (districts and communities reached) stay exact because the rollup keeps the
places themselves: the dimension `place` has one row per service, month, district and
community, with the number of facts there. A place counts as reached in a period when one of its
rows in the period has a count above zero; the distinct places are then the union of those keys,
never a sum of counts. Deleting or moving the last case of a place brings its count to zero, and
the place drops out.

Periods that do not begin or end on a month's edge read their edge days from the source tables,
with the same SQL expressions as the triggers (`source_counts`): a report's figures are the
rollup's whole months plus the partial months' facts, and equal a recount for any period.

`python manage.py rollups` compares the table with a fresh recount of the source tables and
prints any difference; `--rebuild` rewrites it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

TABLE = "reports_rollup"
COLUMNS = ("fact", "service_id", "span", "start", "dimension", "key", "n", "extra")
CONFLICT = ("fact", "dimension", "span", "start", "service_id", "key")
PREFIX = "warmi_rollup_"

# The report's age groups, as SQL over a case row: the same bounds as reports.queries.AGE_GROUPS
# (a test checks both say the same).
AGE_GROUP_SQL = (
    "CASE WHEN r.victim_age IS NULL THEN '' "
    "WHEN r.victim_age <= 5 THEN '0-5' WHEN r.victim_age <= 11 THEN '6-11' "
    "WHEN r.victim_age <= 17 THEN '12-17' WHEN r.victim_age <= 25 THEN '18-25' "
    "WHEN r.victim_age <= 35 THEN '26-35' WHEN r.victim_age <= 45 THEN '36-45' "
    "WHEN r.victim_age <= 59 THEN '46-59' ELSE '60+' END"
)
PLACE_SQL = "r.district_id || ':' || COALESCE(CAST(r.community_id AS TEXT), '')"
GRANTED = "('granted', 'in_force', 'lifted', 'expired')"  # cases.rules.GRANTED_STATES


def text_key(column: str) -> str:
    """A coded column as the rollup's key: its value as text, '' when not recorded."""
    return f"COALESCE(CAST({column} AS TEXT), '')"


@dataclass(frozen=True)
class Fact:
    """What one kind of source row adds to the rollup.

    `table` is the source table, read as `r`; `join` adds another table to it (`c`, the
    complaint of a measure). `day` is the column that places the fact in time: a date, or a
    moment (`moment=True`) whose day is the services' (SERVICE_TIME_ZONE). `counted` is the
    condition for a row to count at all. Each dimension gives the key and the extra sum, as SQL
    over `r` (and `c`).
    """

    name: str
    table: str
    columns: tuple[str, ...]
    day: str
    dimensions: dict[str, tuple[str, str]]
    counted: str = "1 = 1"
    moment: bool = False
    join: str = ""
    # (table, its columns read, the foreign key of `table` to it): changes of those rows change
    # this fact's contributions (a complaint's filing moves its measures' month).
    parent: tuple[str, tuple[str, ...], str] | None = None
    index_columns: tuple[str, ...] = field(default=())


PARTICIPANTS = "(r.women + r.men + r.girls + r.boys)"

FACTS = {
    fact.name: fact
    for fact in (
        Fact(
            name="case",
            table="cases_case",
            columns=(
                "service_id",
                "intake_date",
                "victim_sex",
                "victim_age",
                "violence_type",
                "risk_level",
                "district_id",
                "community_id",
            ),
            day="r.intake_date",
            dimensions={
                "total": ("''", "0"),
                "sex": (text_key("r.victim_sex"), "0"),
                "age_group": (AGE_GROUP_SQL, "0"),
                "violence_type": (text_key("r.violence_type"), "0"),
                "risk_level": (text_key("r.risk_level"), "0"),
                "place": (PLACE_SQL, "0"),
            },
        ),
        Fact(
            name="activity",
            table="activities_activity",
            columns=(
                "service_id",
                "date",
                "type",
                "district_id",
                "community_id",
                "women",
                "men",
                "girls",
                "boys",
                "cancelled_at",
            ),
            day="r.date",
            counted="r.cancelled_at IS NULL",
            dimensions={
                "total": ("''", PARTICIPANTS),
                "type": ("r.type", PARTICIPANTS),
                "place": (PLACE_SQL, "0"),
            },
        ),
        Fact(
            name="complaint",
            table="cases_complaint",
            columns=("service_id", "filed_at"),
            day="r.filed_at",
            moment=True,
            dimensions={"total": ("''", "0")},
        ),
        Fact(
            name="measure",
            table="cases_protectionmeasure",
            columns=("service_id", "complaint_id", "state", "measure_type", "decided_at"),
            day="c.filed_at",
            moment=True,
            join="JOIN {parent} c ON c.id = r.complaint_id",
            parent=("cases_complaint", ("id", "filed_at", "deadline"), "complaint_id"),
            counted=f"r.state IN {GRANTED}",
            # On time as cases.clock.within_deadline says: exactly at the deadline is on time.
            dimensions={
                "type": ("r.measure_type", "CASE WHEN r.decided_at <= c.deadline THEN 1 ELSE 0 END")
            },
        ),
    )
}


def _lima_offset_hours() -> int:
    """SQLite has no time zones: the services' zone as its fixed offset (Lima has kept UTC-5
    without daylight saving since 1994; a zone with daylight saving is refused)."""
    zone = ZoneInfo(settings.SERVICE_TIME_ZONE)
    offsets = {datetime(2025, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)}
    if len(offsets) != 1:
        raise ValueError("SERVICE_TIME_ZONE has daylight saving: SQLite's rollups cannot follow")
    return int(offsets.pop().total_seconds() // 3600)


def start_sql(fact: Fact, vendor: str, unit: str = "month") -> str:
    """The first day of the fact's month (or year), as SQL."""
    if vendor == "postgresql":
        day = fact.day
        if fact.moment:
            zone = settings.SERVICE_TIME_ZONE.replace("'", "")
            day = f"{fact.day} AT TIME ZONE '{zone}'"
        return f"CAST(date_trunc('{unit}', {day}) AS date)"
    pattern = "%Y-%m-01" if unit == "month" else "%Y-01-01"
    if fact.moment:
        return f"strftime('{pattern}', {fact.day}, '{_lima_offset_hours():+d} hours')"
    return f"strftime('{pattern}', {fact.day})"


def month_sql(fact: Fact, vendor: str) -> str:
    return start_sql(fact, vendor, "month")


def _contributions(fact: Fact, vendor: str, rows: str, parent: str, sign: int) -> str:
    """SELECT of (service_id, span, start, dimension, key, n, extra) over the given rows: each
    row counts in its month and in its year."""
    join = fact.join.format(parent=parent)
    return " UNION ALL ".join(
        f"SELECT r.service_id AS service_id, '{unit}' AS span, "
        f"{start_sql(fact, vendor, unit)} AS start, '{dimension}' AS dimension, "
        f"{key} AS key, {sign} AS n, {sign} * ({extra}) AS extra "
        f"FROM {rows} r {join} WHERE {fact.counted}"
        for dimension, (key, extra) in fact.dimensions.items()
        for unit in ("month", "year")
    )


def _upsert(fact: Fact, parts: list[str]) -> str:
    """Add the contributions to the rollup, grouped, in key order, skipping what cancels out."""
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    conflict = ", ".join(f'"{c}"' for c in CONFLICT)
    return (
        f"INSERT INTO {TABLE} ({columns}) "
        f"SELECT '{fact.name}', service_id, span, start, dimension, key, SUM(n), SUM(extra) "
        f"FROM ({' UNION ALL '.join(parts)}) AS d WHERE 1 = 1 "
        "GROUP BY service_id, span, start, dimension, key "
        "HAVING SUM(n) <> 0 OR SUM(extra) <> 0 "
        "ORDER BY service_id, span, start, dimension, key "
        f"ON CONFLICT ({conflict}) DO UPDATE SET "
        f'"n" = {TABLE}."n" + excluded."n", "extra" = {TABLE}."extra" + excluded."extra"'
    )


def _row(prefix: str, columns) -> str:
    """SQLite: the NEW or OLD row as a one-row table."""
    return "(SELECT " + ", ".join(f"{prefix}.{c} AS {c}" for c in ("id", *columns)) + ")"


def trigger_sql(vendor: str) -> list[str]:
    """The statements that (re)create every rollup trigger."""
    statements = []
    if vendor != "postgresql":
        # The model's unique constraint carries the counts (INCLUDE) for PostgreSQL's index-only
        # reads; SQLite has no such indexes and Django skips the constraint there, so the
        # triggers' ON CONFLICT gets its plain unique index here.
        statements.append(
            f"CREATE UNIQUE INDEX IF NOT EXISTS rollup_row_key ON {TABLE} "
            f"({', '.join(CONFLICT)})"
        )
    for fact in FACTS.values():
        parent_table = fact.parent[0] if fact.parent else ""
        name = f"{PREFIX}{fact.name}"
        if vendor == "postgresql":
            both = _upsert(
                fact,
                [
                    _contributions(fact, vendor, "new_rows", parent_table, 1),
                    _contributions(fact, vendor, "old_rows", parent_table, -1),
                ],
            )
            statements.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN "
                "IF TG_OP = 'INSERT' THEN "
                f"{_upsert(fact, [_contributions(fact, vendor, 'new_rows', parent_table, 1)])}; "
                "ELSIF TG_OP = 'DELETE' THEN "
                f"{_upsert(fact, [_contributions(fact, vendor, 'old_rows', parent_table, -1)])}; "
                f"ELSE {both}; END IF; RETURN NULL; END $$"
            )
            for event, referencing in (
                ("INSERT", "NEW TABLE AS new_rows"),
                ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("DELETE", "OLD TABLE AS old_rows"),
            ):
                trigger = f"{name}_{event.lower()}"
                statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {fact.table}")
                statements.append(
                    f"CREATE TRIGGER {trigger} AFTER {event} ON {fact.table} "
                    f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
            if fact.parent:
                table, _columns, _fk = fact.parent
                source = f"{fact.table}"
                # Only the parents whose read columns changed: the others cancel out anyway,
                # but a parent's unrelated update (a complaint settled) should read nothing.
                changed = " OR ".join(
                    f"o.{c} IS DISTINCT FROM p.{c}" for c in fact.parent[1] if c != "id"
                )
                old = f"(SELECT o.* FROM old_rows o JOIN new_rows p ON p.id = o.id WHERE {changed})"
                new = f"(SELECT p.* FROM old_rows o JOIN new_rows p ON p.id = o.id WHERE {changed})"
                statements.append(
                    f"CREATE OR REPLACE FUNCTION {name}_parent() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN "
                    + _upsert(
                        fact,
                        [
                            _contributions(fact, vendor, source, new, 1),
                            _contributions(fact, vendor, source, old, -1),
                        ],
                    )
                    + "; RETURN NULL; END $$"
                )
                trigger = f"{name}_parent_update"
                statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
                statements.append(
                    f"CREATE TRIGGER {trigger} AFTER UPDATE ON {table} "
                    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_parent()"
                )
        else:
            new, old = _row("NEW", fact.columns), _row("OLD", fact.columns)
            bodies = {
                "INSERT": [_contributions(fact, vendor, new, parent_table, 1)],
                "DELETE": [_contributions(fact, vendor, old, parent_table, -1)],
                "UPDATE": [
                    _contributions(fact, vendor, new, parent_table, 1),
                    _contributions(fact, vendor, old, parent_table, -1),
                ],
            }
            for event, parts in bodies.items():
                trigger = f"{name}_{event.lower()}"
                statements.append(f"DROP TRIGGER IF EXISTS {trigger}")
                statements.append(
                    f"CREATE TRIGGER {trigger} AFTER {event} ON {fact.table} FOR EACH ROW "
                    f"BEGIN {_upsert(fact, parts)}; END"
                )
            if fact.parent:
                table, columns, fk = fact.parent
                new_parent, old_parent = _row("NEW", columns[1:]), _row("OLD", columns[1:])
                trigger = f"{name}_parent_update"
                statements.append(f"DROP TRIGGER IF EXISTS {trigger}")
                watched = ", ".join(columns[1:])
                statements.append(
                    f"CREATE TRIGGER {trigger} AFTER UPDATE OF {watched} ON {table} FOR EACH ROW "
                    f"BEGIN "
                    + _upsert(
                        fact,
                        [
                            _contributions(fact, vendor, fact.table, new_parent, 1),
                            _contributions(fact, vendor, fact.table, old_parent, -1),
                        ],
                    )
                    + "; END"
                )
    return statements


def install_triggers(using: str = "default") -> None:
    """Create (or replace) the triggers that keep the rollup. Run by the rollup's migration and
    after every `migrate`: on SQLite, a migration that rebuilds a source table drops its
    triggers with it. Without the rollup table (migrated back), the triggers are dropped."""
    from django.db import connections

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    needed = {TABLE, *(fact.table for fact in FACTS.values())}
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if needed <= tables:
            statements = trigger_sql(connection.vendor)
        else:
            statements = [s for s in trigger_sql(connection.vendor) if s.startswith("DROP")]
            statements = [s for s in statements if s.split(" ON ")[-1] in tables or " ON " not in s]
        for statement in statements:
            cursor.execute(statement)


# Reading ------------------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def split_period(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple]]:
    """The whole months of [start, end] (first days of the first and last), and the days at
    its edges that are not whole months, as (first, last) pairs."""
    first = start if start.day == 1 else _next_month(start)
    if (end + timedelta(days=1)).day == 1:
        last = _month_start(end)
    else:
        last = _month_start(_month_start(end) - timedelta(days=1))
    if first > last:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    last_day = _next_month(last) - timedelta(days=1)
    if last_day < end:
        edges.append((last_day + timedelta(days=1), end))
    return (first, last), edges


def spans(first: date, last: date, *, years: bool = True) -> list[tuple[str, date, date]]:
    """The rollup rows that cover the whole months first..last (first days), as (span, first
    start, last start): the whole calendar years among them as year rows, the other months as
    month rows. A calendar year reads 1 row per service and key instead of 12."""
    if not years:
        return [("month", first, last)]
    first_year = first.year if first.month == 1 else first.year + 1
    last_year = last.year if last.month == 12 else last.year - 1
    if first_year > last_year:
        return [("month", first, last)]
    ranges = [("year", date(first_year, 1, 1), date(last_year, 1, 1))]
    if first < date(first_year, 1, 1):
        ranges.append(("month", first, date(first_year - 1, 12, 1)))
    if last > date(last_year, 12, 1):
        ranges.append(("month", date(last_year + 1, 1, 1), last))
    return ranges


GROUPS = {"service": "service_id", "month": "start", "key": "key"}


def _sql_of(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.values("pk").query.sql_with_params()


def source_counts(
    fact_name: str, dimension: str, services: QuerySet, edges, by: tuple[str, ...], using=None
) -> dict[tuple, list[int]]:
    """Counts of the fact on the edge days, read from the source tables with the triggers' own
    expressions: {(group values…): [n, extra]}."""
    from django.db import connections

    from cases import clock

    if not edges:
        return {}
    fact = FACTS[fact_name]
    connection = connections[using or services.db]
    vendor = connection.vendor
    key, extra = fact.dimensions[dimension]
    expressions = {"service": "r.service_id", "month": month_sql(fact, vendor), "key": key}
    selected = [expressions[group] for group in by]
    services_sql, services_params = _sql_of(services)
    ranges, params = [], []
    for first, last in edges:
        if fact.moment:
            low, high = clock.start_of_day(first), clock.start_of_day(last + timedelta(days=1))
            adapt = connection.ops.adapt_datetimefield_value
            ranges.append(f"({fact.day} >= %s AND {fact.day} < %s)")
        else:
            low, high = first, last
            adapt = connection.ops.adapt_datefield_value
            ranges.append(f"({fact.day} >= %s AND {fact.day} <= %s)")
        params += [adapt(low), adapt(high)]
    columns = ", ".join(f"{expression} AS g{i}" for i, expression in enumerate(selected))
    sql = (
        f"SELECT {columns}{', ' if columns else ''}COUNT(*), COALESCE(SUM({extra}), 0) "
        f"FROM {fact.table} r {fact.join.format(parent=fact.parent[0] if fact.parent else '')} "
        f"WHERE {fact.counted} AND r.service_id IN ({services_sql}) AND ({' OR '.join(ranges)})"
    )
    if selected:
        sql += " GROUP BY " + ", ".join(f"g{i}" for i in range(len(selected)))
    with connection.cursor() as cursor:
        cursor.execute(sql, (*services_params, *params))
        rows = cursor.fetchall()
    return {
        tuple(_normal(g, v) for g, v in zip(by, groups, strict=True)): [n, extra]
        for *groups, n, extra in rows
    }


def _normal(group: str, value):
    if group == "month":
        return str(value)[:7]
    return value


def counts(
    fact: str,
    dimension: str,
    services: QuerySet,
    start: date,
    end: date,
    by: tuple[str, ...] = ("key",),
) -> dict[tuple, list[int]]:
    """The fact's counts over [start, end] for these services, grouped `by` some of service,
    month ('YYYY-MM') and key: {(values…): [n, extra]}. Groups that add up to nothing are left
    out. Two queries at most: the rollup's whole years and months, and the edge days from the
    source."""
    from django.db.models import Q, Sum

    from .models import Rollup

    months, edges = split_period(start, end)
    result: dict[tuple, list[int]] = {}
    if months:
        covering = Q()
        for span, first, last in spans(*months, years="month" not in by):
            covering |= Q(span=span, start__gte=first, start__lte=last)
        rows = Rollup.objects.using(services.db).filter(
            covering,
            fact=fact,
            dimension=dimension,
            service__in=services.values("pk"),
        )
        if by:
            grouped = (
                rows.order_by()
                .values_list(*[GROUPS[group] for group in by])
                .annotate(total=Sum("n"), total_extra=Sum("extra"))
            )
        else:
            grouped = [rows.aggregate(total=Sum("n"), total_extra=Sum("extra")).values()]
        for *groups, n, extra in grouped:
            group = tuple(_normal(g, v) for g, v in zip(by, groups, strict=True))
            result[group] = [n or 0, extra or 0]
    for group, (n, extra) in source_counts(fact, dimension, services, edges, by).items():
        total = result.setdefault(group, [0, 0])
        total[0] += n
        total[1] += extra
    return {group: value for group, value in result.items() if value[0] or value[1]}


def places(fact: str, services: QuerySet, start: date, end: date) -> dict[str, int]:
    """The distinct districts, communities, provinces and regions the fact reached over
    [start, end]: the `place` keys ("district:community", a district being six digits) with a
    count above zero. Counted in the database when the period is whole months (one row back);
    with edge days, the keys of the rollup and of the edges are put together first."""
    from django.db.models import Count, Q
    from django.db.models.functions import Substr

    from .models import Rollup

    months, edges = split_period(start, end)
    keys = set()
    if months:
        covering = Q()
        for span, first, last in spans(*months):
            covering |= Q(span=span, start__gte=first, start__lte=last)
        rows = Rollup.objects.using(services.db).filter(
            covering,
            fact=fact,
            dimension="place",
            n__gt=0,
            service__in=services.values("pk"),
        )
        if not edges:
            return rows.aggregate(
                districts=Count(Substr("key", 1, 6), distinct=True),
                communities=Count("key", distinct=True, filter=~Q(key__endswith=":")),
                provinces=Count(Substr("key", 1, 4), distinct=True),
                regions=Count(Substr("key", 1, 2), distinct=True),
            )
        keys.update(rows.order_by().values_list("key", flat=True).distinct())
    keys.update(key for (key,) in source_counts(fact, "place", services, edges, ("key",)))
    districts = {key[:6] for key in keys}
    return {
        "districts": len(districts),
        "communities": len({key for key in keys if not key.endswith(":")}),
        "provinces": len({district[:4] for district in districts}),
        "regions": len({district[:2] for district in districts}),
    }


# Checking -------------------------------------------------------------------------------------


def recount(using: str = "default") -> dict[tuple, tuple[int, int]]:
    """Every rollup row as a fresh count of the source tables would have it: {(fact, service,
    span, start, dimension, key): (n, extra)}."""
    from django.db import connections

    connection = connections[using]
    found = {}
    with connection.cursor() as cursor:
        for fact in FACTS.values():
            parts = _contributions(
                fact, connection.vendor, fact.table, fact.parent[0] if fact.parent else "", 1
            )
            cursor.execute(
                "SELECT service_id, span, start, dimension, key, SUM(n), SUM(extra) "
                f"FROM ({parts}) AS d GROUP BY service_id, span, start, dimension, key"
            )
            for service, span, start, dimension, key, n, extra in cursor.fetchall():
                if n or extra:
                    found[(fact.name, service, span, str(start)[:10], dimension, key)] = (n, extra)
    return found


def stored(using: str = "default", span: str | None = "month") -> dict[tuple, tuple[int, int]]:
    """The rollup's rows with a count: of one span, {(fact, service, 'YYYY-MM-DD', dimension,
    key): (n, extra)}; of both (`span=None`), keyed like `recount`."""
    from .models import Rollup

    rows = Rollup.objects.using(using).exclude(n=0, extra=0)
    if span:
        rows = rows.filter(span=span)
    found = {}
    for fact, service, row_span, start, dimension, key, n, extra in rows.values_list(*COLUMNS):
        start = str(start)[:10]
        row = (
            (fact, service, start, dimension, key)
            if span
            else (fact, service, row_span, start, dimension, key)
        )
        found[row] = (n, extra)
    return found


def differences(using: str = "default") -> list[tuple[tuple, tuple | None, tuple | None]]:
    """(row, stored, recounted) for every rollup row that differs from a fresh recount."""
    have, want = stored(using, span=None), recount(using)
    return [
        (row, have.get(row), want.get(row))
        for row in sorted(set(have) | set(want), key=str)
        if have.get(row) != want.get(row)
    ]


def rebuild(using: str = "default") -> int:
    """Rewrite the rollup from the source tables; returns the number of rows. On PostgreSQL the
    source tables are locked against writes meanwhile, so nothing is counted twice or missed."""
    from django.db import connections

    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(dict.fromkeys(f.table for f in FACTS.values()))
            cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
            cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")
        for fact in FACTS.values():
            parent = fact.parent[0] if fact.parent else ""
            cursor.execute(
                _upsert(fact, [_contributions(fact, connection.vendor, fact.table, parent, 1)])
            )
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return cursor.fetchone()[0]
