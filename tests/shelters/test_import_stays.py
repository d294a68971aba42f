"""`import_csv --kind stays`: people, stays, family groups and the shelter rules on import."""

import re
import uuid
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from services.csvimport import ImportAborted, read_csv, run_import
from shelters.importers import StayImporter
from shelters.models import Person, Sex, ShelterLog, Stay
from tests.csvfiles import errors_of, import_stays, write_csv
from tests.factories import CaseFactory, PersonFactory, ShelterFactory, StayFactory
from tests.tasks import run_jobs

COLUMNS = [
    "CODIGO_HOGAR",
    "ID_PERSONA",
    "SEXO",
    "EDAD",
    "FECHA_INGRESO",
    "FECHA_EGRESO",
    "GRUPO_FAMILIAR",
    "CODIGO_SERVICIO",
    "NUMERO_CASO",
]
FUTURE = (timezone.localdate() + timedelta(days=1)).isoformat()


def stay(person="P-1", **overrides):
    """A valid closed stay of an adult woman in shelter A (HRT-081201, 10 beds)."""
    row = {
        "CODIGO_HOGAR": "HRT-081201",
        "ID_PERSONA": person,
        "SEXO": 0,
        "EDAD": 30,
        "FECHA_INGRESO": "2023-03-01",
        "FECHA_EGRESO": "2023-05-31",
        "GRUPO_FAMILIAR": "",
        "CODIGO_SERVICIO": "",
        "NUMERO_CASO": "",
    }
    return {**row, **overrides}


def write(tmp_path, rows, **kwargs):
    return write_csv(tmp_path / "estancias.csv", rows, columns=COLUMNS, **kwargs)


def stay_of(external_id, admitted_on=None):
    stays = Stay.objects.filter(person__external_id=external_id)
    if admitted_on:
        stays = stays.filter(admitted_on=admitted_on)
    return stays.get()


# Good files ------------------------------------------------------------------------------------


def test_utf8_comma_file_creates_people_stays_and_family_groups(shelters, cast, tmp_path):
    case = CaseFactory(service=cast.service_a)
    still = {"FECHA_EGRESO": ""}
    family = {"FECHA_INGRESO": "2024-02-10", "GRUPO_FAMILIAR": "7", **still}
    path = write(
        tmp_path,
        [
            stay("M-1", CODIGO_SERVICIO="sar-081201", NUMERO_CASO=case.number, **family),
            stay("N-1", EDAD=8, **family),
            stay("N-2", SEXO=1, EDAD=5, **family),
            stay("W-1", FECHA_INGRESO="2022-01-03", FECHA_EGRESO="2022-02-01"),
            stay("W-1", CODIGO_HOGAR="HRT-210101", EDAD=31, FECHA_INGRESO="2023-01-09", **still),
        ],
    )

    out, _ = import_stays(path)

    mother, girl, boy = (stay_of(p) for p in ("M-1", "N-1", "N-2"))
    assert (mother.role, girl.role, boy.role) == ("woman", "child", "child")
    assert (mother.age_at_admission, girl.age_at_admission, boy.age_at_admission) == (30, 8, 5)
    assert mother.family_group == girl.family_group == boy.family_group
    assert mother.family_group == uuid.uuid5(uuid.NAMESPACE_URL, "HRT-081201/7")
    assert (mother.shelter, mother.admitted_on, mother.discharged_on) == (
        shelters.a,
        date(2024, 2, 10),
        None,
    )
    assert (mother.case, mother.referring_service) == (case, case.service)
    assert (girl.case, girl.referring_service) == (None, None)
    assert Person.objects.get(external_id="N-2").sex == Sex.MALE
    # A woman with two stays is one person.
    woman = Person.objects.get(external_id="W-1")
    assert (woman.sex, woman.full_name) == (Sex.FEMALE, "")
    history = woman.stays.order_by("admitted_on").values_list("shelter__code", "discharged_on")
    assert list(history) == [("HRT-081201", date(2022, 2, 1)), ("HRT-210101", None)]
    assert Person.objects.count() == 4
    assert Stay.objects.count() == 5
    assert "5" in out


