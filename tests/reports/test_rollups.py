"""The rollup's own parts: periods split into whole months and edges, the triggers' SQL beside
the reports' definitions, the check-and-rebuild command, and PostgreSQL's concurrent writers."""

import threading
from contextlib import contextmanager
from datetime import UTC, date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Q

from cases.models import Case
from reports import queries, rollups
from reports.models import Rollup
from services.models import CareService
from tests.factories import CareServiceFactory, CaseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "start, end, months, edges",
    [
        # a calendar year: whole months only, nothing read from the cases
        (date(2023, 1, 1), date(2023, 12, 31), (date(2023, 1, 1), date(2023, 12, 1)), []),
        # one whole month
        (date(2023, 2, 1), date(2023, 2, 28), (date(2023, 2, 1), date(2023, 2, 1)), []),
        # February of a leap year ends on the 29th: the 28th is an edge
        (date(2024, 2, 1), date(2024, 2, 28), None, [(date(2024, 2, 1), date(2024, 2, 28))]),
        # inside one month: all edge
        (date(2023, 3, 5), date(2023, 3, 20), None, [(date(2023, 3, 5), date(2023, 3, 20))]),
        # across a month's end, no whole month
        (date(2023, 3, 20), date(2023, 4, 10), None, [(date(2023, 3, 20), date(2023, 4, 10))]),
        # edges on both sides of whole months, across a year's end
        (
            date(2022, 12, 15),
            date(2023, 3, 10),
            (date(2023, 1, 1), date(2023, 2, 1)),
            [(date(2022, 12, 15), date(2022, 12, 31)), (date(2023, 3, 1), date(2023, 3, 10))],
        ),
        # a single day
        (date(2023, 5, 1), date(2023, 5, 1), None, [(date(2023, 5, 1), date(2023, 5, 1))]),
    ],
)
def test_a_period_splits_into_whole_months_and_edge_days(start, end, months, edges):
    assert rollups.split_period(start, end) == (months, edges)


@pytest.mark.parametrize(
    "first, last, expected",
    [
        # one calendar year: its year rows
        (date(2023, 1, 1), date(2023, 12, 1), [("year", date(2023, 1, 1), date(2023, 1, 1))]),
        # months of one year only: month rows
        (date(2023, 2, 1), date(2023, 12, 1), [("month", date(2023, 2, 1), date(2023, 12, 1))]),
        # whole years with months on both sides
        (
            date(2021, 11, 1),
            date(2024, 2, 1),
            [
                ("year", date(2022, 1, 1), date(2023, 1, 1)),
                ("month", date(2021, 11, 1), date(2021, 12, 1)),
                ("month", date(2024, 1, 1), date(2024, 2, 1)),
            ],
        ),
    ],
)
def test_whole_years_read_year_rows(first, last, expected):
    assert rollups.spans(first, last) == expected
    # counted by month, only month rows serve
    assert rollups.spans(first, last, years=False) == [("month", first, last)]


@pytest.mark.parametrize(
    "span, first, last, expected",
    [
        (
            "month",
            date(2023, 11, 1),
            date(2024, 2, 1),
            ["2023-11", "2023-12", "2024-01", "2024-02"],
        ),
        ("month", date(2023, 5, 1), date(2023, 5, 1), ["2023-05"]),
        ("year", date(2021, 1, 1), date(2023, 1, 1), ["2021-01", "2022-01", "2023-01"]),
    ],
)
def test_span_starts_lists_each_span_once(span, first, last, expected):
    starts = rollups.span_starts(span, first, last)
    assert [day.strftime("%Y-%m") for day in starts] == expected
    assert all(day.day == 1 for day in starts)


def test_only_every_service_unfiltered_reads_the_rollup_without_the_services():
    """A national scope without filters needs no condition on the rollup's services; any
    filter, an empty scope and a slice keep the subquery (deny by default)."""
    cem = CaseFactory(service=CareServiceFactory(kind="CEM")).service
    sar = CaseFactory(service=CareServiceFactory(kind="SAR")).service
    assert rollups.of_services(CareService.objects.select_related("district")) == Q()
    for scoped, expected in (
        (CareService.objects.filter(kind="CEM"), {cem.pk}),
        (CareService.objects.none(), set()),
        (CareService.objects.filter(pk__in=[cem.pk, sar.pk]).order_by("-pk")[:1], {sar.pk}),
    ):
        condition = rollups.of_services(scoped)
        assert condition != Q()
        assert set(Case.objects.filter(condition).values_list("service", flat=True)) == expected


