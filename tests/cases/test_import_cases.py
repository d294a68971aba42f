from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import REGISTRY_COLUMNS, AuditEntry, Case, CaseSequence
from services.csvimport import read_csv, run_import
from services.models import Community
from tests.csvfiles import errors_of, import_cases, write_csv
from tests.factories import CaseFactory, CommunityFactory, DistrictFactory

MINIMAL = [
    "CODIGO_SERVICIO",
    "NUMERO_CASO",
    "FECHA_INGRESO",
    "CONDICION",
    "EDAD_VICTIMA",
    "SEXO_VICTIMA",
    "DPTO_DOMICILIO",
    "PROV_DOMICILIO",
    "DIST_DOMICILIO",
    "CENTRO_POBLADO_DOMICILIO",
    "TIPO_VIOLENCIA",
    "NIVEL_DE_RIESGO_VICTIMA",
]


def case_row(number="2023-1", **overrides):
    """A valid row of service A (SAR-081201, district 081201) in the minimal columns."""
    row = {
        "CODIGO_SERVICIO": "SAR-081201",
        "NUMERO_CASO": number,
        "FECHA_INGRESO": "2023-03-15",
        "CONDICION": 1,
        "EDAD_VICTIMA": 34,
        "SEXO_VICTIMA": 0,
        "DPTO_DOMICILIO": "08",
        "PROV_DOMICILIO": "12",
        "DIST_DOMICILIO": "01",
        "CENTRO_POBLADO_DOMICILIO": "",
        "TIPO_VIOLENCIA": 2,
        "NIVEL_DE_RIESGO_VICTIMA": 2,
    }
    return {**row, **overrides}


def test_minimal_utf8_comma_file_creates_open_cases_with_codes_and_unknowns(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [case_row("2023-1"), case_row("2023-2", FECHA_INGRESO="2024-01-10", EDAD_VICTIMA=0)],
    )

    out, _ = import_cases(path)

    first = Case.objects.get(service=cast.service_a, number="2023-1")
    assert first.code == "SAR-081201-2023-00001"
    assert first.status == Case.Status.OPEN
    assert (first.intake_date, first.victim_age, first.violence_type) == (date(2023, 3, 15), 34, 2)
    assert (first.district_id, first.community, first.victim_name) == ("081201", None, "")
    # Asked by the intake form, absent from the file: unknown, never invented.
    assert (first.entry_route, first.aggressor_sex, first.relationship) == (None, None, None)
    assert (first.victim_peruvian, first.victim_disability, first.sons_0_17) == (True, False, 0)
    second = Case.objects.get(number="2023-2")
    assert (second.code, second.victim_age) == ("SAR-081201-2024-00001", 0)
    assert "FORMA_INGRESO" in out


def test_latin1_semicolon_file_with_day_first_dates_and_the_persons_identity(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row(
                FECHA_INGRESO="15/03/2023",
                NOMBRE_VICTIMA="Nélida Ñahui Quispe",
                TIPO_DOCUMENTO="dni",
                NUMERO_DOCUMENTO="41234567",
            )
        ],
        encoding="latin-1",
        delimiter=";",
    )

    out, err = import_cases(path)

    case = Case.objects.get()
    assert case.intake_date == date(2023, 3, 15)
    assert case.victim_name == "Nélida Ñahui Quispe"
    assert (case.victim_document_type, case.victim_document_number) == ("DNI", "41234567")
    assert "Nélida" not in out + err and "41234567" not in out + err


