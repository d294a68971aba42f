"""The case page shows what the caseworker entered at intake, and says when nothing was."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import CaseFactory


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def shown(client, case) -> dict[str, str]:
    """The page's "term: value" pairs, whitespace folded."""
    response = client.get(reverse("case_detail", args=[case.code]))
    assert response.status_code == 200
    pairs = re.findall(
        r'<dt class="col-5">(.*?)</dt><dd class="col-7"[^>]*>(.*?)</dd>',
        response.content.decode(),
        re.S,
    )
    return {term.strip(): " ".join(value.split()) for term, value in pairs}


def test_the_intake_answers_are_on_the_case_page(cast, as_user):
    case = CaseFactory(
        service=cast.service_a,
        victim_ethnicity=1,
        victim_education=6,
        victim_marital_status=2,
        victim_pregnant=True,
        victim_works=False,
        wants_to_file=True,
    )
    fields = shown(as_user(cast.caseworker_a), case)

    assert fields["Ethnic self-identification"] == "Quechua"
    assert fields["Education"] == "Secundaria Completa"
    assert fields["Marital status"] == "Casado/a"
    assert fields["Pregnant"] == "Yes"
    assert fields["Paid work"] == "No"
    assert fields["Wants to file a complaint"] == "Yes"


def test_answers_not_given_say_not_recorded(cast, as_user):
    case = CaseFactory(service=cast.service_a)
    fields = shown(as_user(cast.caseworker_a), case)
    for term in (
        "Ethnic self-identification",
        "Education",
        "Marital status",
        "Pregnant",
        "Paid work",
        "Wants to file a complaint",
        "Mother tongue",
        "Complaint filed",
        "Protective measures",
    ):
        assert fields[term] == "Not recorded", term
    assert "None" not in fields.values()


def test_ages_agree_in_number(cast, as_user):
    case = CaseFactory(service=cast.service_a, victim_age=1, aggressor_age=41)
    fields = shown(as_user(cast.caseworker_a), case)
    assert fields["Age and sex"].startswith("1 year ·")
    assert fields["Sex and age"].endswith("· 41 years")
