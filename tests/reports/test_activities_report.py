"""The activities report and the activity figures of the rural coverage, checked against the
same figures computed independently: plain Python over a hand-made list of activities (never
the report's own queries).

The set has an activity in a community where no case lives, a community whose 4-digit suffix
(and name) is repeated in another district, a cancelled activity, activities on both sides of
the period, a CEM's activity (an activities-report row, not rural coverage) and a SAR of
another region.
"""

from datetime import date

import pytest

from activities import registry
from reports.views import ACTIVITY_DIMENSION_LABELS
from tests.reports.activity_world import CODES, KINDS, NAMES, REGIONS, SPECS, Spec

URL = "/reports/activities/"
RURAL = "/reports/rural-coverage/"
YEAR = 2023


# The independent computation -------------------------------------------------------------------


def counted(services=("A", "B", "C"), year=YEAR) -> list[Spec]:
    return [
        spec
        for spec in SPECS
        if spec.service in services and spec.day.year == year and not spec.cancelled
    ]


def expected_rows(dimension: str, services=("A", "B", "C")) -> list[dict]:
    specs = counted(services)

    def row(key, label, chosen):
        return {
            "key": key,
            "label": label,
            "count": len(chosen),
            "participants": sum(sum(spec.people) for spec in chosen),
        }

    if dimension == "month":
        keys = [f"{YEAR}-{month:02d}" for month in range(1, 13)]
        return [row(k, k, [s for s in specs if f"{s.day:%Y-%m}" == k]) for k in keys]
    if dimension == "type":
        return [
            row(code, label, [s for s in specs if s.type == code])
            for code, label in registry.choices()
        ]
    if dimension == "service":
        present = sorted({s.service for s in specs}, key=CODES.get)
        return [row(CODES[x], NAMES[x], [s for s in specs if s.service == x]) for x in present]
    if dimension == "region":
        region = {"A": "08", "B": "21", "C": "21"}
        present = sorted({region[s.service] for s in specs})
        return [row(r, REGIONS[r], [s for s in specs if region[s.service] == r]) for r in present]
    raise ValueError(dimension)


def expected_coverage(services=("A", "C")) -> dict:
    specs = [spec for spec in counted(services) if KINDS[spec.service] == "SAR"]
    return {
        "activities": len(specs),
        "participants": sum(sum(spec.people) for spec in specs),
        "activity_districts": len({spec.district for spec in specs}),
        "activity_communities": len({spec.community for spec in specs if spec.community}),
    }


def test_the_independent_figures_are_what_the_hand_made_set_says():
    """The expectations themselves, worked out by hand once."""
    assert expected_coverage() == {
        "activities": 8,
        "participants": 16 + 45 + 7 + 8 + 70 + 15 + 5 + 4,
        "activity_districts": 3,  # 081201, 081202, 210102
        "activity_communities": 4,  # Ccollpa three times (three districts) and the annex
    }
    assert sum(row["count"] for row in expected_rows("type")) == 9


# The report against it ------------------------------------------------------------------------


def page_data(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.context["data"]


@pytest.mark.parametrize("dimension", list(ACTIVITY_DIMENSION_LABELS))
def test_every_breakdown_matches_the_independent_figures(cast, world, as_user, dimension):
    data = page_data(as_user(cast.national_manager), URL, by=dimension, year=YEAR)

    rows = expected_rows(dimension)
    assert data == {
        "period": {"from": "2023-01-01", "to": "2023-12-31"},
        "dimension": dimension,
        "rows": rows,
        "total": sum(row["count"] for row in rows),
        "participants_total": sum(row["participants"] for row in rows),
    }


def test_the_rural_coverage_counts_the_places_activities_reached(cast, world, as_user):
    data = page_data(as_user(cast.national_manager), RURAL, year=YEAR)

    assert {key: data[key] for key in expected_coverage()} == expected_coverage()
    # The case-defined figures are unchanged: three cases, all in Ccollpa of 081201.
    assert (data["cases"], data["districts"], data["communities"]) == (3, 1, 1)


def test_a_regional_manager_sees_only_her_regions_activities(cast, world, as_user):
    client = as_user(cast.regional_manager)  # region 08: service A only

    for dimension in ACTIVITY_DIMENSION_LABELS:
        assert page_data(client, URL, by=dimension, year=YEAR)["rows"] == expected_rows(
            dimension, services=("A",)
        )
    coverage = page_data(client, RURAL, year=YEAR)
    assert {key: coverage[key] for key in expected_coverage()} == expected_coverage(("A",))


def test_a_caseworker_sees_her_services_activities(cast, world, as_user):
    data = page_data(as_user(cast.caseworker_b), URL, by="service", year=YEAR)
    assert data["rows"] == expected_rows("service", services=("B",))
    coverage = page_data(as_user(cast.caseworker_b), RURAL, year=YEAR)
    assert coverage["activities"] == 0  # a CEM's work is not rural coverage


def test_shelter_staff_see_no_activities(cast, world, as_user):
    data = page_data(as_user(cast.shelter_staff), URL, by="type", year=YEAR)
    assert (data["total"], data["participants_total"]) == (0, 0)


def test_an_outsider_gets_404_in_every_format(cast, world, as_user):
    client = as_user(cast.outsider)
    for fmt in ("", "json", "csv", "xlsx"):
        assert client.get(URL, {"by": "type", "format": fmt}).status_code == 404


def test_a_service_out_of_scope_is_refused_like_one_that_does_not_exist(cast, world, as_user):
    client = as_user(cast.regional_manager)
    hidden = client.get(URL, {"service": CODES["C"], "format": "json"})
    missing = client.get(URL, {"service": "SAR-000000", "format": "json"})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"]["service"][0]["message"].replace(CODES["C"], "?") == (
        missing.json()["errors"]["service"][0]["message"].replace("SAR-000000", "?")
    )


def test_filters_narrow_the_activities(cast, world, as_user):
    client = as_user(cast.national_manager)

    def total(**params):
        return page_data(client, URL, by="type", year=YEAR, **params)["total"]

    assert total(region="08") == len(counted(("A",)))
    assert total(region="21") == len(counted(("B", "C")))
    assert total(service_kind="CEM") == len(counted(("B",)))
    assert total(service_kind="CAI") == 0
    assert total(service=CODES["C"]) == len(counted(("C",)))
    assert page_data(client, URL, by="type", **{"from": "2023-03-02", "to": "2023-03-02"})[
        "total"
    ] == len([spec for spec in counted() if spec.day == date(2023, 3, 2)])


def test_the_page_states_the_definitions_and_links_each_breakdown(cast, world, as_user):
    client = as_user(cast.national_manager)
    page = client.get(URL, {"by": "type", "year": YEAR}).content.decode()
    assert 'id="definitions"' in page
    for dimension in ACTIVITY_DIMENSION_LABELS:
        assert f"by={dimension}" in page
    assert "<svg" in page
    index = client.get("/reports/").content.decode()
    for dimension in ACTIVITY_DIMENSION_LABELS:
        assert f'href="/reports/activities/?by={dimension}"' in index


def test_an_unknown_breakdown_is_a_400_that_lists_the_breakdowns(cast, as_user):
    response = as_user(cast.national_manager).get(URL, {"by": "sex", "format": "json"})
    assert response.status_code == 400
    assert "month, type, service, region" in response.json()["errors"]["by"][0]["message"]
