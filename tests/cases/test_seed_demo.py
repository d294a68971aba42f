import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Min
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import clock, rules
from cases.actions import allocate_case_numbers, case_code, log_case_view, open_case
from cases.demo import ClockCounts, seed_cases, seed_legal_clock
from cases.models import (
    AuditEntry,
    Case,
    CaseSequence,
    Complaint,
    FollowUp,
    ProtectionMeasure,
)
from services.models import CareService, Community, StaffAssignment
from services.scopes import scope_for


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    return "demo-password-for-tests"


def snapshot():
    services = list(
        CareService.objects.values_list("code", "kind", "name", "opened_on", "closed_on")
    )
    communities = list(Community.objects.values_list("code", "name", "kind").order_by("code"))
    return sorted(services), communities


def test_one_demo_login_per_role_with_the_printed_password(db, demo_password, rf):
    output = seed()

    assert "demo-password-for-tests" in output
    User = get_user_model()
    for username in ("caseworker", "manager", "shelter", "national", "admin"):
        assert username in output
        assert authenticate(rf.get("/"), username=username, password=demo_password)
    assert scope_for(User.objects.get(username="caseworker")).is_caseworker
    assert scope_for(User.objects.get(username="manager")).manager_regions == {"08"}
    assert scope_for(User.objects.get(username="shelter")).shelter_regions == {"08"}
    assert scope_for(User.objects.get(username="national")).national
    assert scope_for(User.objects.get(username="admin")).is_admin


def test_network_has_every_kind_and_sars_with_coverage(db, demo_password):
    seed()
    kinds = set(CareService.objects.values_list("kind", flat=True))
    assert kinds == {"SAR", "CEM", "CAI"}
    for sar in CareService.objects.filter(kind="SAR"):
        assert sar.covered_districts.filter(pk=sar.district_id).exists()
        assert sar.covered_communities.exists()
        assert not sar.covered_communities.exclude(
            district__in=sar.covered_districts.all()
        ).exists()


def test_the_same_seed_gives_the_same_network_and_a_rerun_adds_nothing(db, demo_password):
    seed(seed=7)
    first = snapshot()
    users = get_user_model().objects.count()
    assignments = StaffAssignment.objects.count()

    seed(seed=7)

    assert snapshot() == first
    assert get_user_model().objects.count() == users
    assert StaffAssignment.objects.count() == assignments


def test_refuses_default_password_when_debug_is_off(db, monkeypatch, settings):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        seed()


# Synthetic cases (`--cases N`)

CODE = re.compile(r"^(?P<service>[A-Z0-9-]+)-(?P<year>\d{4})-(?P<sequence>\d{5})$")
SNAPSHOT_FIELDS = (
    "code",
    "number",
    "service__code",
    "intake_date",
    "victim_name",
    "victim_document_number",
    "victim_birth_date",
    "victim_age",
    "victim_sex",
    "district_id",
    "community__code",
    "relationship",
    "partner_relationship",
    "violence_type",
    "violence_acts",
    "risk_level",
    "status",
    "closed_on",
    "closure_reason",
)


def case_snapshot():
    return list(Case.objects.order_by("code").values_list(*SNAPSHOT_FIELDS))


def forget_cases():
    forget_legal_clock()
    Case.objects.all().delete()
    CaseSequence.objects.all().delete()


def forget_legal_clock():
    ProtectionMeasure.objects.all().delete()
    Complaint.objects.all().delete()
    FollowUp.objects.all().delete()


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_cases_gives_exactly_n_cases_and_a_rerun_adds_none(db, demo_password):
    output = seed(cases=150)

    assert Case.objects.count() == 150
    assert "150 added" in output
    assert "0 added" in seed(cases=150)
    assert Case.objects.count() == 150

    assert "30 added" in seed(cases=180)
    assert Case.objects.count() == 180
    # Asking for fewer than there are removes nothing.
    seed(cases=100)
    assert Case.objects.count() == 180
    # Generated data is nobody's change: no audit entry, no author.
    assert not AuditEntry.objects.exists()
    assert not Case.objects.filter(created_by__isnull=False).exists()


def test_the_same_seed_gives_the_same_cases(db, demo_password):
    seed(seed=7, cases=200)
    first = case_snapshot()
    assert len(first) == 200

    forget_cases()
    seed(seed=7, cases=200)
    assert case_snapshot() == first

    forget_cases()
    seed(seed=8, cases=200)
    assert case_snapshot() != first


