from datetime import date

import pytest
from django.core.management import CommandError, call_command

from services import importers
from services.csvimport import (
    Invalid,
    importer_kinds,
    parse_date,
    read_code,
    read_csv,
    read_whole_number,
    run_import,
)
from services.models import CareService
from tests.csvfiles import errors_of, import_services, write_csv
from tests.factories import CareServiceFactory, DistrictFactory

COLUMNS = [
    "CODIGO",
    "TIPO",
    "NOMBRE",
    "UBIGEO",
    "FECHA_APERTURA",
    "FECHA_CIERRE",
    "CAPACIDAD",
]


@pytest.fixture
def districts(db):
    return [DistrictFactory(code="081201"), DistrictFactory(code="150101")]


def service(**overrides):
    row = {
        "CODIGO": "CEM-150101",
        "TIPO": "CEM",
        "NOMBRE": "CEM Lima",
        "UBIGEO": "150101",
        "FECHA_APERTURA": "2015-03-08",
        "FECHA_CIERRE": "",
        "CAPACIDAD": "",
    }
    return {**row, **overrides}


def test_utf8_comma_file_with_iso_dates_creates_the_services(districts, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [
            service(),
            service(
                CODIGO="SAR-081201",
                TIPO="SAR",
                NOMBRE="SAR Urcos",
                UBIGEO="081201",
                FECHA_CIERRE="2024-12-31",
            ),
        ],
    )

    out, _ = import_services(path)

    assert "2" in out
    cem = CareService.objects.get(code="CEM-150101")
    assert (cem.kind, cem.name, cem.district_id) == ("CEM", "CEM Lima", "150101")
    assert (cem.opened_on, cem.closed_on) == (date(2015, 3, 8), None)
    sar = CareService.objects.get(code="SAR-081201")
    assert sar.closed_on == date(2024, 12, 31)


def test_latin1_semicolon_file_with_day_first_dates_and_a_bom_free_header(districts, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [service(NOMBRE="CEM Comisaría Ñaña", FECHA_APERTURA="08/03/2015", UBIGEO="81201")],
        encoding="latin-1",
        delimiter=";",
    )
    source = read_csv(path)
    assert (source.encoding, source.delimiter) == ("latin-1", ";")

    import_services(path)

    stored = CareService.objects.get(code="CEM-150101")
    assert stored.name == "CEM Comisaría Ñaña"
    assert stored.opened_on == date(2015, 3, 8)
    # A spreadsheet dropped the ubigeo's leading zero; it is restored.
    assert stored.district_id == "081201"


def test_a_utf8_bom_and_untidy_header_names_are_understood(districts, tmp_path):
    path = tmp_path / "servicios.csv"
    path.write_bytes(
        "\ufeff codigo ;Tipo;NOMBRE;ubigeo;FECHA_APERTURA\r\n"
        "CEM-150101;CEM;CEM Lima;150101;2015-03-08\r\n".encode()
    )

    report = run_import("services", path)

    assert report.stored and not report.all_errors
    assert CareService.objects.filter(code="CEM-150101").exists()


def test_importing_the_same_file_twice_stores_nothing_twice(districts, tmp_path):
    path = write_csv(tmp_path / "servicios.csv", [service(), service(CODIGO="CAI-150101")])

    first = run_import("services", path)
    second = run_import("services", path)

    assert (first.to_create, first.present) == (2, 0)
    assert (second.to_create, second.present) == (0, 2)
    assert CareService.objects.count() == 2


def test_a_stored_service_with_other_values_is_an_error_and_is_not_overwritten(districts, tmp_path):
    CareServiceFactory(
        code="CEM-150101",
        kind="CEM",
        name="CEM Lima",
        district=districts[1],
        opened_on=date(2015, 3, 8),
    )
    path = write_csv(tmp_path / "servicios.csv", [service(NOMBRE="CEM Lima Cercado")])

    report = run_import("services", path)

    assert errors_of(report) == {(2, "CODIGO")}
    assert "NOMBRE" in report.errors[0].reason
    assert not report.stored
    assert CareService.objects.get(code="CEM-150101").name == "CEM Lima"


