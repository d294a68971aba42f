"""What regional staff keep of a shelter: capacity never below occupancy; no closing while full."""

from datetime import date

import pytest
from django.utils import timezone

from shelters import actions
from shelters.models import ShelterLog

from .conftest import ADMITTED, child, woman


def update(shelter, **changes):
    data = {
        "name": shelter.name,
        "address": shelter.address,
        "capacity": shelter.capacity,
        "closed_on": shelter.closed_on,
    }
    data.update(changes)
    return actions.update_shelter(shelter=shelter, user=None, **data)


@pytest.fixture
def three_staying(shelters):
    return actions.admit_family(
        shelter=shelters.a, people=[woman(), child(), child()], admitted_on=ADMITTED, user=None
    )


def test_capacity_cannot_go_below_occupancy(shelters, three_staying):
    with pytest.raises(actions.CapacityBelowOccupancyError, match="3 people"):
        update(shelters.a, capacity=2)
    shelters.a.refresh_from_db()
    assert shelters.a.capacity == 10
    assert update(shelters.a, capacity=3).capacity == 3


def test_a_shelter_with_residents_does_not_close(shelters, three_staying):
    with pytest.raises(actions.ShelterHasResidentsError):
        update(shelters.a, closed_on=timezone.localdate())
    # A closing date ahead may be planned.
    future = date(timezone.localdate().year + 1, 1, 1)
    assert update(shelters.a, closed_on=future).closed_on == future


def test_edits_are_logged_without_the_address(shelters):
    update(shelters.a, name="Hogar Nuevo", address="Calle Secreta 1")
    entry = ShelterLog.objects.get(action="edit")
    assert entry.changes == {"name": ["Hogar Warmi Wasi", "Hogar Nuevo"], "address": "(changed)"}
    assert "Secreta" not in str(entry.changes)


def test_closing_before_opening_is_refused(shelters):
    with pytest.raises(actions.InvalidDateError):
        update(shelters.a, closed_on=date(2019, 1, 1))
