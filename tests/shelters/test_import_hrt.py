"""HRT rows of `import_csv --kind services` create shelters (shelters.importers.ShelterHandler)."""

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from services.csvimport import read_csv, run_import
from services.models import CareService
from shelters.models import Shelter
from tests.csvfiles import errors_of, import_services, write_csv
from tests.factories import ShelterFactory

COLUMNS = ["CODIGO", "TIPO", "NOMBRE", "UBIGEO", "FECHA_APERTURA", "FECHA_CIERRE", "CAPACIDAD"]


def hrt(**overrides):
    """A valid shelter row in the cast's district of region A (081201)."""
    row = {
        "CODIGO": "HRT-081201",
        "TIPO": "HRT",
        "NOMBRE": "Hogar Warmi Wasi",
        "UBIGEO": "081201",
        "FECHA_APERTURA": "2019-05-02",
        "FECHA_CIERRE": "",
        "CAPACIDAD": "12",
    }
    return {**row, **overrides}


def cem(**overrides):
    row = {
        "CODIGO": "CEM-081201",
        "TIPO": "CEM",
        "NOMBRE": "CEM Urcos",
        "UBIGEO": "081201",
        "FECHA_APERTURA": "2015-03-08",
        "FECHA_CIERRE": "",
        "CAPACIDAD": "",
    }
    return {**row, **overrides}


def test_hrt_rows_create_shelters_beside_the_services(cast, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [
            cem(),
            hrt(),
            hrt(
                CODIGO="HRT-210101",
                NOMBRE="Hogar Qhapaq",
                UBIGEO="210101",
                FECHA_APERTURA="2010-01-15",
                FECHA_CIERRE="2022-12-31",
                CAPACIDAD="6",
            ),
        ],
        columns=COLUMNS,
    )

    out, _ = import_services(path)

    shelter = Shelter.objects.get(code="HRT-081201")
    assert (shelter.name, shelter.district_id, shelter.capacity) == (
        "Hogar Warmi Wasi",
        "081201",
        12,
    )
    assert (shelter.opened_on, shelter.closed_on) == (date(2019, 5, 2), None)
    # The address is confidential: never in files, left for the region's staff to fill in.
    assert shelter.address == ""
    closed = Shelter.objects.get(code="HRT-210101")
    assert (closed.closed_on, closed.capacity) == (date(2022, 12, 31), 6)
    assert CareService.objects.filter(code="CEM-081201", kind="CEM").exists()
    assert not CareService.objects.filter(code__startswith="HRT").exists()
    assert "3" in out


def test_latin1_semicolon_file_with_day_first_dates(cast, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [hrt(NOMBRE="Hogar Ñusta Sumaq", FECHA_APERTURA="02/05/2019", UBIGEO="81201")],
        columns=COLUMNS,
        encoding="latin-1",
        delimiter=";",
    )
    assert (read_csv(path).encoding, read_csv(path).delimiter) == ("latin-1", ";")

    report = run_import("services", path)

    assert report.stored and not report.all_errors
    shelter = Shelter.objects.get()
    assert (shelter.name, shelter.opened_on) == ("Hogar Ñusta Sumaq", date(2019, 5, 2))
    assert shelter.district_id == "081201"


def test_importing_the_same_file_twice_stores_nothing_twice(cast, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [hrt(), hrt(CODIGO="HRT-2", FECHA_CIERRE="2021-01-01"), cem()],
        columns=COLUMNS,
    )

    first = run_import("services", path)
    second = run_import("services", path)

    assert (first.to_create, first.present, first.rejected) == (3, 0, 0)
    assert (second.to_create, second.present, second.rejected) == (0, 3, 0)
    assert second.stored
    assert Shelter.objects.count() == 2


