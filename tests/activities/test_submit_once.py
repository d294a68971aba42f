"""Creating an activity is safe to repeat: the form's one-time key, a device's key and an
import's ID_ACTIVIDAD each store it once."""

import time
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import translation

from activities import actions
from activities.models import Activity, AuditEntry
from services.models import Submission
from services.rules import RuleViolation
from tests.activities.factories import activity_data, activity_post_data

ALREADY_SENT = "This form had already been sent: nothing was stored twice."
CREATE = reverse("activity_create")


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def said(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def send_twice(client, url, data):
    data = {**data, "submission_token": str(uuid.uuid4())}
    return client.post(url, data), client.post(url, data, follow=True)


def test_the_form_sent_twice_stores_one_activity_and_shows_it_both_times(cast, as_user):
    first, second = send_twice(
        as_user(cast.caseworker_a), CREATE, activity_post_data(cast.service_a)
    )
    activity = Activity.objects.get()
    location = reverse("activity_detail", args=[activity.code])
    assert first.status_code == 302 and first["Location"] == location
    assert second.redirect_chain == [(location, 302)]
    assert ALREADY_SENT in said(second)
    assert AuditEntry.objects.filter(action="create").count() == 1
    assert Submission.objects.get().result_url == location


def test_a_new_community_sent_twice_is_added_once(cast, as_user):
    data = activity_post_data(cast.service_a, new_community="Pampa Alta")
    send_twice(as_user(cast.caseworker_a), CREATE, data)
    assert Activity.objects.count() == 1
    assert cast.service_a.district.communities.count() == 1


def test_two_forms_with_two_keys_are_two_activities(cast, as_user):
    client = as_user(cast.caseworker_a)
    for _ in range(2):
        data = {**activity_post_data(cast.service_a), "submission_token": str(uuid.uuid4())}
        assert client.post(CREATE, data).status_code == 302
    assert Activity.objects.count() == 2


def test_another_users_key_answers_400_and_stores_nothing(cast, as_user):
    key = uuid.uuid4()
    Submission.objects.create(key=key, user=cast.caseworker_b, result_url="/activities/SECRET/")
    data = {**activity_post_data(cast.service_a), "submission_token": str(key)}
    response = as_user(cast.caseworker_a).post(CREATE, data)
    assert response.status_code == 400
    assert "SECRET" not in response.content.decode()
    assert not Activity.objects.exists()


def test_a_cancel_sent_twice_cancels_once_without_a_refusal(cast, activities, as_user):
    url = reverse("activity_cancel", args=[activities.a.code])
    first, second = send_twice(as_user(cast.caseworker_a), url, {"reason": "Duplicada"})
    location = reverse("activity_detail", args=[activities.a.code])
    assert first["Location"] == location
    assert second.redirect_chain == [(location, 302)]
    assert ALREADY_SENT in said(second)
    assert AuditEntry.objects.filter(action="cancel").count() == 1


def test_the_forms_carry_a_key_and_the_saving_script(cast, activities, as_user):
    client = as_user(cast.caseworker_a)
    for url in (CREATE, reverse("activity_cancel", args=[activities.a.code])):
        page = client.get(url).content.decode()
        assert 'name="submission_token"' in page
        assert "js/once.js" in page
    edit = client.get(reverse("activity_edit", args=[activities.a.code])).content.decode()
    assert "data-once" in edit and 'name="version"' in edit


# The keys of the import and of the field sync ------------------------------------------------


def test_a_device_key_stores_once(cast):
    key = uuid.uuid4()
    data = activity_data(cast.service_a)
    first = actions.register_activity(
        service=cast.service_a, user=cast.caseworker_a, data=data, client_key=key
    )
    again = actions.register_activity(
        service=cast.service_a, user=cast.caseworker_a, data=data, client_key=key
    )
    assert again.pk == first.pk and first.client_key == key
    assert Activity.objects.count() == 1
    assert AuditEntry.objects.filter(action="create").count() == 1


def test_a_device_key_of_another_service_is_refused(cast):
    key = uuid.uuid4()
    actions.register_activity(
        service=cast.service_a,
        user=cast.caseworker_a,
        data=activity_data(cast.service_a),
        client_key=key,
    )
    with pytest.raises(RuleViolation) as refused:
        actions.register_activity(
            service=cast.service_b,
            user=cast.caseworker_b,
            data=activity_data(cast.service_b),
            client_key=key,
        )
    assert refused.value.problems[0][0] == "client_key"
    assert Activity.objects.count() == 1


def test_an_imported_row_stores_once_per_service(cast):
    """ID_ACTIVIDAD identifies the row with the service's code: a re-import stores nothing, and
    another service may use the same identifier."""

    def register(service, **changes):
        return actions.register_activity(
            service=service,
            user=None,
            data=activity_data(service, **changes),
            external_id=" ACT-0001 ",
            audit_action=AuditEntry.Action.IMPORT,
            audit_extra={"line": 2},
        )

    first = register(cast.service_a)
    assert first.external_id == "ACT-0001"
    # Even a row that changed since: the first stays as it was (the import reports it present).
    assert register(cast.service_a, topic="Otro tema").pk == first.pk
    other = register(cast.service_b)
    assert other.pk != first.pk
    assert Activity.objects.count() == 2
    entries = AuditEntry.objects.filter(activity=first)
    assert [(e.action, e.changes, e.user) for e in entries] == [("import", {"line": 2}, None)]


def test_a_repeat_is_answered_even_when_it_would_no_longer_be_valid(cast):
    """The first result stands: a repeat is recognised before the rules are checked."""
    key = uuid.uuid4()
    first = actions.register_activity(
        service=cast.service_a,
        user=None,
        data=activity_data(cast.service_a),
        client_key=key,
    )
    again = actions.register_activity(
        service=cast.service_a,
        user=None,
        data=activity_data(cast.service_a, topic=""),
        client_key=key,
    )
    assert again.pk == first.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", ["client_key", "external_id"])
def test_the_same_key_at_once_stores_one_activity(cast, monkeypatch, key):
    """Both calls find nothing stored before either commits; the unique constraint makes the
    second wait for the first, then answer its activity."""
    from tests.shelters.test_concurrency import run_at_once

    original = actions.existing_activity

    def slow_lookup(**kwargs):
        found = original(**kwargs)
        time.sleep(0.5)  # the other call reaches its own look-up meanwhile
        return found

    monkeypatch.setattr(actions, "existing_activity", slow_lookup)
    value = uuid.uuid4() if key == "client_key" else "ACT-0007"

    def register(index):
        return actions.register_activity(
            service=cast.service_a,
            user=cast.caseworker_a,
            data=activity_data(cast.service_a),
            **{key: value},
        ).pk

    answers, errors = run_at_once(2, register)

    assert connection.vendor == "postgresql"
    assert errors == []
    activity = Activity.objects.get()
    assert answers == [activity.pk, activity.pk]
    assert AuditEntry.objects.filter(action="create").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_registrations_at_once_get_distinct_codes(cast):
    from tests.shelters.test_concurrency import run_at_once

    def register(index):
        return actions.register_activity(
            service=cast.service_a, user=cast.caseworker_a, data=activity_data(cast.service_a)
        ).code

    codes, errors = run_at_once(6, register)
    assert errors == []
    assert len(set(codes)) == 6 == Activity.objects.count()