def test_the_age_groups_of_the_triggers_are_the_reports():
    """The triggers' SQL and reports.queries.AGE_GROUPS say the same, age by age."""
    service = CareServiceFactory()
    for age in range(0, 100):
        CaseFactory(service=service, victim_age=age)
    stored = dict(
        Rollup.objects.filter(fact="case", dimension="age_group", span="year").values_list(
            "key", "n"
        )
    )
    expected = {}
    for age in range(0, 100):
        for low, high in queries.AGE_GROUPS:
            if low <= age and (high is None or age <= high):
                key = queries.age_group_key(low, high)
                expected[key] = expected.get(key, 0) + 1
    assert stored == expected


def test_every_coded_dimension_of_the_reports_has_its_rollup():
    case = rollups.FACTS["case"]
    for dimension, (field, _variable) in queries.CODED_DIMENSIONS.items():
        key, _extra = case.dimensions[dimension]
        assert f"r.{Case._meta.get_field(field).column}" in key
        assert Case._meta.get_field(field).column in case.columns


def test_the_command_finds_a_difference_and_the_rebuild_repairs_it(capsys):
    service = CareServiceFactory()
    CaseFactory(service=service)
    call_command("rollups")
    assert "equals a recount" in capsys.readouterr().out
    Rollup.objects.filter(fact="case", dimension="sex", span="month").update(n=7)
    with pytest.raises(CommandError, match="1 rollup rows differ"):
        call_command("rollups")
    assert "month=2023-03-01 sex='0': stored (7, 0), recounted (1, 0)" in capsys.readouterr().out
    call_command("rollups", rebuild=True)
    assert rollups.differences() == []
    assert Rollup.objects.get(fact="case", dimension="sex", span="month").n == 1


def test_an_unchanged_database_is_left_alone_by_migrate():
    """After every migrate the triggers are compared with their definitions: when nothing
    differs no statement runs (on PostgreSQL, creating a trigger locks its table against
    every reader)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert rollups.install_triggers() is False
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("CREATE", "DROP"))]


def test_a_lost_trigger_is_made_again_and_what_it_missed_is_counted():
    """On SQLite a migration that rebuilds a table drops its triggers: the next install makes
    them again and recounts, so the cases written meanwhile are in the reports."""
    service = CareServiceFactory()
    with connection.cursor() as cursor:
        on = " ON cases_case" if connection.vendor == "postgresql" else ""
        cursor.execute(f"DROP TRIGGER {rollups.PREFIX}case_insert{on}")
    CaseFactory(service=service)
    assert rollups.differences() != []
    assert rollups.install_triggers() is True
    assert rollups.differences() == []
    CaseFactory(service=service)
    assert Rollup.objects.get(fact="case", dimension="total", span="month").n == 2


def test_a_changed_definition_is_installed_and_recounted(monkeypatch):
    import dataclasses

    service = CareServiceFactory()
    CaseFactory(service=service, victim_age=30)
    case = rollups.FACTS["case"]
    monkeypatch.setitem(
        rollups.FACTS,
        "case",
        dataclasses.replace(case, dimensions={**case.dimensions, "adult": ("'yes'", "0")}),
    )
    assert rollups.install_triggers() is True
    assert Rollup.objects.get(fact="case", dimension="adult", span="year").n == 1


def test_a_write_that_changes_no_count_touches_no_rollup_row():
    service = CareServiceFactory()
    case = CaseFactory(service=service)
    before = list(Rollup.objects.order_by("pk").values_list("pk", "n", "extra"))
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=date(2023, 4, 1))
    assert list(Rollup.objects.order_by("pk").values_list("pk", "n", "extra")) == before


@contextmanager
def plans_sent_here(*, analyze: bool = False):
    """PostgreSQL: a transaction on the test's connection in which auto_explain sends the plan
    of every statement, the triggers' included, to this connection as a notice. Yields the
    cursor and the list of notices; the handler is removed after."""
    notices = []

    def notice(diagnostic):
        notices.append(diagnostic.message_primary)

    settings = [
        "LOAD 'auto_explain'",
        "SET LOCAL auto_explain.log_min_duration = 0",
        "SET LOCAL auto_explain.log_nested_statements = on",
        "SET LOCAL client_min_messages = log",
    ]
    if analyze:  # the rows each node gave, without the clock's cost
        settings += [
            "SET LOCAL auto_explain.log_analyze = on",
            "SET LOCAL auto_explain.log_timing = off",
        ]
    connection.ensure_connection()
    connection.connection.add_notice_handler(notice)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(setting)
            yield cursor, notices
    finally:
        connection.connection.remove_notice_handler(notice)


@pytest.mark.postgres
def test_the_triggers_settings_and_the_tables_free_space_are_kept():
    """PostgreSQL: each trigger function groups with its own work_mem and without JIT, and a
    function whose settings were lost is made again; the rollup's pages keep half free, so
    that adding to a count is an update on the same page."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's function settings and storage parameters")

    def settings_of(name):
        with connection.cursor() as cursor:
            cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = %s", [name])
            return cursor.fetchone()[0]

    name = f"{rollups.PREFIX}case"
    assert settings_of(name) == ["work_mem=64MB", "jit=off"]
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER FUNCTION {name}() RESET ALL")
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [rollups.TABLE])
        assert cursor.fetchone()[0] == ["fillfactor=50"]
    assert settings_of(name) is None
    assert rollups.install_triggers() is True
    assert settings_of(name) == ["work_mem=64MB", "jit=off"]
    assert rollups.install_triggers() is False


