"""Cases by dimension: rows of key, label and count; JSON, CSV, XLSX and page agree."""

import csv
import io
from datetime import date

import pytest
from django.conf import settings
from openpyxl import load_workbook

from cases.models import Case
from services.models import CareService
from tests.factories import CareServiceFactory, CaseFactory

URL = "/reports/cases/"


def report(client, by, **params):
    """The exact figures, as the page shows them to a person in scope (files hide small ones)."""
    response = client.get(URL, {"by": by, **params})
    assert response.status_code == 200, response.content
    return response.context["data"]


def released(client, by, **params):
    """The JSON download: small counts hidden (null), and listed under `hidden`."""
    response = client.get(URL, {"format": "json", "by": by, **params})
    assert response.status_code == 200, response.content
    return response.json()


def counts(data):
    return {row["key"]: row["count"] for row in data["rows"]}


@pytest.fixture
def national(cast, as_user):
    return as_user(cast.national_manager)


def test_age_groups_at_their_edges(cast, national):
    for age in (0, 5, 6, 11, 12, 17, 18, 25, 26, 35, 36, 45, 46, 59, 60, 120):
        CaseFactory(service=cast.service_a, victim_age=age)
    data = report(national, "age_group", year=2023)
    assert counts(data) == {
        "0-5": 2,
        "6-11": 2,
        "12-17": 2,
        "18-25": 2,
        "26-35": 2,
        "36-45": 2,
        "46-59": 2,
        "60+": 2,
    }
    assert data["total"] == 16


def test_months_of_the_period_in_order_with_zeros(cast, national):
    CaseFactory(service=cast.service_a, intake_date=date(2023, 1, 1))
    CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 31))
    CaseFactory(service=cast.service_a, intake_date=date(2023, 3, 1))
    data = report(national, "month", **{"from": "2023-01-01", "to": "2023-04-30"})
    assert data["rows"] == [
        {"key": "2023-01", "label": "2023-01", "count": 1},
        {"key": "2023-02", "label": "2023-02", "count": 0},
        {"key": "2023-03", "label": "2023-03", "count": 2},
        {"key": "2023-04", "label": "2023-04", "count": 0},
    ]
    assert data["period"] == {"from": "2023-01-01", "to": "2023-04-30"}


def test_coded_dimensions_use_the_registry_labels(cast, national):
    CaseFactory(service=cast.service_a, victim_sex=0, violence_type=3, risk_level=3)
    CaseFactory(service=cast.service_a, victim_sex=1, violence_type=1, risk_level=1)
    sex = report(national, "sex", year=2023)["rows"]
    assert sex == [
        {"key": 0, "label": "Mujer", "count": 1},
        {"key": 1, "label": "Hombre", "count": 1},
    ]
    violence = counts(report(national, "violence_type", year=2023))
    assert violence == {0: 0, 1: 1, 2: 0, 3: 1} or violence == {"0": 0, "1": 1, "2": 0, "3": 1}
    risk = report(national, "risk_level", year=2023)["rows"]
    assert [row["label"] for row in risk] == ["Riesgo Leve", "Riesgo Moderado", "Riesgo Severo"]


def test_region_kind_and_service_dimensions(cast, national):
    CaseFactory(service=cast.service_a)
    CaseFactory(service=cast.service_b)
    CaseFactory(service=cast.service_b)
    assert counts(report(national, "region", year=2023)) == {"08": 1, "21": 2}
    assert counts(report(national, "service_kind", year=2023)) == {"CEM": 2, "SAR": 1, "CAI": 0}
    assert counts(report(national, "service", year=2023)) == {
        cast.service_a.code: 1,
        cast.service_b.code: 2,
    }


def test_region_and_kind_rows_of_a_regional_scope(cast, as_user):
    """The figures by region and kind are summed over the scope's services only."""
    CaseFactory(service=cast.service_a)
    CaseFactory(service=cast.service_b)
    manager = as_user(cast.regional_manager)
    assert counts(report(manager, "region", year=2023)) == {cast.region_a.code: 1}
    by_kind = counts(report(manager, "service_kind", year=2023))
    assert by_kind[cast.service_a.kind] == 1
    assert sum(by_kind.values()) == 1