def test_latin1_semicolon_file_with_day_first_dates(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("Ñ-001", FECHA_INGRESO="01/03/2023", FECHA_EGRESO="31/05/2023"),
            stay("Ñ-002", FECHA_INGRESO="5/6/2023", FECHA_EGRESO=""),
        ],
        encoding="latin-1",
        delimiter=";",
    )
    assert (read_csv(path).encoding, read_csv(path).delimiter) == ("latin-1", ";")

    report = run_import("stays", path)

    assert report.stored and not report.all_errors
    first = stay_of("Ñ-001")
    assert (first.admitted_on, first.discharged_on) == (date(2023, 3, 1), date(2023, 5, 31))
    assert stay_of("Ñ-002").admitted_on == date(2023, 6, 5)


def test_roles_follow_sex_and_age_at_admission(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("A", EDAD=18),
            stay("B", EDAD=17),
            stay("C", SEXO=1, EDAD=19),
            stay("D", EDAD=0),
            stay("E", EDAD=120),
        ],
    )

    run_import("stays", path)

    roles = dict(Stay.objects.values_list("person__external_id", "role"))
    assert roles == {"A": "woman", "B": "child", "C": "child", "D": "child", "E": "woman"}


def test_family_groups_link_by_value_within_a_shelter(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("A1", GRUPO_FAMILIAR="F1"),
            stay("A2", EDAD=4, GRUPO_FAMILIAR="F1"),
            stay("B1", GRUPO_FAMILIAR="F2"),
            # The same value in another shelter is another family.
            stay("C1", CODIGO_HOGAR="HRT-210101", GRUPO_FAMILIAR="F1"),
            # No value: each row is its own group.
            stay("D1"),
            stay("D2", EDAD=3),
        ],
    )

    run_import("stays", path)

    group = dict(Stay.objects.values_list("person__external_id", "family_group"))
    assert group["A1"] == group["A2"]
    assert len({group["A1"], group["B1"], group["C1"], group["D1"], group["D2"]}) == 5


def test_a_later_file_joins_the_same_family_group(shelters, tmp_path):
    run_import("stays", write(tmp_path, [stay("M", FECHA_EGRESO="", GRUPO_FAMILIAR="9")]))
    run_import("stays", write(tmp_path, [stay("H", EDAD=1, FECHA_EGRESO="", GRUPO_FAMILIAR="9")]))

    assert stay_of("M").family_group == stay_of("H").family_group


def test_a_transfer_on_the_same_day_is_no_overlap(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("P", FECHA_INGRESO="2023-01-01", FECHA_EGRESO="2023-02-01"),
            stay("P", CODIGO_HOGAR="HRT-210101", FECHA_INGRESO="2023-02-01", FECHA_EGRESO=""),
        ],
    )

    report = run_import("stays", path)

    assert report.stored and not report.all_errors
    assert Stay.objects.filter(person__external_id="P").count() == 2


def test_new_stays_are_logged_with_the_file_and_line(shelters, tmp_path, cast):
    path = write(tmp_path, [stay("A", FECHA_EGRESO=""), stay("B")])

    run_import("stays", path, user=cast.admin)

    entries = set(
        ShelterLog.objects.values_list(
            "stay__person__external_id", "action", "user", "changes__file", "changes__line"
        )
    )
    assert entries == {
        ("A", "admit", cast.admin.pk, "estancias.csv", 2),
        ("B", "admit", cast.admin.pk, "estancias.csv", 3),
        ("B", "discharge", cast.admin.pk, "estancias.csv", 3),
    }


# Idempotence -----------------------------------------------------------------------------------