def test_the_same_seed_and_day_give_the_same_cases_on_any_day(db, demo_password):
    seed(seed=3)
    services = list(CareService.objects.all())
    day = date(2025, 3, 1)

    assert seed_cases(count=80, seed=3, services=services, today=day) == 80
    first = case_snapshot()
    assert max(row[SNAPSHOT_FIELDS.index("intake_date")] for row in first) <= day
    forget_cases()
    seed_cases(count=80, seed=3, services=services, today=day)

    assert case_snapshot() == first


def test_codes_are_unique_and_read_service_year_and_sequence(db, demo_password):
    seed(cases=300)
    cases = list(Case.objects.select_related("service"))

    assert len({case.code for case in cases}) == len(cases) == 300
    numbers: dict[tuple[str, int], list[tuple[int, date]]] = {}
    for case in cases:
        match = CODE.match(case.code)
        assert match, case.code
        year, sequence = int(match["year"]), int(match["sequence"])
        assert match["service"] == case.service.code
        assert year == case.intake_date.year
        assert case.number == f"{year}-{sequence:05d}"
        numbers.setdefault((case.service.code, year), []).append((sequence, case.intake_date))
    for (service, year), given in numbers.items():
        given.sort()
        # Numbers run 1..n in each service and year, in the order of the intake dates.
        assert [sequence for sequence, _ in given] == list(range(1, len(given) + 1)), service
        assert [day for _, day in given] == sorted(day for _, day in given), (service, year)


def test_sar_cases_live_in_the_sars_coverage_and_cem_cases_in_its_province(db, demo_password):
    seed(cases=400)

    assert not Case.objects.filter(service__kind="CAI").exists()
    sar_cases = Case.objects.filter(service__kind="SAR").select_related("community")
    cem_cases = Case.objects.filter(service__kind="CEM").select_related("district", "service")
    assert sar_cases.exists() and cem_cases.exists()
    for sar in CareService.objects.filter(kind="SAR"):
        districts = set(sar.covered_districts.values_list("code", flat=True))
        communities = set(sar.covered_communities.values_list("id", flat=True))
        for case in sar_cases.filter(service=sar):
            assert case.district_id in districts, case.code
            if case.community_id is not None:
                assert case.community_id in communities, case.code
                assert case.community.district_id == case.district_id, case.code
    with_community = sar_cases.filter(community__isnull=False).count()
    assert with_community > sar_cases.count() / 2
    assert sar_cases.filter(community__isnull=True).exists()
    for case in cem_cases:
        assert case.district.province_id == case.service.district.province_id, case.code
    assert cem_cases.filter(community__isnull=True).count() > cem_cases.count() * 0.8


def test_dates_are_never_in_the_future_and_closing_follows_intake(db, demo_password):
    seed(cases=400)
    today = timezone.localdate()
    now = timezone.now()

    for case in Case.objects.select_related("service"):
        service = case.service
        assert today - timedelta(days=4 * 366) <= case.intake_date <= today, case.code
        assert service.opened_on <= case.intake_date, case.code
        assert service.closed_on is None or case.intake_date <= service.closed_on, case.code
        if case.status == Case.Status.CLOSED:
            assert case.intake_date <= case.closed_on <= today, case.code
            assert case.closure_reason in Case.ClosureReason.values, case.code
            if service.closed_on:
                assert case.closed_on <= service.closed_on, case.code
        else:
            assert case.closed_on is None and case.closure_reason == "", case.code
            assert service.closed_on is None, "a closed service keeps no open case"
        assert timezone.localdate(case.created_at) == case.intake_date, case.code
        assert case.created_at <= case.updated_at <= now, case.code
    old = Case.objects.filter(intake_date__lt=today - timedelta(days=365))
    assert old.filter(status=Case.Status.CLOSED).count() > old.count() * 0.8
    recent = Case.objects.filter(intake_date__gt=today - timedelta(days=15))
    assert not recent.filter(status=Case.Status.CLOSED, service__closed_on__isnull=True).exists()


