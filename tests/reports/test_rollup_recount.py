"""The reports' rollup (reports/rollups.py) stays exact through every write path of the app.

Each test runs one real write path (a form, an action, an import, the demo generator, the field
sync, a bulk `QuerySet.update()` or `.delete()`, raw SQL) and then checks three things:

- `rollups.differences()` is empty: the rows the triggers kept equal the module's own recount;
- the rollup equals a recount written here in Python from the source rows (`expected_rollup`),
  independent of the module's SQL, so that a wrong key or month in both would still be caught;
- the rollup moved exactly as the write should move it (`changes_since`): the new keys gained,
  the old keys lost, and nothing else moved.
"""

from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone

from activities import actions as activity_actions
from activities.models import Activity
from cases import actions, clock
from cases.models import Case, Complaint, ProtectionMeasure
from cases.rules import GRANTED_STATES
from reports import rollups
from reports.models import Rollup
from services.models import CareService
from tests.activities.factories import ActivityFactory, activity_post_data
from tests.activities.test_edit_and_cancel import edit_data as activity_edit_data
from tests.activities.test_import_activities import activity_row
from tests.cases.test_edit import edit_data as case_edit_data
from tests.cases.test_import_cases import case_row
from tests.cases.test_import_measures import measures_file, requested
from tests.cases.test_import_measures import row as measure_row
from tests.csvfiles import import_cases, import_file, write_csv
from tests.factories import (
    CaseFactory,
    CommunityFactory,
    DistrictFactory,
    intake_post_data,
)
from tests.field.conftest import item, sync

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo(settings.SERVICE_TIME_ZONE)
State = ProtectionMeasure.State
AGE_GROUPS = [(0, 5), (6, 11), (12, 17), (18, 25), (26, 35), (36, 45), (46, 59)]


def at(*args) -> datetime:
    """A moment on the services' clock: `at(2024, 5, 31, 23, 30)` is 23:30 in Lima."""
    return datetime(*args, tzinfo=LIMA)


# What each source row should add to the rollup, written here independently of the SQL ----------


def _text(value) -> str:
    return "" if value is None else str(value)


def _month(day: date) -> str:
    return day.replace(day=1).isoformat()


def _lima_month(moment: datetime) -> str:
    return _month(moment.astimezone(LIMA).date())


def _age_group(age: int | None) -> str:
    if age is None:
        return ""
    for low, high in AGE_GROUPS:
        if age <= high:
            return f"{low}-{high}"
    return "60+"


def _place(district_id: str, community_id: int | None) -> str:
    return f"{district_id}:{_text(community_id)}"


def case_rows(case: Case, sign: int = 1) -> dict[tuple, tuple[int, int]]:
    """The rollup rows one case adds (sign=1) or takes away (sign=-1)."""
    month = _month(case.intake_date)
    keys = {
        "total": "",
        "sex": _text(case.victim_sex),
        "age_group": _age_group(case.victim_age),
        "violence_type": _text(case.violence_type),
        "risk_level": _text(case.risk_level),
        "place": _place(case.district_id, case.community_id),
    }
    return {("case", case.service_id, month, dim, key): (sign, 0) for dim, key in keys.items()}


def activity_rows(activity: Activity, sign: int = 1) -> dict[tuple, tuple[int, int]]:
    if activity.cancelled_at is not None:
        return {}
    month = _month(activity.date)
    people = activity.women + activity.men + activity.girls + activity.boys
    service = activity.service_id
    return {
        ("activity", service, month, "total", ""): (sign, sign * people),
        ("activity", service, month, "type", activity.type): (sign, sign * people),
        (
            "activity",
            service,
            month,
            "place",
            _place(activity.district_id, activity.community_id),
        ): (
            sign,
            0,
        ),
    }


def complaint_rows(complaint: Complaint, sign: int = 1) -> dict[tuple, tuple[int, int]]:
    return {
        ("complaint", complaint.service_id, _lima_month(complaint.filed_at), "total", ""): (sign, 0)
    }


def measure_rows(measure: ProtectionMeasure, sign: int = 1) -> dict[tuple, tuple[int, int]]:
    if measure.state not in GRANTED_STATES:
        return {}
    complaint = measure.complaint
    on_time = int(measure.decided_at <= complaint.deadline)
    month = _lima_month(complaint.filed_at)
    wait = measure.decided_at - complaint.filed_at
    microseconds = (wait.days * 86_400 + wait.seconds) * 1_000_000 + wait.microseconds
    if microseconds < 0:
        exact = bucket = "-"
    else:
        # Each hour for two days, then each day up to thirty, then each thirty days.
        hours = microseconds // 3_600_000_000
        size = 1 if hours < 48 else 24 if hours < 720 else 720
        exact, bucket = f"{microseconds:016d}", f"{hours - hours % size:06d}"
    return {
        ("measure", measure.service_id, month, "type", measure.measure_type): (
            sign,
            sign * on_time,
        ),
        ("measure", measure.service_id, month, "wait", exact): (sign, 0),
        ("measure", measure.service_id, month, "wait_hours", bucket): (sign, 0),
    }


def combine(*tables: dict) -> dict[tuple, tuple[int, int]]:
    """Add rollup tables key by key; keys that add up to nothing are left out."""
    total: dict[tuple, tuple[int, int]] = {}
    for table in tables:
        for key, (n, extra) in table.items():
            old_n, old_extra = total.get(key, (0, 0))
            total[key] = (old_n + n, old_extra + extra)
    return {key: value for key, value in total.items() if value != (0, 0)}


def expected_rollup() -> dict[tuple, tuple[int, int]]:
    """The whole rollup, recounted here in Python from every source row."""
    return combine(
        *(case_rows(case) for case in Case.objects.all()),
        *(activity_rows(activity) for activity in Activity.objects.all()),
        *(complaint_rows(complaint) for complaint in Complaint.objects.all()),
        *(
            measure_rows(measure)
            for measure in ProtectionMeasure.objects.select_related("complaint")
        ),
    )


