"""On a phone the case list is a stack of cards (issue 14): each card shows what a caseworker
needs to decide without opening the case, and the cards cost no query of their own."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from cases.models import Case
from cases.views import CASES_PER_PAGE
from tests.cards import cards
from tests.factories import CaseFactory, CommunityFactory


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def test_each_card_carries_code_date_status_risk_violence_and_residence(cast, as_user):
    district = cast.service_a.district
    community = CommunityFactory(district=district, name="Ccatca")
    case = CaseFactory(
        service=cast.service_a, community=community, risk_level=3, status=Case.Status.IN_CARE
    )
    plain = CaseFactory(service=cast.service_a, risk_level=1)  # no community: the district

    page = as_user(cast.caseworker_a).get(reverse("case_list")).content.decode()

    found = {card["links"][0]: card for card in cards(page, "case-cards")}
    assert set(found) == {
        reverse("case_detail", args=[case.code]),
        reverse("case_detail", args=[plain.code]),
    }
    card = found[reverse("case_detail", args=[case.code])]
    assert card["links"] == [reverse("case_detail", args=[case.code])]  # the card is the link
    assert case.code in card["text"]
    assert f"Intake {date_format(case.intake_date, 'SHORT_DATE_FORMAT')}" in card["text"]
    assert card["fields"]["status"] == "In care"
    assert card["fields"]["risk"] == case.get_risk_level_display()
    assert card["fields"]["violence"] == case.get_violence_type_display()
    assert card["fields"]["place"] == f"Residence: Ccatca / {district.name}"
    other = found[reverse("case_detail", args=[plain.code])]
    assert other["fields"]["status"] == "Open"
    assert other["fields"]["risk"] == plain.get_risk_level_display() != card["fields"]["risk"]
    assert other["fields"]["place"] == f"Residence: {district.name}"


def test_the_cards_never_show_names_or_documents(cast, cases, as_user):
    page = as_user(cast.caseworker_a).get(reverse("case_list")).content.decode()
    (card,) = cards(page, "case-cards")
    assert cases.a.code in card["text"]
    assert "Rosa" not in card["text"] and "41234567" not in card["text"]


def test_the_table_remains_from_md_up(cast, cases, as_user):
    page = as_user(cast.caseworker_a).get(reverse("case_list")).content.decode()
    assert 'class="list-unstyled vstack gap-2 d-md-none mb-3" id="case-cards"' in page
    assert '<div class="table-responsive d-none d-md-block">' in page
    assert page.count(f'href="{reverse("case_detail", args=[cases.a.code])}"') == 2


@pytest.mark.parametrize("extra", [0, 30])
def test_the_cards_add_no_query(cast, cases, as_user, django_assert_num_queries, extra):
    """As many queries as tests/cases/test_queries.py counts, with every card's residence."""
    for _ in range(extra):
        CaseFactory(
            service=cast.service_a, community=CommunityFactory(district=cast.service_a.district)
        )
    client = as_user(cast.caseworker_a)
    with django_assert_num_queries(9):
        page = client.get(reverse("case_list")).content.decode()
    shown = cards(page, "case-cards")
    assert len(shown) == min(1 + extra, CASES_PER_PAGE)
    assert all(card["fields"]["place"] for card in shown)


def test_the_filters_are_labelled_fields_and_an_error_is_tied_to_its_field(cast, as_user):
    """The filter form is written without crispy-forms' templates (the page is the busiest of
    the site): each field keeps its label, its Bootstrap classes, its help text and, when
    refused, its error, which the field names for screen readers."""
    client = as_user(cast.caseworker_a)
    page = client.get(reverse("case_list")).content.decode()
    assert '<label for="id_status" class="form-label">Status</label>' in page
    assert 'class="select form-select"' in page
    assert 'id="id_service_helptext" class="form-text"' in page
    assert 'aria-describedby="id_service_helptext"' in page

    page = client.get(reverse("case_list"), {"date_from": "not-a-date"}).content.decode()
    assert 'class="dateinput form-control is-invalid"' in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_date_from_error"' in page
    assert '<div id="id_date_from_error" class="invalid-feedback">' in page
