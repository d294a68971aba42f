"""The same items sent at the same moment by two requests are stored once (PostgreSQL)."""

import time

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from cases import actions as case_actions
from cases.models import AuditEntry, Case, CaseAction
from services.models import Submission
from tests.factories import CaseFactory
from tests.shelters.test_concurrency import run_at_once

from .conftest import SYNC, item, post_json

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_sync_sent_twice_at_once_stores_each_item_once(cast, intake, monkeypatch):
    """Both requests pass the repeat check before either commits; the unique key makes the
    second wait for the first on each item, then answer its result."""
    original_open, original_record = case_actions.open_case, case_actions.record_action

    def slow_open_case(**kwargs):
        time.sleep(0.3)  # the other request reaches its own check meanwhile
        return original_open(**kwargs)

    def slow_record_action(**kwargs):
        time.sleep(0.3)
        return original_record(**kwargs)

    monkeypatch.setattr(case_actions, "open_case", slow_open_case)
    monkeypatch.setattr(case_actions, "record_action", slow_record_action)
    other = {**intake, "victim_document_type": "", "victim_document_number": ""}
    existing = CaseFactory(service=cast.service_a)
    items = [
        item("case", intake, service=cast.service_a.code),
        item("case", {**other, "victim_name": "Otra"}, service=cast.service_a.code),
        item(
            "action",
            {"kind": "home_visit", "date": timezone.localdate().isoformat()},
            case=existing.code,
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
    assert len(answers) == 4
    assert all(status == 200 for status, _ in answers)
    first = answers[0][1]
    assert all(items_ == first for _, items_ in answers)
    assert [a["status"] for a in first] == ["accepted"] * 3
    assert Case.objects.exclude(pk=existing.pk).count() == 2
    assert CaseAction.objects.count() == 1
    assert Submission.objects.count() == 3
    assert AuditEntry.objects.filter(action="create").count() == 2
    assert {a["result"]["code"] for a in first[:2]} == set(
        Case.objects.exclude(pk=existing.pk).values_list("code", flat=True)
    )