def by_year(monthly: dict) -> dict[tuple, tuple[int, int]]:
    """Month rows added up into the year rows they make (the exact waits have none)."""
    return combine(
        *(
            {(fact, service, f"{start[:4]}-01-01", dimension, key): value}
            for (fact, service, start, dimension, key), value in monthly.items()
            if dimension != "wait"
        )
    )


def assert_exact() -> None:
    """The kept rollup equals the module's recount and the recount written here, month by
    month and year by year."""
    assert rollups.differences() == []
    expected = expected_rollup()
    assert rollups.stored() == expected
    assert rollups.stored(span="year") == by_year(expected)


WAITS = ("wait", "wait_hours")


def changes_since(before: dict, *, waits: bool = False) -> dict[tuple, tuple[int, int]]:
    """How each rollup row moved since `before` (a `rollups.stored()`), leaving out the rest
    and, unless `waits`, the measures' waits (which `assert_exact` checks for every path)."""
    after = rollups.stored()
    moved = combine(after, {key: (-n, -extra) for key, (n, extra) in before.items()})
    return {key: value for key, value in moved.items() if waits or key[3] not in WAITS}


def count(fact: str, service: CareService, month: str, dimension: str, key: str = "") -> int:
    """The count of one rollup row (0 when there is none)."""
    row = Rollup.objects.filter(
        fact=fact, service=service, span="month", start=month, dimension=dimension, key=key
    ).first()
    return row.n if row else 0


def all_rows() -> set[tuple]:
    """Every rollup row, with its id: a write that touches none leaves this set as it was."""
    return set(Rollup.objects.values_list("id", *rollups.COLUMNS))


@pytest.fixture
def user(cast):
    return cast.caseworker_a


# 1. The intake form and the case edit form ------------------------------------------------------


def test_the_intake_form_adds_the_case_to_each_dimension_of_its_month(cast, as_user):
    before = rollups.stored()
    data = intake_post_data(cast.service_a)

    response = as_user(cast.caseworker_a).post(reverse("case_create"), data)

    assert response.status_code == 302
    case = Case.objects.get()
    assert_exact()
    month = _month(case.intake_date)
    district = cast.service_a.district_id
    assert changes_since(before) == {
        ("case", cast.service_a.pk, month, "total", ""): (1, 0),
        ("case", cast.service_a.pk, month, "sex", "0"): (1, 0),
        ("case", cast.service_a.pk, month, "age_group", "26-35"): (1, 0),
        ("case", cast.service_a.pk, month, "violence_type", "2"): (1, 0),
        ("case", cast.service_a.pk, month, "risk_level", "3"): (1, 0),
        ("case", cast.service_a.pk, month, "place", f"{district}:"): (1, 0),
    }


def test_the_intake_form_with_a_complaint_adds_the_complaint_in_its_lima_month(cast, as_user):
    before = rollups.stored()
    filed = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    data = intake_post_data(
        cast.service_a,
        victim_document_number="41234599",
        complaint_filed_at=clock.local(filed).strftime("%Y-%m-%dT%H:%M"),
        complaint_place="police",
        complaint_place_name="Comisaría PNP de Urcos",
        complaint_filed_by="victim",
    )

    response = as_user(cast.caseworker_a).post(reverse("case_create"), data)

    assert response.status_code == 302, response.context["form"].errors
    case, complaint = Case.objects.get(), Complaint.objects.get()
    assert complaint.filed_at == filed
    assert_exact()
    assert changes_since(before) == combine(case_rows(case), complaint_rows(complaint))
    assert count("complaint", cast.service_a, _lima_month(filed), "total") == 1


def test_the_edit_form_moves_the_case_from_its_old_keys_to_its_new_ones(cast, as_user):
    case = CaseFactory(
        service=cast.service_a, intake_date=date(2023, 3, 15), victim_age=30, violence_type=1
    )
    other_district = DistrictFactory(code="081202", province=cast.service_a.district.province)
    old = Case.objects.get(pk=case.pk)
    before = rollups.stored()
    assert count("case", cast.service_a, "2023-03-01", "age_group", "26-35") == 1
    editor = as_user(cast.caseworker_a)
    data = case_edit_data(editor, case)
    data.update(
        victim_age="50",
        violence_type="3",
        risk_level="3",
        district=other_district.code,
        intake_date="2023-02-10",
    )

    response = editor.post(reverse("case_edit", args=[case.code]), data)

    assert response.status_code == 302, response.context["form"].errors
    new = Case.objects.get(pk=case.pk)
    assert (new.victim_age, new.violence_type, new.district_id) == (50, 3, "081202")
    assert_exact()
    assert changes_since(before) == combine(case_rows(old, -1), case_rows(new))
    # The old keys lost the case, the new keys gained it.
    assert count("case", cast.service_a, "2023-03-01", "age_group", "26-35") == 0
    assert count("case", cast.service_a, "2023-03-01", "total") == 0
    assert count("case", cast.service_a, "2023-02-01", "age_group", "46-59") == 1
    assert count("case", cast.service_a, "2023-02-01", "violence_type", "3") == 1
    assert count("case", cast.service_a, "2023-02-01", "place", "081202:") == 1


def test_an_edit_within_the_same_month_moves_only_the_changed_dimension(cast, as_user):
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 15), victim_age=30)
    CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 20), victim_age=30)
    before = rollups.stored()
    editor = as_user(cast.caseworker_a)
    data = case_edit_data(editor, case)
    data.update(victim_age="17")

    response = editor.post(reverse("case_edit", args=[case.code]), data)

    assert response.status_code == 302, response.context["form"].errors
    assert_exact()
    service = cast.service_a.pk
    assert changes_since(before) == {
        ("case", service, "2023-03-01", "age_group", "26-35"): (-1, 0),
        ("case", service, "2023-03-01", "age_group", "12-17"): (1, 0),
    }
    assert count("case", cast.service_a, "2023-03-01", "age_group", "26-35") == 1
    assert count("case", cast.service_a, "2023-03-01", "total") == 2


