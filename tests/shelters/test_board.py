"""The occupancy board of a region's shelter staff, and the national view of managers."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shelters import actions
from tests.factories import PersonFactory, ShelterFactory, StayFactory

from .conftest import child, woman


def test_the_board_counts_beds_and_lists_residents_with_days_of_stay(cast, shelters, as_user):
    today = timezone.localdate()
    actions.admit_family(
        shelter=shelters.a,
        people=[woman("Rosa Quispe"), child("Luz"), child("Juan", sex=1)],
        admitted_on=today - timedelta(days=12),
        planned_discharge_on=today + timedelta(days=3),
        user=None,
    )
    response = as_user(cast.shelter_staff).get(reverse("shelter_board"))
    (shelter,) = response.context["shelters"]
    assert (shelter.capacity, shelter.occupied, shelter.free, shelter.occupancy_rate) == (
        10,
        3,
        7,
        30,
    )
    assert [stay.days for stay in shelter.residents] == [12, 12, 12]
    assert len(shelter.due) == 3
    page = response.content.decode()
    assert 'id="free-HRT-081201">7<' in page
    assert 'id="occupied-HRT-081201">3<' in page
    assert "Rosa Quispe" in page and "Luz" in page
    assert "12 days" in page


def test_due_to_leave_lists_planned_within_a_week_or_overdue(cast, shelters, as_user):
    today = timezone.localdate()
    admitted = today - timedelta(days=30)
    StayFactory(
        shelter=shelters.a,
        person=PersonFactory(full_name="Vence Pronto"),
        admitted_on=admitted,
        planned_discharge_on=today + timedelta(days=7),
    )
    StayFactory(
        shelter=shelters.a,
        person=PersonFactory(full_name="Ya Vencida"),
        admitted_on=admitted,
        planned_discharge_on=today - timedelta(days=1),
    )
    StayFactory(
        shelter=shelters.a,
        person=PersonFactory(full_name="Sigue Aqui"),
        admitted_on=admitted,
        planned_discharge_on=today + timedelta(days=8),
    )
    StayFactory(
        shelter=shelters.a, person=PersonFactory(full_name="Sin Fecha"), admitted_on=admitted
    )
    (shelter,) = as_user(cast.shelter_staff).get(reverse("shelter_board")).context["shelters"]
    assert [stay.person.full_name for stay in shelter.due] == ["Ya Vencida", "Vence Pronto"]
    assert [stay.overdue for stay in shelter.due] == [True, False]


def test_closed_shelters_leave_the_board_once_empty(cast, shelters, as_user):
    ShelterFactory(district=shelters.a.district, closed_on=timezone.localdate() - timedelta(days=1))
    codes = [
        s.code
        for s in as_user(cast.shelter_staff).get(reverse("shelter_board")).context["shelters"]
    ]
    assert codes == [shelters.a.code]


def test_the_national_view_adds_up_by_region(cast, shelters, as_user):
    ShelterFactory(district=shelters.a.district, capacity=5, name="Otro hogar")
    for _ in range(4):
        StayFactory(shelter=shelters.a)
    StayFactory(shelter=shelters.b)
    StayFactory(shelter=shelters.b, discharged_on=timezone.localdate())  # gone: not counted
    response = as_user(cast.national_manager).get(reverse("shelter_national"))
    cusco, puno = response.context["regions"]
    assert (cusco.capacity, cusco.occupied, cusco.free, cusco.occupancy_rate) == (15, 4, 11, 27)
    assert (puno.capacity, puno.occupied, puno.free, puno.occupancy_rate) == (6, 1, 5, 17)
    assert response.context["totals"] == {
        "shelters": 3,
        "capacity": 21,
        "occupied": 5,
        "free": 16,
        "rate": 24,
    }


def _populate(shelters, extra):
    """`extra` more shelters in region A, each with `extra` residents."""
    for _shelter in range(extra):
        shelter = ShelterFactory(district=shelters.a.district, capacity=20)
        family = StayFactory(shelter=shelter).family_group
        for _ in range(extra - 1):
            StayFactory(shelter=shelter, role="child", age_at_admission=4, family_group=family)
    for _ in range(extra):
        StayFactory(shelter=shelters.a)


@pytest.mark.parametrize("extra", [0, 8])
def test_board_queries_do_not_grow_with_shelters_or_residents(
    cast, shelters, as_user, django_assert_num_queries, extra
):
    StayFactory(shelter=shelters.a)
    _populate(shelters, extra)
    client = as_user(cast.shelter_staff)
    # session, user, her assignments, shelters with their occupancy (one annotated query),
    # their open stays with each person (one prefetch); then the session's new expiry
    # (savepoint, update, release).
    with django_assert_num_queries(8):
        response = client.get(reverse("shelter_board"))
    assert len(response.context["shelters"]) == 1 + extra
    assert sum(len(s.residents) for s in response.context["shelters"]) == 1 + extra + extra**2


@pytest.mark.parametrize("extra", [0, 8])
def test_national_view_queries_do_not_grow_with_shelters_or_residents(
    cast, shelters, as_user, django_assert_num_queries, extra
):
    _populate(shelters, extra)
    client = as_user(cast.national_manager)
    # session, user, her assignments, shelters with their region and occupancy (one annotated
    # query); then the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(8):
        response = client.get(reverse("shelter_national"))
    assert sum(len(region.shelters) for region in response.context["regions"]) == 2 + extra