def test_every_registry_column_of_the_model_is_stored(cast, tmp_path):
    row = case_row(
        FORMA_INGRESO=15,
        VICTIMA_PERUANA=0,
        VICTIMA_PAIS_EXTRANJERO=170,
        LENGUA_MATERNA_VICTIMA=1,
        ETNIA_VICTIMA=1,
        DISCAPACIDAD_VICTIMA=1,
        VICTIMA_GESTANDO=0,
        NIVEL_EDUCATIVO_VICTIMA=5,
        ESTADO_CIVIL_VICTIMA=2,
        TRABAJA_VICTIMA=1,
        HIJAS_VIVAS_0_17=2,
        HIJOS_VIVOS_0_17=1,
        HIJAS_VIVAS_18_MAS=0,
        HIJOS_VIVOS_18_MAS=3,
        AREA_RESIDENCIA_DOMICILIO=2,
        SEXO_AGRESOR=0,
        EDAD_AGRESOR=41,
        VINCULO_AGRESOR_VICTIMA=2,
        VINCULO_PAREJA="",
        VINCULO_FAMILIAR=4,
        SIN_VINCULO="",
        AGRESOR_VIVE_CASA_VICTIMA=2,
        INTERPUSO_DENUNCIA=1,
        DESEA_DENUNCIAR=1,
        CUENTA_MEDIDAS_PROTECCION=0,
    )
    assert set(REGISTRY_COLUMNS) <= set(row)
    path = write_csv(tmp_path / "casos.csv", [row])

    report = run_import("cases", path)

    assert report.stored and not report.all_errors
    case = Case.objects.get()
    assert (case.entry_route, case.victim_peruvian, case.victim_country) == (15, False, 170)
    assert (case.victim_disability, case.victim_pregnant, case.victim_works) == (True, False, True)
    assert (case.daughters_0_17, case.sons_0_17, case.sons_18_plus) == (2, 1, 3)
    assert (case.aggressor_sex, case.aggressor_age, case.relationship) == (0, 41, 2)
    assert (case.partner_relationship, case.family_relationship) == (None, 4)
    assert (case.complaint_filed, case.wants_to_file, case.protective_measures) == (
        True,
        True,
        False,
    )
    assert not report.notes


def test_sub_acts_of_the_cases_type_are_stored_in_registry_order(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [case_row(BOFETADAS=1, PUNTAPIES_PATADAS=1, EMPUJONES=0, GRITOS_INSULTOS="")],
    )

    run_import("cases", path)

    assert Case.objects.get().violence_acts == ["PUNTAPIES_PATADAS", "BOFETADAS"]


def test_importing_the_same_file_twice_stores_nothing_twice(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [case_row("1"), case_row("2", CENTRO_POBLADO_DOMICILIO="0003"), case_row("3")],
    )

    first = run_import("cases", path)
    second = run_import("cases", path)

    assert (first.to_create, first.present, first.rejected) == (3, 0, 0)
    assert (second.to_create, second.present, second.rejected) == (0, 3, 0)
    assert Case.objects.count() == 3
    assert AuditEntry.objects.count() == 3
    assert Community.objects.count() == 1


def test_a_second_import_keeps_counting_the_same_rejects(cast, tmp_path):
    path = write_csv(tmp_path / "casos.csv", [case_row("1"), case_row("2", EDAD_VICTIMA=130)])

    first = run_import("cases", path, skip_invalid=True)
    second = run_import("cases", path, skip_invalid=True)

    assert (first.to_create, first.present, first.rejected) == (1, 0, 1)
    assert (second.to_create, second.present, second.rejected) == (0, 1, 1)


