"""On a phone the services list is a stack of cards (issue 14): code, name, kind, place and
whether the service is open, with no query of its own."""

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.cards import cards
from tests.factories import CareServiceFactory

LIST = reverse("service_list")


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def test_each_card_carries_code_name_kind_place_and_state(cast, as_user):
    closed = CareServiceFactory(
        code="CEM-081299", name="CEM cerrado", kind="CEM", district=cast.service_a.district,
        closed_on=date(2024, 6, 30),
    )  # fmt: skip
    page = as_user(cast.national_manager).get(LIST).content.decode()

    found = {card["links"][0]: card for card in cards(page, "service-cards")}
    assert set(found) == {
        reverse("service_detail", args=[code])
        for code in (cast.service_a.code, cast.service_b.code, closed.code)
    }
    card = found[reverse("service_detail", args=[cast.service_a.code])]
    assert len(card["links"]) == 1  # the whole card is the link
    assert cast.service_a.code in card["text"]
    assert card["fields"]["name"] == cast.service_a.name
    assert card["fields"]["kind"] == cast.service_a.get_kind_display()
    district = cast.service_a.district
    assert card["fields"]["place"] == f"{district.name}, {district.province.region.name}"
    assert card["fields"]["state"] == "Open"
    assert found[reverse("service_detail", args=[closed.code])]["fields"]["state"] == "Closed"


@pytest.mark.parametrize("extra", [0, 30])
def test_the_cards_add_no_query(cast, as_user, django_assert_num_queries, extra):
    for _ in range(extra):
        CareServiceFactory(district=cast.service_b.district)
    client = as_user(cast.national_manager)
    with django_assert_num_queries(10):  # as in test_service_pages.py
        page = client.get(LIST).content.decode()
    assert all(card["fields"]["place"] for card in cards(page, "service-cards"))
