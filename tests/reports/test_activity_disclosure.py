"""The activity figures leave the system only through the disclosure control: the activities
report, the rural coverage and the open-data file, in JSON, CSV and XLSX; the relations declared
are true, and a small count of activities is hidden with its participants."""

import csv
import io
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from reports import exports, queries
from reports.disclosure import MIN_SHOWN, audit, protect
from reports.disclosure.tables import ActivityTable, activities, open_data_of, rural_coverage
from reports.views import ACTIVITY_DIMENSION_LABELS
from services.models import CareService
from tests.activities.factories import ActivityFactory
from tests.factories import CareServiceFactory, CaseFactory

URL = "/reports/activities/"
RURAL = "/reports/rural-coverage/"


def small(value) -> bool:
    return isinstance(value, int) and 1 <= value < MIN_SHOWN


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def national(cast, world, as_user):
    return as_user(cast.national_manager)


@pytest.mark.parametrize("by", list(ACTIVITY_DIMENSION_LABELS))
def test_no_small_count_leaves_in_any_file_of_the_activities_report(national, by):
    params = {"by": by, "year": 2023}
    exact = national.get(URL, params).context["data"]
    data = national.get(URL, {**params, "format": "json"}).json()

    cells = [(i, key) for i in range(len(data["rows"])) for key in ("count", "participants")]
    released = [data["rows"][i][key] for i, key in cells]
    released += [data["total"], data["participants_total"]]
    assert not any(small(value) for value in released), released
    nulls = [f"/rows/{i}/{key}" for i, key in cells if data["rows"][i][key] is None]
    nulls += [f"/{key}" for key in ("total", "participants_total") if data[key] is None]
    assert sorted(data["hidden"]) == sorted(nulls)
    # A small count of activities is hidden with its participants (they would tell it is not 0).
    for i, row in enumerate(exact["rows"]):
        if small(row["count"]):
            assert data["rows"][i]["participants"] is None, (by, row)
    # What is shown is exact.
    for i, key in cells:
        if data["rows"][i][key] is not None:
            assert data["rows"][i][key] == exact["rows"][i][key]

    text = csv_rows(national.get(URL, {**params, "format": "csv"}))
    assert text[0][-2:] == ["Actividades", "Participantes"]
    shown = [[row["count"], row["participants"]] for row in data["rows"]]
    assert [row[-2:] for row in text[1:]] == [
        ["X" if value is None else str(value) for value in pair] for pair in shown
    ]
    book = load_workbook(io.BytesIO(national.get(URL, {**params, "format": "xlsx"}).content))
    sheet = [list(row[-2:]) for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sheet == [["X" if value is None else value for value in pair] for pair in shown]


def test_the_rural_coverage_download_hides_small_activity_counts_with_what_tells_them(
    cast, as_user
):
    """One activity of 12 people in one community: the count is hidden, its participants too,
    and the places it reached (each at least 1 if there was any activity)."""
    ActivityFactory(service=cast.service_a, date=date(2023, 4, 1), women=12, men=0, girls=0, boys=0)
    for _ in range(6):
        CaseFactory(service=cast.service_a)

    data = as_user(cast.national_manager).get(RURAL, {"year": 2023, "format": "json"}).json()

    assert data["cases"] == 6
    assert data["activities"] is None and data["participants"] is None
    assert data["activity_districts"] is None
    assert {"/activities", "/participants", "/activity_districts"} <= set(data["hidden"])
    # No community was reached: a shown 0 would tell nothing (it is not related upwards)...
    # ...but it is in a relation with the hidden count, so it is hidden too: an X may be 0.
    assert data["activity_communities"] is None


def test_the_relations_declared_are_true_of_the_reports(cast, world, as_user):
    """`Table.relate` refuses a relation the values break: building the tables of every
    report over the hand-made set proves them true there."""
    client = as_user(cast.national_manager)
    for by in ACTIVITY_DIMENSION_LABELS:
        data = client.get(URL, {"by": by, "year": 2023}).context["data"]
        assert protect(activities(data)).audit.passed
    data = client.get(RURAL, {"year": 2023}).context["data"]
    assert protect(rural_coverage(data)).audit.passed


# The open-data file ----------------------------------------------------------------------------


def open_data_rows(client, year=2023):
    response = client.get("/reports/open-data/", {"year": year})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_open_data_file_appends_activities_and_participants(cast, world, national):
    rows = {row["CODIGO SERVICIO"]: row for row in open_data_rows(national)}
    header = list(next(iter(rows.values())))

    # The case columns keep their places; the new ones come last.
    assert header[:8] == [
        "AÑO",
        "UBIGEO",
        "DEPARTAMENTO",
        "PROVINCIA",
        "DISTRITO",
        "CODIGO SERVICIO",
        "NOMBRE CENTRO ATENCION",
        "N° CASOS ATENDIDOS-TOTAL",
    ]
    assert header[-2:] == [
        "N° ACTIVIDADES PREVENTIVAS",
        "N° PARTICIPANTES EN ACTIVIDADES PREVENTIVAS",
    ]
    # Service C has activities and no case: it has its row, with its cases at 0.
    assert rows["SAR-210102"]["N° CASOS ATENDIDOS-TOTAL"] == "0"
    # 3 activities (small): hidden, with their participants.
    assert rows["SAR-210102"]["N° ACTIVIDADES PREVENTIVAS"] == "X"
    assert rows["SAR-210102"]["N° PARTICIPANTES EN ACTIVIDADES PREVENTIVAS"] == "X"
    # Service A: 5 activities, 146 participants; shown.
    assert rows["SAR-081201"]["N° ACTIVIDADES PREVENTIVAS"] == "5"
    assert rows["SAR-081201"]["N° PARTICIPANTES EN ACTIVIDADES PREVENTIVAS"] == "146"
    for row in rows.values():
        for column in header[7:]:
            value = row[column]
            assert value == "X" or not small(int(value)), (column, value)


def test_the_served_open_data_with_activities_passes_the_audit(cast, world, national):
    table = queries.open_data_table(CareService.objects.all(), 2023)
    rows, protection = exports.open_data_rows(table)
    result = audit(open_data_of(table), protection.hidden)
    assert result.passed and not result.recoverable and not result.narrow


def test_a_cem_with_activities_and_no_case_gets_a_row_and_so_does_an_idle_one(cast, as_user):
    """Every service open in the year has its row, zeros included: a row only for services
    with cases or activities would tell that a hidden one has at least one."""
    cem = CareServiceFactory(kind="CEM", code="CEM-081201", district=cast.service_a.district)
    for _ in range(7):
        ActivityFactory(service=cem, date=date(2023, 8, 1))
    CareServiceFactory(kind="SAR", code="SAR-081299", district=cast.service_a.district)

    rows = {row["CODIGO SERVICIO"]: row for row in open_data_rows(as_user(cast.national_manager))}

    assert {"CEM-081201", "SAR-081299"} <= set(rows)
    assert rows["SAR-081299"]["N° CASOS ATENDIDOS-TOTAL"] == "0"
    assert rows["SAR-081299"]["N° ACTIVIDADES PREVENTIVAS"] == "0"
    assert rows["CEM-081201"]["N° ACTIVIDADES PREVENTIVAS"] == "7"
    assert rows["CEM-081201"]["N° PARTICIPANTES EN ACTIVIDADES PREVENTIVAS"] == str(7 * 22)


# The method on the activity relations ----------------------------------------------------------


@st.composite
def breakdowns(draw):
    """An activities breakdown as the report makes it: participants >= activities, and
    participants > 0 exactly when there is an activity."""
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        count = draw(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 8, 20]))
        people = count * draw(st.integers(min_value=1, max_value=30)) if count else 0
        rows.append({"key": len(rows), "label": "", "count": count, "participants": people})
    return {
        "rows": rows,
        "total": sum(row["count"] for row in rows),
        "participants_total": sum(row["participants"] for row in rows),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(breakdowns())
def test_every_breakdown_is_protected_and_small_counts_take_their_participants(data):
    table = activities(data)
    protection = protect(table)
    hidden = set(protection.hidden_keys())

    assert protection.audit.passed and not protection.audit.recoverable
    for i, row in enumerate(data["rows"]):
        if small(row["count"]):
            assert f"/rows/{i}/count" in hidden
            assert f"/rows/{i}/participants" in hidden
        for key in ("count", "participants"):
            if small(row[key]):
                assert f"/rows/{i}/{key}" in hidden
    if small(data["total"]):
        assert {"/total", "/participants_total"} <= hidden


def test_the_participants_of_a_small_count_are_primary():
    table = ActivityTable()
    few = table.cell("few", 2)
    their = table.cell("their", 40)
    many = table.cell("many", 9)
    others = table.cell("others", 90)
    table.pair(few, their)
    table.pair(many, others)
    assert table.primary() == {few, their}
    with pytest.raises(ValueError):
        table.pair(table.cell("more", 5), table.cell("than", 4))  # a false relation is refused


def test_audit_disclosure_covers_the_activity_files(cast, world):
    out = StringIO()
    call_command("audit_disclosure", "--year", "2023", stdout=out)
    (line,) = [line for line in out.getvalue().splitlines() if line.startswith("ALL files:")]
    figures = {
        name: int(value)
        for name, value in (part.rsplit(" ", 1) for part in line.split(": ", 1)[1].split(", "))
        if value.isdigit()
    }
    # the open data, and 16 downloads (4 reports, 8 + 4 breakdowns) for the country and its
    # 2 regions
    assert figures["files"] == 1 + 3 * 16
    assert figures["hidden cells"] > 0
    for name in ("recoverable by LP", "narrower than [0,5]", "failing audit", "exact 1-4 shown"):
        assert figures[name] == 0, name


def test_audit_disclosure_audits_a_year_with_activities_and_no_case(cast):
    ActivityFactory(service=cast.service_a, date=date(2022, 3, 1))
    out = StringIO()
    call_command("audit_disclosure", "--national-only", stdout=out)
    assert "Years: 2022." in out.getvalue()
