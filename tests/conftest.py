"""The fixed cast of users every view test runs against, and what they work with.

Two regions, each with a service: service A (a SAR in region A) and service B (a CEM in region B).

- caseworker_a: caseworker of service A;    caseworker_b: caseworker of service B
- regional_manager: manager of region A;    national_manager: manager with national scope
- shelter_staff: shelter staff of region A; admin: a superuser
- outsider: logged in, no role at all
"""

import os
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AbstractUser

from services.models import CareService, Region, StaffAssignment
from tests.factories import (
    AssignmentFactory,
    CareServiceFactory,
    DistrictFactory,
    ProvinceFactory,
    RegionFactory,
    UserFactory,
)

PASSWORD = "correct-horse-battery"
Role = StaffAssignment.Role


@dataclass
class Cast:
    region_a: Region
    region_b: Region
    service_a: CareService
    service_b: CareService
    caseworker_a: AbstractUser
    caseworker_b: AbstractUser
    regional_manager: AbstractUser
    national_manager: AbstractUser
    shelter_staff: AbstractUser
    admin: AbstractUser
    outsider: AbstractUser


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (rate limits count per user id, ids are reused)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db) -> Cast:
    region_a = RegionFactory(code="08", name="Cusco")
    region_b = RegionFactory(code="21", name="Puno")
    district_a = DistrictFactory(
        code="081201", name="Urcos", province=ProvinceFactory(code="0812", region=region_a)
    )
    district_b = DistrictFactory(
        code="210101", name="Puno", province=ProvinceFactory(code="2101", region=region_b)
    )
    service_a = CareServiceFactory(
        code="SAR-081201", kind=CareService.Kind.SAR, name="SAR Urcos", district=district_a
    )
    service_b = CareServiceFactory(
        code="CEM-210101", kind=CareService.Kind.CEM, name="CEM Puno", district=district_b
    )

    def user(username, **assignment):
        person = UserFactory(username=username)
        if assignment:
            AssignmentFactory(user=person, **assignment)
        return person

    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    return Cast(
        region_a=region_a,
        region_b=region_b,
        service_a=service_a,
        service_b=service_b,
        caseworker_a=user("caseworker_a", role=Role.CASEWORKER, service=service_a),
        caseworker_b=user("caseworker_b", role=Role.CASEWORKER, service=service_b),
        regional_manager=user("regional_manager", role=Role.MANAGER, region=region_a),
        national_manager=user("national_manager", role=Role.MANAGER, region=None),
        shelter_staff=user("shelter_staff", role=Role.SHELTER_STAFF, region=region_a),
        admin=admin,
        outsider=user("outsider"),
    )


@pytest.fixture
def as_user(client):
    """Log the test client in as a member of the cast: `as_user(cast.caseworker_a)`."""

    def login(person):
        client.force_login(person)
        return client

    return login


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (marked `postgres`) skip on SQLite; CI runs them on PostgreSQL."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in CI")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    """With REQUIRE_NO_SKIPS=1 (CI's PostgreSQL pass) a skipped test fails the run."""
    if not os.environ.get("REQUIRE_NO_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"REQUIRE_NO_SKIPS: {len(skipped)} test(s) skipped; failing the run.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