def test_each_age_group_edge_lands_in_its_group(cast):
    """Ages on both sides of every bound of the report's age groups, written by the factory's
    plain `save()`: each is counted in the group the report says."""
    before = rollups.stored()
    ages = [0, 5, 6, 11, 12, 17, 18, 25, 26, 35, 36, 45, 46, 59, 60, 120]
    for age in ages:
        CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 15), victim_age=age)

    assert_exact()
    groups = {
        key[4]: n for key, (n, _extra) in changes_since(before).items() if key[3] == "age_group"
    }
    assert groups == {
        "0-5": 2,
        "6-11": 2,
        "12-17": 2,
        "18-25": 2,
        "26-35": 2,
        "36-45": 2,
        "46-59": 2,
        "60+": 2,
    }


# 2. The imports -----------------------------------------------------------------------------------


def test_the_cases_import_adds_every_imported_case(cast, tmp_path):
    CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 2))  # already counted
    before = rollups.stored()
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("2023-1"),
            case_row("2023-2", EDAD_VICTIMA=8, SEXO_VICTIMA=1, TIPO_VIOLENCIA=1),
            case_row("2023-3", FECHA_INGRESO="2023-01-31", NIVEL_DE_RIESGO_VICTIMA=3),
            case_row("2024-1", FECHA_INGRESO="2024-01-10", EDAD_VICTIMA=0),
        ],
    )

    import_cases(path)

    imported = list(Case.objects.filter(number__in=["2023-1", "2023-2", "2023-3", "2024-1"]))
    assert len(imported) == 4
    assert_exact()
    assert changes_since(before) == combine(*(case_rows(case) for case in imported))
    assert count("case", cast.service_a, "2023-03-01", "total") == 3
    assert count("case", cast.service_a, "2023-03-01", "age_group", "6-11") == 1
    assert count("case", cast.service_a, "2023-01-01", "risk_level", "3") == 1
    assert count("case", cast.service_a, "2024-01-01", "age_group", "0-5") == 1


def test_the_activities_import_adds_every_imported_activity_and_its_participants(cast, tmp_path):
    before = rollups.stored()
    path = write_csv(
        tmp_path / "actividades.csv",
        [
            activity_row("T-001"),
            activity_row("T-002", TIPO="CAMPANA", PARTICIPANTES_MUJERES=40),
            activity_row("T-003", FECHA="2025-02-01", CENTRO_POBLADO="0812010007"),
        ],
    )

    import_file("activities", path)

    imported = list(Activity.objects.all())
    assert len(imported) == 3
    assert_exact()
    assert changes_since(before) == combine(*(activity_rows(a) for a in imported))
    service = cast.service_a.pk
    assert rollups.stored()[("activity", service, "2024-05-01", "total", "")] == (2, 24 + 50)
    assert rollups.stored()[("activity", service, "2024-05-01", "type", "CAMPANA")] == (1, 50)
    new_community = Activity.objects.get(external_id="T-003").community_id
    assert count("activity", cast.service_a, "2025-02-01", "place", f"081201:{new_community}") == 1


def test_the_measures_import_adds_complaints_and_granted_measures_by_the_complaints_lima_month(
    cast, tmp_path
):
    case = CaseFactory(service=cast.service_a)
    before = rollups.stored()
    path = measures_file(
        tmp_path,
        [
            # Filed 2024-05-10 23:30, deadline 2024-05-11 23:30: granted in time.
            measure_row(case),
            # Granted late: counted, not on time.
            measure_row(
                case,
                TIPO_MEDIDA="PROHIBICION_COMUNICACION",
                FECHA_OTORGAMIENTO="2024-05-12",
                HORA_OTORGAMIENTO="09:00",
            ),
            # Only requested: not counted.
            requested(case, TIPO_MEDIDA="RETIRO_AGRESOR"),
            # Filed at 23:30 on 31 May in Lima (04:30 on 1 June in UTC): a May complaint.
            measure_row(
                case,
                FECHA_DENUNCIA="2024-05-31",
                HORA_DENUNCIA="23:30",
                REFERENCIA="124-2024",
                FECHA_OTORGAMIENTO="2024-06-01",
                HORA_OTORGAMIENTO="10:00",
                FECHA_NOTIFICACION="2024-06-02",
            ),
            # A complaint of June with only a request: the complaint counts, no measure.
            requested(case, FECHA_DENUNCIA="2024-06-01", HORA_DENUNCIA="08:00", REFERENCIA="9"),
        ],
    )

    import_file("measures", path)

    assert Complaint.objects.count() == 3 and ProtectionMeasure.objects.count() == 5
    assert_exact()
    service = cast.service_a.pk
    assert changes_since(before) == {
        ("complaint", service, "2024-05-01", "total", ""): (2, 0),
        ("complaint", service, "2024-06-01", "total", ""): (1, 0),
        ("measure", service, "2024-05-01", "type", "IMPEDIMENTO_ACERCAMIENTO"): (2, 2),
        ("measure", service, "2024-05-01", "type", "PROHIBICION_COMUNICACION"): (1, 0),
    }
    # The waits, exact to the microsecond, and their hour buckets: 20 h, 33 h 30 min, 10 h 30 min.
    waits = {
        key[3:]: value
        for key, value in changes_since(before, waits=True).items()
        if key[3] in WAITS
    }
    assert waits == {
        ("wait", "0000072000000000"): (1, 0),
        ("wait", "0000120600000000"): (1, 0),
        ("wait", "0000037800000000"): (1, 0),
        ("wait_hours", "000020"): (1, 0),
        ("wait_hours", "000033"): (1, 0),
        ("wait_hours", "000010"): (1, 0),
    }


