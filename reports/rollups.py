"""The reports' exact rollups: one table of counts, kept by the database itself.

`reports.Rollup` holds, per fact (a case, an activity, a complaint, a granted protection
measure), per service and per month (and per calendar year: a year's report reads one row per
service and key, not twelve), how many facts fall under each key of each dimension, and one
extra sum (an activity's participants; a measure decided on time). The reports read it
instead of scanning the period's cases (`reports.queries`).

Exact at every moment, whatever writes. The rollup is not kept by the application's code but by
triggers on the source tables, created from the definitions below (`install_triggers`, run after
every `migrate`). So every write path keeps it in the writing transaction: the forms and actions,
`bulk_create` in the imports, `COPY` in the demo generator, `QuerySet.update()`, a raw `UPDATE` in
a shell, a deletion, a `TRUNCATE`. On PostgreSQL they are statement-level triggers reading the
statement's transition tables, so a `COPY` of a million cases costs one grouped `INSERT … ON
CONFLICT`, not a million: the rows are grouped by month once, and the years summed from the months.
The rollup's pages are kept half empty (migration 0002; pages written since), so that adding to a
count rewrites its row in place without touching the indexes. Within a statement the rows are
upserted in one order, the unique index's columns in byte order; a transaction that writes the same
fact in several statements (an import's batches) can still deadlock with another writer, and
PostgreSQL then aborts one of them (an import then runs again: services.csvimport.run_import). On
SQLite they are row-level triggers with the same SQL.

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

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

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

# A granted measure's wait: the microseconds from its complaint's filing to the decision, exact
# on both databases (SQLite keeps a moment as text, 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC).
WAIT_MICROSECONDS = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM (r.decided_at - c.filed_at)) * 1000000 AS bigint)",
    "sqlite": "(("
    + " - ".join(
        f"CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER)"
        for moment in ("r.decided_at", "c.filed_at")
    )
    + ") * 1000000 + "
    + " - ".join(
        # The fraction after the seconds, whatever its digits (Django writes 0 or 6), padded.
        f"CAST(substr(substr({moment}, 21) || '000000', 1, 6) AS INTEGER)"
        for moment in ("r.decided_at", "c.filed_at")
    )
    + ")",
}
WAIT_DIGITS = 16  # microseconds, zero-padded: the keys sort as the numbers do (317 years)
WAIT_HOURS_DIGITS = 6
HOUR = 3_600_000_000  # microseconds
# The buckets of the waits' histogram, by whole hours of wait: each hour for the first two
# days, each day up to thirty, then each thirty days. A bucket's key is its first hour.
DAY_BUCKETS_FROM, MONTH_BUCKETS_FROM = 48, 720


def wait_bucket(hours: int) -> tuple[int, int]:
    """The bucket of a wait of `hours` whole hours: (its first hour, the first hour after it)."""
    if hours < DAY_BUCKETS_FROM:
        return hours, hours + 1
    size = 24 if hours < MONTH_BUCKETS_FROM else MONTH_BUCKETS_FROM
    first = hours - hours % size
    return first, first + size


def padded(value: int, digits: int) -> str:
    return str(value).zfill(digits)


def _pad_sql(value: str, digits: int, vendor: str) -> str:
    if vendor == "postgresql":
        return f"lpad(CAST({value} AS TEXT), {digits}, '0')"
    return f"substr('{'0' * digits}' || CAST({value} AS TEXT), -{digits}, {digits})"


def _wait_keys(vendor: str) -> tuple[str, str]:
    """SQL of the two wait keys of a measure (over r and its complaint c): the exact wait, and
    its bucket. A decision recorded before its complaint (the forms refuse it) has the key '-'
    in both: the median then reads the measures themselves."""
    wait = WAIT_MICROSECONDS[vendor]
    hours = f"({wait} / {HOUR})"
    # Integer arithmetic that both databases share (SQLite has no mod() everywhere).
    day, month = (f"({hours} - ({hours} / {size}) * {size})" for size in (24, MONTH_BUCKETS_FROM))
    bucket = (
        f"CASE WHEN {hours} < {DAY_BUCKETS_FROM} THEN {hours} "
        f"WHEN {hours} < {MONTH_BUCKETS_FROM} THEN {hours} - {day} ELSE {hours} - {month} END"
    )
    return (
        f"CASE WHEN {wait} < 0 THEN '-' ELSE {_pad_sql(wait, WAIT_DIGITS, vendor)} END",
        f"CASE WHEN {wait} < 0 THEN '-' ELSE {_pad_sql(bucket, WAIT_HOURS_DIGITS, vendor)} END",
    )


WAIT_KEYS = {vendor: _wait_keys(vendor) for vendor in WAIT_MICROSECONDS}


def vendored(sql: str | dict[str, str], vendor: str) -> str:
    """A dimension's key SQL: the same on both databases, or one per database."""
    return sql if isinstance(sql, str) else sql[vendor]


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
    dimensions: dict[str, tuple[str | dict[str, str], str]]
    counted: str = "1 = 1"
    moment: bool = False
    join: str = ""
    # (table, its columns read, the foreign key of `table` to it): changes of those rows change
    # this fact's contributions (a complaint's filing moves its measures' month).
    parent: tuple[str, tuple[str, ...], str] | None = None
    # Dimensions kept by month only, without year rows: those read a few keys at a time, for
    # which a year's twelve month rows cost little and year rows would double the table.
    month_only: frozenset[str] = frozenset()

    def spans(self, dimension: str) -> tuple[str, ...]:
        return ("month",) if dimension in self.month_only else ("month", "year")


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
            # `wait` and `wait_hours`: the exact waits and their histogram, for the median
            # (reports.queries._median_hours).
            dimensions={
                "type": (
                    "r.measure_type",
                    "CASE WHEN r.decided_at <= c.deadline THEN 1 ELSE 0 END",
                ),
                "wait": ({vendor: keys[0] for vendor, keys in WAIT_KEYS.items()}, "0"),
                "wait_hours": ({vendor: keys[1] for vendor, keys in WAIT_KEYS.items()}, "0"),
            },
            # A key per wait: year rows would be nearly as many as the month rows, and the
            # median reads only the waits of one or two buckets.
            month_only=frozenset({"wait"}),
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
        # A timestamp without time zone: date_trunc then needs no zone (and is cheap).
        day = f"CAST({fact.day} AS timestamp)"
        if fact.moment:
            zone = settings.SERVICE_TIME_ZONE.replace("'", "")
            day = f"{fact.day} AT TIME ZONE '{zone}'"
        return f"CAST(date_trunc('{unit}', {day}) AS date)"
    pattern = "%Y-%m-01" if unit == "month" else "%Y-01-01"
    if fact.moment:
        # Whole seconds first: strftime rounds 23:59:59.9995 up to the next day.
        day = f"substr({fact.day}, 1, 19)"
        return f"strftime('{pattern}', {day}, '{_lima_offset_hours():+d} hours')"
    return f"strftime('{pattern}', {fact.day})"