@pytest.mark.postgres
def test_the_functions_that_join_a_table_plan_each_call_and_look_rows_up_by_index():
    """PostgreSQL: a function that joins the statement's rows to a whole table (a measure's
    complaint, a complaint's measures) plans each statement when it runs, with hash and merge
    joins, table scans and Materialize off: a plan kept from a small table, or a hash of
    millions of measures per statement, made a seed from empty grow quadratically. The parents
    moved by an update are a set difference, not a join of the two transition tables (a nested
    loop over both)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's function settings")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc, proconfig FROM pg_proc WHERE proname LIKE %s",
            [rollups.PREFIX + "%"],
        )
        functions = {name: (body, config) for name, body, config in cursor.fetchall()}
    joining = {f"{rollups.PREFIX}measure", f"{rollups.PREFIX}measure_parent"}
    for name, (body, config) in functions.items():
        if name in joining:
            for setting in ("hashjoin", "mergejoin", "seqscan", "material"):
                assert f"enable_{setting}=off" in config, name
            assert body.count("EXECUTE $w$") == 3, name  # insert, delete, update
        else:
            assert config == ["work_mem=64MB", "jit=off"], name
            assert "EXECUTE" not in body, name
    parent = functions[f"{rollups.PREFIX}measure_parent"][0]
    assert "EXCEPT" in parent and "JOIN new_rows p ON p.id = o.id" not in parent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # auto_explain's notices on the test's own connection
def test_complaints_and_measures_written_look_each_other_up_by_index(monkeypatch):
    """PostgreSQL: the plans the triggers run (auto_explain's, sent to this connection) read
    the measures of the complaints written, and the complaints of the measures written, by
    index, never by scanning the table: on a table this small, the planner alone scans it."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    from io import StringIO

    from cases.models import Complaint, ProtectionMeasure

    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", seed=3, cases=300, stdout=StringIO())
    assert ProtectionMeasure.objects.exists()

    def copy_of(model, limit):
        columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
        listed, table = ", ".join(columns), model._meta.db_table
        # Only the model's own table and column names are formatted into the SQL.
        return f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {table} LIMIT {limit}"  # noqa: S608

    with plans_sent_here() as (cursor, notices):
        cursor.execute(copy_of(Complaint, 50))
        cursor.execute(copy_of(ProtectionMeasure, 50))
        cursor.execute("UPDATE cases_complaint SET filed_at = filed_at - interval '1 day'")
        transaction.set_rollback(True)
    joined = ("FROM cases_protectionmeasure r JOIN", "JOIN cases_complaint c")
    plans = [n for n in notices if "reports_rollup" in n and any(j in n for j in joined)]
    assert len(plans) == 3  # the complaints' insert and update, the measures' insert
    for plan in plans:
        assert "Seq Scan on cases_protectionmeasure" not in plan
        assert "Seq Scan on cases_complaint" not in plan
        assert "Hash Join" not in plan
    assert sum("Index Scan using cases_protectionmeasure_complaint_id" in p for p in plans) == 2
    assert sum("Index Scan using cases_complaint_pkey" in p for p in plans) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # auto_explain's notices on the test's own connection
def test_an_update_groups_only_the_rows_whose_read_columns_changed():
    """PostgreSQL: an update's trigger finds the rows whose read columns changed (a set
    difference of the two transition tables, computed once) and groups only those: a case's
    protective measures set on thousands of cases (the demo's clock, chunk by chunk) or a case
    closed groups nothing, where every row was read and grouped only to cancel out."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    service = CareServiceFactory()
    cases = [CaseFactory(service=service, victim_age=30) for _ in range(20)]

    def changed_rows(statement):
        """The rows of the trigger's `changed_to` set, read in its plan (auto_explain)."""
        with plans_sent_here(analyze=True) as (cursor, notices):
            cursor.execute(statement)
        (plan,) = [n for n in notices if "INSERT INTO reports_rollup" in n]
        assert plan.count("HashSetOp Except") == 2  # once each way, whatever the dimensions
        following = plan.split("CTE changed_to", 1)[1].splitlines()[1]
        return float(following.split("actual rows=")[1].split()[0])  # "0", or "0.00" (PG 18)

    assert changed_rows("UPDATE cases_case SET protective_measures = true") == 0
    three = ", ".join(str(case.pk) for case in cases[:3])
    older = f"UPDATE cases_case SET victim_age = 70 WHERE id IN ({three})"  # noqa: S608
    assert changed_rows(older) == 3
    assert rollups.differences() == []
    sixty = Rollup.objects.get(fact="case", dimension="age_group", span="year", key="60+")
    assert sixty.n == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # committed rows: no foreign key check pending
def test_a_truncated_table_takes_its_facts_out_of_the_rollup():
    """PostgreSQL: TRUNCATE reads no rows (no row or statement trigger sees them), so each
    source table's TRUNCATE trigger empties its fact's rows; a cascade empties its children's."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's TRUNCATE")
    from tests.activities.factories import ActivityFactory

    service = CareServiceFactory(kind="SAR")
    CaseFactory(service=service)
    ActivityFactory(service=service)
    assert set(Rollup.objects.values_list("fact", flat=True)) == {"case", "activity"}
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_case CASCADE")
    assert set(Rollup.objects.values_list("fact", flat=True)) == {"activity"}
    assert rollups.differences() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_of_one_service_both_count():
    """Two transactions add a case to the same service and month at once: the second waits for
    the first's rollup row (ON CONFLICT … DO UPDATE) and neither count is lost."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's row locks")
    service = CareServiceFactory()
    first_inside, release = threading.Event(), threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                # Numbered by hand, so that no case sequence row is shared: the only row both
                # need is the rollup's.
                CaseFactory(service=service, code="T-1", number="2023-1")
                first_inside.set()
                release.wait(10)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_inside.wait(10)
    second_done = threading.Event()

    def second():
        try:
            CaseFactory(service=service, code="T-2", number="2023-2")
            second_done.set()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    other = threading.Thread(target=second)
    other.start()
    # The second intake waits on the first's uncommitted rollup row.
    assert not second_done.wait(1)
    release.set()
    thread.join(10)
    other.join(10)
    assert errors == []
    assert second_done.is_set()
    assert Rollup.objects.get(fact="case", dimension="total", span="year", service=service).n == 2
    assert rollups.differences() == []


@pytest.mark.parametrize(
    "start, end",
    [
        (date(2023, 1, 1), date(2023, 12, 31)),  # whole months: counted in the database
        (date(2023, 2, 10), date(2023, 6, 20)),  # edge days: keys put together first
        (date(2023, 3, 2), date(2023, 3, 30)),  # edge days only
    ],
)
def test_the_places_reached_equal_a_direct_count(start, end):
    from tests.factories import CommunityFactory, DistrictFactory

    service = CareServiceFactory(kind="SAR")
    other = DistrictFactory()
    community = CommunityFactory(district=service.district)
    far = CommunityFactory(district=other)
    for day, district, place in [
        (date(2023, 1, 5), service.district, None),
        (date(2023, 2, 12), service.district, community),
        (date(2023, 3, 15), other, far),
        (date(2023, 6, 25), other, None),
        (date(2023, 11, 3), service.district, community),
    ]:
        CaseFactory(service=service, intake_date=day, district=district, community=place)
    cases = Case.objects.filter(intake_date__gte=start, intake_date__lte=end)
    districts = set(cases.values_list("district_id", flat=True))
    expected = {
        "districts": len(districts),
        "communities": cases.exclude(community=None).values("community").distinct().count(),
        "provinces": len({d[:4] for d in districts}),
        "regions": len({d[:2] for d in districts}),
    }
    services = type(service).objects.filter(pk=service.pk)
    assert rollups.places("case", services, start, end) == expected


def test_a_moment_a_microsecond_before_lima_midnight_stays_in_its_month(cast):
    """A complaint filed at 23:59:59.999999 in Lima on 31 March is March's (SQLite's strftime
    would round it into April)."""
    from datetime import datetime

    from cases import actions
    from cases.models import Complaint

    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 1))
    filed = datetime(2023, 4, 1, 4, 59, 59, 999999, tzinfo=UTC)
    actions.file_complaint(
        case=case,
        user=cast.caseworker_a,
        filed_at=filed,
        place=Complaint.Place.POLICE,
        filed_by=Complaint.FiledBy.VICTIM,
        now=filed,
    )
    row = Rollup.objects.get(fact="complaint", span="month")
    assert row.start == date(2023, 3, 1)
    assert rollups.differences() == []


