"""The filters of every report: the region is a select of the asker's regions, and a region
or service outside the scope is refused exactly as one that does not exist."""

import re
from datetime import date

import pytest
from django.utils import timezone

from tests.factories import CaseFactory, ShelterFactory, StayFactory

URLS = ["/reports/rural-coverage/", "/reports/shelters/", "/reports/network/", "/reports/cases/"]


def region_options(page: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="region"[^>]*>(.*?)</select>', page, re.S)
    assert select, "the region filter is a select"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


@pytest.mark.parametrize(
    "member, regions",
    [
        ("national_manager", [("08", "Cusco"), ("21", "Puno")]),
        ("admin", [("08", "Cusco"), ("21", "Puno")]),
        ("regional_manager", [("08", "Cusco")]),
        ("shelter_staff", [("08", "Cusco")]),
        ("caseworker_b", [("21", "Puno")]),
    ],
)
@pytest.mark.parametrize("url", URLS)
def test_the_region_filter_lists_the_regions_in_scope_by_name(cast, as_user, member, regions, url):
    page = as_user(getattr(cast, member)).get(url).content.decode()
    assert region_options(page) == [("", "Todas las regiones"), *regions]


def test_the_chosen_region_stays_selected(cast, as_user):
    page = as_user(cast.national_manager).get("/reports/network/", {"region": "21"})
    assert page.status_code == 200
    assert '<option value="21" selected>Puno</option>' in page.content.decode()


def test_a_region_typed_by_name_is_refused_with_a_message_not_a_length_error(cast, as_user):
    response = as_user(cast.national_manager).get(
        "/reports/cases/", {"by": "sex", "region": "Cusco", "format": "json"}
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]["region"]
    assert "Cusco" in error["message"]
    assert "caracteres" not in error["message"]


@pytest.mark.parametrize("url", URLS)
def test_a_region_outside_the_scope_is_refused_like_one_that_does_not_exist(cast, as_user, url):
    client = as_user(cast.regional_manager)
    CaseFactory(service=cast.service_b)
    outside = client.get(url, {"region": "21", "format": "json"})
    missing = client.get(url, {"region": "99", "format": "json"})
    assert outside.status_code == missing.status_code == 400
    assert outside.content.replace(b"21", b"99") == missing.content
    assert b"Puno" not in outside.content
    assert client.get(url, {"region": "08", "format": "json"}).status_code == 200


@pytest.mark.parametrize("url", URLS)
def test_a_service_outside_the_scope_is_refused_like_one_that_does_not_exist(cast, as_user, url):
    client = as_user(cast.regional_manager)
    outside = client.get(url, {"service": cast.service_b.code, "format": "json"})
    missing = client.get(url, {"service": "CEM-999999", "format": "json"})
    assert outside.status_code == missing.status_code == 400
    assert outside.content.replace(cast.service_b.code.encode(), b"CEM-999999") == missing.content
    own = client.get(url, {"service": cast.service_a.code.lower(), "format": "json"})
    assert own.status_code == 200


def test_a_shelter_code_filters_the_shelters_report(cast, as_user):
    shelter = ShelterFactory(district=cast.service_a.district, code="HRT-081201")
    StayFactory(shelter=shelter, admitted_on=date(2023, 3, 1))
    StayFactory(
        shelter=ShelterFactory(district=cast.service_a.district), admitted_on=date(2023, 3, 1)
    )
    response = as_user(cast.regional_manager).get(
        "/reports/shelters/", {"year": 2023, "service": "HRT-081201"}
    )
    assert response.status_code == 200
    assert response.context["data"]["people_sheltered"] == 1
    other_region = ShelterFactory(district=cast.service_b.district, code="HRT-210101")
    response = as_user(cast.regional_manager).get(
        "/reports/shelters/", {"service": other_region.code, "format": "json"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("fmt", ["", "json", "csv", "xlsx", "pdf"])
@pytest.mark.parametrize("url", URLS)
def test_an_outsider_gets_404_whatever_she_asks(cast, as_user, url, fmt):
    client = as_user(cast.outsider)
    for params in ({"format": fmt}, {"format": fmt, "region": "08", "service": "NOPE"}):
        response = client.get(url, params)
        assert response.status_code == 404
        assert b"Cusco" not in response.content


def test_the_open_data_year_defaults_to_the_last_full_year(cast, as_user):
    last_year = timezone.localdate().year - 1
    page = as_user(cast.national_manager).get("/reports/").content.decode()
    field = re.search(r'<input[^>]*name="year"[^>]*>', page).group(0)
    assert f'value="{last_year}"' in field
