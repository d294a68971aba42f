from dataclasses import dataclass

import pytest

from cases.models import Case
from tests.factories import CaseFactory, intake_post_data


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
    return intake_post_data(cast.service_a)
