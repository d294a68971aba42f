import pytest
from django.urls import reverse

from tests.factories import CareServiceFactory, CommunityFactory

LIST = reverse("service_list")


def detail(service):
    return reverse("service_detail", args=[service.code])


def test_anonymous_is_sent_to_login(client, cast):
    for url in (LIST, detail(cast.service_a)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("member", ["outsider", "shelter_staff"])
def test_members_without_services_get_404(cast, as_user, member):
    client = as_user(getattr(cast, member))
    assert client.get(LIST).status_code == 404
    assert client.get(detail(cast.service_a)).status_code == 404


@pytest.mark.parametrize(
    "member, visible",
    [
        ("caseworker_a", {"service_a"}),
        ("caseworker_b", {"service_b"}),
        ("regional_manager", {"service_a"}),
        ("national_manager", {"service_a", "service_b"}),
        ("admin", {"service_a", "service_b"}),
    ],
)
def test_list_and_detail_follow_the_scope(cast, as_user, member, visible):
    client = as_user(getattr(cast, member))
    listed = {s.code for s in client.get(LIST).context["page"].object_list}
    assert listed == {getattr(cast, name).code for name in visible}
    for name in ("service_a", "service_b"):
        expected = 200 if name in visible else 404
        assert client.get(detail(getattr(cast, name))).status_code == expected


def test_unknown_code_is_404(cast, as_user):
    assert as_user(cast.national_manager).get("/services/NOPE-1/").status_code == 404


def test_filters_by_kind_region_and_text(cast, as_user):
    client = as_user(cast.national_manager)

    def codes(**params):
        return {s.code for s in client.get(LIST, params).context["page"].object_list}

    assert codes(kind="CEM") == {cast.service_b.code}
    assert codes(region="08") == {cast.service_a.code}
    assert codes(q="urcos") == {cast.service_a.code}
    assert codes(q="nothing-like-this") == set()


def test_regional_manager_cannot_widen_her_scope_with_the_region_filter(cast, as_user):
    response = as_user(cast.regional_manager).get(LIST, {"region": "21"})
    assert list(response.context["page"].object_list) == [cast.service_a]


def test_empty_result_says_so(cast, as_user):
    response = as_user(cast.national_manager).get(LIST, {"q": "zzz"})
    assert "Ningún servicio coincide" in response.content.decode()


def test_sar_page_lists_its_coverage(cast, as_user):
    community = CommunityFactory(district=cast.service_a.district, name="Ccatca")
    cast.service_a.covered_districts.add(cast.service_a.district)
    cast.service_a.covered_communities.add(community)

    page = as_user(cast.caseworker_a).get(detail(cast.service_a)).content.decode()

    assert "Ccatca" in page
    assert "Urcos (081201)" in page


@pytest.mark.parametrize("extra", [0, 30])
def test_list_queries_do_not_grow_with_services(cast, as_user, django_assert_num_queries, extra):
    for _ in range(extra):
        CareServiceFactory(district=cast.service_a.district)
    client = as_user(cast.national_manager)
    # session, user, assignments, count for the paginator, one page of services with places,
    # the regions for the filter; then the session's new expiry (savepoint, update, release)
    with django_assert_num_queries(10):
        client.get(LIST)


@pytest.mark.parametrize("extra", [0, 20])
def test_detail_queries_do_not_grow_with_coverage(cast, as_user, django_assert_num_queries, extra):
    for _ in range(extra):
        cast.service_a.covered_communities.add(CommunityFactory(district=cast.service_a.district))
    client = as_user(cast.caseworker_a)
    # session, user, assignments, the service with its place, covered districts, communities;
    # then the session's new expiry (savepoint, update, release)
    with django_assert_num_queries(10):
        client.get(detail(cast.service_a))
