"""Editing is optimistic (no silent overwrites), cancelling needs a reason, and every read and
change of an activity is in its audit trail."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from activities import actions
from activities.models import Activity, AuditEntry
from services.rules import RuleViolation
from tests.factories import CommunityFactory


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def edit_data(client, activity):
    """The edit form's own initial data, as the browser would post it back."""
    form = client.get(reverse("activity_edit", args=[activity.code])).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = str(getattr(value, "pk", value))
    return data


@pytest.fixture
def editor(cast, as_user):
    return as_user(cast.caseworker_a)


def test_an_edit_saves_bumps_the_version_and_audits_the_changed_fields(cast, activities, editor):
    data = edit_data(editor, activities.a)
    data.update(type="FERIA", girls="9")

    response = editor.post(reverse("activity_edit", args=[activities.a.code]), data)

    assert response.status_code == 302
    activities.a.refresh_from_db()
    assert (activities.a.type, activities.a.girls, activities.a.version) == ("FERIA", 9, 2)
    entry = AuditEntry.objects.get(activity=activities.a, action="update")
    assert entry.user == cast.caseworker_a
    assert entry.changes == {"type": ["TALLER", "FERIA"], "girls": [3, 9]}


def test_an_edit_that_changes_nothing_keeps_the_version(cast, activities, editor):
    data = edit_data(editor, activities.a)
    assert editor.post(reverse("activity_edit", args=[activities.a.code]), data).status_code == 302
    activities.a.refresh_from_db()
    assert activities.a.version == 1
    assert not AuditEntry.objects.filter(action="update").exists()


def test_an_edit_can_add_the_community_it_took_place_in(cast, activities, editor):
    data = edit_data(editor, activities.a)
    data["new_community"] = "Huaro Alto"
    assert editor.post(reverse("activity_edit", args=[activities.a.code]), data).status_code == 302
    activities.a.refresh_from_db()
    assert activities.a.community.name == "Huaro Alto"
    entry = AuditEntry.objects.get(action="update")
    assert entry.changes == {"community": [None, activities.a.community_id]}


def test_a_stale_save_is_refused_and_nothing_is_overwritten(cast, activities, editor):
    data = edit_data(editor, activities.a)  # she opens the form at version 1
    actions.update_activity(  # a colleague saves first
        activity=activities.a, user=cast.caseworker_a, data={"boys": 7}, expected_version=1
    )
    data["boys"] = "4"

    response = editor.post(reverse("activity_edit", args=[activities.a.code]), data)

    assert response.status_code == 409
    page = response.content.decode()
    assert "Your changes were not saved." in page
    assert reverse("activity_detail", args=[activities.a.code]) in page
    activities.a.refresh_from_db()
    assert (activities.a.boys, activities.a.version) == (7, 2)
    assert response.context["form"]["boys"].value() == "4"  # what she typed is still there


def test_update_activity_refuses_a_stale_version(cast, activities):
    actions.update_activity(
        activity=activities.a, user=cast.caseworker_a, data={"boys": 7}, expected_version=1
    )
    with pytest.raises(actions.StaleActivityError) as stale:
        actions.update_activity(
            activity=activities.a, user=cast.caseworker_a, data={"boys": 1}, expected_version=1
        )
    assert stale.value.current.version == 2
    assert Activity.objects.get(pk=activities.a.pk).boys == 7


def test_a_cancel_keeps_the_activity_with_its_reason_and_audits_it(cast, activities, editor):
    url = reverse("activity_cancel", args=[activities.a.code])
    response = editor.post(url, {"reason": "  Registrada   dos veces "}, follow=True)

    assert response.redirect_chain == [(reverse("activity_detail", args=[activities.a.code]), 302)]
    activity = Activity.objects.get(pk=activities.a.pk)
    assert activity.is_cancelled
    assert activity.cancelled_by == cast.caseworker_a
    assert activity.cancel_reason == "Registrada dos veces"
    assert activity.version == 2
    assert "Registrada dos veces" in response.content.decode()
    entry = AuditEntry.objects.get(activity=activity, action="cancel")
    assert entry.changes == {"reason": "Registrada dos veces"}
    assert list(Activity.objects.counted()) == [activities.b]


def test_a_cancel_without_reason_is_refused(cast, activities, editor):
    url = reverse("activity_cancel", args=[activities.a.code])
    response = editor.post(url, {"reason": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    activities.a.refresh_from_db()
    assert not activities.a.is_cancelled


def test_a_cancelled_activity_cannot_be_edited_nor_cancelled_again(cast, activities, editor):
    actions.cancel_activity(activity=activities.a, user=cast.caseworker_a, reason="Error")
    for name in ("activity_edit", "activity_cancel"):
        response = editor.get(reverse(name, args=[activities.a.code]), follow=True)
        assert "This activity is cancelled: it can no longer be changed." in [
            str(message) for message in response.context["messages"]
        ]
    page = editor.get(reverse("activity_detail", args=[activities.a.code])).content.decode()
    assert reverse("activity_edit", args=[activities.a.code]) not in page
    with pytest.raises(actions.ActivityCancelledError):
        actions.update_activity(
            activity=activities.a, user=cast.caseworker_a, data={"boys": 1}, expected_version=2
        )
    with pytest.raises(actions.ActivityCancelledError):
        actions.cancel_activity(activity=activities.a, user=cast.caseworker_a, reason="Otra vez")


def test_nothing_is_ever_deleted(cast, activities):
    """No page deletes an activity, and the audit trail protects it in the database too."""
    from django.db.models import ProtectedError

    actions.log_activity_view(activity=activities.a, user=cast.caseworker_a)
    with pytest.raises(ProtectedError):
        activities.a.delete()


def test_every_read_of_an_activity_page_is_audited(cast, activities, as_user):
    as_user(cast.regional_manager).get(reverse("activity_detail", args=[activities.a.code]))
    as_user(cast.caseworker_a).get(reverse("activity_edit", args=[activities.a.code]))
    entries = AuditEntry.objects.filter(activity=activities.a, action="view")
    assert {entry.user for entry in entries} == {cast.regional_manager, cast.caseworker_a}
    assert all(entry.ip_address == "127.0.0.1" for entry in entries)


def test_the_detail_shows_the_counts_and_the_place_never_names(cast, as_user):
    from tests.activities.factories import ActivityFactory

    community = CommunityFactory(district=cast.service_a.district, name="Ccatca")
    activity = ActivityFactory(service=cast.service_a, community=community, women=30, girls=4)
    page = as_user(cast.regional_manager).get(reverse("activity_detail", args=[activity.code]))
    html = page.content.decode()
    assert "Ccatca, Urcos" in html
    assert '<dt class="col-5">Total</dt><dd class="col-7 fw-semibold">41</dd>' in html
    assert not page.context["may_write"]  # managers read only
    assert reverse("activity_edit", args=[activity.code]) not in html


def test_a_rule_broken_meanwhile_is_shown_on_the_form_not_as_an_error_page(
    cast, activities, editor, monkeypatch
):
    """The action has the last word (a colleague added the community a second earlier)."""

    def refuse(**kwargs):
        raise RuleViolation([("new_community", "Ya existe.")])

    monkeypatch.setattr(actions, "update_activity", refuse)
    data = edit_data(editor, activities.a)
    response = editor.post(reverse("activity_edit", args=[activities.a.code]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["new_community"] == ["Ya existe."]