def month_sql(fact: Fact, vendor: str) -> str:
    return start_sql(fact, vendor, "month")


def _contributions(
    fact: Fact, vendor: str, rows: str, parent: str, sign: int, units=("month", "year")
) -> str:
    """SELECT of (service_id, span, start, dimension, key, n, extra) over the given rows: each
    row counts in its month and in its year (in `units`)."""
    join = fact.join.format(parent=parent)
    return " UNION ALL ".join(
        f"SELECT r.service_id AS service_id, '{unit}' AS span, "
        f"{start_sql(fact, vendor, unit)} AS start, '{dimension}' AS dimension, "
        f"{vendored(key, vendor)} AS key, {sign} AS n, {sign} * ({extra}) AS extra "
        f"FROM {rows} r {join} WHERE {fact.counted}"
        for dimension, (key, extra) in fact.dimensions.items()
        for unit in units
        if unit in fact.spans(dimension)
    )


# The order in which an upsert writes its rows: the unique index's columns, so that the index is
# read mostly in sequence, and every writer takes its row locks in the same order. (PostgreSQL:
# byte order, without a collation's cost; with the C or C.UTF-8 collation, the index's own.)
UPSERT_ORDER = "ORDER BY dimension, span, start, service_id, key "
PG_UPSERT_ORDER = (
    'ORDER BY dimension COLLATE "C", span COLLATE "C", start, service_id, key COLLATE "C" '
)