FUTURE = (timezone.localdate() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ({"CODIGO_SERVICIO": "CEM-999999"}, "CODIGO_SERVICIO"),
        ({"CONDICION": 9}, "CONDICION"),
        ({"SEXO_VICTIMA": "mujer"}, "SEXO_VICTIMA"),
        ({"NIVEL_DE_RIESGO_VICTIMA": 0}, "NIVEL_DE_RIESGO_VICTIMA"),
        ({"EDAD_VICTIMA": 130}, "EDAD_VICTIMA"),
        ({"EDAD_VICTIMA": -1}, "EDAD_VICTIMA"),
        ({"EDAD_VICTIMA": ""}, "EDAD_VICTIMA"),
        ({"FECHA_INGRESO": FUTURE}, "FECHA_INGRESO"),
        ({"FECHA_INGRESO": "31/02/2023"}, "FECHA_INGRESO"),
        ({"FECHA_INGRESO": "2023/03/15"}, "FECHA_INGRESO"),
        ({"DIST_DOMICILIO": "99"}, "DIST_DOMICILIO"),
        ({"PROV_DOMICILIO": "123"}, "PROV_DOMICILIO"),
        ({"CENTRO_POBLADO_DOMICILIO": "12345"}, "CENTRO_POBLADO_DOMICILIO"),
        ({"BOFETADAS": 1, "TIPO_VIOLENCIA": 1}, "BOFETADAS"),
        ({"GRITOS_INSULTOS": 2, "TIPO_VIOLENCIA": 1}, "GRITOS_INSULTOS"),
        ({"NUMERO_CASO": ""}, "NUMERO_CASO"),
        ({"NUMERO_CASO": "9" * 31}, "NUMERO_CASO"),
        ({"SEXO_AGRESOR": "3"}, "SEXO_AGRESOR"),
        ({"VICTIMA_PERUANA": "si"}, "VICTIMA_PERUANA"),
        ({"HIJAS_VIVAS_0_17": 31}, "HIJAS_VIVAS_0_17"),
        ({"TIPO_DOCUMENTO": "LE"}, "TIPO_DOCUMENTO"),
    ],
)
def test_each_bad_row_is_reported_with_its_line_and_column(cast, tmp_path, bad, column):
    # Columns that some files lack: the other rows hold a valid value.
    good = {"SEXO_AGRESOR": 1}
    third = {**case_row("3"), **bad}
    rows = [case_row("1", **good), case_row("2", **good), third, case_row("4", **good)]
    columns = list(dict.fromkeys([*MINIMAL, *bad]))
    path = write_csv(tmp_path / "casos.csv", rows, columns=columns)

    report = run_import("cases", path)

    assert errors_of(report) == {(4, column)}
    assert report.to_create == 3
    assert not report.stored
    assert not Case.objects.exists()


def test_a_pair_repeated_in_the_file_is_an_error_on_the_later_line(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [case_row("1"), case_row("2"), case_row("1", EDAD_VICTIMA=20)],
    )

    report = run_import("cases", path)

    assert errors_of(report) == {(4, "NUMERO_CASO")}
    assert "2" in report.errors[0].reason


def test_the_same_number_in_two_services_is_two_cases(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("1"),
            case_row(
                "1",
                CODIGO_SERVICIO="cem-210101",
                DPTO_DOMICILIO="21",
                PROV_DOMICILIO="1",
                DIST_DOMICILIO="1",
            ),
        ],
    )

    run_import("cases", path)

    assert set(Case.objects.values_list("code", "district_id")) == {
        ("SAR-081201-2023-00001", "081201"),
        ("CEM-210101-2023-00001", "210101"),
    }


def test_line_numbers_count_physical_lines_of_multi_line_cells(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("1", NOMBRE_VICTIMA="Rosa\nQuispe", EDAD_VICTIMA=130),
            case_row("2", EDAD_VICTIMA=140),
        ],
        columns=[*MINIMAL, "NOMBRE_VICTIMA"],
    )

    report = run_import("cases", path)

    # A row is numbered by the line it starts on; the first one spans lines 2 and 3.
    assert errors_of(report) == {(2, "EDAD_VICTIMA"), (4, "EDAD_VICTIMA")}


def test_an_invalid_row_stores_nothing_and_lists_every_error(cast, tmp_path):
    CaseFactory(service=cast.service_a)
    sequences = list(CaseSequence.objects.values_list("service_id", "year", "last"))
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("1", CENTRO_POBLADO_DOMICILIO="0007"),
            case_row("2", EDAD_VICTIMA=130),
            case_row("3"),
            case_row("4", DIST_DOMICILIO="77"),
        ],
    )

    with pytest.raises(CommandError) as raised:
        import_cases(path)

    assert "2" in str(raised.value)
    assert Case.objects.count() == 1
    assert not Community.objects.exists()
    assert list(CaseSequence.objects.values_list("service_id", "year", "last")) == sequences
    assert AuditEntry.objects.count() == 0
    assert not (tmp_path / "casos.rechazados.csv").exists()


