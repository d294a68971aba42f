"""Rural coverage, at the edges of its definition."""

import csv
import io
from datetime import date

import pytest

from tests.factories import (
    CareServiceFactory,
    CaseFactory,
    CommunityFactory,
    DistrictFactory,
)

URL = "/reports/rural-coverage/"


def report(client, **params):
    """The exact figures, as the page shows them to a person in scope (files hide small ones)."""
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.context["data"]


@pytest.fixture
def client_national(cast, as_user):
    return as_user(cast.national_manager)


def test_period_bounds_are_inclusive_on_both_ends(cast, client_national):
    sar = cast.service_a
    for day in (date(2022, 12, 31), date(2023, 1, 1), date(2023, 12, 31), date(2024, 1, 1)):
        CaseFactory(service=sar, intake_date=day)
    assert report(client_national, year=2023)["cases"] == 2
    assert report(client_national, **{"from": "2023-01-01", "to": "2023-01-01"})["cases"] == 1


def test_services_active_at_any_time_in_the_period(cast, client_national):
    district = cast.service_a.district
    CareServiceFactory(kind="SAR", district=district, opened_on=date(2023, 6, 1))  # opens inside
    CareServiceFactory(
        kind="SAR", district=district, opened_on=date(2010, 1, 1), closed_on=date(2023, 1, 1)
    )  # closes on the first day
    CareServiceFactory(
        kind="SAR", district=district, opened_on=date(2010, 1, 1), closed_on=date(2022, 12, 31)
    )  # closed before
    CareServiceFactory(kind="SAR", district=district, opened_on=date(2024, 1, 1))  # opens after
    CareServiceFactory(kind="CEM", district=district, opened_on=date(2010, 1, 1))  # not a SAR
    # service_a (SAR, opened 2020) + the two that overlap 2023
    assert report(client_national, year=2023)["services"] == 3


def test_places_are_distinct_residences_and_communities_are_per_district(cast, client_national):
    sar = cast.service_a
    home = sar.district
    neighbour = DistrictFactory(code="081202", province=home.province)
    elsewhere = DistrictFactory(code="210102", province=cast.service_b.district.province)
    # the same 4-digit suffix 0001 in two districts: two communities
    one = CommunityFactory(district=home, code="0812010001")
    two = CommunityFactory(district=neighbour, code="0812020001")
    CaseFactory(service=sar, district=home, community=one)
    CaseFactory(service=sar, district=home, community=one)
    CaseFactory(service=sar, district=neighbour, community=two)
    CaseFactory(service=sar, district=elsewhere, community=None)  # adds no community
    CaseFactory(service=cast.service_b, district=home, community=one)  # a CEM: not counted

    figures = report(client_national, year=2023)

    assert figures == {
        "period": {"from": "2023-01-01", "to": "2023-12-31"},
        "services": 1,
        "cases": 4,
        "districts": 3,
        "communities": 2,
        "provinces": 2,
        "regions": 2,
        # no activity: the places reached by activities are not those of the cases
        "activities": 0,
        "participants": 0,
        "activity_districts": 0,
        "activity_communities": 0,
    }


def test_a_regional_manager_counts_only_her_region(cast, as_user):
    CaseFactory(service=cast.service_a)
    other_sar = CareServiceFactory(kind="SAR", district=cast.service_b.district)
    CaseFactory(service=other_sar)
    figures = report(as_user(cast.regional_manager), year=2023)
    assert (figures["services"], figures["cases"]) == (1, 1)
    national = report(as_user(cast.national_manager), year=2023)
    assert (national["services"], national["cases"]) == (2, 2)


def test_filters_narrow_the_figures(cast, client_national):
    CaseFactory(service=cast.service_a)
    assert report(client_national, year=2023, region="21")["cases"] == 0
    assert report(client_national, year=2023, region="08")["cases"] == 1
    assert report(client_national, year=2023, service=cast.service_a.code)["cases"] == 1
    assert report(client_national, year=2023, service_kind="CEM")["cases"] == 0


def test_csv_and_page_say_the_same_as_json(cast, client_national):
    CaseFactory(service=cast.service_a)
    data = client_national.get(URL, {"year": 2023, "format": "json"}).json()
    # One case: hidden, with every place count that would show it is at least 1.
    assert data["hidden"] == ["/cases", "/districts", "/communities", "/provinces", "/regions"]
    assert [data[key] for key in ("cases", "districts", "provinces", "regions")] == [None] * 4
    csv_text = client_national.get(URL, {"year": 2023, "format": "csv"}).content.decode("utf-8-sig")
    header, row = csv.reader(io.StringIO(csv_text))
    labels = {
        "services": "SAR activos",
        "cases": "Casos",
        "districts": "Distritos",
        "communities": "Comunidades",
        "provinces": "Provincias",
        "regions": "Regiones",
        "activities": "Actividades comunitarias",
        "participants": "Participantes en las actividades",
        "activity_districts": "Distritos alcanzados por las actividades",
        "activity_communities": "Comunidades alcanzadas por las actividades",
    }
    assert dict(zip(header, row, strict=True)) == {
        "Desde": "2023-01-01",
        "Hasta": "2023-12-31",
        **{
            labels[key]: "X" if value is None else str(value)
            for key, value in data.items()
            if key in labels
        },
    }
    page = client_national.get(URL, {"year": 2023}).content.decode()
    for key, value in report(client_national, year=2023).items():
        if key in labels:
            assert f'<td data-key="{key}">{value}</td>' in page