def test_every_value_satisfies_the_model_and_the_intake_rules(db, demo_password):
    seed(cases=300)

    for case in Case.objects.select_related("service"):
        case.full_clean()  # choices, ranges and the model's constraints
        values = {name: getattr(case, name) for name in rules.RULE_FIELDS}
        # The very rules the form, the import and the sync call: no problem, nothing to fill.
        assert rules.clean_case(values, service_opened_on=case.service.opened_on) == [], case.code
        assert values == {name: getattr(case, name) for name in rules.RULE_FIELDS}, case.code
        assert case.violence_acts, case.code
        assert len(case.victim_name.split()) >= 3, case.code
    dnis = list(
        Case.objects.filter(victim_document_type="DNI").values_list(
            "victim_document_number", flat=True
        )
    )
    # Each synthetic person is new to the network: no DNI comes back.
    assert dnis and len(dnis) == len(set(dnis))


def test_distributions_look_like_the_registry(db, demo_password):
    seed(cases=2000)
    cases = list(
        Case.objects.values(
            "victim_sex", "victim_age", "violence_type", "relationship", "aggressor_sex"
        )
    )

    def share(test, among=cases):
        return sum(1 for case in among if test(case)) / len(among)

    assert share(lambda c: c["victim_sex"] == 0) > 0.75
    assert share(lambda c: c["violence_type"] in (1, 2)) > 0.7
    assert 0 < share(lambda c: c["violence_type"] == 0) < 0.08
    assert 0.04 < share(lambda c: c["violence_type"] == 3) < 0.25
    assert 0.1 < share(lambda c: c["victim_age"] < 18) < 0.4
    adults = [c for c in cases if c["victim_age"] >= 18]
    assert share(lambda c: c["victim_age"] <= 45, adults) > 0.6
    groups = [(0, 5), (6, 11), (12, 17), (18, 25), (26, 35), (36, 45), (46, 59), (60, 120)]
    for low, high in groups:
        assert share(lambda c, low=low, high=high: low <= c["victim_age"] <= high) > 0.02
    adult_women = [c for c in adults if c["victim_sex"] == 0 and c["victim_age"] < 60]
    assert share(lambda c: c["relationship"] == 1, adult_women) > 0.6
    assert share(lambda c: c["aggressor_sex"] == 1) > 0.75


def test_the_app_continues_the_sequence_after_the_demo_cases(db, demo_password):
    seed(cases=120)
    sequences = list(CaseSequence.objects.select_related("service"))
    assert sequences
    for sequence in sequences:
        numbers = Case.objects.filter(
            service=sequence.service, intake_date__year=sequence.year
        ).values_list("number", flat=True)
        assert sequence.last == max(int(number[-5:]) for number in numbers)

    sequence = sequences[0]
    with transaction.atomic():
        (allocated,) = allocate_case_numbers(sequence.service, sequence.year)
    assert allocated == sequence.last + 1
    assert not Case.objects.filter(
        code=case_code(sequence.service, sequence.year, allocated)
    ).exists()

    # A case a caseworker registers now takes the next number, and a larger seed still fits.
    sar = CareService.objects.filter(kind="SAR", closed_on__isnull=True).first()
    today = timezone.localdate()
    expected = (
        CaseSequence.objects.filter(service=sar, year=today.year).values_list("last", flat=True)
    ).first() or 0
    user = get_user_model().objects.get(username="caseworker")
    case = open_case(service=sar, user=user, data=intake_data(sar.district, today))
    assert case.code == case_code(sar, today.year, expected + 1)

    seed(cases=200)
    assert Case.objects.filter(created_by__isnull=True).count() == 200
    assert Case.objects.count() == 201
    assert Case.objects.values("code").distinct().count() == 201


def test_only_synthetic_cases_count_toward_n(db, demo_password):
    seed(cases=50)
    sar = CareService.objects.filter(kind="SAR", closed_on__isnull=True).first()
    # Reading a demo case leaves it a demo case; a case registered without an author (as an
    # import from the command line is) is not one.
    log_case_view(case=Case.objects.first(), user=get_user_model().objects.get(username="national"))
    open_case(service=sar, user=None, data=intake_data(sar.district, timezone.localdate()))

    assert "0 added" in seed(cases=50)
    assert Case.objects.count() == 51
    assert "10 added" in seed(cases=60)
    assert Case.objects.count() == 61


