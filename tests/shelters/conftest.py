"""Shelters of the cast's two regions, and staff of region B (the cast has region A's)."""

from dataclasses import dataclass
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.utils import translation

from services.models import StaffAssignment
from shelters.actions import Arrival
from shelters.models import Sex, Shelter, Stay
from tests.factories import AssignmentFactory, ShelterFactory, UserFactory

ADDRESS_A = "Jr. Las Retamas 417, Urcos"
ADDRESS_B = "Av. El Sol 932, Puno"


@pytest.fixture(autouse=True)
def _english(client):
    """Assert messages by their English msgids, whatever the Spanish catalogue says: in the
    actions (no request) and in the pages (the language switch's cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@dataclass
class Shelters:
    a: Shelter  # region A (Cusco, "08"): the cast's shelter_staff keeps it
    b: Shelter  # region B (Puno, "21"): staff_b keeps it
    staff_b: AbstractUser


@pytest.fixture
def shelters(cast) -> Shelters:
    staff_b = UserFactory(username="shelter_staff_b")
    AssignmentFactory(user=staff_b, role=StaffAssignment.Role.SHELTER_STAFF, region=cast.region_b)
    return Shelters(
        a=ShelterFactory(
            code="HRT-081201",
            name="Hogar Warmi Wasi",
            district=cast.service_a.district,
            address=ADDRESS_A,
            capacity=10,
        ),
        b=ShelterFactory(
            code="HRT-210101",
            name="Hogar Qhapaq",
            district=cast.service_b.district,
            address=ADDRESS_B,
            capacity=6,
        ),
        staff_b=staff_b,
    )


def woman(name="Rosa Quispe", age=30, **kwargs) -> Arrival:
    return Arrival(role=Stay.Role.WOMAN, sex=Sex.FEMALE, full_name=name, age=age, **kwargs)


def child(name="Niña", sex=Sex.FEMALE, age=5, **kwargs) -> Arrival:
    return Arrival(role=Stay.Role.CHILD, sex=sex, full_name=name, age=age, **kwargs)


ADMITTED = date(2024, 3, 1)