def _conflict_update() -> str:
    conflict = ", ".join(f'"{c}"' for c in CONFLICT)
    return (
        f"ON CONFLICT ({conflict}) DO UPDATE SET "
        f'"n" = {TABLE}."n" + excluded."n", "extra" = {TABLE}."extra" + excluded."extra"'
    )


def _upsert(fact: Fact, parts: list[str]) -> str:
    """Add the contributions to the rollup, grouped, in key order, skipping what cancels out."""
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    return (
        f"INSERT INTO {TABLE} ({columns}) "
        f"SELECT '{fact.name}', service_id, span, start, dimension, key, SUM(n), SUM(extra) "
        f"FROM ({' UNION ALL '.join(parts)}) AS d WHERE 1 = 1 "
        "GROUP BY service_id, span, start, dimension, key "
        "HAVING SUM(n) <> 0 OR SUM(extra) <> 0 " + UPSERT_ORDER + _conflict_update()
    )


def _pg_upsert(fact: Fact, parts: list[str], sets: dict[str, str] | None = None) -> str:
    """PostgreSQL: `_upsert` over month contributions (`units=("month",)`), whose years are
    summed from the months: each source row is read and grouped once, not once per span.
    `sets` names row sets (SQL) that the parts read by name: each is computed once."""
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    year = "CAST(date_trunc('year', CAST(start AS timestamp)) AS date)"
    month_only = ", ".join(f"'{dimension}'" for dimension in sorted(fact.month_only))
    without = f"WHERE dimension NOT IN ({month_only})" if month_only else ""
    named = "".join(f"{name} AS MATERIALIZED {sql}, " for name, sql in (sets or {}).items())
    return (
        f"WITH {named}"
        "m AS (SELECT service_id, start, dimension, key, SUM(n) AS n, SUM(extra) AS extra "
        f"FROM ({' UNION ALL '.join(parts)}) AS d GROUP BY service_id, start, dimension, key) "
        f"INSERT INTO {TABLE} ({columns}) "
        f"SELECT '{fact.name}', service_id, span, start, dimension, key, n, extra FROM ("
        "SELECT service_id, 'month' AS span, start, dimension, key, n, extra FROM m "
        f"UNION ALL SELECT service_id, 'year', {year}, dimension, key, SUM(n), SUM(extra) "
        f"FROM m {without} GROUP BY service_id, {year}, dimension, key"
        ") AS u WHERE n <> 0 OR extra <> 0 " + PG_UPSERT_ORDER + _conflict_update()
    )


def _row(prefix: str, columns) -> str:
    """SQLite: the NEW or OLD row as a one-row table."""
    return "(SELECT " + ", ".join(f"{prefix}.{c} AS {c}" for c in ("id", *columns)) + ")"


@dataclass(frozen=True)
class Definition:
    """One database object that keeps the rollup: a function (PostgreSQL) or a trigger."""

    kind: str  # "function" or "trigger"
    name: str
    table: str  # the trigger's table ("" for a function)
    sql: str  # the statement that creates it
    settings: tuple[str, ...] = ()  # a function's own settings ("name=value")


