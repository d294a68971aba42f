"""How residents are named on the board and the family forms: one word for who they are in
the family (never "Woman · Female"), and "1 year", not "1 years"."""

import re

import pytest
from django.urls import reverse

from shelters import actions

from .conftest import ADMITTED, child, woman


@pytest.fixture
def family(shelters):
    return actions.admit_family(
        shelter=shelters.a,
        people=[woman("Rosa Quispe", age=21), child("Luz Quispe", age=1), child("Juan", sex=1)],
        admitted_on=ADMITTED,
        user=None,
    )


def test_the_board_names_each_resident_once_with_a_plural_that_agrees(
    cast, shelters, family, as_user
):
    page = as_user(cast.shelter_staff).get(reverse("shelter_board")).content.decode()
    words = " ".join(page.split())

    assert "Rosa Quispe</span> · Woman · 21 years" in words
    assert "Luz Quispe</span> · Daughter · 1 year ·" in words
    assert "Juan</span> · Son · 5 years" in words
    assert not re.search(r"(?<!\d)1 years", words)
    assert "Female" not in words and "Male" not in words


@pytest.mark.parametrize("name", ["shelter_discharge", "shelter_transfer"])
def test_the_family_forms_label_each_person_the_same_way(cast, shelters, family, as_user, name):
    response = as_user(cast.shelter_staff).get(
        reverse(name, args=[shelters.a.code, family[0].family_group])
    )
    labels = [label for value, label in response.context["form"].fields["stays"].choices]
    assert labels == [
        "Rosa Quispe · Woman · 21 years",
        "Luz Quispe · Daughter · 1 year",
        "Juan · Son · 5 years",
    ]
