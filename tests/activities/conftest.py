from dataclasses import dataclass

import pytest

from activities.models import Activity
from tests.activities.factories import ActivityFactory


@dataclass
class Activities:
    a: Activity  # of service A (caseworker_a's SAR, region A)
    b: Activity  # of service B (caseworker_b's CEM, region B)


@pytest.fixture
def activities(cast) -> Activities:
    return Activities(
        a=ActivityFactory(service=cast.service_a, topic="Taller sobre la ruta de atención"),
        b=ActivityFactory(service=cast.service_b, type="CAMPANA", topic="Campaña en el mercado"),
    )