def test_the_command_lists_each_error_with_line_and_column(cast, tmp_path):
    path = write_csv(tmp_path / "casos.csv", [case_row("1"), case_row("2", EDAD_VICTIMA=130)])
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_csv", str(path), kind="cases", stdout=StringIO(), stderr=err)

    assert "3" in err.getvalue() and "EDAD_VICTIMA" in err.getvalue()


def test_skip_invalid_stores_the_good_rows_and_writes_the_rejects_beside_the_file(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("1"),
            case_row("2", EDAD_VICTIMA=130, CONDICION=9),
            case_row("3"),
            case_row("4", CODIGO_SERVICIO="XYZ"),
        ],
        delimiter=";",
    )

    out, _ = import_cases(path, skip_invalid=True)

    assert set(Case.objects.values_list("number", flat=True)) == {"1", "3"}
    rejects_path = tmp_path / "casos.rechazados.csv"
    assert str(rejects_path) in out
    rejects = read_csv(rejects_path)
    assert rejects.delimiter == ";"
    assert rejects.header[:4] == ["LINEA", "MOTIVO", "CODIGO_SERVICIO", "NUMERO_CASO"]
    lines = {values[0]: values for _, values in rejects.rows}
    assert set(lines) == {"3", "5"}
    assert "EDAD_VICTIMA" in lines["3"][1] and "CONDICION" in lines["3"][1]
    assert "CODIGO_SERVICIO" in lines["5"][1]
    assert lines["5"][2:4] == ["XYZ", "4"]


def test_a_missing_required_column_refuses_the_file_even_when_skipping(cast, tmp_path):
    columns = [c for c in MINIMAL if c != "TIPO_VIOLENCIA"]
    path = write_csv(tmp_path / "casos.csv", [case_row()], columns=columns)

    with pytest.raises(CommandError):
        import_cases(path, skip_invalid=True)

    report = run_import("cases", path, skip_invalid=True)
    assert errors_of(report) == {(1, "TIPO_VIOLENCIA")}
    assert not Case.objects.exists()


def test_an_unknown_centro_poblado_is_created_under_its_district(cast, tmp_path):
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("1", CENTRO_POBLADO_DOMICILIO="0003"),
            case_row("2", CENTRO_POBLADO_DOMICILIO="3"),
        ],
    )

    report = run_import("cases", path)

    assert [count for _label, count in report.extra_counts] == [1]
    community = Community.objects.get()
    assert (community.code, community.district_id) == ("0812010003", "081201")
    assert community.name == "Centro poblado 0812010003"
    assert community.kind == Community.Kind.CENTRO_POBLADO
    assert set(Case.objects.values_list("community_id", flat=True)) == {community.pk}


def test_a_known_centro_poblado_is_linked_not_created(cast, tmp_path):
    known = CommunityFactory(district=cast.service_a.district, code="0812010005", name="Ccollpa")
    path = write_csv(tmp_path / "casos.csv", [case_row(CENTRO_POBLADO_DOMICILIO="0005")])

    run_import("cases", path)

    assert Case.objects.get().community == known
    assert Community.objects.count() == 1


def test_the_same_suffix_in_two_districts_is_two_communities(cast, tmp_path):
    DistrictFactory(code="081202")
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("1", CENTRO_POBLADO_DOMICILIO="0003"),
            case_row("2", DIST_DOMICILIO="02", CENTRO_POBLADO_DOMICILIO="0003"),
        ],
    )

    run_import("cases", path)

    assert set(Community.objects.values_list("code", "district_id")) == {
        ("0812010003", "081201"),
        ("0812020003", "081202"),
    }
    assert Case.objects.values("community").distinct().count() == 2