# 3. The demo generator ----------------------------------------------------------------------------


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_the_demo_generator_copy_keeps_the_rollup_exact_and_a_rerun_adds_its_cases(
    monkeypatch,
):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")

    seed(cases=20)

    assert Case.objects.count() == 20
    assert_exact()
    totals = dict(
        Rollup.objects.filter(dimension="total", span="month")
        .values_list("fact")
        .annotate(n=Sum("n"))
        .values_list("fact", "n")
    )
    assert totals["case"] == 20
    assert totals["activity"] == Activity.objects.counted().count() > 0
    assert totals["complaint"] == Complaint.objects.count() > 0
    granted = ProtectionMeasure.objects.filter(state__in=GRANTED_STATES).count()
    for dimension, span in [("type", "year"), ("wait_hours", "year"), ("wait", "month")]:
        measures = Rollup.objects.filter(fact="measure", dimension=dimension, span=span)
        assert measures.aggregate(n=Sum("n"))["n"] == granted
    assert not Rollup.objects.filter(dimension="wait", span="year").exists()
    people = Activity.objects.counted().aggregate(
        people=Sum(F("women") + F("men") + F("girls") + F("boys"))
    )["people"]
    assert (
        Rollup.objects.filter(fact="activity", dimension="total", span="month").aggregate(
            extra=Sum("extra")
        )["extra"]
        == people
    )

    before = rollups.stored()
    seed(cases=25)  # a second COPY into tables that already have rows

    assert Case.objects.count() == 25
    assert_exact()
    moved = changes_since(before)
    case_totals = {
        key: value for key, value in moved.items() if key[0] == "case" and key[3] == "total"
    }
    assert sum(n for n, _extra in case_totals.values()) == 5


# 4. Closing and reopening a case ------------------------------------------------------------------


def test_closing_and_reopening_a_case_change_no_count_and_touch_no_rollup_row(cast, as_user):
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 15))
    CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 16))
    rows = all_rows()
    assert count("case", cast.service_a, "2023-03-01", "total") == 2
    worker = as_user(cast.caseworker_a)

    closed = worker.post(
        reverse("case_close", args=[case.code]),
        {"closed_on": timezone.localdate().isoformat(), "reason": "completed"},
    )

    assert closed.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED
    assert_exact()
    assert all_rows() == rows

    worker.post(reverse("case_reopen", args=[case.code]))

    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_CARE
    assert_exact()
    assert all_rows() == rows
    assert count("case", cast.service_a, "2023-03-01", "total") == 2


def test_actions_and_referrals_that_only_move_the_status_change_no_count(cast, user):
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 15))
    rows = all_rows()

    actions.record_action(case=case, user=user, kind="legal", date=date(2023, 3, 16))
    actions.refer_case(
        case=case, user=user, destination="health", date=date(2023, 3, 17), consent=True
    )
    actions.close_case(case=case, user=user, closed_on=date(2023, 3, 18), reason="completed")
    actions.reopen_case(case=case, user=user)

    assert_exact()
    assert all_rows() == rows


# 5. The field sync --------------------------------------------------------------------------------


def test_the_field_sync_adds_a_new_case_with_its_complaint_moves_an_edit_and_adds_an_activity(
    cast, as_user
):
    client = as_user(cast.caseworker_a)
    community = CommunityFactory(district=cast.service_a.district, name="Ccollpa")
    existing = CaseFactory(service=cast.service_a, intake_date=date(2024, 4, 20), risk_level=2)
    old = Case.objects.get(pk=existing.pk)
    before = rollups.stored()
    written = timezone.now() - timedelta(days=1)
    filed = (written - timedelta(hours=5)).replace(second=0, microsecond=0)
    intake = intake_post_data(cast.service_a, community=str(community.pk))
    del intake["service"]  # an item names its service beside its data
    intake.update(
        complaint_filed_at=clock.local(filed).strftime("%Y-%m-%dT%H:%M"),
        complaint_place="police",
        complaint_filed_by="victim",
    )
    activity = activity_post_data(cast.service_a, type="FERIA", women="20", community="")
    del activity["service"]

    answers = sync(
        client,
        item("case", intake, service=cast.service_a.code, captured_at=written.isoformat()),
        item("edit", {"risk_level": "3", "victim_age": "70"}, case=existing.code, base_version=1),
        item("activity", activity, service=cast.service_a.code),
    )

    assert [answer["status"] for answer in answers] == ["accepted"] * 3, answers
    new_case = Case.objects.exclude(pk=existing.pk).get()
    assert new_case.community_id == community.pk
    edited = Case.objects.get(pk=existing.pk)
    assert (edited.risk_level, edited.victim_age) == (3, 70)
    registered = Activity.objects.get()
    assert_exact()
    assert changes_since(before) == combine(
        case_rows(new_case),
        complaint_rows(Complaint.objects.get()),
        case_rows(old, -1),
        case_rows(edited),
        activity_rows(registered),
    )
    month = _month(new_case.intake_date)
    assert count("case", cast.service_a, month, "place", f"081201:{community.pk}") == 1
    assert count("case", cast.service_a, "2024-04-01", "risk_level", "2") == 0
    assert count("case", cast.service_a, "2024-04-01", "risk_level", "3") == 1
    assert count("case", cast.service_a, "2024-04-01", "age_group", "60+") == 1
    assert rollups.stored()[
        ("activity", cast.service_a.pk, _month(registered.date), "type", "FERIA")
    ] == (1, 20 + 6 + 3 + 1)


# 6. The legal clock -------------------------------------------------------------------------------


