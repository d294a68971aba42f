"""The database keeps the rules too: for imports and scripts that bypass the actions."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from shelters.models import Person, Stay
from tests.factories import PersonFactory, ShelterFactory, StayFactory


@pytest.mark.django_db
def test_a_person_has_one_open_stay_at_most_in_the_database():
    stay = StayFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StayFactory(person=stay.person, shelter=ShelterFactory())
    # Once discharged, another stay may open.
    stay.discharged_on = date(2024, 2, 1)
    stay.save()
    StayFactory(person=stay.person, admitted_on=date(2024, 2, 1))
    assert Stay.objects.filter(person=stay.person).count() == 2


@pytest.mark.django_db
def test_capacity_is_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        ShelterFactory(capacity=0)


@pytest.mark.django_db
def test_a_shelter_closes_after_it_opens():
    with pytest.raises(IntegrityError), transaction.atomic():
        ShelterFactory(opened_on=date(2024, 1, 1), closed_on=date(2023, 12, 31))
    ShelterFactory(opened_on=date(2024, 1, 1), closed_on=date(2024, 1, 1))


@pytest.mark.django_db
def test_a_discharge_is_not_before_the_admission():
    with pytest.raises(IntegrityError), transaction.atomic():
        StayFactory(admitted_on=date(2024, 1, 10), discharged_on=date(2024, 1, 9))


@pytest.mark.django_db
def test_an_open_stay_has_no_discharge_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        StayFactory(discharge_reason="other")


@pytest.mark.django_db
def test_external_ids_are_unique_when_present():
    PersonFactory(external_id=None)
    PersonFactory(external_id=None)
    PersonFactory(external_id="P-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(external_id="P-1")
    assert Person.objects.count() == 3


@pytest.mark.django_db
def test_no_string_of_a_person_or_stay_carries_a_name():
    stay = StayFactory(person=PersonFactory(full_name="Rosa Quispe Huamán"))
    assert "Rosa" not in str(stay.person)
    assert "Rosa" not in str(stay)
    assert str(PersonFactory(external_id="P-9", full_name="Ana")) == "P-9"


@pytest.mark.django_db
def test_due_to_leave_within_a_week_or_overdue():
    today = date(2024, 6, 10)
    stay = StayFactory(admitted_on=date(2024, 6, 1))
    assert not stay.is_due(today)
    for planned, due, overdue in [
        (date(2024, 6, 18), False, False),
        (date(2024, 6, 17), True, False),
        (date(2024, 6, 10), True, False),
        (date(2024, 6, 9), True, True),
    ]:
        stay.planned_discharge_on = planned
        assert (stay.is_due(today), stay.is_overdue(today)) == (due, overdue), planned
    assert stay.days_of_stay(today) == 9
