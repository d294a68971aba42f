from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case
from tests.factories import CaseFactory


@dataclass
class Cases:
    a: Case  # of service A (caseworker_a's SAR, region A)
    b: Case  # of service B (caseworker_b's CEM, region B)


@pytest.fixture
def cases(cast) -> Cases:
    return Cases(
        a=CaseFactory(
            service=cast.service_a,
            victim_name="Rosa Quispe Huamán",
            victim_document_type="DNI",
            victim_document_number="41234567",
        ),
        b=CaseFactory(service=cast.service_b, victim_name="Juana Mamani Ccori"),
    )


@pytest.fixture
def intake(cast):
    """Valid intake data for a case of service A, residing in service A's district."""
    district = cast.service_a.district
    return {
        "service": cast.service_a.code,
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