def test_partial_periods_answer_every_user_even_one_without_services(cast, as_user):
    """The edge days are read from the cases with the services' subquery: a scope with no
    service (shelter staff) reads nothing there, and a month breakdown of edge days works with
    the query log on (SQLite's strftime pattern goes through the parameters' formatting)."""
    from django.test.utils import CaptureQueriesContext

    CaseFactory(service=cast.service_a, intake_date=date(2023, 1, 20))
    period = {"from": "2023-01-15", "to": "2023-03-10", "format": "json"}
    for member in ("shelter_staff", "national_manager"):
        client = as_user(getattr(cast, member))
        for url, extra in [
            ("/reports/cases/", {"by": "month"}),
            ("/reports/rural-coverage/", {}),
            ("/reports/activities/", {"by": "month"}),
            ("/reports/protection/", {}),
        ]:
            with CaptureQueriesContext(connection):
                response = client.get(url, {**period, **extra})
            assert response.status_code == 200, (member, url)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_rolled_back_by_a_deadlock_runs_again(cast, monkeypatch, tmp_path):
    """An import writes the rollup batch after batch. Another transaction holds February's row
    and then asks for January's, which the import's first batch holds, while the import waits
    for February's: PostgreSQL breaks the deadlock by rolling the import back (it waited
    first). The import then runs again from the file and stores every row once."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's deadlock detection")
    from cases import importers
    from services import csvimport
    from tests.cases.test_import_cases import case_row
    from tests.csvfiles import import_cases, write_csv

    service = cast.service_a  # SAR-081201, the rows' service
    for month in (1, 2):  # the rollup rows both transactions will lock exist already
        CaseFactory(service=service, intake_date=date(2023, month, 5))
    monkeypatch.setattr(importers, "BATCH_SIZE", 1)  # one statement per case
    attempts = []
    real_importer_for = csvimport.importer_for

    def counted_importer_for(kind):
        attempts.append(kind)
        return real_importer_for(kind)

    monkeypatch.setattr(csvimport, "importer_for", counted_importer_for)
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("2023-91", FECHA_INGRESO="2023-01-20"),
            case_row("2023-92", FECHA_INGRESO="2023-02-20"),
        ],
    )
    holding, errors = threading.Event(), []
    row = "fact = 'case' AND dimension = 'total' AND span = 'month' AND service_id = %s"

    def other_writer():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # This side never looks for the deadlock first: the import does, after 1 s.
                cursor.execute("SET LOCAL deadlock_timeout = '30s'")
                update = f"UPDATE {rollups.TABLE} SET n = n WHERE {row} AND start = %s"  # noqa: S608
                cursor.execute(update, [service.pk, date(2023, 2, 1)])
                holding.set()
                for _ in range(200):  # until the import waits for February's row
                    cursor.execute(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    if cursor.fetchone()[0]:
                        break
                    threading.Event().wait(0.05)
                cursor.execute(update, [service.pk, date(2023, 1, 1)])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(10)
    out, _err = import_cases(path)
    thread.join(30)
    assert errors == []
    assert len(attempts) == 2, out  # rolled back once, then stored
    assert Case.objects.filter(service=service).count() == 4
    assert (
        Rollup.objects.get(
            fact="case", dimension="total", span="year", service=service, start=date(2023, 1, 1)
        ).n
        == 4
    )
    assert rollups.differences() == []
