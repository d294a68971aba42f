"""The Django admin: administrators keep shelters; stays are read, never added or deleted."""

from django.urls import reverse

from shelters import actions
from shelters.models import Shelter

from .conftest import ADMITTED, child, woman


def test_admin_pages_open_and_search(cast, shelters, as_user):
    stays = actions.admit_family(
        shelter=shelters.a, people=[woman(), child()], admitted_on=ADMITTED, user=None
    )
    client = as_user(cast.admin)
    for model in ("shelter", "person", "stay", "shelterlog"):
        url = reverse(f"admin:shelters_{model}_changelist")
        assert client.get(url).status_code == 200, model
        assert client.get(url, {"q": "not-a-uuid"}).status_code == 200, model
    found = client.get(reverse("admin:shelters_stay_changelist"), {"q": str(stays[0].family_group)})
    assert found.context["cl"].result_count == 2
    listed = client.get(reverse("admin:shelters_shelter_changelist"))
    row = next(s for s in listed.context["cl"].result_list if s.pk == shelters.a.pk)
    assert row.occupied == 2
    assert client.get(reverse("admin:shelters_stay_change", args=[stays[0].pk])).status_code == 200


def test_stays_and_shelters_are_never_deleted_or_added_from_the_admin(cast, shelters, as_user):
    (stay,) = actions.admit_family(
        shelter=shelters.a, people=[woman()], admitted_on=ADMITTED, user=None
    )
    client = as_user(cast.admin)
    assert client.get(reverse("admin:shelters_stay_add")).status_code == 403
    assert client.get(reverse("admin:shelters_stay_delete", args=[stay.pk])).status_code == 403
    delete_shelter = reverse("admin:shelters_shelter_delete", args=[shelters.a.pk])
    assert client.get(delete_shelter).status_code == 403


def test_the_admin_cannot_change_capacity_or_closing_of_an_existing_shelter(
    cast, shelters, as_user
):
    actions.admit_family(
        shelter=shelters.a, people=[woman(), child(), child()], admitted_on=ADMITTED, user=None
    )
    response = as_user(cast.admin).post(
        reverse("admin:shelters_shelter_change", args=[shelters.a.pk]),
        {
            "code": shelters.a.code,
            "name": shelters.a.name,
            "district": shelters.a.district_id,
            "address": shelters.a.address,
            "capacity": "2",
            "opened_on": "2020-01-01",
            "closed_on": "2020-06-01",
        },
    )
    # capacity and closing are read-only there: they go through the regional page's action,
    # which checks them under the shelter's lock against the people staying
    assert response.status_code == 302
    shelter = Shelter.objects.get(pk=shelters.a.pk)
    assert (shelter.capacity, shelter.closed_on) == (10, None)