def test_importing_the_same_file_twice_stores_nothing_twice(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("M", FECHA_EGRESO="", GRUPO_FAMILIAR="1"),
            stay("H", EDAD=6, FECHA_EGRESO="", GRUPO_FAMILIAR="1"),
            stay("W", FECHA_INGRESO="2021-01-01", FECHA_EGRESO="2021-03-01"),
            stay("W", FECHA_INGRESO="2022-01-01", FECHA_EGRESO=""),
            stay("S"),
        ],
    )

    first = run_import("stays", path)
    groups = dict(Stay.objects.values_list("pk", "family_group"))
    second = run_import("stays", path)

    assert (first.to_create, first.present, first.rejected) == (5, 0, 0)
    assert (second.to_create, second.present, second.rejected) == (0, 5, 0)
    assert second.stored
    assert Stay.objects.count() == 5
    assert Person.objects.count() == 4
    assert ShelterLog.objects.count() == 7
    assert dict(Stay.objects.values_list("pk", "family_group")) == groups


def test_a_stored_stay_is_left_as_it_is_when_the_file_has_another_discharge(shelters, tmp_path):
    run_import("stays", write(tmp_path, [stay("P", FECHA_EGRESO="")]))

    report = run_import("stays", write(tmp_path, [stay("S"), stay("P", FECHA_EGRESO="2023-04-02")]))

    assert (report.to_create, report.present, report.rejected) == (1, 1, 0)
    assert stay_of("P").discharged_on is None
    assert any("3" in note for note in report.notes)


def test_a_second_import_keeps_counting_the_same_rejects(shelters, tmp_path):
    path = write(tmp_path, [stay("A"), stay("B", EDAD=130)])

    first = run_import("stays", path, skip_invalid=True)
    second = run_import("stays", path, skip_invalid=True)

    assert (first.to_create, first.present, first.rejected) == (1, 0, 1)
    assert (second.to_create, second.present, second.rejected) == (0, 1, 1)


# Bad rows --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ({"CODIGO_HOGAR": "HRT-999999"}, "CODIGO_HOGAR"),
        ({"CODIGO_HOGAR": "SAR-081201"}, "CODIGO_HOGAR"),
        ({"CODIGO_HOGAR": ""}, "CODIGO_HOGAR"),
        ({"ID_PERSONA": ""}, "ID_PERSONA"),
        ({"ID_PERSONA": "X" * 61}, "ID_PERSONA"),
        ({"SEXO": 2}, "SEXO"),
        ({"SEXO": "F"}, "SEXO"),
        ({"SEXO": ""}, "SEXO"),
        ({"EDAD": 130}, "EDAD"),
        ({"EDAD": 121}, "EDAD"),
        ({"EDAD": -1}, "EDAD"),
        ({"EDAD": "treinta"}, "EDAD"),
        ({"EDAD": ""}, "EDAD"),
        ({"FECHA_INGRESO": FUTURE, "FECHA_EGRESO": ""}, "FECHA_INGRESO"),
        ({"FECHA_EGRESO": FUTURE}, "FECHA_EGRESO"),
        ({"FECHA_INGRESO": "2023/03/01"}, "FECHA_INGRESO"),
        ({"FECHA_INGRESO": "31/02/2023"}, "FECHA_INGRESO"),
        ({"FECHA_INGRESO": ""}, "FECHA_INGRESO"),
        ({"FECHA_EGRESO": "2023-02-28"}, "FECHA_EGRESO"),
        ({"FECHA_EGRESO": "28/02/2023"}, "FECHA_EGRESO"),
        # Before the shelter opened (2020-01-01).
        ({"FECHA_INGRESO": "2019-12-31", "FECHA_EGRESO": "2020-02-01"}, "FECHA_INGRESO"),
        ({"CODIGO_SERVICIO": "SAR-081201"}, "NUMERO_CASO"),
        ({"NUMERO_CASO": "2023-1"}, "CODIGO_SERVICIO"),
        ({"CODIGO_SERVICIO": "SAR-081201", "NUMERO_CASO": "2099-77"}, "NUMERO_CASO"),
        ({"CODIGO_SERVICIO": "CEM-999999", "NUMERO_CASO": "2023-1"}, "CODIGO_SERVICIO"),
    ],
)
def test_each_bad_row_is_reported_with_its_line_and_column(shelters, tmp_path, bad, column):
    rows = [stay("A"), stay("B"), stay("C", **bad), stay("D")]
    path = write(tmp_path, rows)

    report = run_import("stays", path)

    assert errors_of(report) == {(4, column)}
    assert report.to_create == 3
    assert not report.stored
    assert not Stay.objects.exists()
    assert not Person.objects.exists()