def test_the_legal_clock_counts_complaints_and_granted_measures_on_time_or_late(cast, user):
    case = CaseFactory(service=cast.service_a, intake_date=date(2024, 5, 1))
    service = cast.service_a.pk
    may, june = "2024-05-01", "2024-06-01"
    now = at(2024, 6, 5, 12)
    before = rollups.stored()

    # 23:30 on 31 May in Lima is 04:30 on 1 June in UTC: a May complaint, due 1 June 23:30.
    complaint = actions.file_complaint(
        case=case,
        user=user,
        filed_at=at(2024, 5, 31, 23, 30),
        place=Complaint.Place.POLICE,
        filed_by=Complaint.FiledBy.VICTIM,
        now=now,
    )
    assert_exact()
    assert changes_since(before) == {("complaint", service, may, "total", ""): (1, 0)}

    # Only requested: no measure in the rollup.
    asked = actions.record_measure(
        complaint=complaint,
        user=user,
        data={"measure_type": "RETIRO_AGRESOR", "state": State.REQUESTED},
        now=now,
    )
    assert_exact()
    assert changes_since(before) == {("complaint", service, may, "total", ""): (1, 0)}

    # Requested → granted within the deadline: the measure enters the rollup, on time.
    actions.update_measure(
        measure=asked,
        user=user,
        data={"state": State.GRANTED, "decided_at": at(2024, 6, 1, 20)},
        now=now,
    )
    assert_exact()
    assert changes_since(before) == {
        ("complaint", service, may, "total", ""): (1, 0),
        ("measure", service, may, "type", "RETIRO_AGRESOR"): (1, 1),
    }

    # Its decision time corrected to after the deadline: still counted, no longer on time.
    actions.update_measure(
        measure=asked, user=user, data={"decided_at": at(2024, 6, 2, 9)}, now=now
    )
    assert_exact()
    assert changes_since(before)[("measure", service, may, "type", "RETIRO_AGRESOR")] == (1, 0)

    # Granted directly and on time; then in force: counted once, still on time.
    direct = actions.record_measure(
        complaint=complaint,
        user=user,
        data={
            "measure_type": "IMPEDIMENTO_ACERCAMIENTO",
            "state": State.GRANTED,
            "decided_at": at(2024, 6, 1, 10),
        },
        now=now,
    )
    actions.update_measure(
        measure=direct,
        user=user,
        data={"state": State.IN_FORCE, "notified_on": date(2024, 6, 2)},
        now=now,
    )
    # Lifted later: a measure that was granted stays counted.
    actions.update_measure(
        measure=direct,
        user=user,
        data={"state": State.LIFTED, "ended_on": date(2024, 6, 4)},
        now=now,
    )
    # Denied, directly or after a request: never counted.
    actions.record_measure(
        complaint=complaint,
        user=user,
        data={
            "measure_type": "PROHIBICION_COMUNICACION",
            "state": State.DENIED,
            "decided_at": at(2024, 6, 1, 11),
        },
        now=now,
    )
    refused = actions.record_measure(
        complaint=complaint,
        user=user,
        data={"measure_type": "PROHIBICION_ARMAS", "state": State.REQUESTED},
        now=now,
    )
    actions.update_measure(
        measure=refused,
        user=user,
        data={"state": State.DENIED, "decided_at": at(2024, 6, 1, 12)},
        now=now,
    )
    assert_exact()
    assert changes_since(before) == {
        ("complaint", service, may, "total", ""): (1, 0),
        ("measure", service, may, "type", "RETIRO_AGRESOR"): (1, 0),
        ("measure", service, may, "type", "IMPEDIMENTO_ACERCAMIENTO"): (1, 1),
    }

    # A second complaint, at midnight starting 1 June in Lima, then set aside: a June complaint,
    # and setting it aside changes no count.
    other = actions.file_complaint(
        case=case,
        user=user,
        filed_at=at(2024, 6, 1, 0, 0),
        place=Complaint.Place.PROSECUTOR,
        filed_by=Complaint.FiledBy.SERVICE,
        now=now,
    )
    rows = all_rows()
    actions.set_complaint_aside(complaint=other, user=user, reason="Se desistió", now=now)
    assert_exact()
    assert all_rows() == rows
    assert changes_since(before) == {
        ("complaint", service, may, "total", ""): (1, 0),
        ("complaint", service, june, "total", ""): (1, 0),
        ("measure", service, may, "type", "RETIRO_AGRESOR"): (1, 0),
        ("measure", service, may, "type", "IMPEDIMENTO_ACERCAMIENTO"): (1, 1),
    }


