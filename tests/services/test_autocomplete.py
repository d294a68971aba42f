"""Search-as-you-type filters: the /geo/.../search/ endpoints answer within the user's scope,
at most AUTOCOMPLETE_LIMIT rows for two characters or more; the lists ship no option per
service or community and take the code typed."""

import pytest
from django.urls import reverse

from cases import pending
from services.forms import AUTOCOMPLETE_LIMIT
from services.models import CareService
from tests.factories import CareServiceFactory, CaseFactory, CommunityFactory

SERVICES = reverse("geo_service_search")
COMMUNITIES = reverse("geo_community_search")


def values(response):
    assert response.status_code == 200
    return [option["value"] for option in response.json()["options"]]


@pytest.fixture
def covered(cast):
    """A community covered by each service of the cast, both named alike."""
    a = CommunityFactory(district=cast.service_a.district, name="Qollana Urcos")
    b = CommunityFactory(district=cast.service_b.district, name="Qollana Puno")
    cast.service_a.covered_communities.add(a)
    cast.service_b.covered_communities.add(b)
    return a, b


@pytest.mark.parametrize(
    "member, visible",
    [
        ("caseworker_a", {"SAR-081201"}),
        ("caseworker_b", {"CEM-210101"}),
        ("regional_manager", {"SAR-081201"}),
        ("national_manager", {"SAR-081201", "CEM-210101"}),
        ("admin", {"SAR-081201", "CEM-210101"}),
    ],
)
def test_services_are_searched_within_the_scope(cast, as_user, member, visible):
    client = as_user(getattr(cast, member))
    assert set(values(client.get(SERVICES, {"q": "-2"}))) == visible & {"CEM-210101"}
    assert set(values(client.get(SERVICES, {"q": "sar urc"}))) == visible & {"SAR-081201"}
    assert set(values(client.get(SERVICES, {"q": "puno"}))) == visible & {"CEM-210101"}


@pytest.mark.parametrize(
    "member, visible",
    [
        ("caseworker_a", {"Qollana Urcos"}),
        ("caseworker_b", {"Qollana Puno"}),
        ("regional_manager", {"Qollana Urcos"}),
        ("national_manager", {"Qollana Urcos", "Qollana Puno"}),
    ],
)
def test_communities_are_searched_within_the_scope(cast, as_user, covered, member, visible):
    options = as_user(getattr(cast, member)).get(COMMUNITIES, {"q": "qollana"}).json()
    assert {option["label"].split(" (")[0] for option in options["options"]} == visible


@pytest.mark.parametrize("member", ["outsider", "shelter_staff"])
@pytest.mark.parametrize("url", [SERVICES, COMMUNITIES])
def test_users_without_services_are_refused(cast, as_user, covered, member, url):
    assert as_user(getattr(cast, member)).get(url, {"q": "qollana"}).status_code == 404


@pytest.mark.parametrize("url", [SERVICES, COMMUNITIES])
def test_anonymous_is_sent_to_login(client, cast, url):
    response = client.get(url, {"q": "qollana"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", [SERVICES, COMMUNITIES])
def test_answers_are_never_cached(cast, as_user, covered, url):
    response = as_user(cast.national_manager).get(url, {"q": "qollana"})
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("query", ["", "S", " P ", "\x00\x00", "%%", "a" * 5000])
def test_short_or_nasty_queries_find_nothing(cast, as_user, covered, query):
    client = as_user(cast.national_manager)
    assert values(client.get(SERVICES, {"q": query})) == []
    assert values(client.get(COMMUNITIES, {"q": query})) == []


def test_at_most_the_limit_and_constant_queries(cast, as_user, django_assert_num_queries):
    for _ in range(AUTOCOMPLETE_LIMIT + 5):
        CareServiceFactory(name="Servicio de prueba")
    client = as_user(cast.national_manager)
    # session, user, assignments, the suggestions; then the session's new expiry
    with django_assert_num_queries(7):
        found = values(client.get(SERVICES, {"q": "de prueba"}))
    assert len(found) == AUTOCOMPLETE_LIMIT


def test_the_case_list_suggests_only_its_kinds(cast, as_user):
    CareServiceFactory(code="CAI-081201", kind=CareService.Kind.CAI, name="CAI Urcos")
    client = as_user(cast.national_manager)
    assert set(values(client.get(SERVICES, {"q": "urcos"}))) == {"SAR-081201", "CAI-081201"}
    assert values(client.get(SERVICES, {"q": "urcos", "for": "cases"})) == ["SAR-081201"]


def test_the_case_list_ships_no_option_and_loads_the_script(cast, as_user):
    page = as_user(cast.national_manager).get(reverse("case_list")).content.decode()
    service_input = page.split('id="id_service"')[0].rsplit("<input", 1)[1]
    assert "data-autocomplete=" in service_input
    assert f'data-autocomplete="{COMMUNITIES}"' in page
    assert "CEM Puno" not in page
    assert "js/autocomplete.js" in page


def test_the_case_list_filters_by_the_typed_codes(cast, as_user, covered):
    a, b = covered
    in_a = CaseFactory(service=cast.service_a, community=a)
    CaseFactory(service=cast.service_a)
    in_b = CaseFactory(service=cast.service_b, community=b)
    client = as_user(cast.national_manager)

    def listed(**params):
        return {case.pk for case in client.get(reverse("case_list"), params).context["page"]}

    assert listed(service=" cem-210101 ") == {in_b.pk}
    assert listed(community=str(a.pk)) == {in_a.pk}
    assert listed(service="SAR-081201", community=str(b.pk)) == set()


@pytest.mark.parametrize(
    "value", ["CEM-210101", "NOPE", "\x00", "99999999999999999999999", "-1", "1; DROP"]
)
def test_a_code_outside_the_scope_is_an_error_not_a_filter(cast, as_user, covered, value):
    """The regional manager of Cusco learns nothing of Puno from the case list's filters."""
    _a, b = covered
    client = as_user(cast.regional_manager)
    for params in ({"service": value}, {"community": value}, {"community": str(b.pk)}):
        response = client.get(reverse("case_list"), params)
        assert response.status_code == 200
        assert response.context["form"].errors
        page = response.content.decode()
        assert "CEM Puno" not in page and "Qollana Puno" not in page


def test_a_large_scope_searches_its_pending_list_filter(cast, as_user, monkeypatch):
    monkeypatch.setattr(pending, "SELECT_LIMIT", 1)
    client = as_user(cast.national_manager)
    page = client.get(reverse("pending_list")).content.decode()
    assert f'data-autocomplete="{SERVICES}"' in page
    assert "<option" not in page.split('data-testid="pending-filter"')[1].split("</form>")[0]
    chosen = client.get(reverse("pending_list"), {"service": "CEM-210101"})
    assert chosen.context["chosen"]["name"] == "CEM Puno"
    regional = as_user(cast.regional_manager)
    assert regional.get(reverse("pending_list"), {"service": "CEM-210101"}).status_code == 404
    assert regional.get(reverse("pending_list"), {"service": "\x00"}).status_code == 404


def test_a_small_scope_keeps_its_pending_dropdown(cast, as_user):
    page = as_user(cast.national_manager).get(reverse("pending_list")).content.decode()
    assert '<option value="CEM-210101"' in page
    assert "data-autocomplete" not in page


def test_the_report_service_field_searches(cast, as_user):
    page = as_user(cast.national_manager).get(reverse("reports:cases")).content.decode()
    assert f'data-autocomplete="{SERVICES}"' in page
    assert "js/autocomplete.js" in page
