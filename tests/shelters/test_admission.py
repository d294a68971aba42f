"""admit_family: all or none, never over capacity, one open stay per person."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from shelters import actions
from shelters.models import Person, ShelterLog, Stay
from tests.factories import CaseFactory, StayFactory

from .conftest import ADMITTED, child, woman


def admit(shelter, people, user=None, **kwargs):
    return actions.admit_family(
        shelter=shelter, people=people, admitted_on=ADMITTED, user=user, **kwargs
    )


def test_a_mother_and_her_children_are_admitted_together(shelters, cast):
    stays = admit(
        shelters.a,
        [woman(), child("Luz", age=7), child("Juan", sex=1, age=3)],
        user=cast.shelter_staff,
    )
    assert len(stays) == 3
    assert {stay.family_group for stay in stays} == {stays[0].family_group}
    assert [stay.role for stay in stays] == ["woman", "child", "child"]
    assert [stay.age_at_admission for stay in stays] == [30, 7, 3]
    assert all(stay.is_open and stay.admitted_by == cast.shelter_staff for stay in stays)
    assert Stay.objects.open().filter(shelter=shelters.a).count() == 3
    assert ShelterLog.objects.filter(action="admit", shelter=shelters.a).count() == 3
    # The log never carries a name.
    assert "Luz" not in str(list(ShelterLog.objects.values_list("changes", flat=True)))


def test_age_at_admission_comes_from_the_birth_date_when_known(shelters):
    (stay,) = admit(shelters.a, [woman(age=None, birth_date=date(1990, 3, 2))])
    assert stay.age_at_admission == 33  # one day short of 34 on 2024-03-01
    assert stay.person.birth_date == date(1990, 3, 2)


def test_a_full_shelter_refuses_with_a_clear_message(shelters):
    shelters.a.capacity = 2
    shelters.a.save()
    admit(shelters.a, [woman("Ana"), child()])
    with pytest.raises(actions.ShelterFullError) as refusal:
        admit(shelters.a, [woman("Eva")])
    assert refusal.value.free == 0
    assert "HRT-081201" in refusal.value.message
    assert "full" in refusal.value.message
    assert Stay.objects.count() == 2
    assert Person.objects.count() == 2


def test_a_family_larger_than_the_free_beds_is_refused_whole(shelters):
    shelters.a.capacity = 4
    shelters.a.save()
    admit(shelters.a, [woman("Ana"), child()])
    with pytest.raises(actions.ShelterFullError) as refusal:
        admit(shelters.a, [woman("Eva"), child("Uno"), child("Dos")])
    assert (refusal.value.free, refusal.value.needed) == (2, 3)
    assert "2 free, 3 needed" in refusal.value.message
    assert "Nothing was stored" in refusal.value.message
    # Nothing of the refused family was stored: no stay, no person, no log entry.
    assert Stay.objects.count() == 2
    assert Person.objects.count() == 2
    assert ShelterLog.objects.count() == 2


def test_discharged_stays_free_their_beds(shelters):
    shelters.a.capacity = 1
    shelters.a.save()
    (stay,) = admit(shelters.a, [woman("Ana")])
    actions.discharge(stays=[stay], discharged_on=ADMITTED, reason="completed", user=None)
    assert len(admit(shelters.a, [woman("Eva")])) == 1


def test_a_person_with_an_open_stay_is_refused_anywhere(shelters):
    (stay,) = admit(shelters.a, [woman("Ana")])
    with pytest.raises(actions.AlreadyStayingError):
        admit(shelters.b, [woman(person=stay.person)])
    assert Stay.objects.filter(person=stay.person).count() == 1


def test_a_discharged_person_can_come_back(shelters):
    (stay,) = admit(shelters.a, [woman("Ana")])
    actions.discharge(stays=[stay], discharged_on=ADMITTED, reason="voluntary", user=None)
    (again,) = admit(shelters.b, [woman(person=stay.person)])
    assert again.person == stay.person
    assert Stay.objects.filter(person=stay.person).count() == 2


def test_the_same_person_twice_in_one_admission_is_refused(shelters):
    person = StayFactory(
        shelter=shelters.b, discharged_on=ADMITTED, discharge_reason="other"
    ).person
    with pytest.raises(actions.AlreadyStayingError):
        admit(shelters.a, [woman(person=person), woman(person=person)])
    assert Stay.objects.open().count() == 0


def test_a_woman_referred_by_a_case_is_its_victim_and_cannot_be_admitted_twice(shelters, cast):
    case = CaseFactory(service=cast.service_a)
    (stay, kid) = admit(shelters.a, [woman("Ana"), child()], case=case)
    assert stay.person.victim_case == case
    assert kid.person.victim_case is None
    assert stay.case == kid.case == case
    assert stay.referring_service == cast.service_a  # the case's service, by default
    # The same case's victim, admitted again elsewhere, is the same person: refused.
    with pytest.raises(actions.AlreadyStayingError):
        admit(shelters.b, [woman("Ana otra vez")], case=case)
    assert Person.objects.filter(victim_case=case).count() == 1


def test_a_closed_shelter_refuses(shelters):
    shelters.a.closed_on = date(2024, 2, 1)
    shelters.a.save()
    with pytest.raises(actions.ShelterClosedError):
        admit(shelters.a, [woman()])
    assert not Stay.objects.exists()


def test_admission_dates_are_checked(shelters):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(actions.InvalidDateError):
        actions.admit_family(shelter=shelters.a, people=[woman()], admitted_on=tomorrow, user=None)
    with pytest.raises(actions.InvalidDateError):
        admit(shelters.a, [woman()], planned_discharge_on=ADMITTED - timedelta(days=1))
    assert not Stay.objects.exists()


def test_an_admission_needs_people_with_an_age(shelters):
    with pytest.raises(ValueError):
        admit(shelters.a, [])
    with pytest.raises(ValueError):
        admit(shelters.a, [woman(age=None)])
    assert not Person.objects.exists()
