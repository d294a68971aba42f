from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from services.models import CareService, Community, StaffAssignment
from tests.factories import (
    AssignmentFactory,
    CareServiceFactory,
    CommunityFactory,
    DistrictFactory,
    RegionFactory,
    UserFactory,
)


@pytest.fixture
def district(db):
    return DistrictFactory(code="081201")


def test_community_code_must_start_with_its_district(district):
    with pytest.raises(IntegrityError), transaction.atomic():
        Community.objects.create(district=district, code="0812029999", name="Fuera")


def test_community_without_code_is_allowed(district):
    community = Community.objects.create(district=district, code=None, name="Sin código")
    assert community.pk is not None


def test_two_communities_without_code_do_not_collide(district):
    Community.objects.create(district=district, code=None, name="Uno")
    Community.objects.create(district=district, code=None, name="Dos")
    assert Community.objects.filter(code__isnull=True).count() == 2


def test_same_name_twice_in_a_district_is_refused_whatever_the_case(district):
    CommunityFactory(district=district, name="Ccollpa")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommunityFactory(district=district, name="CCOLLPA")


def test_same_name_in_two_districts_is_two_communities(district):
    other = DistrictFactory(code="081202")
    CommunityFactory(district=district, name="Ccollpa")
    CommunityFactory(district=other, name="Ccollpa")
    assert Community.objects.filter(name="Ccollpa").count() == 2


def test_community_validation_names_the_field_at_fault(district):
    community = Community(district=district, code="12345", name="Corta")
    with pytest.raises(ValidationError) as error:
        community.full_clean()
    assert "code" in error.value.message_dict


def test_service_cannot_close_before_it_opens(district):
    with pytest.raises(IntegrityError), transaction.atomic():
        CareServiceFactory(
            district=district, opened_on=date(2020, 5, 1), closed_on=date(2020, 4, 30)
        )


def test_only_a_cem_is_open_24_hours(district):
    CareServiceFactory(district=district, kind=CareService.Kind.CEM, open_24h=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        CareServiceFactory(district=district, kind=CareService.Kind.SAR, open_24h=True)


def test_service_kind_outside_the_list_is_refused(district):
    with pytest.raises(IntegrityError), transaction.atomic():
        CareServiceFactory(district=district, kind="HRT")


def test_active_between_includes_both_bounds(district):
    ends_on_start = CareServiceFactory(
        district=district, opened_on=date(2010, 1, 1), closed_on=date(2023, 1, 1)
    )
    opens_on_end = CareServiceFactory(district=district, opened_on=date(2023, 12, 31))
    CareServiceFactory(district=district, opened_on=date(2010, 1, 1), closed_on=date(2022, 12, 31))
    CareServiceFactory(district=district, opened_on=date(2024, 1, 1))

    active = CareService.objects.active_between(date(2023, 1, 1), date(2023, 12, 31))

    assert set(active) == {ends_on_start, opens_on_end}


@pytest.mark.parametrize(
    "role, with_service, with_region",
    [
        (StaffAssignment.Role.CASEWORKER, False, False),
        (StaffAssignment.Role.CASEWORKER, True, True),
        (StaffAssignment.Role.SHELTER_STAFF, False, False),
        (StaffAssignment.Role.MANAGER, True, False),
    ],
)
def test_assignment_scope_must_match_its_role(district, role, with_service, with_region):
    service = CareServiceFactory(district=district) if with_service else None
    region = RegionFactory(code="08") if with_region else None
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(role=role, service=service, region=region)


def test_a_user_is_national_manager_once(db):
    user = UserFactory()
    AssignmentFactory(user=user, role=StaffAssignment.Role.MANAGER, region=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(user=user, role=StaffAssignment.Role.MANAGER, region=None)
