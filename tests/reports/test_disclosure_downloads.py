"""Every download goes through the disclosure control; the page in the application does not."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from reports import exports, queries
from reports.disclosure import audit
from reports.disclosure.tables import open_data_of
from reports.views import DIMENSION_LABELS
from services.models import CareService
from tests.factories import CaseFactory, PersonFactory, ShelterFactory, StayFactory

CASES = "/reports/cases/"
SHELTERS = "/reports/shelters/"
RURAL = "/reports/rural-coverage/"


@pytest.fixture
def national(cast, as_user):
    """Seven cases in the CEM (six women, one man, mixed types and ages), one in the SAR, and a
    shelter with six women and one girl: small cells in every report."""
    for _ in range(6):
        CaseFactory(service=cast.service_b, victim_sex=0, violence_type=1, victim_age=30)
    CaseFactory(service=cast.service_b, victim_sex=1, violence_type=2, victim_age=8, risk_level=3)
    CaseFactory(
        service=cast.service_a,
        victim_sex=0,
        violence_type=1,
        victim_age=30,
        intake_date=date(2023, 6, 1),
    )
    shelter = ShelterFactory(district=cast.service_a.district)
    for _ in range(6):
        StayFactory(shelter=shelter, admitted_on=date(2023, 3, 1))
    StayFactory(
        shelter=shelter,
        person=PersonFactory(sex=0),
        age_at_admission=12,
        admitted_on=date(2023, 3, 1),
    )
    return as_user(cast.national_manager)


def small(value) -> bool:
    return isinstance(value, int) and 1 <= value <= 4


def at(data, pointer):
    node = data
    for token in pointer.split("/")[1:]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def csv_column(text):
    return [row[-1] for row in text[1:]]


@pytest.mark.parametrize("by", list(DIMENSION_LABELS))
def test_no_exact_small_count_in_any_download_of_cases(national, by):
    params = {"by": by, "year": 2023}
    data = national.get(CASES, {**params, "format": "json"}).json()
    counts = [row["count"] for row in data["rows"]] + [data["total"]]
    assert not any(small(count) for count in counts), counts
    nulls = [f"/rows/{i}/count" for i, row in enumerate(data["rows"]) if row["count"] is None]
    assert data["hidden"] == nulls + (["/total"] if data["total"] is None else [])
    assert data["hidden"], "this data has small counts in every breakdown"

    text = csv_rows(national.get(CASES, {**params, "format": "csv"}))
    column = csv_column(text)
    assert all(cell == "X" or int(cell) == 0 or int(cell) >= 5 for cell in column), column
    assert column.count("X") == len(nulls)

    sheet = load_workbook(io.BytesIO(national.get(CASES, {**params, "format": "xlsx"}).content))
    column = [row[-1] for row in sheet.active.iter_rows(min_row=2, values_only=True)]
    assert column == [int(cell) if cell != "X" else "X" for cell in csv_column(text)]


def test_json_keeps_the_contract_with_hidden_cells_null_and_listed(national):
    data = national.get(CASES, {"by": "sex", "year": 2023, "format": "json"}).json()
    # 7 women and 1 man: the man is hidden, and the women with him (8 - 7 would give him away)
    assert data == {
        "period": {"from": "2023-01-01", "to": "2023-12-31"},
        "dimension": "sex",
        "rows": [
            {"key": 0, "label": "Mujer", "count": None},
            {"key": 1, "label": "Hombre", "count": None},
        ],
        "total": 8,
        "hidden": ["/rows/0/count", "/rows/1/count"],
    }


def test_the_page_in_the_application_shows_the_exact_numbers(national):
    page = national.get(CASES, {"by": "sex", "year": 2023})
    assert page.context["data"]["rows"][1]["count"] == 1
    assert 'data-key="1">1</td>' in page.content.decode()
    figures = national.get(SHELTERS, {"year": 2023}).context["data"]
    assert figures["girls"] == 1


def test_the_shelters_download_hides_the_girl_and_enough_others(national):
    data = national.get(SHELTERS, {"year": 2023, "format": "json"}).json()
    assert data["hidden"] == ["/women", "/girls", "/boys", "/men"]
    assert [data[key] for key in ("women", "girls", "boys", "men")] == [None] * 4
    assert (data["people_sheltered"], data["stays"]) == (7, 7)
    header, row = csv_rows(national.get(SHELTERS, {"year": 2023, "format": "csv"}))
    assert row[2:] == ["7", "X", "X", "X", "X", "7"]


def test_a_regional_download_is_protected_too(cast, national, as_user):
    data = as_user(cast.regional_manager).get(RURAL, {"year": 2023, "format": "json"}).json()
    assert data["cases"] is None
    assert "/cases" in data["hidden"]
    assert not any(small(data[key]) for key in ("cases", "districts", "provinces", "regions"))


def test_the_served_open_data_file_passes_the_audit(national):
    table = queries.open_data_table(CareService.objects.all(), 2023)
    rows, protection = exports.open_data_rows(table)
    assert protection.audit.passed
    result = audit(open_data_of(table), protection.hidden)
    assert result.passed and not result.recoverable
    served = csv_rows(national.get("/reports/open-data/", {"year": 2023}))
    assert served[1:] == [[str(cell) for cell in row] for row in rows]
    counts = [cell for row in served[1:] for cell in row[7:]]
    assert "X" in counts and "<5" not in counts
    assert not any(cell.isdigit() and 1 <= int(cell) <= 4 for cell in counts)


def test_the_reports_page_states_the_method_next_to_the_open_data(cast, as_user):
    page = as_user(cast.national_manager).get("/reports/").content.decode()
    assert 'id="disclosure-control"' in page
    assert "&lt;5" not in page
    downloads = as_user(cast.national_manager).get(CASES, {"by": "sex"}).content.decode()
    assert "null" in downloads and "X" in downloads


def test_the_stays_of_a_few_people_are_hidden_with_them():
    """Stays come only from people: 12 stays shown would tell that the hidden people are at
    least 1, so the stays of 1 to 4 people are hidden too, and audited as a small count."""
    from reports.disclosure import protect, tables

    data = {"people_sheltered": 2, "women": 1, "girls": 1, "boys": 0, "men": 0, "stays": 12}
    protection = protect(tables.shelters(data))

    assert {"/people_sheltered", "/stays"} <= set(protection.hidden_keys())
    assert protection.audit.passed