@pytest.mark.parametrize(
    ("changed", "columns"),
    [
        ({"CAPACIDAD": "14"}, ["CAPACIDAD"]),
        ({"NOMBRE": "Otro hogar", "FECHA_CIERRE": "2024-01-31"}, ["NOMBRE", "FECHA_CIERRE"]),
        ({"UBIGEO": "210101", "FECHA_APERTURA": "2019-05-03"}, ["UBIGEO", "FECHA_APERTURA"]),
    ],
)
def test_a_stored_shelter_with_other_values_is_an_error_and_is_not_changed(
    cast, tmp_path, changed, columns
):
    stored = ShelterFactory(
        code="HRT-081201",
        name="Hogar Warmi Wasi",
        district=cast.service_a.district,
        address="Jr. Confidencial 1",
        capacity=12,
        opened_on=date(2019, 5, 2),
    )
    path = write_csv(tmp_path / "servicios.csv", [cem(), hrt(**changed)], columns=COLUMNS)

    with pytest.raises(CommandError):
        import_services(path)
    report = run_import("services", path)

    assert errors_of(report) == {(3, "CODIGO")}
    named = re.search(r"\(([A-Z_, ]+)\)", report.errors[0].reason).group(1)
    assert named.split(", ") == columns
    assert not report.stored
    fresh = Shelter.objects.get()
    assert (fresh.name, fresh.capacity, fresh.closed_on) == (stored.name, 12, None)
    assert fresh.address == "Jr. Confidencial 1"
    assert not CareService.objects.filter(code="CEM-081201").exists()


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ({"CAPACIDAD": ""}, "CAPACIDAD"),
        ({"CAPACIDAD": "0"}, "CAPACIDAD"),
        ({"CAPACIDAD": "-3"}, "CAPACIDAD"),
        ({"CAPACIDAD": "2.5"}, "CAPACIDAD"),
        ({"CAPACIDAD": "40000"}, "CAPACIDAD"),
        ({"UBIGEO": "999999"}, "UBIGEO"),
        ({"FECHA_APERTURA": "2019-02-30"}, "FECHA_APERTURA"),
        ({"FECHA_CIERRE": "2018-01-01"}, "FECHA_CIERRE"),
        ({"NOMBRE": ""}, "NOMBRE"),
    ],
)
def test_each_bad_hrt_row_is_reported_with_its_line_and_column(cast, tmp_path, bad, column):
    rows = [hrt(CODIGO="HRT-1"), cem(), hrt(CODIGO="HRT-3", **bad), hrt(CODIGO="HRT-4")]
    path = write_csv(tmp_path / "servicios.csv", rows, columns=COLUMNS)

    report = run_import("services", path)

    assert errors_of(report) == {(4, column)}
    assert report.to_create == 3
    assert not Shelter.objects.exists()
    assert not CareService.objects.filter(code="CEM-081201").exists()


def test_a_shelter_code_already_used_by_a_service_is_an_error(cast, tmp_path):
    path = write_csv(tmp_path / "servicios.csv", [hrt(), hrt(CODIGO="SAR-081201")], columns=COLUMNS)

    report = run_import("services", path)

    assert errors_of(report) == {(3, "CODIGO")}
    assert "SAR" in report.errors[0].reason
    assert not Shelter.objects.exists()


def test_a_service_code_already_used_by_a_shelter_is_an_error(cast, tmp_path):
    ShelterFactory(code="CEM-081201", district=cast.service_a.district)
    path = write_csv(tmp_path / "servicios.csv", [cem()], columns=COLUMNS)

    report = run_import("services", path)

    assert errors_of(report) == {(2, "CODIGO")}
    assert "HRT" in report.errors[0].reason
    assert not CareService.objects.filter(code="CEM-081201").exists()


def test_a_code_given_to_a_service_and_a_shelter_in_one_file_is_an_error(cast, tmp_path):
    path = write_csv(tmp_path / "servicios.csv", [hrt(), cem(CODIGO="HRT-081201")], columns=COLUMNS)

    report = run_import("services", path)

    assert errors_of(report) == {(3, "CODIGO")}


def test_an_invalid_row_stores_no_shelter_and_the_command_fails(cast, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [hrt(), cem(), hrt(CODIGO="HRT-2", CAPACIDAD="")],
        columns=COLUMNS,
    )
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_csv", "--kind", "services", str(path), stdout=StringIO(), stderr=err)

    assert "4" in err.getvalue() and "CAPACIDAD" in err.getvalue()
    assert not Shelter.objects.exists()
    assert not CareService.objects.filter(code="CEM-081201").exists()
    assert not (tmp_path / "servicios.rechazados.csv").exists()


def test_skip_invalid_stores_the_good_shelters_and_writes_the_rejects(cast, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [hrt(), hrt(CODIGO="HRT-2", CAPACIDAD="0"), cem()],
        columns=COLUMNS,
        delimiter=";",
    )

    out, _ = import_services(path, skip_invalid=True)

    assert list(Shelter.objects.values_list("code", flat=True)) == ["HRT-081201"]
    assert CareService.objects.filter(code="CEM-081201").exists()
    rejects = read_csv(tmp_path / "servicios.rechazados.csv")
    assert [(values[0], values[2]) for _, values in rejects.rows] == [("3", "HRT-2")]
    assert "CAPACIDAD" in rejects.rows[0][1][1]
    assert "servicios.rechazados.csv" in out
