"""services.pagination: lists count at most COUNT_CAP + 1 rows, and say "more than" above."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from cases.views import CASES_PER_PAGE
from services import pagination
from services.pagination import CappedPaginator
from tests.factories import CareServiceFactory, CaseFactory, CommunityFactory


@pytest.fixture
def five(cast):
    return [CaseFactory(service=cast.service_a) for _ in range(5)]


def test_under_the_cap_the_count_is_exact(five):
    paginator = CappedPaginator(Case.objects.order_by("id"), 2, cap=10)
    assert paginator.count == 5
    assert not paginator.capped
    assert paginator.num_pages == 3
    assert [c.pk for c in paginator.get_page(3).object_list] == [five[4].pk]


def test_above_the_cap_the_count_stops_and_the_pages_end_at_the_cap(five):
    paginator = CappedPaginator(Case.objects.order_by("id"), 2, cap=3)
    with CaptureQueriesContext(connection) as counted:
        assert paginator.count == 4
    assert paginator.capped
    # The count reads at most cap + 1 rows.
    assert "LIMIT 4" in counted.captured_queries[0]["sql"]
    assert paginator.num_pages == 2
    assert paginator.get_page(99).number == 2
    assert [c.pk for c in paginator.get_page(2).object_list] == [five[2].pk, five[3].pk]


def test_an_empty_list_has_one_empty_page(db):
    paginator = CappedPaginator(Case.objects.all(), 25, cap=3)
    assert paginator.count == 0
    assert paginator.num_pages == 1
    assert list(paginator.get_page(1).object_list) == []


def test_a_list_past_the_cap_says_more_than(cast, as_user, five, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    monkeypatch.setattr("cases.views.CASES_PER_PAGE", 2)
    page = as_user(cast.national_manager).get(reverse("case_list")).content.decode()
    assert "Más de 3 casos" in page
    assert "Página 1 de más de 2" in page
    assert "5 casos" not in page


def test_under_the_cap_the_list_shows_the_exact_count(cast, as_user, five):
    response = as_user(cast.caseworker_a).get(reverse("case_list"))
    assert response.context["page"].paginator.count == 5
    assert not response.context["page"].paginator.capped
    assert "Más de" not in response.content.decode()


@pytest.mark.parametrize(
    "value", ["abc", "-1", "0", "1.5", "99999999999999999999999", "1e9", "\x00", ""]
)
@pytest.mark.parametrize("url", ["case_list", "service_list", "activity_list"])
def test_any_page_value_answers_a_page(cast, as_user, five, url, value):
    response = as_user(cast.national_manager).get(reverse(url), {"page": value})
    assert response.status_code == 200
    assert response.context["page"].number >= 1


@pytest.mark.parametrize("extra", [0, 30])
def test_the_national_case_list_does_not_grow_with_the_network(
    cast, as_user, five, django_assert_num_queries, extra
):
    """Neither its queries nor its size: no option per service or community."""
    for n in range(extra):
        service = CareServiceFactory(name=f"Servicio remoto {n}")
        service.covered_communities.add(
            CommunityFactory(district=service.district, name=f"Comunidad remota {n}")
        )
    client = as_user(cast.national_manager)
    # session, user, assignments, the capped count, one page of cases with their places; then
    # the session's new expiry (savepoint, update, release)
    with django_assert_num_queries(9):
        page = client.get(reverse("case_list")).content.decode()
    assert "remot" not in page
    assert "<option" not in page.split('id="id_service"')[1].split("</div>")[0]
    assert len(page) < 40_000 + CASES_PER_PAGE * 2_000
