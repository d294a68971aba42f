"""`seed_demo --national`: the network of national size around the classic demo.

The national network is seeded once for the module (about five seconds) inside a transaction
that is rolled back at the end; each test runs in a savepoint of it. The first test, which must
see an empty database, does not use it (tests of a module run in their order on each worker).
"""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings

from activities.models import Activity
from cases.demo import seed_cases
from cases.models import Case
from services.demo import (
    COMMUNITY_FIRST_SUFFIX,
    DEMO_REGIONS,
    plan_national,
    seed_network,
    seed_users,
)
from services.models import CareService, Community, District, Region, StaffAssignment
from services.scopes import scope_for
from shelters.demo import seed_shelters
from shelters.models import Shelter, Stay

PASSWORD = "demo-password-for-tests"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CLASSIC_FIELDS = ("code", "kind", "name", "district_id", "opened_on", "closed_on", "open_24h")
# What a spreadsheet would take for a formula, at the start of a cell.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def classic_snapshot(classic: list[CareService]):
    """The classic network as stored: services, their coverage, shelters and demo logins."""
    services = CareService.objects.filter(pk__in=[s.pk for s in classic]).order_by("code")
    logins = ("caseworker", "manager", "shelter", "national", "admin")
    return (
        list(services.values_list(*CLASSIC_FIELDS)),
        sorted(services.values_list("code", "covered_districts", "covered_communities__code")),
        sorted(
            Shelter.objects.filter(code__in=CLASSIC_SHELTERS).values_list(
                "code", "name", "address", "capacity", "opened_on"
            )
        ),
        sorted(
            StaffAssignment.objects.filter(user__username__in=logins).values_list(
                "user__username", "role", "service__code", "region"
            )
        ),
    )


def counts():
    User = get_user_model()
    return {
        "services": CareService.objects.count(),
        "communities": Community.objects.count(),
        "coverage": CareService.covered_communities.through.objects.count(),
        "users": User.objects.count(),
        "assignments": StaffAssignment.objects.count(),
        "shelters": Shelter.objects.count(),
        "stays": Stay.objects.count(),
        "activities": Activity.objects.count(),
        "cases": Case.objects.count(),
    }


# The classic shelters: the capital district of each demo region.
CLASSIC_SHELTERS = ["HRT-050101", "HRT-080101", "HRT-100101", "HRT-210101"]