def test_rows_are_written_in_bulk_never_one_query_per_case(db, demo_password):
    seed(seed=5)
    services = list(CareService.objects.all())
    with CaptureQueriesContext(connection) as queries:
        seed_cases(count=5000, seed=5, services=services)

    assert Case.objects.count() == 5000
    inserts = [
        q["sql"] for q in queries.captured_queries if 'INSERT INTO "cases_case" ' in q["sql"]
    ]
    if connection.vendor == "postgresql":
        # The rows go through COPY, which the query log does not see.
        assert inserts == []
    else:
        assert len(inserts) == 3  # batches of 2000
    # A few queries per service and year (its block of numbers) and per service, none per case.
    blocks = CaseSequence.objects.count()
    assert blocks <= CareService.objects.count() * 5
    assert len(queries.captured_queries) < 8 * blocks + 50


def test_refuses_a_negative_number_of_cases(db, demo_password):
    with pytest.raises(CommandError, match="--cases"):
        seed(cases=-1)


def intake_data(district, day: date) -> dict:
    return {
        "intake_date": day,
        "condition": 1,
        "entry_route": 1,
        "victim_name": "Persona Usuaria Prueba",
        "victim_age": 30,
        "victim_sex": 0,
        "district": district,
        "aggressor_sex": 1,
        "relationship": 1,
        "partner_relationship": 3,
        "violence_type": 1,
        "violence_acts": ["GRITOS_INSULTOS"],
        "risk_level": 2,
    }


def test_the_demo_has_shelters_with_residents_and_a_rerun_adds_none(db, demo_password):
    from shelters.models import Shelter, Stay

    seed()
    shelters = Shelter.objects.count()
    stays = Stay.objects.count()
    assert shelters == 4
    assert Stay.objects.filter(discharged_on__isnull=True).exists()
    assert Stay.objects.filter(discharged_on__isnull=False).exists()

    seed()

    assert (Shelter.objects.count(), Stay.objects.count()) == (shelters, stays)


# The legal clock of the demo cases: complaints, protection measures, follow-ups


def clock_snapshot(cases=None):
    """Every complaint, measure and follow-up (of `cases`, if given), in a comparable form."""
    rows = []
    for model, fields in (
        (Complaint, COMPLAINT_SNAPSHOT),
        (ProtectionMeasure, MEASURE_SNAPSHOT),
        (FollowUp, FOLLOW_UP_SNAPSHOT),
    ):
        queryset = model.objects.all() if cases is None else model.objects.filter(case__in=cases)
        rows.append(sorted(queryset.values_list("case__code", *fields)))
    return rows


COMPLAINT_SNAPSHOT = (
    "filed_at", "place", "place_name", "filed_by", "reference", "deadline", "settled_at",
    "set_aside_reason",
)  # fmt: skip
MEASURE_SNAPSHOT = (
    "complaint__filed_at", "measure_type", "state", "decided_at", "notified_on", "ended_on",
    "court", "executed_by",
)  # fmt: skip
FOLLOW_UP_SNAPSHOT = ("kind", "due_on", "done_on", "cancel_reason", "closed_at", "created_at")


def test_the_demo_caseworker_has_items_overdue_of_the_last_days_and_due_today(db, demo_password):
    seed(cases=2000)
    caseworker = get_user_model().objects.get(username="caseworker")
    (service,) = scope_for(caseworker).service_ids

    pending = clock.pending_items(services=[service])

    today = clock.today()
    last_days = [item for item in pending.items if today - timedelta(days=7) <= item.due_on]
    assert pending.due_today >= 1
    assert any(item.overdue and item.kind == "follow_up" for item in last_days)
    assert any(item.overdue and item.kind == "complaint" for item in last_days)
    # So has every service with open cases.
    for other in CareService.objects.filter(kind__in=["SAR", "CEM"]):
        if Case.objects.filter(service=other).exclude(status=Case.Status.CLOSED).exists():
            assert clock.pending_items(services=[other]).overdue, other.code