def test_a_new_centro_poblado_avoids_a_name_its_district_already_uses(cast, tmp_path):
    CommunityFactory(district=cast.service_a.district, code=None, name="CENTRO POBLADO 0812010003")
    path = write_csv(tmp_path / "casos.csv", [case_row(CENTRO_POBLADO_DOMICILIO="0003")])

    report = run_import("cases", path)

    assert report.stored
    assert Community.objects.get(code="0812010003").name == "Centro poblado 0812010003 (2)"


def test_case_codes_continue_the_services_sequence_per_year(cast, tmp_path):
    existing = CaseFactory(service=cast.service_a, intake_date=date(2023, 1, 5))
    assert existing.code.endswith("2023-00001")
    path = write_csv(
        tmp_path / "casos.csv",
        [
            case_row("A"),
            case_row("B", FECHA_INGRESO="2022-12-31"),
            case_row("C"),
        ],
    )

    run_import("cases", path)

    codes = dict(Case.objects.filter(number__in="ABC").values_list("number", "code"))
    assert codes == {
        "A": "SAR-081201-2023-00002",
        "B": "SAR-081201-2022-00001",
        "C": "SAR-081201-2023-00003",
    }
    assert CaseSequence.objects.get(service=cast.service_a, year=2023).last == 3


def test_one_import_audit_entry_per_created_case(cast, tmp_path):
    path = write_csv(tmp_path / "casos.csv", [case_row("1"), case_row("2")])
    run_import("cases", path)
    run_import("cases", path)

    entries = AuditEntry.objects.order_by("case__number")
    assert [(e.case.number, e.action, e.user) for e in entries] == [
        ("1", AuditEntry.Action.IMPORT, None),
        ("2", AuditEntry.Action.IMPORT, None),
    ]
    assert entries[0].changes["file"] == "casos.csv"
    assert entries[0].changes["line"] == 2
    assert entries[1].changes["unknown"] == [
        "FORMA_INGRESO",
        "SEXO_AGRESOR",
        "VINCULO_AGRESOR_VICTIMA",
    ]


def test_errors_never_quote_the_persons_name_or_document(cast, tmp_path):
    name, document = "Rosa " + "Quispe " * 40, "41234567" * 4
    path = write_csv(
        tmp_path / "casos.csv",
        [case_row(NOMBRE_VICTIMA=name, NUMERO_DOCUMENTO=document)],
    )
    err = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("import_csv", str(path), kind="cases", stdout=StringIO(), stderr=err)

    output = err.getvalue() + str(raised.value)
    assert "NOMBRE_VICTIMA" in output and "NUMERO_DOCUMENTO" in output
    assert "Quispe" not in output and "41234567" not in output


def test_columns_outside_the_format_are_ignored_and_named(cast, tmp_path):
    path = write_csv(tmp_path / "casos.csv", [case_row(ACUDE_SOLA=1, OBSERVACIONES="texto libre")])

    report = run_import("cases", path)

    assert report.stored
    assert any("ACUDE_SOLA" in note and "OBSERVACIONES" in note for note in report.notes)


def test_the_rejects_file_never_carries_a_live_formula(cast, tmp_path):
    """The rejected rows go back to a spreadsheet: a cell that would run as a formula there
    (here a case number and a free-text column) is written neutralised, with an apostrophe."""
    path = write_csv(
        tmp_path / "casos.csv",
        [case_row("=HYPERLINK(1)", EDAD_VICTIMA=130), case_row("2", CODIGO_SERVICIO="@SUM(1)")],
    )

    import_cases(path, skip_invalid=True)

    rejects = read_csv(tmp_path / "casos.rechazados.csv")
    lines = {values[0]: values for _, values in rejects.rows}
    assert lines["2"][3] == "'=HYPERLINK(1)"
    assert lines["3"][2] == "'@SUM(1)"
    cells = [cell for values in lines.values() for cell in values]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
