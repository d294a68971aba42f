"""The whole cast against every activity URL: the scope of cases; out of scope is 404."""

import pytest
from django.urls import reverse

from activities.models import AuditEntry
from services.models import CareService, RefusedAccess, StaffAssignment
from tests.activities.factories import ActivityFactory, activity_post_data
from tests.factories import AssignmentFactory, CareServiceFactory

READ_URLS = ["activity_detail"]
WRITE_URLS = ["activity_edit", "activity_cancel"]


def url(name, activity):
    return reverse(name, args=[activity.code])


@pytest.mark.parametrize("name", READ_URLS + WRITE_URLS)
def test_anonymous_is_sent_to_login(client, activities, name):
    response = client.get(url(name, activities.a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["activity_list", "activity_create"])
def test_anonymous_is_sent_to_login_from_the_list_and_the_form(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "member, readable, writable",
    [
        ("caseworker_a", {"a"}, {"a"}),
        ("caseworker_b", {"b"}, {"b"}),
        ("regional_manager", {"a"}, set()),
        ("national_manager", {"a", "b"}, set()),
        ("admin", {"a", "b"}, set()),
        ("shelter_staff", set(), set()),
        ("outsider", set(), set()),
    ],
)
def test_each_member_reads_and_writes_only_her_scope(
    cast, activities, as_user, member, readable, writable
):
    client = as_user(getattr(cast, member))
    for key in ("a", "b"):
        activity = getattr(activities, key)
        for name in READ_URLS:
            assert client.get(url(name, activity)).status_code == (200 if key in readable else 404)
        for name in WRITE_URLS:
            assert client.get(url(name, activity)).status_code == (200 if key in writable else 404)
        cancel = client.post(url("activity_cancel", activity), {"reason": "Registrada dos veces"})
        assert cancel.status_code == (302 if key in writable else 404)
        activity.refresh_from_db()
        assert activity.is_cancelled == (key in writable)


@pytest.mark.parametrize(
    "member, listed",
    [
        ("caseworker_a", {"a"}),
        ("caseworker_b", {"b"}),
        ("regional_manager", {"a"}),
        ("national_manager", {"a", "b"}),
        ("admin", {"a", "b"}),
    ],
)
def test_the_list_shows_only_the_scope(cast, activities, as_user, member, listed):
    response = as_user(getattr(cast, member)).get(reverse("activity_list"))
    assert response.status_code == 200
    codes = {activity.code for activity in response.context["page"].object_list}
    assert codes == {getattr(activities, key).code for key in listed}


@pytest.mark.parametrize("member", ["outsider", "shelter_staff"])
def test_the_list_and_the_form_are_404_without_a_case_role(cast, activities, as_user, member):
    client = as_user(getattr(cast, member))
    assert client.get(reverse("activity_list")).status_code == 404
    assert client.get(reverse("activity_create")).status_code == 404
    response = client.post(reverse("activity_create"), activity_post_data(cast.service_a))
    assert response.status_code == 404
    assert RefusedAccess.objects.filter(user=getattr(cast, member), reason="role").count() == 3


@pytest.mark.parametrize("member", ["regional_manager", "national_manager", "admin"])
def test_readers_cannot_register_activities(cast, as_user, member):
    client = as_user(getattr(cast, member))
    assert client.get(reverse("activity_create")).status_code == 404
    assert (
        client.post(reverse("activity_create"), activity_post_data(cast.service_a)).status_code
        == 404
    )


def test_a_caseworker_cannot_register_in_another_service(cast, as_user):
    client = as_user(cast.caseworker_a)
    data = activity_post_data(cast.service_b)  # names service B in the form
    assert client.post(reverse("activity_create"), data).status_code == 404
    assert client.get(reverse("activity_create") + "?service=CEM-210101").status_code == 404
    assert client.get(reverse("activity_create") + "?service=%27;--").status_code == 404


def test_a_cai_caseworker_has_no_activity_form(cast, as_user):
    """Only SARs and CEMs run community activities."""
    cai = CareServiceFactory(
        code="CAI-081201", kind=CareService.Kind.CAI, district=cast.service_a.district
    )
    worker = AssignmentFactory(role=StaffAssignment.Role.CASEWORKER, service=cai).user
    client = as_user(worker)
    assert client.get(reverse("activity_create")).status_code == 404
    assert client.get(reverse("activity_list")).status_code == 200


def test_out_of_scope_reads_leave_no_audit_entry_and_are_in_the_refusal_trail(
    cast, activities, as_user
):
    as_user(cast.caseworker_b).get(url("activity_detail", activities.a))
    assert not AuditEntry.objects.filter(activity=activities.a).exists()
    refusal = RefusedAccess.objects.get(user=cast.caseworker_b)
    assert refusal.reason == RefusedAccess.Reason.OUT_OF_SCOPE
    assert refusal.object_code == activities.a.code


def test_an_unknown_code_is_404_and_recorded_as_not_found(cast, as_user):
    response = as_user(cast.national_manager).get("/activities/SAR-081201-2024-A9999/")
    assert response.status_code == 404
    assert RefusedAccess.objects.get().reason == RefusedAccess.Reason.NOT_FOUND


def test_a_closed_service_has_no_new_activities_but_keeps_its_old_ones(cast, as_user):
    old = ActivityFactory(service=cast.service_a)
    CareService.objects.filter(pk=cast.service_a.pk).update(closed_on=old.date)
    client = as_user(cast.caseworker_a)
    assert client.get(reverse("activity_create")).status_code == 404
    assert client.get(url("activity_detail", old)).status_code == 200


def test_activity_pages_are_never_cached(cast, activities, as_user):
    client = as_user(cast.caseworker_a)
    for response in (
        client.get(reverse("activity_list")),
        client.get(reverse("activity_create")),
        client.get(url("activity_detail", activities.a)),
        client.get(url("activity_edit", activities.a)),
        client.get(url("activity_cancel", activities.a)),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_the_navigation_links_the_list_for_those_who_may_read_it(cast, as_user):
    link = f'href="{reverse("activity_list")}"'
    for member in ("caseworker_a", "regional_manager", "national_manager", "admin"):
        assert link in as_user(getattr(cast, member)).get(reverse("home")).content.decode()
    for member in ("shelter_staff", "outsider"):
        assert link not in as_user(getattr(cast, member)).get(reverse("home")).content.decode()
