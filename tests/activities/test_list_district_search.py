"""The activity list's district filter searches as you type: /activities/districts/search/
suggests, within the list's own scope (the districts the user's activities reached), at most
AUTOCOMPLETE_LIMIT districts for two characters or more; the list ships no option per district
and takes the ubigeo typed, so it does not grow with the districts a national manager's
activities reached."""

import pytest
from django.urls import reverse

from services.forms import AUTOCOMPLETE_LIMIT
from tests.activities.factories import ActivityFactory
from tests.factories import CommunityFactory, DistrictFactory

LIST = reverse("activity_list")
SEARCH = reverse("activity_district_search")


def values(response) -> list[str]:
    assert response.status_code == 200
    return [option["value"] for option in response.json()["options"]]


def filter_form(page: str) -> str:
    """The HTML of the list's filter form."""
    return page.split('<form method="get"', 1)[1].split("</form>", 1)[0]


@pytest.fixture
def reached(cast):
    """Service A worked in Urcos and Andahuaylillas (Cusco), service B in Puno; Urpay, a
    district of Cusco that no activity reached, is never offered."""
    province = cast.service_a.district.province
    andahuaylillas = DistrictFactory(code="081202", name="Andahuaylillas", province=province)
    DistrictFactory(code="081203", name="Urpay", province=province)
    ActivityFactory(service=cast.service_a)
    ActivityFactory(service=cast.service_a, district=andahuaylillas)
    ActivityFactory(service=cast.service_b)
    return andahuaylillas


CUSCO = {"081201", "081202"}
PUNO = {"210101"}


@pytest.mark.parametrize(
    "member, visible",
    [
        ("caseworker_a", CUSCO),
        ("caseworker_b", PUNO),
        ("regional_manager", CUSCO),
        ("national_manager", CUSCO | PUNO),
        ("admin", CUSCO | PUNO),
    ],
)
def test_districts_are_searched_within_the_list_scope(cast, as_user, reached, member, visible):
    client = as_user(getattr(cast, member))
    assert set(values(client.get(SEARCH, {"q": "08"}))) == visible & CUSCO
    assert set(values(client.get(SEARCH, {"q": "ur"}))) == visible & {"081201"}
    assert set(values(client.get(SEARCH, {"q": "AHUAY"}))) == visible & {"081202"}
    assert set(values(client.get(SEARCH, {"q": "puno"}))) == visible & PUNO
    # exactly the filter's own choices
    form = client.get(LIST).context["form"]
    assert set(form.fields["district"].queryset.values_list("code", flat=True)) == visible


def test_a_caseworker_of_another_region_learns_nothing_of_its_districts(cast, as_user, reached):
    client = as_user(cast.caseworker_b)
    for query in ("urcos", "Andahuaylillas", "0812", "081201", "cusco"):
        response = client.get(SEARCH, {"q": query})
        assert values(response) == []
        assert "Urcos" not in response.content.decode()


def test_suggestions_name_the_province_and_the_ubigeo(cast, as_user, reached):
    province = cast.service_a.district.province.name
    options = as_user(cast.caseworker_a).get(SEARCH, {"q": "urcos"}).json()["options"]
    assert options == [{"value": "081201", "label": f"Urcos, {province} (081201)"}]


@pytest.mark.parametrize("member", ["outsider", "shelter_staff"])
def test_users_without_a_case_role_are_refused(cast, as_user, reached, member):
    assert as_user(getattr(cast, member)).get(SEARCH, {"q": "urcos"}).status_code == 404


def test_anonymous_is_sent_to_login(client, cast, reached):
    response = client.get(SEARCH, {"q": "urcos"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_answers_are_never_cached(cast, as_user, reached):
    response = as_user(cast.national_manager).get(SEARCH, {"q": "urcos"})
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("query", ["", "U", " 0 ", "\x00\x00", "%%", "__", "a" * 5000])
def test_short_or_nasty_queries_find_nothing(cast, as_user, reached, query):
    assert values(as_user(cast.national_manager).get(SEARCH, {"q": query})) == []


def reach(cast, count: int, start: int = 0) -> None:
    """Activities of service A in `count` more districts of its province."""
    province = cast.service_a.district.province
    for number in range(start, start + count):
        district = DistrictFactory(
            code=f"0812{number + 10:02d}", name=f"Distrito alcanzado {number}", province=province
        )
        ActivityFactory(service=cast.service_a, district=district)


def test_at_most_the_limit_and_constant_queries(cast, as_user, django_assert_num_queries):
    reach(cast, AUTOCOMPLETE_LIMIT + 5)
    client = as_user(cast.national_manager)
    # session, user, assignments, the suggestions; then the session's new expiry
    with django_assert_num_queries(7):
        found = values(client.get(SEARCH, {"q": "alcanzado"}))
    assert len(found) == AUTOCOMPLETE_LIMIT


def test_the_national_list_does_not_grow_with_the_districts_reached(
    cast, as_user, django_assert_num_queries
):
    """With 3 districts reached and with 30: no <option> per district, the same filter form
    byte for byte, the same queries."""
    client = as_user(cast.national_manager)
    forms = []
    for count, start in ((3, 0), (27, 3)):
        reach(cast, count, start)
        # session, user, assignments, the count and one page of activities with service,
        # district and community; then the session's new expiry (savepoint, update, release)
        with django_assert_num_queries(9):
            page = client.get(LIST).content.decode()
        form = filter_form(page)
        assert "Distrito alcanzado" not in form
        assert 'value="081210"' not in form
        assert f'data-autocomplete="{SEARCH}"' in form
        assert "js/autocomplete.js" in page
        forms.append(form)
    assert forms[0] == forms[1]
    district_input = forms[0].split('id="id_district"')[0].rsplit("<", 1)[1]
    assert district_input.startswith("input")


def test_the_list_filters_by_the_typed_ubigeo(cast, as_user, reached):
    """Without JavaScript, typing the code works."""
    client = as_user(cast.national_manager)

    def listed(**params):
        response = client.get(LIST, params)
        assert not response.context["form"].errors
        return {activity.district_id for activity in response.context["page"]}

    assert listed(district=" 081202 ") == {"081202"}
    assert listed(district="210101") == {"210101"}
    assert listed() == CUSCO | PUNO


@pytest.mark.parametrize(
    "value", ["210101", "081203", "Puno", "\x00", "99999999999999999999", "-1", "1; DROP", "%"]
)
def test_a_district_outside_the_scope_is_an_error_not_a_filter(cast, as_user, reached, value):
    """The caseworker of Cusco learns nothing of Puno from the list's district filter, nor of
    a district of her region where no activity of hers took place."""
    response = as_user(cast.caseworker_a).get(LIST, {"district": value})
    assert response.status_code == 200
    assert response.context["form"].errors["district"]
    assert {activity.district_id for activity in response.context["page"]} == CUSCO
    assert "CEM Puno" not in response.content.decode()


def test_the_communities_follow_the_typed_district(cast, as_user, reached):
    huaro = CommunityFactory(district=reached, code="0812020001", name="Huaro")
    ActivityFactory(service=cast.service_a, district=reached, community=huaro)
    client = as_user(cast.caseworker_a)
    response = client.get(LIST, {"district": " 081202 ", "community": str(huaro.pk)})
    assert list(response.context["form"].fields["community"].queryset) == [huaro]
    assert [activity.community for activity in response.context["page"]] == [huaro]
    district_input = filter_form(response.content.decode()).split('id="id_district"')[0]
    assert 'data-children-url="/geo/communities/"' in district_input.rsplit("<input", 1)[1]