def test_the_legal_clock_pages_keep_the_rollup_exact(cast, as_user):
    case = CaseFactory(service=cast.service_a)
    worker = as_user(cast.caseworker_a)
    filed = (timezone.now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    before = rollups.stored()

    response = worker.post(
        reverse("case_add_complaint", args=[case.code]),
        {
            "filed_at": clock.local(filed).strftime("%Y-%m-%dT%H:%M"),
            "place": "police",
            "place_name": "Comisaría PNP de Urcos",
            "filed_by": "victim",
            "reference": "",
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    decided = filed + timedelta(hours=1)
    response = worker.post(
        reverse("case_add_measure", args=[case.code, complaint.pk]),
        {
            "measure_type": "RETIRO_AGRESOR",
            "state": "granted",
            "decided_at": clock.local(decided).strftime("%Y-%m-%dT%H:%M"),
            "court": "Juzgado de Familia de Quispicanchi",
            "notified_on": "",
            "executed_by": "police",
            "ended_on": "",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.context["form"].errors

    measure = ProtectionMeasure.objects.get()
    assert measure.state == State.GRANTED
    assert_exact()
    assert changes_since(before) == {
        ("complaint", cast.service_a.pk, _lima_month(filed), "total", ""): (1, 0),
        ("measure", cast.service_a.pk, _lima_month(filed), "type", "RETIRO_AGRESOR"): (1, 1),
    }


# 7. Activities: register, edit, cancel ------------------------------------------------------------


def test_registering_editing_and_cancelling_an_activity_through_its_forms(cast, as_user):
    worker = as_user(cast.caseworker_a)
    community = CommunityFactory(district=cast.service_a.district, name="Ccatca")
    service = cast.service_a.pk
    before = rollups.stored()

    response = worker.post(
        reverse("activity_create"),
        activity_post_data(cast.service_a, community=str(community.pk), date="2024-05-20"),
    )

    assert response.status_code == 302
    activity = Activity.objects.get()
    assert_exact()
    assert changes_since(before) == {
        ("activity", service, "2024-05-01", "total", ""): (1, 24),
        ("activity", service, "2024-05-01", "type", "TALLER"): (1, 24),
        ("activity", service, "2024-05-01", "place", f"081201:{community.pk}"): (1, 0),
    }

    data = activity_edit_data(worker, activity)
    data.update(type="FERIA", girls="9", date="2024-04-30", community="")
    response = worker.post(reverse("activity_edit", args=[activity.code]), data)

    assert response.status_code == 302, response.context["form"].errors
    activity.refresh_from_db()
    assert (activity.type, activity.girls, activity.date) == ("FERIA", 9, date(2024, 4, 30))
    assert_exact()
    assert changes_since(before) == {
        ("activity", service, "2024-04-01", "total", ""): (1, 30),
        ("activity", service, "2024-04-01", "type", "FERIA"): (1, 30),
        ("activity", service, "2024-04-01", "place", "081201:"): (1, 0),
    }

    response = worker.post(reverse("activity_cancel", args=[activity.code]), {"reason": "Doble"})

    assert response.status_code == 302
    assert Activity.objects.get().is_cancelled
    assert_exact()
    assert changes_since(before) == {}
    assert count("activity", cast.service_a, "2024-04-01", "total") == 0


def test_the_activity_actions_keep_the_rollup_exact(cast, user):
    first = ActivityFactory(service=cast.service_a, date=date(2024, 5, 20))
    second = ActivityFactory(service=cast.service_a, date=date(2024, 5, 21), type="CAMPANA")
    before = rollups.stored()

    activity_actions.update_activity(
        activity=first, user=user, data={"women": 30, "men": 0}, expected_version=1
    )
    activity_actions.cancel_activity(activity=second, user=user, reason="Registrada dos veces")

    assert_exact()
    service = cast.service_a.pk
    assert changes_since(before) == {
        ("activity", service, "2024-05-01", "total", ""): (-1, (30 - 12 - 5) - 22),
        ("activity", service, "2024-05-01", "type", "TALLER"): (0, 30 - 12 - 5),
        ("activity", service, "2024-05-01", "type", "CAMPANA"): (-1, -22),
        ("activity", service, "2024-05-01", "place", "081201:"): (-1, 0),
    }


# 8. Writes that bypass the application ------------------------------------------------------------


def test_a_raw_queryset_delete_of_cases_and_activities_takes_them_out(cast):
    kept = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 15))
    gone = [
        CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 16), victim_age=12),
        CaseFactory(service=cast.service_b, intake_date=date(2023, 4, 1)),
    ]
    kept_activity = ActivityFactory(service=cast.service_a)
    gone_activity = ActivityFactory(service=cast.service_a, type="FERIA", women=1)
    before = rollups.stored()

    Case.objects.exclude(pk=kept.pk).delete()
    Activity.objects.filter(pk=gone_activity.pk).delete()

    assert_exact()
    assert changes_since(before) == combine(
        *(case_rows(case, -1) for case in gone), activity_rows(gone_activity, -1)
    )
    assert count("case", cast.service_a, "2023-03-01", "total") == 1
    assert count("case", cast.service_a, "2023-03-01", "age_group", "12-17") == 0
    assert count("case", cast.service_b, "2023-04-01", "total") == 0
    assert count("activity", cast.service_a, "2024-05-01", "type", "FERIA") == 0
    assert count("activity", cast.service_a, "2024-05-01", "type", "TALLER") == 1
    assert Activity.objects.get() == kept_activity


def test_a_queryset_update_of_many_rows_moves_each_row(cast):
    cases = [
        CaseFactory(service=cast.service_a, intake_date=date(2023, 3, day), risk_level=2)
        for day in (1, 2, 3)
    ]
    activities = [
        ActivityFactory(service=cast.service_a, date=date(2024, 5, day)) for day in (1, 2)
    ]
    old_cases = list(Case.objects.all())
    before = rollups.stored()

    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        risk_level=3, intake_date=date(2023, 1, 31)
    )
    Activity.objects.filter(pk=activities[0].pk).update(women=F("women") + 10)
    Activity.objects.filter(pk=activities[1].pk).update(
        cancelled_at=timezone.now(), cancel_reason="Registrada dos veces"
    )

    assert_exact()
    service = cast.service_a.pk
    assert changes_since(before) == combine(
        *(case_rows(case, -1) for case in old_cases),
        *(case_rows(case) for case in Case.objects.all()),
        {
            ("activity", service, "2024-05-01", "total", ""): (-1, 10 - 22),
            ("activity", service, "2024-05-01", "type", "TALLER"): (-1, 10 - 22),
            ("activity", service, "2024-05-01", "place", "081201:"): (-1, 0),
        },
    )
    assert count("case", cast.service_a, "2023-03-01", "total") == 0
    assert count("case", cast.service_a, "2023-01-01", "risk_level", "3") == 3


def test_raw_sql_updates_are_kept_too(cast):
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 15), violence_type=1)
    before = rollups.stored()

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET violence_type = %s, victim_age = %s WHERE id = %s",
            [3, 65, case.pk],
        )

    assert_exact()
    service = cast.service_a.pk
    assert changes_since(before) == {
        ("case", service, "2023-03-01", "violence_type", "1"): (-1, 0),
        ("case", service, "2023-03-01", "violence_type", "3"): (1, 0),
        ("case", service, "2023-03-01", "age_group", "26-35"): (-1, 0),
        ("case", service, "2023-03-01", "age_group", "60+"): (1, 0),
    }


