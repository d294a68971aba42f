"""Admissions at the same moment never overfill a shelter (PostgreSQL: row locks are real)."""

import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction

from shelters import actions
from shelters.models import Stay
from tests.factories import CaseFactory, ShelterFactory, StayFactory

from .conftest import child, woman

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ADMITTED = date(2024, 3, 1)


def run_at_once(count: int, work) -> tuple[list, list[Exception]]:
    """Run `work(index)` in `count` threads released together; return results and errors."""
    barrier = threading.Barrier(count, timeout=60)
    results, errors, lock = [], [], threading.Lock()

    def worker(index):
        try:
            barrier.wait()
            result = work(index)
            with lock:
                results.append(result)
        except Exception as error:  # noqa: BLE001 - collected and checked below
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def test_thirty_people_at_once_into_ten_free_beds():
    shelter = ShelterFactory(code="HRT-CONC1", capacity=12)
    StayFactory(shelter=shelter)
    StayFactory(shelter=shelter)  # 10 beds free

    def admit(index):
        return actions.admit_family(
            shelter=shelter, people=[woman(f"Persona {index}")], admitted_on=ADMITTED, user=None
        )

    admitted, refused = run_at_once(30, admit)

    assert connection.vendor == "postgresql"
    assert len(admitted) == 10
    assert len(refused) == 20
    assert all(isinstance(error, actions.ShelterFullError) for error in refused), refused
    # each refusal says the shelter is full (no bed free), in the language of the thread
    assert all(error.free == 0 and "HRT-CONC1" in error.message for error in refused)
    assert Stay.objects.open().filter(shelter=shelter).count() == 12 == shelter.capacity


def test_families_at_once_are_admitted_whole_or_not_at_all():
    shelter = ShelterFactory(code="HRT-CONC2", capacity=5)
    StayFactory(shelter=shelter)
    StayFactory(shelter=shelter)  # 3 beds free: one family of two fits, never two

    def admit(index):
        return actions.admit_family(
            shelter=shelter,
            people=[woman(f"Madre {index}"), child(f"Hija {index}")],
            admitted_on=ADMITTED,
            user=None,
        )

    admitted, refused = run_at_once(8, admit)

    assert len(admitted) == 1
    assert len(refused) == 7
    assert all(isinstance(error, actions.ShelterFullError) for error in refused), refused
    assert {(error.free, error.needed) for error in refused} == {(1, 2)}
    stays = Stay.objects.open().filter(shelter=shelter)
    assert stays.count() == 4 <= shelter.capacity
    # Every family is all in or all out: each family group present has both its people.
    assert sorted(stays.filter(admitted_on=ADMITTED).values_list("role", flat=True)) == [
        "child",
        "woman",
    ]


def test_transfers_and_admissions_at_once_never_overfill_the_destination():
    """Transfers lock both shelters in pk order: no deadlock, no overfilling."""
    source = ShelterFactory(code="HRT-CONC3", capacity=20)
    destination = ShelterFactory(code="HRT-CONC4", capacity=4)
    families = [
        actions.admit_family(
            shelter=source,
            people=[woman(f"Madre {n}"), child(f"Hijo {n}", sex=1)],
            admitted_on=ADMITTED,
            user=None,
        )
        for n in range(6)
    ]

    def work(index):
        if index < len(families):
            return actions.transfer_family(
                stays=families[index], to_shelter=destination, transferred_on=ADMITTED, user=None
            )
        # Admissions into the source at the same time take the beds the transfers free.
        return actions.admit_family(
            shelter=source, people=[woman(f"Nueva {index}")], admitted_on=ADMITTED, user=None
        )

    done, refused = run_at_once(12, work)

    assert all(isinstance(error, actions.ShelterFullError) for error in refused), refused
    assert Stay.objects.open().filter(shelter=destination).count() == 4
    assert len(refused) == 4  # four transfers found the destination full
    # The refused families are still in the source, whole.
    assert Stay.objects.open().filter(shelter=source).count() == 12 - 4 + 6
    for family in families:
        assert Stay.objects.open().filter(person__in=[s.person for s in family]).count() == 2


def test_the_same_person_admitted_at_once_into_many_shelters_gets_one_stay():
    district = ShelterFactory(code="HRT-CONC5").district
    shelters = [ShelterFactory(code=f"HRT-CONC5{n}", district=district) for n in range(8)]
    person = StayFactory(
        shelter=shelters[0], discharged_on=date(2024, 2, 1), discharge_reason="other"
    ).person

    def admit(index):
        return actions.admit_family(
            shelter=shelters[index], people=[woman(person=person)], admitted_on=ADMITTED, user=None
        )

    admitted, refused = run_at_once(len(shelters), admit)

    assert len(admitted) == 1
    assert all(isinstance(error, actions.AlreadyStayingError) for error in refused), refused
    assert Stay.objects.open().filter(person=person).count() == 1


def test_the_victim_of_a_case_admitted_at_once_twice_gets_one_stay(cast):
    with transaction.atomic():  # the case's number is allocated under a row lock
        case = CaseFactory(service=cast.service_a)
    shelters = [
        ShelterFactory(code=f"HRT-CONC6{n}", district=cast.service_a.district) for n in range(6)
    ]

    def admit(index):
        return actions.admit_family(
            shelter=shelters[index],
            people=[woman(f"Ella {index}")],
            admitted_on=ADMITTED,
            user=None,
            case=case,
        )

    admitted, refused = run_at_once(len(shelters), admit)

    # The database's unique constraint settles the race; the loser hears the same refusal.
    assert len(admitted) == 1
    assert all(isinstance(error, actions.AlreadyStayingError) for error in refused), refused
    assert Stay.objects.open().filter(person__victim_case=case).count() == 1