def test_a_stay_must_fall_within_the_life_of_a_closed_shelter(shelters, cast, tmp_path):
    ShelterFactory(
        code="HRT-CERRADO",
        district=cast.service_a.district,
        opened_on=date(2020, 1, 1),
        closed_on=date(2022, 12, 31),
    )
    closed = {"CODIGO_HOGAR": "HRT-CERRADO"}
    path = write(
        tmp_path,
        [
            stay("A", FECHA_INGRESO="2022-03-01", FECHA_EGRESO="2022-12-31", **closed),
            stay("B", FECHA_INGRESO="2022-03-01", FECHA_EGRESO="", **closed),
            stay("C", FECHA_INGRESO="2022-03-01", FECHA_EGRESO="2023-01-15", **closed),
            stay("D", FECHA_INGRESO="2023-01-05", FECHA_EGRESO="2023-01-15", **closed),
        ],
    )

    report = run_import("stays", path)

    assert errors_of(report) == {(3, "FECHA_EGRESO"), (4, "FECHA_EGRESO"), (5, "FECHA_INGRESO")}
    assert "31/12/2022" in report.errors[0].reason


def test_a_future_date_names_the_rule(shelters, tmp_path):
    report = run_import("stays", write(tmp_path, [stay(FECHA_INGRESO=FUTURE, FECHA_EGRESO="")]))

    assert report.errors[0].reason == "The date cannot be in the future."


def test_overlapping_stays_of_one_person_in_the_file(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("P", FECHA_INGRESO="2023-01-01", FECHA_EGRESO="2023-03-01"),
            stay("Q"),
            stay("P", CODIGO_HOGAR="HRT-210101", FECHA_INGRESO="2023-02-01", FECHA_EGRESO=""),
            stay("P", FECHA_INGRESO="2022-12-01", FECHA_EGRESO="2023-01-02"),
            stay("P", FECHA_INGRESO="2023-03-01", FECHA_EGRESO="2023-03-10"),
        ],
    )

    report = run_import("stays", path)

    assert errors_of(report) == {(4, "FECHA_INGRESO"), (5, "FECHA_INGRESO")}
    reasons = {error.line: error.reason for error in report.errors}
    assert reasons[4] == "This stay overlaps the stay on line 2."
    assert reasons[5] == "This stay overlaps the stay on line 2."
    assert report.to_create == 3


def test_a_stay_overlapping_a_stored_one_is_an_error(shelters, tmp_path):
    person = PersonFactory(external_id="P", full_name="Rosa Quispe")
    StayFactory(
        person=person,
        shelter=shelters.b,
        admitted_on=date(2023, 1, 1),
        discharged_on=date(2023, 3, 1),
    )
    path = write(
        tmp_path,
        [
            stay("P", FECHA_INGRESO="2022-06-01", FECHA_EGRESO="2022-12-31"),
            stay("P", FECHA_INGRESO="2023-02-15", FECHA_EGRESO="2023-05-01"),
            stay("P", FECHA_INGRESO="2023-03-01", FECHA_EGRESO=""),
        ],
    )
    err = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("import_csv", "--kind", "stays", str(path), stdout=StringIO(), stderr=err)
    report = run_import("stays", path)

    assert errors_of(report) == {(3, "FECHA_INGRESO")}
    assert "HRT-210101" in report.errors[0].reason and "01/01/2023" in report.errors[0].reason
    output = err.getvalue() + str(raised.value)
    assert "3" in output and "FECHA_INGRESO" in output
    assert "Rosa" not in output and "Quispe" not in output
    assert Stay.objects.count() == 1


def test_two_open_stays_of_one_person_in_the_file(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("P", FECHA_INGRESO="2023-01-01", FECHA_EGRESO=""),
            stay("P", CODIGO_HOGAR="HRT-210101", FECHA_INGRESO="2024-01-01", FECHA_EGRESO=""),
        ],
    )

    report = run_import("stays", path)

    assert errors_of(report) == {(3, "FECHA_EGRESO")}
    assert report.errors[0].reason == "This person already has an open stay on line 2."


