"""Every report answers in every format (html, json, csv, xlsx), from the same numbers, with
Spanish headers, sheet names and file names; bad parameters answer 400 in the format asked."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from openpyxl import load_workbook

from cases.actions import file_complaint, record_measure
from reports.views import ACTIVITY_DIMENSION_LABELS, DIMENSION_LABELS
from tests.activities.factories import ActivityFactory
from tests.factories import CaseFactory, ShelterFactory, StayFactory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD = ["2023-01-01", "2023-12-31"]

# url, extra parameters, the Spanish sheet name, file name (before the period) and header
REPORTS = [
    (
        "/reports/rural-coverage/",
        {},
        "Cobertura rural (SAR)",
        "cobertura-rural-sar",
        [
            *("SAR activos", "Casos", "Distritos", "Comunidades", "Provincias", "Regiones"),
            "Actividades comunitarias",
            "Participantes en las actividades",
            "Distritos alcanzados por las actividades",
            "Comunidades alcanzadas por las actividades",
        ],
    ),
    (
        "/reports/shelters/",
        {},
        "Personas albergadas (HRT)",
        "personas-albergadas-hrt",
        ["Personas albergadas", "Mujeres", "Niñas", "Niños", "Hombres", "Estadías"],
    ),
    (
        "/reports/network/",
        {},
        None,  # a new string: see test_the_files_follow_the_active_language
        "la-red-servicios-abiertos-y-activos",
        ["Tipo", "Abiertos en el periodo", "Activos en el periodo"],
    ),
    (
        "/reports/cases/",
        {"by": "violence_type"},
        "Casos por tipo de violencia",
        "casos-por-tipo-de-violencia",
        ["Código", "Tipo de violencia", "Casos"],
    ),
    (
        "/reports/activities/",
        {"by": "type"},
        "Actividades comunitarias",
        "actividades-comunitarias-por-tipo-de-actividad",
        ["Código", "Tipo de actividad", "Actividades", "Participantes"],
    ),
]
# The keys of the contract (DESIGN.md), the same in every language.
JSON_KEYS = {
    "/reports/rural-coverage/": {
        "period",
        *("services", "cases", "districts", "communities", "provinces", "regions"),
        *("activities", "participants", "activity_districts", "activity_communities"),
    },
    "/reports/shelters/": {"period", "people_sheltered", "women", "girls", "boys", "men", "stays"},
    "/reports/network/": {"period", "opened", "active"},
    "/reports/cases/": {"period", "dimension", "rows", "total"},
    "/reports/activities/": {"period", "dimension", "rows", "total", "participants_total"},
    "/reports/protection/": {
        "period",
        *("complaints", "measures_granted", "granted_within_deadline"),
        *("median_hours_to_measure", "overdue_now", "by_type"),
    },
}
DIMENSIONS = list(DIMENSION_LABELS)
EVERY_REPORT = [
    ("/reports/rural-coverage/", {}),
    ("/reports/shelters/", {}),
    ("/reports/network/", {}),
    *[("/reports/cases/", {"by": dimension}) for dimension in DIMENSIONS],
    *[("/reports/activities/", {"by": dimension}) for dimension in ACTIVITY_DIMENSION_LABELS],
    ("/reports/protection/", {}),
]


@pytest.fixture
def national(cast, as_user):
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 1))
    CaseFactory(service=cast.service_b, intake_date=date(2023, 4, 1))
    filed_at = datetime(2023, 3, 1, 10, tzinfo=ZoneInfo("America/Lima"))
    complaint = file_complaint(
        case=case, user=cast.caseworker_a, filed_at=filed_at, place="police", filed_by="victim"
    )
    record_measure(
        complaint=complaint,
        user=cast.caseworker_a,
        data={
            "measure_type": "RETIRO_AGRESOR",
            "state": "granted",
            "decided_at": filed_at + timedelta(hours=20),
        },
    )
    ActivityFactory(service=cast.service_a, date=date(2023, 5, 2))
    StayFactory(
        shelter=ShelterFactory(district=cast.service_a.district), admitted_on=date(2023, 3, 1)
    )
    return as_user(cast.national_manager)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


@pytest.mark.parametrize("url, params", EVERY_REPORT)
def test_every_report_answers_in_every_format(national, url, params):
    """xlsx (every cell a plain value, lazy labels included), csv, json and the page agree."""
    get = lambda fmt: national.get(url, {**params, "year": 2023, "format": fmt})  # noqa: E731

    data = get("json")
    assert data.status_code == 200
    assert data["Content-Type"] == "application/json"
    assert data.json()["period"] == {"from": PERIOD[0], "to": PERIOD[1]}

    text = get("csv")
    assert text.status_code == 200
    assert text["Content-Type"] == "text/csv; charset=utf-8"
    assert text["Content-Disposition"].startswith('attachment; filename="')
    assert text["Content-Disposition"].endswith(f'-{PERIOD[0]}-{PERIOD[1]}.csv"')
    rows = csv_rows(text)
    assert rows[0][:2] == ["Desde", "Hasta"]

    book = get("xlsx")
    assert book.status_code == 200
    assert book["Content-Type"] == XLSX
    assert book["Content-Disposition"].endswith(f'-{PERIOD[0]}-{PERIOD[1]}.xlsx"')
    sheet_rows = [
        ["" if cell is None else str(cell) for cell in row]
        for row in xlsx_sheet(book).iter_rows(values_only=True)
    ]
    assert sheet_rows == rows

    for fmt in ("", "html"):
        page = get(fmt)
        assert page.status_code == 200
        assert page["Content-Type"] == "text/html; charset=utf-8"
        assert "format=xlsx" in page.content.decode()


@pytest.mark.parametrize("url", list(JSON_KEYS))
def test_the_json_keeps_the_keys_of_the_contract(national, url):
    data = national.get(url, {"year": 2023, "format": "json"}).json()
    assert set(data) == JSON_KEYS[url] | {"hidden"}


@pytest.mark.parametrize("url, params, sheet, filename, header", REPORTS)
def test_files_are_in_spanish(national, url, params, sheet, filename, header):
    """...while the JSON keeps the keys of the contract."""
    query = {**params, "year": 2023}
    data = national.get(url, {**query, "format": "json"}).json()
    # every key of the contract, and the list of the hidden cells
    assert set(data) == JSON_KEYS[url] | {"hidden"}
    text = national.get(url, {**query, "format": "csv"})
    assert text["Content-Disposition"] == (
        f'attachment; filename="{filename}-{PERIOD[0]}-{PERIOD[1]}.csv"'
    )
    assert csv_rows(text)[0] == ["Desde", "Hasta", *header]

    book = national.get(url, {**query, "format": "xlsx"})
    assert book["Content-Disposition"] == (
        f'attachment; filename="{filename}-{PERIOD[0]}-{PERIOD[1]}.xlsx"'
    )
    sheet_ = xlsx_sheet(book)
    if sheet:
        assert sheet_.title == sheet
    assert [cell.value for cell in next(sheet_.iter_rows())] == ["Desde", "Hasta", *header]


def test_the_files_follow_the_active_language(national):
    national.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    book = national.get("/reports/network/", {"year": 2023, "format": "xlsx"})
    assert book["Content-Disposition"] == (
        f'attachment; filename="the-network-services-opened-and-active-{PERIOD[0]}-{PERIOD[1]}'
        '.xlsx"'
    )
    sheet = xlsx_sheet(book)
    assert sheet.title == "Services opened and active"
    assert [cell.value for cell in next(sheet.iter_rows())] == [
        "From",
        "To",
        "Kind",
        "Opened in the period",
        "Active in the period",
    ]
    text = national.get("/reports/cases/", {"by": "sex", "year": 2023, "format": "csv"})
    assert "cases-by-sex-2023" in text["Content-Disposition"]
    assert csv_rows(text)[0] == ["From", "To", "Code", "Sex", "Cases"]


def test_kinds_of_service_reach_the_spreadsheet_as_text(national):
    """Their labels are lazy translations, which openpyxl refuses. (Two cases in all: every
    count is hidden, the zero too, so that none can be told from the others.)"""
    book = national.get("/reports/cases/", {"by": "service_kind", "year": 2023, "format": "xlsx"})
    assert book.status_code == 200
    rows = list(xlsx_sheet(book).iter_rows(values_only=True))[1:]
    assert [(row[2], row[4]) for row in rows] == [("CEM", "X"), ("SAR", "X"), ("CAI", "X")]
    assert all(isinstance(row[3], str) and row[3] for row in rows)


def test_the_page_links_to_each_file_with_the_same_filters(national):
    page = national.get("/reports/network/", {"year": 2023, "format": "html"}).content.decode()
    for fmt in ("csv", "json", "xlsx"):
        assert f'href="?year=2023&amp;format={fmt}"' in page


@pytest.mark.parametrize("url, params", EVERY_REPORT)
def test_an_unknown_format_is_a_400_that_lists_the_formats(national, url, params):
    response = national.get(url, {**params, "format": "pdf"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "html, json, csv, xlsx" in response.content.decode()


@pytest.mark.parametrize(
    "fmt, content_type",
    [
        ("", "text/html; charset=utf-8"),
        ("json", "application/json"),
        ("csv", "text/plain; charset=utf-8"),
        ("xlsx", "text/plain; charset=utf-8"),
    ],
)
def test_an_unknown_dimension_is_a_400_that_lists_the_dimensions(national, fmt, content_type):
    response = national.get("/reports/cases/", {"by": "colour", "format": fmt})
    assert response.status_code == 400
    assert response["Content-Type"] == content_type
    assert ", ".join(DIMENSIONS) in response.content.decode()
    if fmt == "json":
        assert ", ".join(DIMENSIONS) in response.json()["errors"]["by"][0]["message"]


@pytest.mark.parametrize("url, params", EVERY_REPORT)
@pytest.mark.parametrize(
    "bad, field, says",
    [
        ({"service": "NOPE"}, "service", "NOPE"),
        ({"from": "31/12/2025"}, "from_", "2025-12-31"),
        ({"to": "12/31/2025"}, "to", "2025-12-31"),
        ({"region": "99"}, "region", "99"),
    ],
)
def test_bad_filters_are_a_400_with_a_message_in_every_format(
    national, url, params, bad, field, says
):
    query = {**params, **bad}

    data = national.get(url, {**query, "format": "json"})
    assert data.status_code == 400
    assert data["Content-Type"] == "application/json"
    (message,) = data.json()["errors"][field]
    assert says in message["message"]

    for fmt in ("csv", "xlsx"):
        plain = national.get(url, {**query, "format": fmt})
        assert plain.status_code == 400
        assert plain["Content-Type"] == "text/plain; charset=utf-8"
        assert message["message"] in plain.content.decode()
        assert "Content-Disposition" not in plain

    page = national.get(url, query)
    assert page.status_code == 400
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert message["message"].replace("'", "&#x27;") in page.content.decode()