def test_moving_a_complaint_by_update_moves_it_and_its_measures_and_their_timeliness(cast, user):
    case = CaseFactory(service=cast.service_a, intake_date=date(2024, 5, 1))
    complaint = actions.file_complaint(
        case=case,
        user=user,
        filed_at=at(2024, 5, 31, 10),
        place=Complaint.Place.POLICE,
        filed_by=Complaint.FiledBy.VICTIM,
        now=at(2024, 6, 5),
    )
    actions.record_measure(
        complaint=complaint,
        user=user,
        data={
            "measure_type": "RETIRO_AGRESOR",
            "state": State.GRANTED,
            "decided_at": at(2024, 6, 1, 12),  # 26 hours after filing: late
        },
        now=at(2024, 6, 5),
    )
    service = cast.service_a.pk
    assert rollups.stored()[("measure", service, "2024-05-01", "type", "RETIRO_AGRESOR")] == (1, 0)
    before = rollups.stored()

    # Filed (corrected) at 20:00 on 1 June in Lima: a June complaint; the measure came in time.
    Complaint.objects.filter(pk=complaint.pk).update(
        filed_at=at(2024, 6, 1, 0, 0), deadline=at(2024, 6, 2, 0, 0)
    )

    assert_exact()
    assert changes_since(before) == {
        ("complaint", service, "2024-05-01", "total", ""): (-1, 0),
        ("complaint", service, "2024-06-01", "total", ""): (1, 0),
        ("measure", service, "2024-05-01", "type", "RETIRO_AGRESOR"): (-1, 0),
        ("measure", service, "2024-06-01", "type", "RETIRO_AGRESOR"): (1, 1),
    }

    # The deadline alone moved back before the decision: the measure is late again.
    Complaint.objects.filter(pk=complaint.pk).update(deadline=at(2024, 6, 1, 6))
    assert_exact()
    assert rollups.stored()[("measure", service, "2024-06-01", "type", "RETIRO_AGRESOR")] == (1, 0)

    # A change of anything else on the complaint moves nothing.
    rows = all_rows()
    Complaint.objects.filter(pk=complaint.pk).update(reference="corrected", settled_at=None)
    assert_exact()
    assert all_rows() == rows


def test_the_rollups_command_finds_a_row_written_around_the_triggers_and_rebuild_mends_it(cast):
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 15))
    ActivityFactory(service=cast.service_a)
    call_command("rollups", stdout=StringIO())  # equal: no error
    kept = rollups.stored()
    Rollup.objects.filter(
        fact="case", service=cast.service_a, dimension="sex", span="month", start=date(2023, 3, 1)
    ).update(n=F("n") + 1)

    out = StringIO()
    with pytest.raises(CommandError, match="1 rollup rows differ"):
        call_command("rollups", stdout=out)
    assert f"case service={case.service_id} month=2023-03-01 sex='0'" in out.getvalue()

    call_command("rollups", "--rebuild", stdout=StringIO())
    assert_exact()
    assert rollups.stored() == kept
    # The triggers are in place again after the rebuild.
    Case.objects.filter(pk=case.pk).delete()
    assert_exact()
    assert count("case", cast.service_a, "2023-03-01", "total") == 0


# 9. A period with partial months ------------------------------------------------------------------

CASE_DAYS = [
    date(2022, 12, 31),
    date(2023, 1, 1),
    date(2023, 1, 14),
    date(2023, 1, 15),
    date(2023, 1, 31),
    date(2023, 2, 1),
    date(2023, 2, 28),
    date(2023, 3, 1),
    date(2023, 3, 10),
    date(2023, 3, 11),
    date(2023, 3, 31),
]
# Moments on either side of Lima's midnight at the period's edges (05:00 in UTC).
COMPLAINT_MOMENTS = [
    at(2023, 1, 14, 23, 59),
    at(2023, 1, 15, 0, 0),
    at(2023, 1, 31, 23, 30),
    at(2023, 2, 14, 12),
    at(2023, 3, 10, 23, 59),
    at(2023, 3, 11, 0, 0),
    at(2023, 3, 31, 22),
]


@pytest.fixture
def period_world(cast):
    """Cases, activities, complaints and measures of both services around 2023-01-15..03-10."""
    community = CommunityFactory(district=cast.service_a.district, name="Ccatca")
    for i, day in enumerate(CASE_DAYS):
        for service in (cast.service_a, cast.service_b):
            CaseFactory(
                service=service,
                intake_date=day,
                victim_age=(5, 17, 30, 70)[i % 4],
                victim_sex=i % 2,
                violence_type=1 + i % 3,
                risk_level=1 + i % 3,
                community=community if service == cast.service_a and i % 2 else None,
            )
        ActivityFactory(
            service=cast.service_a,
            date=day,
            type=("TALLER", "CAMPANA")[i % 2],
            women=i + 1,
            community=community if i % 3 == 0 else None,
            cancelled_at=timezone.now() if i == 4 else None,
            cancel_reason="Registrada dos veces" if i == 4 else "",
        )
    case = Case.objects.filter(service=cast.service_a).first()
    for i, moment in enumerate(COMPLAINT_MOMENTS):
        complaint = Complaint.objects.create(
            case=case,
            service=cast.service_a,
            filed_at=moment,
            place=Complaint.Place.POLICE,
            filed_by=Complaint.FiledBy.VICTIM,
            deadline=moment + timedelta(hours=24),
        )
        for j, (kind, state, hours) in enumerate(
            [
                ("RETIRO_AGRESOR", State.GRANTED, 20),
                ("IMPEDIMENTO_ACERCAMIENTO", State.IN_FORCE, 30),
                ("PROHIBICION_COMUNICACION", State.DENIED, 10),
            ][: 1 + i % 3]
        ):
            ProtectionMeasure.objects.create(
                case=case,
                service=cast.service_a,
                complaint=complaint,
                measure_type=kind,
                state=state,
                decided_at=moment + timedelta(hours=hours + j),
                notified_on=(moment + timedelta(hours=hours + j)).date()
                if state == State.IN_FORCE
                else None,
            )
    return cast


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and last moments on the services' clock, as [low, high)."""
    return (
        datetime.combine(start, time(), LIMA),
        datetime.combine(end + timedelta(days=1), time(), LIMA),
    )