def test_an_open_stay_besides_a_stored_open_one_is_an_error(shelters, tmp_path):
    StayFactory(
        person=PersonFactory(external_id="P"), shelter=shelters.b, admitted_on=date(2024, 1, 10)
    )
    path = write(tmp_path, [stay("Q"), stay("P", FECHA_INGRESO="2024-05-01", FECHA_EGRESO="")])

    report = run_import("stays", path)

    assert errors_of(report) == {(3, "FECHA_EGRESO")}
    assert "HRT-210101" in report.errors[0].reason
    assert Stay.objects.count() == 1


def test_a_historic_stay_after_a_stored_open_one_overlaps_it(shelters, tmp_path):
    StayFactory(person=PersonFactory(external_id="P"), admitted_on=date(2023, 1, 10))
    path = write(tmp_path, [stay("P", FECHA_INGRESO="2023-03-01", FECHA_EGRESO="2023-04-01")])

    report = run_import("stays", path)

    assert errors_of(report) == {(2, "FECHA_INGRESO")}


def test_the_rows_that_would_overfill_a_shelter_are_errors(shelters, tmp_path):
    # Shelter B has 6 beds, 4 of them taken.
    for _ in range(4):
        StayFactory(shelter=shelters.b)
    StayFactory(shelter=shelters.b, discharged_on=date(2024, 2, 1))
    b = {"CODIGO_HOGAR": "HRT-210101", "FECHA_INGRESO": "2024-03-01"}
    path = write(
        tmp_path,
        [
            stay("A", FECHA_EGRESO="", **b),
            stay("B", FECHA_EGRESO="2024-03-05", **b),
            stay("C", FECHA_EGRESO="", **b),
            stay("D", FECHA_EGRESO="", **b),
            stay("E", FECHA_EGRESO="", **b),
            stay("F", FECHA_EGRESO=""),
        ],
    )

    report = run_import("stays", path, skip_invalid=True)

    assert errors_of(report) == {(5, "CODIGO_HOGAR"), (6, "CODIGO_HOGAR")}
    assert "HRT-210101" in report.errors[0].reason and "6" in report.errors[0].reason
    imported = Stay.objects.filter(person__external_id__isnull=False)
    assert set(imported.values_list("person__external_id", flat=True)) == {"A", "B", "C", "F"}
    assert Stay.objects.open().filter(shelter=shelters.b).count() == 6


def test_historic_stays_are_not_counted_against_the_capacity(shelters, tmp_path):
    b = {"CODIGO_HOGAR": "HRT-210101", "FECHA_INGRESO": "2023-03-01", "FECHA_EGRESO": "2023-04-01"}
    path = write(tmp_path, [stay(f"P{n}", **b) for n in range(8)])

    report = run_import("stays", path)

    assert report.stored and not report.all_errors
    assert Stay.objects.filter(shelter=shelters.b).count() == 8


def test_a_person_stored_with_the_other_sex_is_an_error(shelters, tmp_path):
    PersonFactory(external_id="P", sex=Sex.FEMALE)
    path = write(tmp_path, [stay("Q"), stay("P", SEXO=1, EDAD=9)])

    report = run_import("stays", path)

    assert errors_of(report) == {(3, "SEXO")}
    assert Person.objects.get(external_id="P").sex == Sex.FEMALE


def test_a_person_with_two_sexes_in_the_file_is_an_error_on_the_later_line(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("P", SEXO=1, EDAD=10, FECHA_INGRESO="2022-01-01", FECHA_EGRESO="2022-02-01"),
            stay("P", SEXO=0, EDAD=11),
        ],
    )

    report = run_import("stays", path)

    assert errors_of(report) == {(3, "SEXO")}
    assert report.errors[0].reason == "The same person has the other sex on line 2."