def test_the_legal_clock_of_the_demo_keeps_every_rule_and_invariant(db, demo_password):
    seed(cases=1000)
    now = timezone.now()

    closed = Case.objects.filter(status=Case.Status.CLOSED)
    assert closed.exists()
    assert not Complaint.objects.filter(case__in=closed, settled_at__isnull=True).exists()
    assert not FollowUp.objects.filter(case__in=closed, closed_at__isnull=True).exists()
    earliest = dict(
        ProtectionMeasure.objects.filter(decided_at__isnull=False)
        .values("complaint")
        .annotate(earliest=Min("decided_at"))
        .values_list("complaint", "earliest")
    )
    for complaint in Complaint.objects.select_related("case"):
        complaint.full_clean(exclude=["created_by"])
        values = {f: getattr(complaint, f) for f in ("filed_at", "place", "filed_by", "place_name")}
        assert rules.complaint_problems(values, now=now) == [], complaint.pk
        assert complaint.deadline == clock.deadline_for(complaint.filed_at)
        assert complaint.case.complaint_filed is True
        if complaint.set_aside_reason:
            assert complaint.settled_at is not None and complaint.pk not in earliest
        else:
            # Settled at its earliest decision; pending while none.
            assert complaint.settled_at == earliest.get(complaint.pk), complaint.pk
    fields = ("measure_type", "state", "decided_at", "notified_on", "ended_on", "court")
    for measure in ProtectionMeasure.objects.select_related("complaint", "case"):
        measure.full_clean(exclude=["created_by"])
        values = {f: getattr(measure, f) for f in (*fields, "executed_by", "notes")}
        filed_at = measure.complaint.filed_at
        assert rules.measure_problems(values, complaint_filed_at=filed_at, now=now) == []
        assert measure.case_id == measure.complaint.case_id
        if measure.was_granted:
            assert measure.case.protective_measures is True, measure.case.code
    for follow_up in FollowUp.objects.all():
        follow_up.full_clean(exclude=["created_by", "closed_by"])
        assert clock.today(follow_up.created_at) <= follow_up.due_on
        assert follow_up.created_at <= now
        if follow_up.done_on:
            scheduled = follow_up.created_at
            assert not rules.follow_up_done_problems(
                follow_up.done_on, scheduled_at=scheduled, now=now
            )


def test_the_legal_clock_of_the_demo_looks_like_the_work(db, demo_password):
    seed(cases=1000)
    cases = Case.objects.count()
    complaints = Complaint.objects.all()
    measures = ProtectionMeasure.objects.all()
    follow_ups = FollowUp.objects.all()
    today = clock.today()

    assert 0.25 < Case.objects.filter(complaints__isnull=False).distinct().count() / cases < 0.45
    granted = measures.filter(state__in=rules.GRANTED_STATES).count()
    assert granted > measures.count() / 2
    assert measures.filter(state="denied").exists()
    assert measures.filter(state="requested", complaint__settled_at__isnull=True).exists()
    assert complaints.filter(settled_at__isnull=True).exists()
    assert complaints.exclude(set_aside_reason="").exists()
    decided = complaints.filter(set_aside_reason="", settled_at__isnull=False)
    on_time = decided.filter(settled_at__lte=F("deadline")).count()
    assert 0.4 < on_time / decided.count() < 0.85  # some late
    several = complaints.annotate(n=Count("measures")).filter(n__gt=1).count()
    assert several > complaints.count() / 4
    assert follow_ups.filter(done_on__isnull=False).count() > follow_ups.count() / 2
    assert follow_ups.exclude(cancel_reason="").exists()
    assert follow_ups.filter(closed_at__isnull=True, due_on__gt=today).exists()
    assert follow_ups.filter(closed_at__isnull=True, due_on__lt=today).exists()
    # Generated data: nobody's change.
    assert not AuditEntry.objects.exists()
    assert not complaints.filter(created_by__isnull=False).exists()


def test_the_legal_clock_is_drawn_once_per_case_and_the_same_for_the_same_seed(db, demo_password):
    seed(seed=4)
    services = list(CareService.objects.all())
    now = timezone.now()
    seed_cases(count=300, seed=4, services=services)

    first = seed_legal_clock(seed=4, services=services, now=now)
    snapshot = clock_snapshot()

    assert first.complaints and first.measures and first.follow_ups
    assert seed_legal_clock(seed=4, services=services, now=now) == ClockCounts()
    assert clock_snapshot() == snapshot
    assert "0 complaints, 0 protection measures and 0 follow-ups added" in seed(seed=4)
    # The same seed from scratch, at the same moment: the same complaints, measures, follow-ups.
    forget_cases()
    seed_cases(count=300, seed=4, services=services)
    seed_legal_clock(seed=4, services=services, now=now)
    assert clock_snapshot() == snapshot

    # More cases: only the new ones get theirs.
    before = list(Case.objects.values_list("pk", flat=True))
    seed_cases(count=400, seed=4, services=services)
    added = seed_legal_clock(seed=4, services=services, now=now)
    assert added.follow_ups >= 100
    assert clock_snapshot(before) == snapshot


