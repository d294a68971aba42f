"""Nasty values in every field of the activity pages never give a server error (500): a NUL
byte (which PostgreSQL refuses in text), a very long string, a number too large for any column,
bytes that are not UTF-8. The answer may be a form error, a 400 or a 404."""

import uuid
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from activities.models import Activity
from tests.activities.factories import ActivityFactory, activity_post_data

NASTY = {
    "nul": "\x00",
    "nul-after": "08\x00",
    "long": "x" * 5000,
    "huge-number": "9" * 30,
    "negative": "-1",
    "lone-surrogate": b"\xed\xa0\x80",
}
FORM_FIELDS = (
    "date",
    "duration_hours",
    "type",
    "topic",
    "partners",
    "province",
    "district",
    "community",
    "new_community",
    "women",
    "men",
    "girls",
    "boys",
)
FILTER_FIELDS = ("date_from", "date_to", "type", "district", "community", "page")


@pytest.fixture
def activity(cast):
    return ActivityFactory(service=cast.service_a)


def spoil(data: dict, field: str, value) -> str:
    """The form body (or query string) with `value` in `field`, its bytes sent as they are."""
    return urlencode(list({**data, field: value}.items()))


def answers(send) -> dict[str, int]:
    """Each nasty value's answer; every one must be something other than a server error."""
    return {label: send(value).status_code for label, value in NASTY.items()}


def post(client, url, body):
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("field", ("service", *FORM_FIELDS, "submission_token"))
def test_the_activity_form(cast, as_user, field):
    client = as_user(cast.caseworker_a)

    def send(value):
        data = {**activity_post_data(cast.service_a), "submission_token": str(uuid.uuid4())}
        return post(client, reverse("activity_create"), spoil(data, field, value))

    assert set(answers(send).values()) <= {200, 302, 400, 404}
    assert all("\x00" not in topic for topic in Activity.objects.values_list("topic", flat=True))


@pytest.mark.parametrize("field", (*FORM_FIELDS, "version"))
def test_the_edit_form(cast, as_user, activity, field):
    client = as_user(cast.caseworker_a)
    data = {**activity_post_data(cast.service_a), "version": "1"}
    del data["service"]

    def send(value):
        url = reverse("activity_edit", args=[activity.code])
        return post(client, url, spoil({**data, "version": str(activity.version)}, field, value))

    assert set(answers(send).values()) <= {200, 302, 400, 404, 409}


def test_the_cancel_form(cast, as_user, activity):
    client = as_user(cast.caseworker_a)

    def send(value):
        url = reverse("activity_cancel", args=[activity.code])
        return post(client, url, spoil({}, "reason", value))

    assert set(answers(send).values()) <= {200, 302, 400}


@pytest.mark.parametrize("field", FILTER_FIELDS)
def test_the_list_filters(cast, as_user, activity, field):
    client = as_user(cast.caseworker_a)

    def send(value):
        query = spoil({"district": activity.district_id}, field, value)
        return client.get(f"{reverse('activity_list')}?{query}")

    assert set(answers(send).values()) <= {200, 400}


def test_codes_in_the_address(cast, as_user, activity):
    client = as_user(cast.caseworker_a)
    for code in ("X" * 40, "SAR-081201-2024-A0001%00", "%ED%A0%80", "'%3B--"):
        assert client.get(f"/activities/{code}/").status_code == 404