# A trigger's own settings (PostgreSQL): memory enough to group a large statement's rows (a
# COPY of a million cases) without spilling to disk, and no JIT compilation (its fixed cost is
# more than these short queries save).
PG_FUNCTION_SETTINGS = ("work_mem=64MB", "jit=off")
# A function that joins a transition table to a whole table (a measure's complaint, a
# complaint's measures) looks its rows up by index, one by one, whatever the statistics: the
# planner otherwise hashed the whole table for a statement of thousands of rows, three times
# (once per dimension), growing with the table; and with statistics older than the rows (within
# a seeding transaction) it scanned the whole table once per row. Hash and merge joins, plain
# scans of a table and materialized inner sides are off, so that only a nested loop over the
# statement's rows with an index lookup remains: the transition table is a statement's rows,
# nearly always few next to the table's.
PG_JOIN_SETTINGS = (
    *PG_FUNCTION_SETTINGS,
    "enable_hashjoin=off",
    "enable_mergejoin=off",
    "enable_seqscan=off",
    "enable_material=off",
)


def _pg_function(
    name: str, body: str, settings: tuple[str, ...] = PG_FUNCTION_SETTINGS
) -> Definition:
    settings_sql = " ".join(
        f"SET {key} = '{value}'" for key, value in (s.split("=") for s in settings)
    )
    return Definition(
        "function",
        name,
        "",
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql {settings_sql} "
        f"AS $$ BEGIN {body} RETURN NULL; END $$",
        settings,
    )


def _by_operation(insert: str, delete: str, update: str) -> str:
    return (
        f"IF TG_OP = 'INSERT' THEN {insert}; ELSIF TG_OP = 'DELETE' THEN {delete}; "
        f"ELSE {update}; END IF;"
    )


def _pg_triggers(prefix: str, table: str, function: str) -> list[Definition]:
    """PostgreSQL: the statement-level triggers of `table` that run `function` after an
    insert, an update and a delete, with the statement's rows as new_rows and old_rows."""
    found = []
    for event, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        trigger = f"{prefix}_{event.lower()}"
        found.append(
            Definition(
                "trigger",
                trigger,
                table,
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            )
        )
    return found


def _sqlite_triggers(prefix: str, table: str, events: list[str], *bodies: str) -> list[Definition]:
    """SQLite: a row-level trigger of `table` per event (insert, delete, update), each running
    its statement."""
    found = []
    for event, sql in zip(events, bodies, strict=True):
        trigger = f"{prefix}_{event.split()[0].lower()}"
        found.append(
            Definition(
                "trigger",
                trigger,
                table,
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} FOR EACH ROW BEGIN {sql}; END",
            )
        )
    return found


def _write(
    fact: Fact, vendor: str, *sources: tuple[str, str, int], sets: dict[str, str] | None = None
) -> str:
    """The statement that adds to the rollup the contributions of each (rows, parent, sign);
    on PostgreSQL, `sets` are named row sets that `rows` may name."""
    if vendor == "postgresql":
        return _pg_upsert(
            fact,
            [_contributions(fact, vendor, *source, units=("month",)) for source in sources],
            sets,
        )
    return _upsert(fact, [_contributions(fact, vendor, *source) for source in sources])


def _planned_each_time(statement: str) -> str:
    """PL/pgSQL: run the statement through EXECUTE, planned at each call.

    PL/pgSQL keeps a statement's plan for the whole session, and a statement without
    parameters keeps its first plan: one made when the joined table (the measures, the
    complaints) was small, or for a one-row transition table, would then serve a COPY of
    twenty thousand complaints against millions of measures, scanning them all each time (a
    seed from empty grew quadratically so). Planned at each call, the join follows the sizes of
    the moment: the transition table's rows are known, and a table never analyzed is sized by
    its pages. The planning costs a few milliseconds per write of complaints or measures (the
    cases' statement, of the same size, plans in 2 ms)."""
    if "$w$" in statement:
        raise ValueError("A rollup statement cannot hold $w$, its quote in EXECUTE.")
    return f"EXECUTE $w$ {statement} $w$"