def test_a_legal_clock_that_grants_no_measure_is_stored(db, demo_password):
    """Cases whose record says no complaint was filed draw follow-ups only: a chunk with no case
    to mark as protected (on PostgreSQL its one UPDATE once had a batch of zero)."""
    seed(seed=4)
    services = list(CareService.objects.all())
    seed_cases(count=200, seed=4, services=services)
    Case.objects.update(complaint_filed=False)

    counts = seed_legal_clock(seed=4, services=services)

    assert counts.follow_ups >= 200
    assert not Complaint.objects.filter(case__complaint_filed=False, created_by=None).exists()


def test_the_legal_clock_is_written_in_bulk_never_one_query_per_case(db, demo_password):
    seed(seed=5)
    services = list(CareService.objects.all())
    seed_cases(count=3000, seed=5, services=services)

    with CaptureQueriesContext(connection) as queries:
        counts = seed_legal_clock(seed=5, services=services)

    assert counts.follow_ups >= 3000
    # A few queries per chunk of cases, and a few per service for today's items.
    assert len(queries.captured_queries) < 40 + 10 * len(services)


def test_bench_pending_times_the_busiest_services_list_and_a_naive_query(db, demo_password):
    seed(cases=300)
    busiest = max(
        CareService.objects.filter(kind__in=["SAR", "CEM"]),
        key=lambda service: (clock.pending_count(services=[service.pk]), service.code),
    )
    out = StringIO()

    call_command("bench_pending", runs=2, stdout=out)

    printed = out.getvalue()
    assert f"service {busiest.code}" in printed
    assert f"page GET /pending/?service={busiest.code}" in printed
    assert "cases.clock.pending_items" in printed and "naive SQL" in printed
    assert re.search(r"ratio page / naive: \d+\.\d\d; goal \(under 50 ms\)", printed)
    # The service had no caseworker: the bench logged in its own, assigned to it.
    if not StaffAssignment.objects.filter(service=busiest, user__username="caseworker").exists():
        assert StaffAssignment.objects.filter(
            service=busiest, user__username="bench-pending", role="caseworker"
        ).exists()


