"""The activity list: filters by period, type, district and community within the scope; the
case list's style (cards on a phone, a table from md up) and its query discipline."""

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from activities import actions
from activities.views import ACTIVITIES_PER_PAGE
from tests.activities.factories import ActivityFactory
from tests.cards import cards
from tests.factories import CommunityFactory, DistrictFactory

LIST = reverse("activity_list")


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def listed(response) -> set[str]:
    return {activity.code for activity in response.context["page"].object_list}


@pytest.fixture
def places(cast):
    """Two districts of service A's region, a community in each, with the same last digits."""
    home = cast.service_a.district
    other = DistrictFactory(code="081202", name="Andahuaylillas")
    return {
        "home": home,
        "other": other,
        "ccatca": CommunityFactory(district=home, code="0812010001", name="Ccatca"),
        "huaro": CommunityFactory(district=other, code="0812020001", name="Huaro"),
    }


@pytest.fixture
def spread(cast, places):
    """Activities of service A across dates, types and places, and one of service B."""
    a = cast.service_a
    return {
        "march_workshop": ActivityFactory(
            service=a, date=date(2024, 3, 5), community=places["ccatca"]
        ),
        "may_fair": ActivityFactory(service=a, date=date(2024, 5, 20), type="FERIA"),
        "june_other_district": ActivityFactory(
            service=a,
            date=date(2024, 6, 1),
            district=places["other"],
            community=places["huaro"],
        ),
        "b": ActivityFactory(service=cast.service_b, date=date(2024, 5, 20)),
    }


def codes(spread, *names):
    return {spread[name].code for name in names}


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, {"march_workshop", "may_fair", "june_other_district"}),
        ({"date_from": "2024-05-01"}, {"may_fair", "june_other_district"}),
        ({"date_to": "2024-05-20"}, {"march_workshop", "may_fair"}),
        ({"date_from": "2024-05-20", "date_to": "2024-05-20"}, {"may_fair"}),
        ({"type": "FERIA"}, {"may_fair"}),
        ({"type": "TALLER"}, {"march_workshop", "june_other_district"}),
        ({"district": "081202"}, {"june_other_district"}),
        ({"district": "081201"}, {"march_workshop", "may_fair"}),
        ({"district": "081201", "community": "ccatca"}, {"march_workshop"}),
        # a wrong filter filters nothing and says so
        ({"date_from": "2024-06-01", "date_to": "2024-01-01"}, None),
    ],
)
def test_the_filters_narrow_the_scope(cast, places, spread, as_user, query, expected):
    query = {
        name: str(places[value].pk) if name == "community" else value
        for name, value in query.items()
    }
    response = as_user(cast.caseworker_a).get(LIST, query)
    if expected is None:
        assert response.context["form"].errors["date_to"]
        expected = {"march_workshop", "may_fair", "june_other_district"}
    assert listed(response) == codes(spread, *expected)


def test_a_community_of_another_district_is_not_a_valid_filter(cast, places, spread, as_user):
    """The same last four digits in two districts are two communities."""
    response = as_user(cast.caseworker_a).get(
        LIST, {"district": "081201", "community": str(places["huaro"].pk)}
    )
    assert response.context["form"].errors["community"]


def test_the_district_choices_are_the_places_reached_in_the_scope(cast, places, spread, as_user):
    ActivityFactory(service=cast.service_b)
    form = as_user(cast.caseworker_a).get(LIST).context["form"]
    assert list(form.fields["district"].queryset) == [places["other"], places["home"]]
    manager = as_user(cast.national_manager).get(LIST).context["form"]
    assert set(manager.fields["district"].queryset) == {
        places["home"],
        places["other"],
        cast.service_b.district,
    }


def test_the_community_choices_follow_the_chosen_district(cast, places, spread, as_user):
    client = as_user(cast.caseworker_a)
    assert list(client.get(LIST).context["form"].fields["community"].queryset) == []
    form = client.get(LIST, {"district": "081202"}).context["form"]
    assert list(form.fields["community"].queryset) == [places["huaro"]]
    page = client.get(LIST).content.decode()
    assert 'data-children-url="/geo/communities/"' in page