def _differences(prefix: str, columns: tuple[str, ...]) -> dict[str, str]:
    """PostgreSQL, an update's trigger: the named row sets of the rows whose `columns` changed,
    as they are after it (`<prefix>_to`) and were before it (`<prefix>_from`). A set difference
    of the two transition tables (the columns start with the id), computed once and read by
    every dimension; the rows an update left as they were are in neither."""
    read = ", ".join(columns)
    return {
        f"{prefix}_to": f"(SELECT {read} FROM new_rows EXCEPT SELECT {read} FROM old_rows)",
        f"{prefix}_from": f"(SELECT {read} FROM old_rows EXCEPT SELECT {read} FROM new_rows)",
    }


def definitions(vendor: str) -> list[Definition]:
    """Every function and trigger that keeps the rollup, as the database should have them."""
    found = []
    for fact in FACTS.values():
        parent_table = fact.parent[0] if fact.parent else ""
        name = f"{PREFIX}{fact.name}"

        def write(*sources, fact=fact, sets=None):
            statement = _write(fact, vendor, *sources, sets=sets)
            # A statement that joins another table (a measure's complaint, a complaint's
            # measures) is planned at each call; the others read only the transition tables.
            joined = fact.join or any(source[0] == fact.table for source in sources)
            return _planned_each_time(statement) if vendor == "postgresql" and joined else statement

        if vendor == "postgresql":
            new = ("new_rows", parent_table, 1)
            old = ("old_rows", parent_table, -1)
            # An update counts only the rows whose read columns changed, found by a set
            # difference: most updates (a case closed, a measure notified, a name corrected)
            # change nothing the rollup reads, and their rows would be grouped only to cancel.
            changed = _differences("changed", ("id", *fact.columns))
            update = write(
                ("changed_to", parent_table, 1), ("changed_from", parent_table, -1), sets=changed
            )
            found.append(
                _pg_function(
                    name,
                    _by_operation(write(new), write(old), update),
                    PG_JOIN_SETTINGS if fact.join else PG_FUNCTION_SETTINGS,
                )
            )
            found += _pg_triggers(name, fact.table, name)
            # TRUNCATE has no rows to read: emptying the table empties its fact's rows. (A
            # parent cannot be emptied without its children: TRUNCATE … CASCADE empties both.)
            found.append(
                _pg_function(f"{name}_truncate", f"DELETE FROM {TABLE} WHERE fact = '{fact.name}';")
            )
            found.append(
                Definition(
                    "trigger",
                    f"{name}_truncate",
                    fact.table,
                    f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {fact.table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_truncate()",
                )
            )
            if fact.parent:
                # The parent's rows (a measure's complaint) place the fact: the facts of a
                # parent inserted, deleted or moved (its read columns changed) are added or
                # taken out here. Foreign keys are checked at commit, so within a transaction a
                # measure may come before its complaint, or outlive it for a moment.
                # The parents moved are the rows whose read columns differ before and after:
                # a set difference, not a join of the two transition tables (which the join
                # settings would make a nested loop).
                table, columns, _fk = fact.parent
                body = _by_operation(
                    write((fact.table, "new_rows", 1)),
                    write((fact.table, "old_rows", -1)),
                    write(
                        (fact.table, "moved_to", 1),
                        (fact.table, "moved_from", -1),
                        sets=_differences("moved", columns),
                    ),
                )
                found.append(_pg_function(f"{name}_parent", body, PG_JOIN_SETTINGS))
                found += _pg_triggers(f"{name}_parent", table, f"{name}_parent")
        else:
            new = (_row("NEW", fact.columns), parent_table, 1)
            old = (_row("OLD", fact.columns), parent_table, -1)
            found += _sqlite_triggers(
                name,
                fact.table,
                # An update that sets none of the read columns changes nothing here.
                ["INSERT", "DELETE", f"UPDATE OF {', '.join(fact.columns)}"],
                write(new),
                write(old),
                write(new, old),
            )
            if fact.parent:
                table, columns, _fk = fact.parent
                new = (fact.table, _row("NEW", columns[1:]), 1)
                old = (fact.table, _row("OLD", columns[1:]), -1)
                found += _sqlite_triggers(
                    f"{name}_parent",
                    table,
                    ["INSERT", "DELETE", f"UPDATE OF {', '.join(columns[1:])}"],
                    write(new),
                    write(old),
                    write(new, old),
                )
    return found


def _installed(cursor, vendor: str) -> dict[tuple[str, str], str]:
    """What the database has of the rollup's functions and triggers: {(kind, name): text to
    compare with the definition} (PostgreSQL: a function's body, a trigger's existence)."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT proname, prosrc, proconfig FROM pg_proc WHERE proname LIKE %s", [PREFIX + "%"]
        )
        found = {
            ("function", name): _function_text(body, config)
            for name, body, config in cursor.fetchall()
        }
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
            [PREFIX + "%"],
        )
        found.update({("trigger", name): "" for (name,) in cursor.fetchall()})
        return found
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
        [PREFIX + "%"],
    )
    return {("trigger", name): sql for name, sql in cursor.fetchall()}


def _function_text(body: str, config: list[str] | None) -> str:
    """A PostgreSQL function as compared: its body and its settings."""
    return body + "\n" + ",".join(config or [])


def _expected(definition: Definition, vendor: str) -> str:
    if vendor != "postgresql":
        return definition.sql
    if definition.kind == "function":
        body = definition.sql.split("AS $$", 1)[1].rsplit("$$", 1)[0]
        return _function_text(body, list(definition.settings))
    return ""


def install_triggers(using: str = "default", *, rebuild_if_changed: bool = True) -> bool:
    """Make the database's rollup functions and triggers those of `definitions`, touching only
    what differs: an unchanged database takes no lock (on PostgreSQL, creating a trigger locks
    its table against every reader and writer). Run after every `migrate` (reports/apps.py):
    on SQLite, a migration that rebuilds a source table drops its triggers with it.

    When anything had to change, the rollup is recounted from the source tables (unless
    `rebuild_if_changed` is false): new definitions (a new dimension, other age groups)
    apply to every stored fact, and facts written while a trigger was missing are counted.
    Returns whether anything changed. Without the rollup table (migrated back), nothing runs.
    """
    from django.db import connections

    from config import replica

    if using == replica.REPLICA:
        return False  # a read-only standby: it replays the primary's
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if not {TABLE, *(fact.table for fact in FACTS.values())} <= tables:
        return False
    vendor = connection.vendor
    with transaction.atomic(using=using), connection.cursor() as cursor:
        installed = _installed(cursor, vendor)
        changed = False
        for definition in definitions(vendor):
            have = installed.get((definition.kind, definition.name))
            if have == _expected(definition, vendor):
                continue
            changed = True
            if definition.kind == "trigger":
                on = f" ON {definition.table}" if vendor == "postgresql" else ""
                cursor.execute(f"DROP TRIGGER IF EXISTS {definition.name}{on}")
            cursor.execute(definition.sql)
        if vendor == "sqlite" and not changed:
            # A flush (DELETE table by table) can empty the rollup before the facts, whose
            # triggers then leave negative counts: recount then.
            cursor.execute(f"SELECT 1 FROM {TABLE} WHERE n < 0 OR extra < 0 LIMIT 1")
            changed = cursor.fetchone() is not None
    if changed and rebuild_if_changed:
        rebuild(using=using)
    return changed


def drop_all(schema_editor) -> None:
    """Remove every rollup trigger and function the database has, whatever the definitions
    (the rollup's migration, migrated back)."""
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        installed = _installed(cursor, vendor)
        if vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
                [PREFIX + "%"],
            )
            for trigger, table in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for kind, name in installed:
            if kind == "function":
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            elif vendor != "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


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


def of_services(services: QuerySet) -> Q:
    """The condition for rows (of the rollup, or of a table with a `service`) of these
    services. None at all for every service (a national scope without filters): such rows
    belong to services only, and the join with the services' table would cost a fifth of a
    large read. Any filter, an empty scope (`none()`) included, gives the subquery."""
    query = services.query
    if (
        services.model._meta.label == "services.CareService"
        and not query.where
        and query.combinator is None
        and not query.is_sliced
    ):
        return Q()
    return Q(service__in=services.values("pk"))


def span_starts(span: str, first: date, last: date) -> list[date]:
    """The first days of the spans (months or years) from `first` to `last`, both included."""
    starts, day = [], first
    while day <= last:
        starts.append(day)
        day = _next_month(day) if span == "month" else date(day.year + 1, 1, 1)
    return starts


GROUPS = {"service": "service_id", "month": "start", "key": "key"}


def _sql_of(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.values("pk").query.sql_with_params()


def source_counts(
    fact_name: str,
    dimension: str,
    services: QuerySet,
    edges,
    by: tuple[str, ...],
    using=None,
    keys: tuple[str, str] | None = None,
) -> dict[tuple, list[int]]:
    """Counts of the fact on the edge days, read from the source tables with the triggers' own
    expressions: {(group values…): [n, extra]}; only the keys in [keys[0], keys[1]) if given."""
    from django.db import connections

    from cases import clock

    if not edges or services.query.is_empty():
        return {}
    fact = FACTS[fact_name]
    connection = connections[using or services.db]
    vendor = connection.vendor
    key, extra = fact.dimensions[dimension]
    key = vendored(key, vendor)
    expressions = {"service": "r.service_id", "month": month_sql(fact, vendor), "key": key}
    # The statement has parameters: a literal % (SQLite's strftime) is written %%.
    selected = [expressions[group].replace("%", "%%") for group in by]
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
    within = ""
    if keys:
        # Byte order, as the rollup's keys are compared (zero-padded numbers).
        escaped = key.replace("%", "%%")
        collate = ' COLLATE "C"' if vendor == "postgresql" else ""
        within = f" AND ({escaped}){collate} >= %s AND ({escaped}){collate} < %s"
        params += list(keys)
    columns = ", ".join(f"{expression} AS g{i}" for i, expression in enumerate(selected))
    sql = (
        f"SELECT {columns}{', ' if columns else ''}COUNT(*), COALESCE(SUM({extra}), 0) "
        f"FROM {fact.table} r {fact.join.format(parent=fact.parent[0] if fact.parent else '')} "
        f"WHERE {fact.counted} AND r.service_id IN ({services_sql}) AND ({' OR '.join(ranges)})"
        f"{within}"
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
    keys: tuple[str, str] | None = None,
) -> dict[tuple, list[int]]:
    """The fact's counts over [start, end] for these services, grouped `by` some of service,
    month ('YYYY-MM') and key: {(values…): [n, extra]}; only the keys in [keys[0], keys[1])
    when given. Groups that add up to nothing are left out. Two queries at most: the rollup's
    whole years and months, and the edge days from the source."""
    from django.db.models import Q, Sum

    from .models import Rollup

    months, edges = split_period(start, end)
    result: dict[tuple, list[int]] = {}
    if months:
        covering = Q()
        years = "month" not in by and FACTS[fact].spans(dimension) == ("month", "year")
        for span, first, last in spans(*months, years=years):
            if keys:
                # A range of keys within each span: the starts listed, so that an index led by
                # (span, start, key) seeks each span's keys (rollup_wait_key_idx).
                covering |= Q(span=span, start__in=span_starts(span, first, last))
            else:
                covering |= Q(span=span, start__gte=first, start__lte=last)
        rows = Rollup.objects.using(services.db).filter(
            covering, of_services(services), fact=fact, dimension=dimension
        )
        if keys:
            rows = rows.filter(key__gte=keys[0], key__lt=keys[1])
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
    for group, (n, extra) in source_counts(fact, dimension, services, edges, by, keys=keys).items():
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
            covering, of_services(services), fact=fact, dimension="place", n__gt=0
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
    from django.db import connections

    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            # One snapshot for both reads: a write between them is not a difference. (Inside a
            # caller's transaction, that transaction decides.)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
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
            cursor.execute(_write(fact, connection.vendor, (fact.table, parent, 1)))
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return cursor.fetchone()[0]
