"""Admission, discharge and transfer forms sent twice store once (a second click, a retry)."""

import uuid

import pytest
from django.urls import reverse

from services.models import Submission
from shelters import actions
from shelters.models import ShelterLog, Stay

from .conftest import ADMITTED, child, woman

ALREADY_SENT = "This form had already been sent: nothing was stored twice."
BOARD = reverse("shelter_board")


def admission(**overrides):
    data = {
        "admitted_on": ADMITTED.isoformat(),
        "woman_name": "Rosa Quispe Huamán",
        "woman_age": "31",
        "children-TOTAL_FORMS": "2",
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "15",
        "children-0-full_name": "Luz Quispe",
        "children-0-sex": "0",
        "children-0-age": "7",
        "children-1-full_name": "Juan Quispe",
        "children-1-sex": "1",
        "children-1-age": "4",
    }
    return {**data, **overrides}


@pytest.fixture
def family(shelters):
    return actions.admit_family(
        shelter=shelters.a,
        people=[woman(), child("Luz"), child("Juan", sex=1)],
        admitted_on=ADMITTED,
        user=None,
    )


def send_twice(client, url, data):
    data = {**data, "submission_token": str(uuid.uuid4())}
    return client.post(url, data), client.post(url, data, follow=True)


def assert_same_result(first, second):
    assert first.status_code == 302
    assert first["Location"] == BOARD
    assert second.redirect_chain == [(BOARD, 302)]
    assert ALREADY_SENT in [str(message) for message in second.context["messages"]]


def test_an_admission_sent_twice_admits_the_family_once(cast, shelters, as_user):
    first, second = send_twice(
        as_user(cast.shelter_staff), reverse("shelter_admit", args=[shelters.a.code]), admission()
    )

    assert_same_result(first, second)
    assert Stay.objects.open().filter(shelter=shelters.a).count() == 3
    assert 'id="occupied-HRT-081201">3<' in second.content.decode()


def test_a_refused_admission_keeps_no_key_and_may_be_sent_again(cast, shelters, as_user):
    shelters.a.capacity = 2
    shelters.a.save()
    client = as_user(cast.shelter_staff)
    url = reverse("shelter_admit", args=[shelters.a.code])
    data = admission(submission_token=str(uuid.uuid4()))

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert "Nothing was stored" in str(refused.context["form"].non_field_errors())
    assert not Submission.objects.exists() and not Stay.objects.exists()
    shelters.a.capacity = 10
    shelters.a.save()
    assert client.post(url, data).status_code == 302
    assert Stay.objects.count() == 3


def test_a_discharge_sent_twice_discharges_once(cast, shelters, family, as_user):
    first, second = send_twice(
        as_user(cast.shelter_staff),
        reverse("shelter_discharge", args=[shelters.a.code, family[0].family_group]),
        {"stays": [s.pk for s in family], "discharged_on": "2024-04-02", "reason": "family"},
    )

    # Without the key the second would be a 404 (the family has left): it shows the board.
    assert_same_result(first, second)
    assert not Stay.objects.open().exists()
    assert ShelterLog.objects.filter(action="discharge").count() == 3


def test_a_transfer_sent_twice_moves_the_family_once(cast, shelters, family, as_user):
    first, second = send_twice(
        as_user(cast.shelter_staff),
        reverse("shelter_transfer", args=[shelters.a.code, family[0].family_group]),
        {
            "stays": [s.pk for s in family],
            "to_shelter": shelters.b.pk,
            "transferred_on": "2024-04-02",
        },
    )

    assert_same_result(first, second)
    assert Stay.objects.open().filter(shelter=shelters.b).count() == 3
    assert Stay.objects.count() == 6  # three closed here, three open there
    assert ShelterLog.objects.filter(action="transfer_in").count() == 3


@pytest.mark.parametrize("name", ["shelter_discharge", "shelter_transfer"])
def test_the_family_forms_carry_a_key_and_the_saving_script(cast, shelters, family, as_user, name):
    page = (
        as_user(cast.shelter_staff)
        .get(reverse(name, args=[shelters.a.code, family[0].family_group]))
        .content.decode()
    )
    assert page.count('name="submission_token"') == 1
    assert "js/once.js" in page


def test_the_admission_form_carries_a_key_and_the_saving_script(cast, shelters, as_user):
    page = (
        as_user(cast.shelter_staff)
        .get(reverse("shelter_admit", args=[shelters.a.code]))
        .content.decode()
    )
    assert page.count('name="submission_token"') == 1
    assert "js/once.js" in page