def _direct_counts(fact, dimension, services, start, end) -> dict[tuple, list[int]]:
    """The same counts as `rollups.counts(..., by=("key",))`, read from the source by the ORM."""
    found: dict[tuple, list[int]] = {}

    def add(key, n, extra=0):
        total = found.setdefault((key,), [0, 0])
        total[0] += n
        total[1] += extra

    low, high = _bounds(start, end)
    if fact == "case":
        rows = Case.objects.filter(service__in=services, intake_date__range=(start, end))
        for case in rows:
            add({k[3]: k[4] for k in case_rows(case)}[dimension], 1)
    elif fact == "activity":
        rows = Activity.objects.counted().filter(service__in=services, date__range=(start, end))
        for activity in rows:
            people = activity.women + activity.men + activity.girls + activity.boys
            if dimension == "total":
                add("", 1, people)
            elif dimension == "type":
                add(activity.type, 1, people)
            else:
                add(_place(activity.district_id, activity.community_id), 1)
    elif fact == "complaint":
        n = Complaint.objects.filter(
            service__in=services, filed_at__gte=low, filed_at__lt=high
        ).count()
        if n:
            add("", n)
    else:
        rows = ProtectionMeasure.objects.filter(
            service__in=services,
            state__in=GRANTED_STATES,
            complaint__filed_at__gte=low,
            complaint__filed_at__lt=high,
        ).select_related("complaint")
        for measure in rows:
            add(measure.measure_type, 1, int(measure.decided_at <= measure.complaint.deadline))
    return found


FACT_DIMENSIONS = [
    ("case", "total"),
    ("case", "sex"),
    ("case", "age_group"),
    ("case", "violence_type"),
    ("case", "risk_level"),
    ("case", "place"),
    ("activity", "total"),
    ("activity", "type"),
    ("activity", "place"),
    ("complaint", "total"),
    ("measure", "type"),
]
PERIODS = [
    (date(2023, 1, 15), date(2023, 3, 10)),  # partial months at both ends, one whole between
    (date(2023, 1, 15), date(2023, 1, 20)),  # inside one month
    (date(2023, 1, 1), date(2023, 3, 31)),  # whole months only
    (date(2022, 12, 31), date(2023, 3, 1)),  # one day at each edge
    (date(2023, 1, 31), date(2023, 2, 1)),  # two edge days, no whole month
]


@pytest.mark.parametrize("start, end", PERIODS, ids=[f"{s}..{e}" for s, e in PERIODS])
def test_counts_for_a_period_with_partial_months_equal_a_direct_count(period_world, start, end):
    assert_exact()
    everyone = CareService.objects.all()
    service_a = CareService.objects.filter(pk=period_world.service_a.pk)
    for services in (everyone, service_a):
        for fact, dimension in FACT_DIMENSIONS:
            found = rollups.counts(fact, dimension, services, start, end)
            direct = _direct_counts(fact, dimension, services, start, end)
            assert found == direct, (fact, dimension, list(services))


def test_counts_by_service_and_month_for_a_partial_period_equal_a_direct_count(period_world):
    start, end = date(2023, 1, 15), date(2023, 3, 10)
    services = CareService.objects.all()

    by_service = rollups.counts("case", "total", services, start, end, by=("service",))
    by_month = rollups.counts("case", "total", services, start, end, by=("month",))
    complaints = rollups.counts("complaint", "total", services, start, end, by=("month",))

    cases = Case.objects.filter(intake_date__range=(start, end))
    # 15 and 31 January, 1 and 28 February, 1 and 10 March, in each of the two services.
    assert rollups.counts("case", "total", services, start, end, by=()) == {(): [12, 0]}
    assert by_service == {
        (row["service"],): [row["n"], 0]
        for row in cases.values("service").annotate(n=Count("id")).order_by()
    }
    assert by_month == {
        (month,): [cases.filter(intake_date__startswith=month).count(), 0]
        for month in ("2023-01", "2023-02", "2023-03")
    }
    low, high = _bounds(start, end)
    in_period = Complaint.objects.filter(filed_at__gte=low, filed_at__lt=high)
    expected: dict[tuple, list[int]] = {}
    for complaint in in_period:
        expected.setdefault((_lima_month(complaint.filed_at)[:7],), [0, 0])[0] += 1
    assert complaints == expected
    # 23:59 on 14 January and 00:00 on 11 March in Lima are outside; their UTC days are inside.
    assert sum(n for n, _extra in complaints.values()) == 4


# 10. Shelter admissions and discharges ----------------------------------------------------------


def test_admissions_and_discharges_leave_the_rollup_and_show_in_the_shelters_report(cast):
    """The shelters report counts distinct people over the stays themselves (a few thousand
    nationally), not through the rollup: an admission and a discharge touch no rollup row, and
    the report follows them at once."""
    from reports.filters import ReportFilters
    from reports.queries import shelters_report
    from shelters import actions as shelter_actions
    from shelters.models import Stay
    from tests.factories import ShelterFactory
    from tests.shelters.conftest import child, woman

    shelter = ShelterFactory(district=cast.service_a.district)
    case = CaseFactory(service=cast.service_a)
    rows = all_rows()
    period = ReportFilters(start=date(2023, 1, 1), end=date(2023, 12, 31))
    stays = shelter_actions.admit_family(
        shelter=shelter,
        people=[woman("Rosa Quispe"), child("Luz")],
        admitted_on=date(2023, 4, 1),
        user=None,
        case=case,
    )
    assert shelters_report(Stay.objects.all(), period)["people_sheltered"] == 2
    shelter_actions.discharge(
        stays=stays, discharged_on=date(2023, 5, 1), reason="family", user=None
    )
    assert Stay.objects.filter(discharged_on=date(2023, 5, 1)).count() == 2
    assert all_rows() == rows
    assert_exact()
