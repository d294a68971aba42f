import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from tests.factories import CaseFactory, CommunityFactory, intake_post_data

SYNC = "/api/v1/sync/"
PACKAGE = "/api/v1/field/package/"


def post_json(client, url, payload, **extra):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(url, body, content_type="application/json", **extra)


def captured(minutes_ago: int = 30) -> str:
    return (timezone.localtime() - timedelta(minutes=minutes_ago)).isoformat()


def item(kind: str, data: dict, **fields) -> dict:
    made = {"id": str(uuid.uuid4()), "type": kind, "captured_at": captured(), "data": data}
    return {**made, **fields}


def sync(client, *items) -> list[dict]:
    response = post_json(client, SYNC, {"items": list(items)})
    assert response.status_code == 200, response.content
    return response.json()["items"]


def case_url(code: str) -> str:
    return reverse("case_detail", args=[code])


@pytest.fixture
def intake(cast):
    """What the online intake form posts for a case of service A (the device sends the same)."""
    community = CommunityFactory(district=cast.service_a.district, name="Ccollpa")
    data = intake_post_data(cast.service_a, community=str(community.pk))
    del data["service"]  # an item names its service beside its data
    return data


@pytest.fixture
def case_a(cast) -> Case:
    """An open case of service A (caseworker_a's SAR), version 1, moderate risk."""
    return CaseFactory(service=cast.service_a, victim_name="Juana Mamani Ccori", risk_level=2)


@pytest.fixture
def case_b(cast) -> Case:
    """An open case of service B (caseworker_b's CEM)."""
    return CaseFactory(service=cast.service_b, victim_name="Lucía Condori Apaza")
