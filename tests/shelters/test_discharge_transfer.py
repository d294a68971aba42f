"""Discharge one person or a family; transfer atomically between shelters."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from shelters import actions
from shelters.models import ShelterLog, Stay
from tests.factories import ShelterFactory

from .conftest import ADMITTED, child, woman


@pytest.fixture
def family(shelters):
    return actions.admit_family(
        shelter=shelters.a,
        people=[woman(), child("Luz"), child("Juan", sex=1)],
        admitted_on=ADMITTED,
        user=None,
    )


def test_the_whole_family_is_discharged_and_kept(family, cast):
    done = actions.discharge(
        stays=family, discharged_on=date(2024, 4, 1), reason="family", user=cast.shelter_staff
    )
    assert len(done) == 3
    stays = Stay.objects.filter(pk__in=[stay.pk for stay in family])
    assert stays.count() == 3  # never deleted
    assert set(stays.values_list("discharged_on", "discharge_reason")) == {
        (date(2024, 4, 1), "family")
    }
    assert ShelterLog.objects.filter(action="discharge").count() == 3


def test_one_person_is_discharged_alone(family):
    actions.discharge(stays=[family[2]], discharged_on=ADMITTED, reason="other", user=None)
    assert Stay.objects.open().count() == 2


def test_discharge_dates_are_checked(family):
    with pytest.raises(actions.InvalidDateError, match="before the admission"):
        actions.discharge(
            stays=family, discharged_on=ADMITTED - timedelta(days=1), reason="other", user=None
        )
    with pytest.raises(actions.InvalidDateError, match="future"):
        actions.discharge(
            stays=family,
            discharged_on=timezone.localdate() + timedelta(days=1),
            reason="other",
            user=None,
        )
    assert Stay.objects.open().count() == 3


def test_a_stay_is_discharged_once(family):
    actions.discharge(stays=[family[0]], discharged_on=ADMITTED, reason="other", user=None)
    with pytest.raises(actions.StayNotOpenError):
        actions.discharge(stays=family, discharged_on=ADMITTED, reason="other", user=None)
    # The refusal changed nothing: the children are still staying.
    assert Stay.objects.open().count() == 2


def test_transfer_moves_the_family_in_one_step(shelters, family, cast):
    moved = actions.transfer_family(
        stays=family, to_shelter=shelters.b, transferred_on=date(2024, 5, 2), user=cast.admin
    )
    assert [stay.shelter for stay in moved] == [shelters.b] * 3
    assert {stay.family_group for stay in moved} == {family[0].family_group}
    assert Stay.objects.open().filter(shelter=shelters.a).count() == 0
    old = Stay.objects.get(pk=family[0].pk)
    assert (old.discharged_on, old.discharge_reason) == (date(2024, 5, 2), "transferred")
    assert moved[0].transferred_from == old
    assert [stay.person for stay in moved] == [stay.person for stay in family]
    assert ShelterLog.objects.filter(action="transfer_in", shelter=shelters.b).count() == 3


def test_a_transfer_to_a_full_shelter_leaves_everyone_where_they_were(shelters, family):
    shelters.b.capacity = 2
    shelters.b.save()
    with pytest.raises(actions.ShelterFullError, match="2 free, 3 needed"):
        actions.transfer_family(
            stays=family, to_shelter=shelters.b, transferred_on=date(2024, 5, 2), user=None
        )
    # The first half (the discharge) was undone with the second.
    for stay in family:
        stay.refresh_from_db()
        assert stay.is_open and stay.discharge_reason == ""
        assert stay.shelter == shelters.a
    assert not Stay.objects.filter(shelter=shelters.b).exists()
    assert not ShelterLog.objects.filter(action__in=["transfer_out", "transfer_in"]).exists()


def test_a_transfer_to_a_closed_shelter_changes_nothing(shelters, family):
    closed = ShelterFactory(
        district=shelters.a.district, opened_on=date(2020, 1, 1), closed_on=date(2023, 1, 1)
    )
    with pytest.raises(actions.ShelterClosedError):
        actions.transfer_family(
            stays=family, to_shelter=closed, transferred_on=date(2024, 5, 2), user=None
        )
    assert Stay.objects.open().filter(shelter=shelters.a).count() == 3


def test_a_transfer_needs_another_shelter(shelters, family):
    with pytest.raises(actions.ShelterError):
        actions.transfer_family(
            stays=family, to_shelter=shelters.a, transferred_on=date(2024, 5, 2), user=None
        )
    assert Stay.objects.open().filter(shelter=shelters.a).count() == 3


def test_age_at_the_new_admission_moves_on_with_time(shelters, family):
    moved = actions.transfer_family(
        stays=family[:1], to_shelter=shelters.b, transferred_on=date(2025, 3, 1), user=None
    )
    assert moved[0].age_at_admission == 31