def test_a_service_counted_outside_its_open_dates_keeps_its_row(cast, national):
    """A case dated after its service closed (an import can bring one) still counts in the
    report by service, in its own row, the rows in the order of their codes."""
    closed = CareServiceFactory(
        kind="CEM",
        district=cast.service_a.district,
        opened_on=date(2010, 1, 1),
        closed_on=date(2022, 12, 31),
    )
    CaseFactory(service=closed, intake_date=date(2023, 5, 1))
    CaseFactory(service=cast.service_a, intake_date=date(2023, 5, 1))

    data = report(national, "service", year=2023)

    assert counts(data)[closed.code] == 1
    assert counts(data)[cast.service_a.code] == 1
    assert data["total"] == 2
    codes = [row["key"] for row in data["rows"]]
    assert codes == list(
        CareService.objects.filter(code__in=codes).order_by("code").values_list("code", flat=True)
    )


def test_filters_and_scope(cast, as_user, national):
    CaseFactory(service=cast.service_a)
    CaseFactory(service=cast.service_b)
    CaseFactory(service=CareServiceFactory(kind="CEM", district=cast.service_a.district))
    assert report(national, "sex", year=2023, region="08")["total"] == 2
    assert report(national, "sex", year=2023, service_kind="CEM")["total"] == 2
    assert report(national, "sex", year=2023, service=cast.service_b.code)["total"] == 1
    assert report(as_user(cast.regional_manager), "sex", year=2023)["total"] == 2
    assert report(as_user(cast.caseworker_a), "sex", year=2023)["total"] == 1


def test_the_default_period_is_the_current_year(cast, national):
    from django.utils import timezone

    this_year = timezone.localdate().year
    data = report(national, "sex")
    assert data["period"] == {"from": f"{this_year}-01-01", "to": f"{this_year}-12-31"}


def test_csv_xlsx_and_page_say_the_same_as_json(cast, national):
    CaseFactory(service=cast.service_a, victim_age=30)
    CaseFactory(service=cast.service_b, victim_age=8)
    data = released(national, "age_group", year=2023)
    assert data["hidden"] == [f"/rows/{i}/count" for i in range(8)] + ["/total"]
    expected = [
        [str(row["key"]), str(row["label"]), "X" if row["count"] is None else str(row["count"])]
        for row in data["rows"]
    ]

    text = national.get(URL, {"by": "age_group", "year": 2023, "format": "csv"})
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert rows[0] == ["Desde", "Hasta", "Código", "Grupo de edad", "Casos"]
    assert [row[2:] for row in rows[1:]] == expected
    assert {tuple(row[:2]) for row in rows[1:]} == {("2023-01-01", "2023-12-31")}

    book = load_workbook(
        io.BytesIO(national.get(URL, {"by": "age_group", "year": 2023, "format": "xlsx"}).content)
    )
    sheet_rows = [[str(cell) for cell in row] for row in book.active.iter_rows(values_only=True)]
    assert sheet_rows[0] == rows[0]
    assert sheet_rows[1:] == rows[1:]

    # The page, read in the application, shows the exact numbers.
    page = national.get(URL, {"by": "age_group", "year": 2023}).content.decode()
    for row in report(national, "age_group", year=2023)["rows"]:
        assert f'data-key="{row["key"]}">{row["count"]}</td>' in page
    assert 'data-key="total">2</td>' in page
    assert "<svg" in page


@pytest.mark.parametrize(
    "params, field",
    [
        ({"by": "colour"}, "by"),
        ({"by": "sex", "from": "2023-05-01", "to": "2023-01-01"}, "to"),
        ({"by": "sex", "from": "not-a-date"}, "from_"),
        ({"by": "sex", "region": "8"}, "region"),
        ({"by": "sex", "to": "9999-12-31"}, "to"),
        ({"by": "month", "from": "0001-01-01", "to": "2023-12-31"}, "from_"),
        ({"by": "sex", "year": "2023", "from": "2023-01-01"}, "__all__"),
    ],
)
def test_bad_parameters_get_a_clear_400(cast, national, params, field):
    response = national.get(URL, {"format": "json", **params})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    page = national.get(URL, params)
    assert page.status_code == 400