def copy_of_a_row(model, column: str, value: str) -> str:
    """SQL that inserts a copy of the first row of `model`'s table, `column` set to `value`
    (SQL)."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    selected = ", ".join(value if name == column else name for name in columns)
    table = model._meta.db_table
    # Only the model's own table and column names are formatted into the SQL.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {selected} FROM {table} ORDER BY id LIMIT 1"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the keys are dropped only with no check pending
def test_a_bulk_seed_checks_the_foreign_keys_once_and_gives_the_same_rows(
    demo_password, monkeypatch
):
    """PostgreSQL: from BULK_ROWS cases, the tables' foreign keys, and from INDEX_REBUILD_ROWS
    the cases' secondary indexes and unique constraints, are dropped for the load and added
    back, the same, before the commit; the rows are those of a seed without it."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's foreign keys, checked at commit")
    from cases import demo

    tables = [m._meta.db_table for m in (Case, Complaint, ProtectionMeasure, FollowUp)]
    keys = demo._foreign_keys(tables)
    assert len(keys) == 15 and all("DEFERRABLE INITIALLY DEFERRED" in k[2] for k in keys)
    indexes = demo._secondary_indexes(tables)
    case_indexes = demo._secondary_indexes([Case._meta.db_table])
    unique = {name for _table, name, _definition, constraint in case_indexes if constraint}
    assert unique == {"cases_case_code_key", "unique_case_number"}
    assert len(case_indexes) == 13
    seed(seed=4)
    services = list(CareService.objects.all())
    now = timezone.now()
    seed_cases(count=300, seed=4, services=services)
    seed_legal_clock(seed=4, services=services, now=now)
    cases, clock_rows = sorted(Case.objects.values_list("code", "intake_date")), clock_snapshot()
    forget_cases()

    monkeypatch.setattr(demo, "BULK_ROWS", 100)
    monkeypatch.setattr(demo, "INDEX_REBUILD_ROWS", 100)
    monkeypatch.setattr(demo, "CLOCK_CHUNK", 100)
    with CaptureQueriesContext(connection) as loading:
        seed_cases(count=300, seed=4, services=services)
    with CaptureQueriesContext(connection) as clocking:
        seed_legal_clock(seed=4, services=services, now=now)

    def altered(queries, start):
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(start)]

    everything = [*loading.captured_queries, *clocking.captured_queries]
    keys_added = [sql for sql in altered(loading, "ALTER TABLE") if "FOREIGN KEY" in sql]
    keys_added += [sql for sql in altered(clocking, "ALTER TABLE") if "FOREIGN KEY" in sql]
    assert len(keys_added) == 15
    assert sum("DROP CONSTRAINT" in q["sql"] for q in everything) == 15 + 2 * len(unique)
    # The cases' load drops every secondary index; the clock's keeps the one it reads after.
    assert len(altered(loading, "DROP INDEX")) == len(case_indexes) - len(unique)
    assert len(altered(loading, "CREATE INDEX")) == len(case_indexes) - len(unique)
    dropped = altered(clocking, "DROP INDEX")
    assert len(dropped) == len(case_indexes) - len(unique) - 1
    assert not any(demo.SERVICE_LIST_INDEX in sql for sql in dropped)
    assert len(altered(clocking, "CREATE INDEX")) == len(dropped)
    assert demo._foreign_keys(tables) == keys
    assert demo._secondary_indexes(tables) == indexes
    assert sorted(Case.objects.values_list("code", "intake_date")) == cases
    assert clock_snapshot() == clock_rows
    # A rerun finds nothing to add: the keys and indexes stay.
    with CaptureQueriesContext(connection) as queries:
        assert seed_legal_clock(seed=4, services=services, now=now) == ClockCounts()
    assert not any(q["sql"].startswith(("ALTER", "DROP")) for q in queries.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_in_a_bulk_load_fails_its_unique_constraint_and_the_indexes_stay(
    demo_password,
):
    """The unique constraints dropped for a bulk load are checked, over every row, when they are
    added back: a duplicate code refuses the load."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's bulk load")
    from django.db import IntegrityError

    from cases import demo

    seed(seed=4)
    seed_cases(count=20, seed=4, services=list(CareService.objects.all()))
    indexes = demo._secondary_indexes([Case._meta.db_table])
    insert = copy_of_a_row(Case, "number", "number || 'b'")  # the same code, another number
    with (
        pytest.raises(IntegrityError, match="cases_case_code_key"),
        transaction.atomic(),
        demo._foreign_keys_checked_once([Case], bulk=True),
        demo._indexes_built_after([Case], bulk=True),
    ):
        assert demo._secondary_indexes([Case._meta.db_table]) == []
        with connection.cursor() as cursor:
            cursor.execute(insert)
    assert demo._secondary_indexes([Case._meta.db_table]) == indexes
    assert Case.objects.count() == 20


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_bulk_load_refuses_to_keep_an_index_the_table_does_not_have():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's bulk load")
    from cases import demo

    with (
        pytest.raises(RuntimeError, match="no_such_idx"),
        transaction.atomic(),
        demo._indexes_built_after([Case], bulk=True, keep=["no_such_idx"]),
    ):
        pass
    assert len(demo._secondary_indexes([Case._meta.db_table])) == 13


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_that_breaks_a_key_in_a_bulk_load_is_refused_and_the_keys_stay(demo_password):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's foreign keys, checked at commit")
    from django.db import IntegrityError

    from cases import demo

    seed(seed=4)
    seed_cases(count=50, seed=4, services=list(CareService.objects.all()))
    seed_legal_clock(seed=4, services=list(CareService.objects.all()))
    keys = demo._foreign_keys([FollowUp._meta.db_table])
    insert = copy_of_a_row(FollowUp, "case_id", "-1")
    with (
        pytest.raises(IntegrityError, match="case_id"),
        transaction.atomic(),
        demo._foreign_keys_checked_once([FollowUp], bulk=True),
    ):
        assert demo._foreign_keys([FollowUp._meta.db_table]) == []
        with connection.cursor() as cursor:
            cursor.execute(insert)
    assert demo._foreign_keys([FollowUp._meta.db_table]) == keys
    assert not FollowUp.objects.filter(case_id=-1).exists()
