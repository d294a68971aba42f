"""No cell of a CSV or XLSX the reports write is run as a formula (OWASP, CSV injection)."""

import csv
import io

import pytest
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from reports import exports
from tests.factories import CareServiceFactory, CaseFactory

FORMULAS = [
    '=HYPERLINK("http://example.org/?x=1","Ver")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1d1+1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_text_that_starts_like_a_formula_gets_a_leading_apostrophe(text):
    assert exports.neutral(text) == "'" + text


@pytest.mark.parametrize("value", [-5, -2.5, 0, 7, None, "CEM Puno", "X", "2023-01-01", "a=b"])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert exports.neutral(value) == value


def test_a_negative_number_written_as_text_is_text():
    assert exports.neutral("-5") == "'-5"


def read_csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_cells_are_neutralised_and_numbers_stay_numbers():
    response = exports.csv_response("f.csv", ["Name", "Count"], [[text, -3] for text in FORMULAS])
    body = response.content.decode("utf-8-sig")
    rows = read_csv(response)
    assert [row[0] for row in rows[1:]] == ["'" + text for text in FORMULAS]
    assert [row[1] for row in rows[1:]] == ["-3"] * len(FORMULAS)
    # every text quoted, so a separator inside one cannot start another cell; numbers bare
    assert body.splitlines()[0] == '"Name","Count"'
    assert body.endswith(",-3\r\n")


def test_xlsx_text_cells_are_strings_never_formulas():
    response = exports.xlsx_response(
        "f.xlsx", "=Sheet", ["Name", "Count"], [[text, -3] for text in FORMULAS]
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    assert [cell.value.lstrip("'") for cell in cells][0] == FORMULAS[0]
    assert all(cell.value.startswith("'") for cell in cells)
    counts = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "n" and cell.value == -3 for cell in counts)


def test_xlsx_takes_lazy_translations_and_control_characters():
    """A lazy label reached openpyxl and gave a 500 (`?by=service_kind&format=xlsx`); a control
    character in a name would too."""
    response = exports.xlsx_response(
        "f.xlsx",
        gettext_lazy("Kind of service"),
        [gettext_lazy("Kind"), "Cases"],
        [[gettext_lazy("Region"), 1], ["CEM\x01 Puno\x00", 5]],
    )
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[2] == ("CEM Puno", 5)


def test_a_control_character_before_a_formula_does_not_unmask_it_in_xlsx():
    """XLSX drops control characters; what is left must not start a formula."""
    response = exports.xlsx_response("f.xlsx", "S", ["Name"], [["\x01=HYPERLINK(1)"]])
    cell = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2))[0]
    assert (cell.value, cell.data_type) == ("'=HYPERLINK(1)", "s")


@pytest.fixture
def trap(cast):
    """A service whose name is a formula (the admin and the import accepted such names)."""
    service = CareServiceFactory(
        code="CEM-999901",
        kind="CEM",
        name=FORMULAS[0],
        district=cast.service_b.district,
    )
    for _ in range(6):
        CaseFactory(service=service)
    return service


def test_the_cases_csv_and_xlsx_neutralise_a_service_name(cast, as_user, trap):
    client = as_user(cast.national_manager)
    params = {"by": "service", "year": 2023}
    rows = read_csv(client.get("/reports/cases/", {**params, "format": "csv"}))
    (row,) = [row for row in rows if row[2] == trap.code]
    assert row[3] == "'" + trap.name
    book = client.get("/reports/cases/", {**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    (name,) = [row[3] for row in sheet.iter_rows(min_row=2) if row[2].value == trap.code]
    assert name.data_type == "s"
    assert name.value == "'" + trap.name
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_the_open_data_file_neutralises_a_service_name(cast, as_user, trap):
    rows = read_csv(as_user(cast.national_manager).get("/reports/open-data/", {"year": 2023}))
    (row,) = [row for row in rows if row[5] == trap.code]
    assert row[6] == "'" + trap.name
    assert not any(cell.startswith(exports.FORMULA_STARTS) for row in rows for cell in row)


def test_the_service_kind_spreadsheet_answers(cast, as_user):
    CaseFactory(service=cast.service_a)
    response = as_user(cast.national_manager).get(
        "/reports/cases/", {"by": "service_kind", "year": 2023, "format": "xlsx"}
    )
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[2] for row in rows[1:]] == ["CEM", "SAR", "CAI"]
    assert all(isinstance(row[3], str) and row[3] for row in rows[1:])