def test_without_national_the_classic_demo_is_unchanged(db, monkeypatch, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)

    output = seed()

    assert "National network" not in output
    assert CareService.objects.count() == 17
    assert Shelter.objects.count() == 4
    assert set(get_user_model().objects.values_list("username", flat=True)) == {
        "caseworker",
        "manager",
        "shelter",
        "national",
        "admin",
    }
    assert sorted(Shelter.objects.values_list("code", flat=True)) == CLASSIC_SHELTERS
    assert not Community.objects.filter(code__endswith=f"{COMMUNITY_FIRST_SUFFIX:04d}").exists()


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    """Seed the national network once; roll it back after the module's last test."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("DEMO_PASSWORD", PASSWORD)
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed(national=True)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_the_network_has_national_proportions(national, db):
    kinds = dict(CareService.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds["CEM"] >= 400
    assert kinds["SAR"] >= 57
    assert kinds["CAI"] >= 10
    sar_districts = District.objects.filter(covering_services__kind="SAR").distinct()
    assert Community.objects.filter(district__in=sar_districts).count() >= 1000
    # Every district a SAR covers has communities: the national SARs cover all of them.
    assert not sar_districts.exclude(communities__isnull=False).exists()
    shelters = Shelter.objects.values_list("district_id", flat=True)
    assert len(shelters) >= 24
    assert len({code[:2] for code in shelters}) >= 19
    # Spread over the whole country.
    regions = {code[:2] for code in CareService.objects.values_list("district_id", flat=True)}
    assert regions == set(Region.objects.values_list("code", flat=True))
    assert "430 CEMs" in national


def test_every_service_region_and_shelter_region_has_its_staff(national, db):
    role = StaffAssignment.Role
    assignments = StaffAssignment.objects
    staffed = set(assignments.filter(role=role.CASEWORKER).values_list("service_id", flat=True))
    assert staffed == set(CareService.objects.values_list("pk", flat=True))
    caseworkers = assignments.filter(role=role.CASEWORKER).count()
    assert caseworkers >= 3 * CareService.objects.count()
    managed = set(
        assignments.filter(role=role.MANAGER, region__isnull=False).values_list("region", flat=True)
    )
    assert managed == set(Region.objects.values_list("code", flat=True))
    shelter_regions = {code[:2] for code in Shelter.objects.values_list("district_id", flat=True)}
    staff = assignments.filter(role=role.SHELTER_STAFF)
    assert set(staff.values_list("region", flat=True)) == shelter_regions
    assert staff.count() >= 3 * Shelter.objects.count()
    assert assignments.filter(role=role.MANAGER, region__isnull=True).count() >= 3


def test_the_demo_logins_and_the_national_users_log_in(national, db, rf):
    User = get_user_model()
    for username in ("caseworker", "manager", "shelter", "national", "admin", "national.1"):
        assert authenticate(rf.get("/"), username=username, password=PASSWORD), username
    assert scope_for(User.objects.get(username="manager")).manager_regions == {DEMO_REGIONS[0]}
    assert scope_for(User.objects.get(username="national")).national
    cem = CareService.objects.filter(code__startswith="CEMC-").order_by("code").first()
    worker = User.objects.get(username=f"{cem.code.lower()}.1")
    assert scope_for(worker).service_ids == {cem.pk}
    assert authenticate(rf.get("/"), username=worker.username, password=PASSWORD)


def test_the_classic_network_is_the_same_inside_the_national_one(national, db):
    # The classic generators write their canonical values: had the national seed changed a
    # classic service, shelter, coverage or demo login, they would put it back.
    with transaction.atomic():  # which services are the classic ones, leaving no trace
        codes = [service.code for service in seed_network(seed=2023)]
        transaction.set_rollback(True)
    classic = list(CareService.objects.filter(code__in=codes))
    before = classic_snapshot(classic)
    home_sar = StaffAssignment.objects.get(user__username="caseworker").service

    seed_network(seed=2023)
    seed_shelters(seed=2023, regions=DEMO_REGIONS)
    seed_users(password=PASSWORD, home_sar=home_sar)

    assert classic_snapshot(classic) == before
    assert len(classic) == 17


def test_names_are_realistic_and_safe_in_a_spreadsheet(national, db):
    names = {
        "CEM": re.compile(r"^CEM (Comisaría )?[A-ZÁÉÍÓÚÑ]"),
        "SAR": re.compile(r"^SAR [A-ZÁÉÍÓÚÑ]"),
        "CAI": re.compile(r"^CAI [A-ZÁÉÍÓÚÑ]"),
    }
    code_field = CareService._meta.get_field("code")
    for code, kind, name in CareService.objects.values_list("code", "kind", "name"):
        assert names[kind].match(name), name
        for validate in code_field.validators:
            validate(code)
    assert CareService.objects.filter(name="CEM Comisaría Miraflores").exists()
    for name in Community.objects.values_list("name", flat=True):
        assert name[:1].isalpha() and not name.startswith(FORMULA_START), name
    national = Community.objects.filter(code__endswith=f"{COMMUNITY_FIRST_SUFFIX:04d}")
    assert set(national.values_list("kind", flat=True)) == set(Community.Kind.values)


def test_a_rerun_adds_nothing(national, db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    before = counts()

    output = seed(national=True)

    assert counts() == before
    assert "(0 services, 0 communities, 0 users added" in output


def test_the_same_seed_plans_the_same_network(national, db):
    districts = list(District.objects.order_by("code").values_list("code", "name"))
    classic = seed_network(seed=2023)

    first = plan_national(seed=2023, districts=districts, classic=classic)
    again = plan_national(seed=2023, districts=districts, classic=classic)
    other = plan_national(seed=7, districts=districts, classic=classic)

    assert first == again
    planned = {service.code for service in first.services}
    stored = set(CareService.objects.values_list("code", flat=True))
    assert stored == planned | {service.code for service in classic}
    assert {s.code for s in other.services if s.kind == "SAR"} != {
        s.code for s in first.services if s.kind == "SAR"
    }


def test_cases_spread_over_the_national_services(national, db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)

    seed(national=True, cases=3000)

    assert Case.objects.count() == 3000
    by_service = dict(Case.objects.values_list("service__code").annotate(n=Count("id")).order_by())
    assert len(by_service) >= 400
    assert sum(1 for code in by_service if code.startswith("SAR-")) >= 50
    regions = set(Case.objects.values_list("service__district__province__region", flat=True))
    assert len(regions) == Region.objects.count()
    # Asked again for as many, over the same network: none is missing.
    assert seed_cases(count=3000, seed=2023, services=list(CareService.objects.all())) == 0
    assert Case.objects.count() == 3000