def test_the_same_stay_twice_in_the_file_is_an_error_on_the_later_line(shelters, tmp_path):
    path = write(tmp_path, [stay("P"), stay("Q"), stay("P", FECHA_EGRESO="2023-06-30")])

    report = run_import("stays", path)

    assert errors_of(report) == {(4, "FECHA_INGRESO")}
    assert "2" in report.errors[0].reason


def test_errors_never_quote_the_persons_identifier(shelters, tmp_path):
    secret = "DNI-41234567"
    path = write(
        tmp_path,
        [
            stay(secret, FECHA_EGRESO=""),
            stay(secret, FECHA_INGRESO="2024-01-01", FECHA_EGRESO=""),
            stay(secret, SEXO=1, EDAD=130),
        ],
    )

    report = run_import("stays", path)

    assert report.rejected == 2
    assert all(secret not in str(error) for error in report.all_errors)


# All or nothing, or skipping -------------------------------------------------------------------


def test_an_invalid_row_stores_nothing_and_the_command_fails(shelters, tmp_path):
    before = (Person.objects.count(), Stay.objects.count(), ShelterLog.objects.count())
    path = write(
        tmp_path,
        [stay("A", FECHA_EGRESO=""), stay("B", SEXO=7), stay("C"), stay("D", EDAD=130)],
    )
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_csv", "--kind", "stays", str(path), stdout=StringIO(), stderr=err)

    assert re.search(r"\b3\b.*SEXO", err.getvalue())
    assert re.search(r"\b5\b.*EDAD", err.getvalue())
    assert (Person.objects.count(), Stay.objects.count(), ShelterLog.objects.count()) == before
    assert not (tmp_path / "estancias.rechazados.csv").exists()


def test_skip_invalid_stores_the_good_rows_and_writes_the_rejects(shelters, tmp_path):
    path = write(
        tmp_path,
        [
            stay("A"),
            stay("B", CODIGO_HOGAR="HRT-000000"),
            stay("C", FECHA_EGRESO=""),
            stay("D", EDAD=130, SEXO=3),
        ],
        delimiter=";",
    )

    out, err = import_stays(path, skip_invalid=True)

    assert set(Person.objects.values_list("external_id", flat=True)) == {"A", "C"}
    assert Stay.objects.count() == 2
    rejects_path = tmp_path / "estancias.rechazados.csv"
    assert str(rejects_path) in out
    rejects = read_csv(rejects_path)
    assert rejects.delimiter == ";"
    assert rejects.header[:4] == ["LINEA", "MOTIVO", "CODIGO_HOGAR", "ID_PERSONA"]
    lines = {values[0]: values for _, values in rejects.rows}
    assert set(lines) == {"3", "5"}
    assert "CODIGO_HOGAR" in lines["3"][1]
    assert "EDAD" in lines["5"][1] and "SEXO" in lines["5"][1]
    assert lines["5"][2:4] == ["HRT-081201", "D"]
    assert "EDAD" in err


def test_a_missing_required_column_refuses_the_file_even_when_skipping(shelters, tmp_path):
    columns = [c for c in COLUMNS if c != "FECHA_EGRESO"]
    path = write_csv(tmp_path / "estancias.csv", [stay()], columns=columns)

    with pytest.raises(CommandError):
        import_stays(path, skip_invalid=True)

    report = run_import("stays", path, skip_invalid=True)
    assert errors_of(report) == {(1, "FECHA_EGRESO")}
    assert not Stay.objects.exists()


def test_the_optional_columns_may_be_absent(shelters, tmp_path):
    columns = ["CODIGO_HOGAR", "ID_PERSONA", "SEXO", "EDAD", "FECHA_INGRESO", "FECHA_EGRESO"]
    path = write_csv(tmp_path / "estancias.csv", [stay("A"), stay("B", EDAD=2)], columns=columns)

    report = run_import("stays", path)

    assert report.stored and not report.all_errors
    assert Stay.objects.count() == 2


