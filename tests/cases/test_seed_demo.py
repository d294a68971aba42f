import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import rules
from cases.actions import allocate_case_numbers, case_code, log_case_view, open_case
from cases.demo import seed_cases
from cases.models import AuditEntry, Case, CaseSequence
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
    Case.objects.all().delete()
    CaseSequence.objects.all().delete()


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