def test_cancelled_activities_stay_listed_and_marked(cast, spread, as_user):
    actions.cancel_activity(activity=spread["may_fair"], user=cast.caseworker_a, reason="Error")
    page = as_user(cast.caseworker_a).get(LIST).content.decode()
    found = {card["links"][0]: card for card in cards(page, "activity-cards")}
    card = found[reverse("activity_detail", args=[spread["may_fair"].code])]
    assert card["fields"]["status"] == "Cancelled"
    other = found[reverse("activity_detail", args=[spread["march_workshop"].code])]
    assert "status" not in other["fields"]


def test_each_card_carries_type_date_topic_place_and_participants(cast, places, as_user):
    activity = ActivityFactory(
        service=cast.service_a,
        community=places["ccatca"],
        topic="Ruta de atención comunal",
        women=10,
        men=2,
        girls=0,
        boys=1,
    )
    page = as_user(cast.caseworker_a).get(LIST).content.decode()
    (card,) = cards(page, "activity-cards")
    assert card["links"] == [reverse("activity_detail", args=[activity.code])]
    assert card["fields"]["type"] == "Workshop"
    assert card["fields"]["date"] == date_format(activity.date, "SHORT_DATE_FORMAT")
    assert card["fields"]["topic"] == "Ruta de atención comunal"
    assert card["fields"]["place"] == "Ccatca / Urcos"
    assert card["fields"]["participants"] == "13 participants · SAR Urcos"
    assert '<div class="table-responsive d-none d-md-block">' in page


def test_the_list_is_paginated_like_the_case_list(cast, as_user):
    for _ in range(ACTIVITIES_PER_PAGE + 2):
        ActivityFactory(service=cast.service_a)
    client = as_user(cast.caseworker_a)
    first = client.get(LIST, {"type": "TALLER"})
    assert len(first.context["page"].object_list) == ACTIVITIES_PER_PAGE
    assert "type=TALLER&amp;page=2" in first.content.decode()
    second = client.get(LIST, {"type": "TALLER", "page": "2"})
    assert len(second.context["page"].object_list) == 2


def test_an_empty_scope_says_so(cast, as_user):
    page = as_user(cast.caseworker_a).get(LIST).content.decode()
    assert "There are no activities in your scope yet." in page


@pytest.mark.parametrize("extra", [0, 30])
@pytest.mark.parametrize("member", ["caseworker_a", "national_manager"])
def test_the_list_queries_are_constant(
    cast, places, spread, as_user, django_assert_num_queries, extra, member
):
    for index in range(extra):
        ActivityFactory(
            service=cast.service_a,
            district=places["other"] if index % 2 else places["home"],
            community=places["huaro"] if index % 2 else places["ccatca"],
        )
    client = as_user(getattr(cast, member))
    # session, user, assignments, the count and one page of activities with service, district
    # and community (the district filter draws no choices); then the session's new expiry
    # (savepoint, update, release)
    with django_assert_num_queries(9):
        page = client.get(LIST).content.decode()
    shown = cards(page, "activity-cards")
    assert len(shown) == min(3 + extra + (member == "national_manager"), ACTIVITIES_PER_PAGE)
    assert all(card["fields"]["place"] for card in shown)


@pytest.mark.parametrize("extra", [0, 30])
def test_the_filtered_list_queries_are_constant(
    cast, places, spread, as_user, django_assert_num_queries, extra
):
    for _ in range(extra):
        ActivityFactory(service=cast.service_a, community=places["ccatca"])
    client = as_user(cast.caseworker_a)
    query = {"district": "081201", "community": str(places["ccatca"].pk), "type": "TALLER"}
    # as above, with the district and the community checked, the community choices drawn
    with django_assert_num_queries(12):
        response = client.get(LIST, query)
    assert len(response.context["page"].object_list) == min(1 + extra, ACTIVITIES_PER_PAGE)


@pytest.mark.parametrize("extra", [0, 10])
def test_the_detail_queries_are_constant(cast, as_user, django_assert_num_queries, extra):
    activity = ActivityFactory(service=cast.service_a)
    for _ in range(extra):
        actions.log_activity_view(activity=activity, user=cast.caseworker_a)
    client = as_user(cast.caseworker_a)
    # session, user, assignments, the activity with its places, service and people, the audit
    # entry; then the session's new expiry (savepoint, update, release)
    with django_assert_num_queries(9):
        client.get(reverse("activity_detail", args=[activity.code]))