# Writing in bulk, under the shelters' lock -----------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_rows(shelters, cast, tmp_path):
    case = CaseFactory(service=cast.service_a)

    def rows(count, prefix):
        return [
            stay(
                f"{prefix}{n}",
                FECHA_INGRESO=f"2021-01-{n + 1:02d}",
                FECHA_EGRESO=f"2021-02-{n + 1:02d}",
                GRUPO_FAMILIAR=str(n % 3),
                CODIGO_SERVICIO="SAR-081201",
                NUMERO_CASO=case.number,
            )
            for n in range(count)
        ]

    counts = []
    for count, prefix in ((3, "S"), (25, "L")):
        path = write_csv(tmp_path / f"{prefix}.csv", rows(count, prefix), columns=COLUMNS)
        with CaptureQueriesContext(connection) as queries:
            report = run_import("stays", path)
        assert report.stored and report.to_create == count
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_an_admission_between_check_and_store_aborts_the_import(shelters, tmp_path, monkeypatch):
    # Shelter B: 6 beds, 4 taken; the file fills the last 2.
    for _ in range(4):
        StayFactory(shelter=shelters.b)
    check = StayImporter.check

    def check_then_someone_is_admitted(self):
        report = check(self)
        StayFactory(shelter=shelters.b)
        return report

    monkeypatch.setattr(StayImporter, "check", check_then_someone_is_admitted)
    b = {"CODIGO_HOGAR": "HRT-210101", "FECHA_INGRESO": "2024-03-01", "FECHA_EGRESO": ""}
    path = write(tmp_path, [stay("A", **b), stay("B", **b)])

    with pytest.raises(ImportAborted) as raised:
        run_import("stays", path)

    assert "HRT-210101" in str(raised.value)
    assert not Person.objects.filter(external_id__in=["A", "B"]).exists()
    assert Stay.objects.open().filter(shelter=shelters.b).count() == 4


def test_a_stay_added_between_check_and_store_aborts_the_import(shelters, tmp_path, monkeypatch):
    person = PersonFactory(external_id="P")
    check = StayImporter.check

    def check_then_she_is_admitted(self):
        report = check(self)
        StayFactory(person=person, shelter=shelters.b, admitted_on=date(2023, 2, 1))
        return report

    monkeypatch.setattr(StayImporter, "check", check_then_she_is_admitted)
    path = write(tmp_path, [stay("P", FECHA_INGRESO="2023-01-01", FECHA_EGRESO="2023-03-01")])

    with pytest.raises(ImportAborted):
        run_import("stays", path)

    assert not Stay.objects.filter(shelter=shelters.a).exists()


@pytest.mark.postgres
def test_the_store_locks_the_shelters_rows(shelters, tmp_path):
    path = write(tmp_path, [stay("A", FECHA_EGRESO=""), stay("B", CODIGO_HOGAR="HRT-210101")])

    with CaptureQueriesContext(connection) as queries:
        run_import("stays", path)

    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert any('FROM "shelters_shelter"' in sql for sql in locks)
    assert Stay.objects.count() == 2


# The admin import ------------------------------------------------------------------------------


def test_the_admin_import_offers_and_stores_stays(shelters, cast, as_user, tmp_path, settings):
    settings.CSV_IMPORT_DIR = tmp_path / "imports"
    client = as_user(cast.admin)
    url = reverse("admin:csv_import")

    form = client.get(url, {"kind": "stays"}).content.decode()

    assert '<option value="stays" selected>' in form
    path = write(tmp_path, [stay("A"), stay("B", FECHA_EGRESO="")])
    with path.open("rb") as handle:
        uploaded = client.post(url, {"kind": "stays", "file": handle})
    run_jobs()  # the worker checks it
    preview = client.get(uploaded["Location"])
    assert preview.context["outcome"]["to_create"] == 2
    assert not Stay.objects.exists()
    token = re.search(r"/import/([\w-]+)/$", uploaded["Location"]).group(1)

    queued = client.post(reverse("admin:csv_import_confirm", args=[token]))
    run_jobs()  # the worker stores it (services/tasks.py)
    stored = client.get(queued["Location"])

    assert stored.context["changelist"] == reverse("admin:shelters_stay_changelist")
    assert Stay.objects.count() == 2
    assert set(ShelterLog.objects.values_list("user", flat=True)) == {cast.admin.pk}
