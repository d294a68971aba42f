"""The same activities sent at the same moment by several requests are stored once (PostgreSQL)."""

import time

import pytest
from django.db import connection
from django.test import Client

from activities import actions as activity_actions
from activities.models import Activity, ActivitySequence, AuditEntry
from services.models import Submission
from tests.shelters.test_concurrency import run_at_once

from .conftest import SYNC, item, post_json
from .test_sync_activities import activity_fields

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_activities_sent_four_times_at_once_are_each_stored_once(cast, monkeypatch):
    """The four requests pass the repeat check before any commits; the item's key makes the
    others wait for the first on each item, then answer its result. The codes stay a gapless
    sequence: a request that waited took no number."""
    original = activity_actions.register_activity

    def slow_register(**kwargs):
        time.sleep(0.3)  # the other requests reach their own check meanwhile
        return original(**kwargs)

    monkeypatch.setattr(activity_actions, "register_activity", slow_register)
    items = [
        item("activity", activity_fields(cast.service_a), service=cast.service_a.code),
        item(
            "activity",
            activity_fields(cast.service_a, type="FERIA", new_community="Pampa Alta"),
            service=cast.service_a.code,
        ),
    ]

    def send(index):
        client = Client()
        client.force_login(cast.caseworker_a)
        response = post_json(client, SYNC, {"items": items})
        return response.status_code, response.json()["items"]

    answers, errors = run_at_once(4, send)

    assert connection.vendor == "postgresql"
    assert errors == []
    assert [status for status, _ in answers] == [200] * 4
    first = answers[0][1]
    assert all(replies == first for _, replies in answers)
    assert [a["status"] for a in first] == ["accepted", "accepted"]
    assert Activity.objects.count() == 2
    assert {a["result"]["code"] for a in first} == set(
        Activity.objects.values_list("code", flat=True)
    )
    assert cast.service_a.district.communities.count() == 1
    assert Submission.objects.count() == 2
    assert AuditEntry.objects.filter(action="create", changes__via="field").count() == 2
    assert ActivitySequence.objects.get().last == 2
