"""Shelter pages on a phone (issue 14): the residents and the national occupancy as stacks of
cards, the admission form's children under their legend; no query of their own."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from shelters import actions
from tests.cards import cards
from tests.factories import ShelterFactory, StayFactory

from .conftest import child, woman


def test_each_family_on_the_board_is_a_card_with_its_members_and_actions(cast, shelters, as_user):
    today = timezone.localdate()
    actions.admit_family(
        shelter=shelters.a,
        people=[woman("Rosa Quispe"), child("Luz"), child("Juan", sex=1)],
        admitted_on=today,
        user=None,
    )
    alone = StayFactory(shelter=shelters.a, admitted_on=today)

    page = as_user(cast.shelter_staff).get(reverse("shelter_board")).content.decode()

    families = cards(page, f"residents-{shelters.a.code}")
    assert len(families) == 2
    by_family = {card["attrs"]["id"]: card for card in families}
    rosa = next(card for card in families if "Rosa Quispe" in card["text"])
    assert "Luz" in rosa["text"] and "Juan" in rosa["text"] and "Son" in rosa["text"]
    family = rosa["attrs"]["id"].removeprefix("family-")
    assert rosa["links"] == [
        reverse("shelter_discharge", args=[shelters.a.code, family]),
        reverse("shelter_transfer", args=[shelters.a.code, family]),
    ]
    assert f"family-{alone.family_group}" in by_family


def test_the_national_view_has_a_card_per_region_and_per_shelter(cast, shelters, as_user):
    for _ in range(3):
        StayFactory(shelter=shelters.a)
    page = as_user(cast.national_manager).get(reverse("shelter_national")).content.decode()

    assert [card["text"] for card in cards(page, "region-cards")] == [
        "Cusco 30% Shelters: 1 Beds 10 Occupied 3 Free 7",
        "Puno 0% Shelters: 1 Beds 6 Occupied 0 Free 6",
    ]
    assert [card["text"] for card in cards(page, "shelter-cards")] == [
        f"Hogar Warmi Wasi 30% HRT-081201 · {shelters.a.district.name} Beds 10 Occupied 3 Free 7",
        f"Hogar Qhapaq 0% HRT-210101 · {shelters.b.district.name} Beds 6 Occupied 0 Free 6",
    ]
    # The tables stay from md up; the cards only below it.
    assert 'id="region-cards"' in page and 'class="table-responsive d-none d-md-block"' in page


@pytest.mark.parametrize("extra", [0, 8])
def test_the_cards_add_no_query(cast, shelters, as_user, django_assert_num_queries, extra):
    for _ in range(extra):
        shelter = ShelterFactory(district=shelters.a.district, capacity=20)
        StayFactory(shelter=shelter)
        StayFactory(shelter=shelters.a)
    client = as_user(cast.shelter_staff)
    with django_assert_num_queries(8):  # as in test_board.py
        page = client.get(reverse("shelter_board")).content.decode()
    assert len(cards(page, f"residents-{shelters.a.code}")) == extra
    client = as_user(cast.national_manager)
    with django_assert_num_queries(8):  # as in test_board.py
        page = client.get(reverse("shelter_national")).content.decode()
    assert len(cards(page, "shelter-cards")) == 2 + extra


def test_the_childrens_legend_sits_above_them_and_each_child_has_a_column(cast, shelters, as_user):
    url = reverse("shelter_admit", args=[shelters.a.code])
    page = as_user(cast.shelter_staff).get(f"{url}?children=2").content.decode()

    # Bootstrap floats a legend and clears it with `legend + *`: what follows the children's
    # legend is a block, never the formset's hidden inputs, so the first child stays below it.
    after = re.search(r"Her children who come with her</legend>\s*(<[^>]*>)", page).group(1)
    assert after == "<div>"
    assert '<div class="row row-cols-1 row-cols-md-2 row-cols-xl-3 g-2 mb-2" id="children">' in page
    rows = page.split('id="children">')[1].split('<template id="child-template">')[0]
    assert rows.count('<div class="col child-form">') == 2
    # The birth date has the whole width of the child's box: never a narrow column.
    assert 'class="col-12">' in rows and "col-md-2" not in rows
    template = page.split('<template id="child-template">')[1].split("</template>")[0]
    assert '<div class="col child-form">' in template and "__prefix__" in template