def test_a_registered_kind_handler_stores_its_rows(districts, tmp_path, monkeypatch):
    created = []

    class FakeShelters:
        kinds = ("HRT",)

        def stored(self, codes):
            return {}

        def check(self, row):
            return [] if row.capacity else [("CAPACIDAD", "needed")]

        def create(self, rows):
            created.extend((row.code, row.capacity) for row in rows)

    monkeypatch.setitem(importers.SERVICE_KINDS, "HRT", FakeShelters())
    path = write_csv(
        tmp_path / "servicios.csv",
        [service(CODIGO="HRT-1", TIPO="HRT", CAPACIDAD="20"), service(CODIGO="HRT-2", TIPO="HRT")],
    )

    report = run_import("services", path, skip_invalid=True)

    assert errors_of(report) == {(3, "CAPACIDAD")}
    assert created == [("HRT-1", 20)]


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ({"TIPO": "XYZ"}, "TIPO"),
        ({"CODIGO": "cem lima!"}, "CODIGO"),
        ({"NOMBRE": ""}, "NOMBRE"),
        ({"UBIGEO": "999999"}, "UBIGEO"),
        ({"UBIGEO": "15A101"}, "UBIGEO"),
        ({"FECHA_APERTURA": "2015-02-30"}, "FECHA_APERTURA"),
        ({"FECHA_APERTURA": "08-03-2015"}, "FECHA_APERTURA"),
        ({"FECHA_CIERRE": "2014-01-01"}, "FECHA_CIERRE"),
        ({"CAPACIDAD": "12"}, "CAPACIDAD"),
    ],
)
def test_each_bad_row_is_reported_with_its_line_and_column(districts, tmp_path, bad, column):
    rows = [service(CODIGO="CEM-1"), service(CODIGO="CEM-2"), service(**{"CODIGO": "CEM-3", **bad})]
    path = write_csv(tmp_path / "servicios.csv", rows)

    report = run_import("services", path)

    assert errors_of(report) == {(4, column)}
    assert not CareService.objects.exists()


def test_a_code_repeated_in_the_file_is_an_error_on_the_later_line(districts, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv", [service(), service(CODIGO="CAI-1"), service(NOMBRE="Otro")]
    )

    report = run_import("services", path)

    assert errors_of(report) == {(4, "CODIGO")}
    assert "2" in report.errors[0].reason


def test_an_invalid_row_stores_nothing_and_exits_with_an_error(districts, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv", [service(), service(CODIGO="SAR-1", UBIGEO="999999")]
    )

    with pytest.raises(CommandError):
        import_services(path)

    assert not CareService.objects.exists()
    assert not (tmp_path / "servicios.rechazados.csv").exists()


def test_skip_invalid_stores_the_good_rows_and_writes_the_rejects(districts, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [service(), service(CODIGO="SAR-1", UBIGEO="999999"), service(CODIGO="CAI-150101")],
        delimiter=";",
    )

    out, err = import_services(path, skip_invalid=True)

    assert set(CareService.objects.values_list("code", flat=True)) == {"CEM-150101", "CAI-150101"}
    rejects = read_csv(tmp_path / "servicios.rechazados.csv")
    assert rejects.header[:3] == ["LINEA", "MOTIVO", "CODIGO"]
    assert [(values[0], values[2]) for _, values in rejects.rows] == [("3", "SAR-1")]
    assert "UBIGEO" in rejects.rows[0][1][1]
    assert "servicios.rechazados.csv" in out
    assert "3" in err and "UBIGEO" in err


def test_a_missing_column_refuses_the_whole_file(districts, tmp_path):
    path = write_csv(tmp_path / "servicios.csv", [service()], columns=["CODIGO", "TIPO", "NOMBRE"])

    with pytest.raises(CommandError):
        import_services(path, skip_invalid=True)

    report = run_import("services", path, skip_invalid=True)
    assert errors_of(report) == {(1, "UBIGEO"), (1, "FECHA_APERTURA")}
    assert not CareService.objects.exists()


def test_a_missing_file_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError):
        import_services(tmp_path / "no-such-file.csv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-03-15", date(2023, 3, 15)),
        ("15/03/2023", date(2023, 3, 15)),
        ("5/3/2023", date(2023, 3, 5)),
    ],
)
def test_dates_are_iso_or_day_first(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2023-13-01", "31/02/2023", "03/15/23", "15.03.2023", ""])
def test_other_date_forms_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_a_header_that_is_not_csv_is_a_clear_error(db, tmp_path):
    from django.core.management import CommandError

    path = tmp_path / "roto.csv"
    path.write_text('CODIGO,"TIPO\n' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Línea 1"):
        call_command("import_csv", "--kind", "services", str(path))


def test_every_app_registers_its_kinds_when_django_starts():
    # The command and the admin offer what the apps' AppConfig.ready registered.
    assert importer_kinds() == ["activities", "cases", "measures", "services", "stays"]
    assert sorted(importers.SERVICE_KINDS) == ["CAI", "CEM", "HRT", "SAR"]
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_csv", "--kind", "referrals", "x.csv")


@pytest.mark.parametrize(
    ("read", "options"),
    [(read_whole_number, {}), (read_whole_number, {"positive": True}), (read_code, {"codes": {2}})],
)
@pytest.mark.parametrize("text", ["²", "٢", "-2", "2.0"])
def test_a_number_cell_takes_ascii_digits_only(read, options, text):
    # "²".isdigit() holds, but int("²") fails: the cell is refused with a reason, not a crash.
    with pytest.raises(Invalid):
        read(text, **options)


def test_a_capacity_in_other_digits_is_a_row_error(districts, tmp_path):
    path = write_csv(tmp_path / "servicios.csv", [service(TIPO="HRT", CAPACIDAD="²")])

    report = run_import("services", path)

    assert errors_of(report) == {(2, "CAPACIDAD")}
