"""A community added by several people at once is stored once and shared, never an error.

Ten caseworkers registering the same new centro poblado in one district, at the same moment,
used to get seven server errors: each checked that the name was free, then all inserted and the
unique constraint (`unique_community_name_per_district`) refused all but one.
"""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from cases import actions as case_actions
from cases.models import Case
from services import actions
from services.models import Community
from tests.factories import CareServiceFactory, CommunityFactory, DistrictFactory, UserFactory

THREADS = 10


def intake_data(district) -> dict:
    return {
        "intake_date": date(2024, 5, 1),
        "condition": 1,
        "entry_route": 1,
        "victim_name": "Persona",
        "victim_age": 30,
        "victim_sex": 0,
        "district": district,
        "aggressor_sex": 1,
        "relationship": 1,
        "partner_relationship": 1,
        "violence_type": 1,
        "risk_level": 1,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_intakes_naming_one_new_community_all_succeed_and_share_it():
    service = CareServiceFactory(code="SAR-RACE", district=DistrictFactory(code="081298"))
    user = UserFactory(username="race")
    # The same place as ten people write it.
    names = ["Ccollpa Alta", "CCOLLPA ALTA", " ccollpa  alta ", "Ccollpa alta"]
    barrier = threading.Barrier(THREADS)
    errors, codes = [], []

    def register(index: int):
        try:
            barrier.wait()
            case = case_actions.open_case(
                service=service,
                user=user,
                data=intake_data(service.district),
                new_community=names[index % len(names)],
            )
            codes.append(case.code)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=register, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert len(codes) == THREADS
    community = Community.objects.get(district=service.district)
    # stored as one of them was typed, its spaces tidied (services.actions)
    assert community.name in {" ".join(name.split()) for name in names}
    cases = Case.objects.filter(service=service)
    assert cases.count() == THREADS
    assert set(cases.values_list("community", flat=True)) == {community.pk}
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_additions_of_one_community_share_one_row():
    district = DistrictFactory(code="081297")
    barrier = threading.Barrier(THREADS)
    errors, found = [], []

    def add():
        try:
            barrier.wait()
            found.append(actions.get_or_add_community(district=district, name="Pampa Grande").pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=add) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert len(set(found)) == 1
    assert Community.objects.filter(district=district).count() == 1


# The same moments, one at a time (SQLite too) ---------------------------------------------------


def test_a_community_added_since_the_form_was_checked_is_shared(cast):
    """The intake form found no such community; a colleague added it before the case was
    stored: the case takes hers (this was a server error)."""
    theirs = CommunityFactory(district=cast.service_a.district, name="Ccollpa Alta", code=None)

    case = case_actions.open_case(
        service=cast.service_a,
        user=cast.caseworker_a,
        data=intake_data(cast.service_a.district),
        new_community="CCOLLPA  alta",
    )

    assert case.community == theirs
    assert Community.objects.count() == 1


def test_an_insert_refused_by_the_constraint_takes_the_row_that_won(cast, monkeypatch):
    """The race itself, made certain: the row a colleague committed is invisible to the first
    look and refuses the insert; the refused insert is undone alone (a savepoint) and the case's
    transaction goes on with her row."""
    theirs = CommunityFactory(district=cast.service_a.district, name="Pampa Grande", code=None)
    looks = []
    real_lookup = actions.community_named

    def first_look_misses(district, name):
        looks.append(name)
        return None if len(looks) == 1 else real_lookup(district, name)

    monkeypatch.setattr(actions, "community_named", first_look_misses)

    with transaction.atomic():
        case = case_actions.open_case(
            service=cast.service_a,
            user=cast.caseworker_a,
            data=intake_data(cast.service_a.district),
            new_community="pampa grande",
        )

    assert looks == ["pampa grande", "pampa grande"]
    assert case.community == theirs
    assert Community.objects.count() == 1


def test_a_new_community_is_added_once_and_found_again(cast):
    district = cast.service_a.district

    first = actions.get_or_add_community(district=district, name="  Huaro   Alto ")
    again = actions.get_or_add_community(district=district, name="HUARO ALTO")

    assert first.name == "Huaro Alto" and first.code is None
    assert again == first


def test_add_community_still_refuses_a_name_the_district_has(cast):
    CommunityFactory(district=cast.service_a.district, name="Huaro Alto")

    with pytest.raises(ValidationError):
        actions.add_community(district=cast.service_a.district, name="huaro alto")

    assert Community.objects.count() == 1


def test_a_code_another_community_has_is_a_validation_error(cast):
    CommunityFactory(district=cast.service_a.district, name="Uno", code="0812010001")

    with pytest.raises(ValidationError) as refused:
        actions.get_or_add_community(
            district=cast.service_a.district, name="Dos", code="0812010001"
        )

    assert "code" in refused.value.message_dict
    assert Community.objects.count() == 1