@pytest.fixture
def ethnicity_dimension(monkeypatch):
    """A coded dimension over a field the model already leaves empty when unknown, as
    `entry_route`, `aggressor_sex` and `relationship` will be: the same code path. A new
    dimension is also a new key of the rollup's case fact; its triggers are installed again
    (inside the test's transaction, so they go with it)."""
    import dataclasses

    from reports import queries, rollups, views

    monkeypatch.setitem(
        queries.CODED_DIMENSIONS, "ethnicity", ("victim_ethnicity", "ETNIA_VICTIMA")
    )
    monkeypatch.setitem(views.DIMENSION_LABELS, "ethnicity", "Etnia")
    case = rollups.FACTS["case"]
    monkeypatch.setitem(
        rollups.FACTS,
        "case",
        dataclasses.replace(
            case,
            columns=(*case.columns, "victim_ethnicity"),
            dimensions={
                **case.dimensions,
                "ethnicity": (rollups.text_key("r.victim_ethnicity"), "0"),
            },
        ),
    )
    rollups.install_triggers()
    return "ethnicity"


def test_unknown_values_count_as_not_recorded_in_every_format(cast, national, ethnicity_dimension):
    from cases import registry

    (code, label), *_others = registry.choices("ETNIA_VICTIMA")
    CaseFactory(service=cast.service_a, victim_ethnicity=code)
    for _ in range(2):
        CaseFactory(service=cast.service_a)
    assert Case.objects.filter(victim_ethnicity=None).count() == 2
    national.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    data = report(national, ethnicity_dimension, year=2023)
    assert data["rows"][-1] == {"key": None, "label": "Not recorded", "count": 2}
    assert counts(data)[code] == 1
    assert data["total"] == 3

    params = {"by": ethnicity_dimension, "year": 2023}
    text = national.get(URL, {**params, "format": "csv"}).content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[-1] == [
        "2023-01-01",
        "2023-12-31",
        "",
        "Not recorded",
        "X",
    ]
    book = load_workbook(io.BytesIO(national.get(URL, {**params, "format": "xlsx"}).content))
    assert list(book.active.iter_rows(values_only=True))[-1] == (
        "2023-01-01",
        "2023-12-31",
        None,
        "Not recorded",
        "X",
    )
    page = national.get(URL, params).content.decode()
    assert "Not recorded" in page
    assert 'data-key="total">3</td>' in page


def test_the_unknown_row_is_there_even_at_zero(cast, national, ethnicity_dimension):
    """A "No registrado" row shown only when it holds cases would tell, even hidden in a
    download, that it holds at least one: a value that may be unknown always has the row."""
    from cases import registry

    code = registry.choices("ETNIA_VICTIMA")[0][0]
    CaseFactory(service=cast.service_a, victim_ethnicity=code)
    data = report(national, ethnicity_dimension, year=2023)
    assert counts(data)[None] == 0
    assert data["rows"][-1]["label"] == "No registrado"
    assert data["total"] == 1


def test_a_code_outside_the_dictionary_still_counts(cast, national, ethnicity_dimension):
    case = CaseFactory(service=cast.service_a)
    Case.objects.filter(pk=case.pk).update(victim_ethnicity=99)
    data = report(national, ethnicity_dimension, year=2023)
    assert data["rows"][-2] == {"key": 99, "label": "99", "count": 1}
    assert data["total"] == 1


def test_every_service_and_region_in_scope_has_its_row_zeros_included(cast, national):
    """A row listed only when it has cases would tell, even hidden as X in a download, that
    it has at least one: services open in the period and regions in scope are all listed."""
    CaseFactory(service=cast.service_a, intake_date=date(2023, 5, 1))

    by_service = counts(report(national, "service", year=2023))
    by_region = counts(report(national, "region", year=2023))

    assert by_service[cast.service_a.code] == 1
    assert by_service[cast.service_b.code] == 0
    assert by_region[cast.region_a.code] == 1
    assert by_region[cast.region_b.code] == 0
