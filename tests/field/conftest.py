import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from tests.factories import CaseFactory, CommunityFactory

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
    district = cast.service_a.district
    community = CommunityFactory(district=district, name="Ccollpa")
    return {
        "intake_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "condition": "1",
        "entry_route": "1",
        "victim_name": "Rosa Quispe Huamán",
        "victim_document_type": "DNI",
        "victim_document_number": "41234567",
        "victim_age": "34",
        "victim_sex": "0",
        "victim_peruvian": "on",
        "region": district.province.region_id,
        "province": district.province_id,
        "district": district.code,
        "community": str(community.pk),
        "aggressor_sex": "1",
        "relationship": "1",
        "partner_relationship": "3",
        "violence_type": "2",
        "violence_acts": ["BOFETADAS", "EMPUJONES"],
        "risk_level": "3",
        "daughters_0_17": "1",
        "sons_0_17": "0",
        "daughters_18_plus": "0",
        "sons_18_plus": "0",
        "complaint_filed": "false",
        "wants_to_file": "true",
        "protective_measures": "unknown",
    }


@pytest.fixture
def case_a(cast) -> Case:
    """An open case of service A (caseworker_a's SAR), version 1, moderate risk."""
    return CaseFactory(service=cast.service_a, victim_name="Juana Mamani Ccori", risk_level=2)


@pytest.fixture
def case_b(cast) -> Case:
    """An open case of service B (caseworker_b's CEM)."""
    return CaseFactory(service=cast.service_b, victim_name="Lucía Condori Apaza")
