"""`import_csv --kind activities`: the columns of issue 12, read like every other kind."""

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.core.management import CommandError
from django.db.models import Count
from django.utils import timezone

from activities.models import Activity, AuditEntry
from services.csvimport import ImportAborted, read_csv, run_import
from services.models import Community
from tests.activities.factories import ActivityFactory
from tests.csvfiles import errors_of, import_file, write_csv
from tests.factories import CareServiceFactory, CommunityFactory, DistrictFactory

import_activities = partial(import_file, "activities")


def activity_row(identifier="T-001", **overrides):
    """A valid row of service A (SAR-081201, district 081201)."""
    row = {
        "CODIGO_SERVICIO": "SAR-081201",
        "ID_ACTIVIDAD": identifier,
        "FECHA": "2024-05-20",
        "UBIGEO": "081201",
        "CENTRO_POBLADO": "",
        "TIPO": "TALLER",
        "TEMA": "Prevención de la violencia en la familia",
        "PARTICIPANTES_MUJERES": 14,
        "PARTICIPANTES_HOMBRES": 6,
        "PARTICIPANTES_NINAS": 3,
        "PARTICIPANTES_NINOS": 1,
        "HORAS": "2",
    }
    return {**row, **overrides}


def test_a_utf8_comma_file_stores_the_activities_with_codes_and_audit(cast, tmp_path):
    path = write_csv(
        tmp_path / "actividades.csv",
        [
            activity_row("T-001"),
            activity_row("T-002", FECHA="2025-02-01", TIPO="campana", HORAS=""),
        ],
    )

    out, _err = import_activities(path)

    first = Activity.objects.get(external_id="T-001")
    assert first.code == "SAR-081201-2024-A0001"
    assert (first.service, first.date, first.district_id, first.community) == (
        cast.service_a,
        date(2024, 5, 20),
        "081201",
        None,
    )
    assert (first.type, first.topic, first.duration_hours) == (
        "TALLER",
        "Prevención de la violencia en la familia",
        Decimal(2),
    )
    assert (first.women, first.men, first.girls, first.boys) == (14, 6, 3, 1)
    second = Activity.objects.get(external_id="T-002")
    assert (second.code, second.type, second.duration_hours) == (
        "SAR-081201-2025-A0001",
        "CAMPANA",
        None,
    )
    entry = AuditEntry.objects.get(activity=first)
    assert (entry.action, entry.changes) == ("import", {"file": "actividades.csv", "line": 2})
    assert "2" in out


def test_latin1_semicolon_file_with_day_first_dates_and_decimal_commas(cast, tmp_path):
    path = write_csv(
        tmp_path / "actividades.csv",
        [activity_row(FECHA="20/05/2024", HORAS="1,5", TEMA="Niñez y prevención en Ñaupa")],
        encoding="latin-1",
        delimiter=";",
    )

    import_activities(path)

    activity = Activity.objects.get()
    assert activity.date == date(2024, 5, 20)
    assert activity.duration_hours == Decimal("1.5")
    assert activity.topic == "Niñez y prevención en Ñaupa"


def test_a_reimport_stores_nothing_twice(cast, tmp_path):
    path = write_csv(tmp_path / "a.csv", [activity_row("T-001"), activity_row("T-002")])
    import_activities(path)
    # the first one was edited since, the second cancelled: neither is touched
    Activity.objects.filter(external_id="T-001").update(topic="Editado")

    report = run_import("activities", path)

    assert (report.to_create, report.present, report.stored) == (0, 2, True)
    assert Activity.objects.count() == 2
    assert Activity.objects.get(external_id="T-001").topic == "Editado"
    assert AuditEntry.objects.count() == 2


def test_the_same_identifier_in_another_service_is_another_activity(cast, tmp_path):
    other = CareServiceFactory(kind="SAR", code="SAR-081202", district=cast.service_a.district)
    ActivityFactory(service=cast.service_a, external_id="T-001")
    path = write_csv(
        tmp_path / "a.csv",
        [activity_row("T-001"), activity_row("T-001", CODIGO_SERVICIO=other.code)],
    )

    report = run_import("activities", path)

    assert (report.present, report.to_create) == (1, 1)
    assert Activity.objects.filter(external_id="T-001").count() == 2


def test_bad_rows_are_named_by_line_and_column_and_nothing_is_stored(cast, tmp_path):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    rows = [
        activity_row("OK-1"),
        activity_row("B-3", CODIGO_SERVICIO="SAR-999999"),
        activity_row("B-4", FECHA="2024-13-01"),
        activity_row("B-5", FECHA=tomorrow),
        activity_row("B-6", UBIGEO="999999"),
        activity_row("B-7", UBIGEO="210101"),  # another region than the service's
        activity_row("B-8", CENTRO_POBLADO="2101010001"),  # not in district 081201
        activity_row("B-9", CENTRO_POBLADO="12AB"),
        activity_row("B-10", TIPO="CHARLA"),
        activity_row("B-11", TEMA=""),
        activity_row("B-12", PARTICIPANTES_NINAS="-1"),
        activity_row("B-13", PARTICIPANTES_HOMBRES=""),
        activity_row("B-14", HORAS="25"),
        activity_row("B-15", HORAS="dos"),
        activity_row(
            "B-16",
            PARTICIPANTES_MUJERES=0,
            PARTICIPANTES_HOMBRES=0,
            PARTICIPANTES_NINAS=0,
            PARTICIPANTES_NINOS=0,
        ),
        activity_row("OK-1"),  # repeated pair
        activity_row("B-18", FECHA="2019-12-31"),  # before service A opened (2020-01-01)
        activity_row(""),
        activity_row("B-20", CODIGO_SERVICIO="CEM-210101", UBIGEO="210101"),  # a valid CEM row
        activity_row("B-21", PARTICIPANTES_MUJERES="10001"),
    ]
    cai = CareServiceFactory(kind="CAI", code="CAI-081201", district=cast.service_a.district)
    rows.append(activity_row("B-22", CODIGO_SERVICIO=cai.code))
    path = write_csv(tmp_path / "a.csv", rows)

    report = run_import("activities", path)

    assert not report.stored
    assert errors_of(report) == {
        (3, "CODIGO_SERVICIO"),
        (4, "FECHA"),
        (5, "FECHA"),
        (6, "UBIGEO"),
        (7, "UBIGEO"),
        (8, "CENTRO_POBLADO"),
        (9, "CENTRO_POBLADO"),
        (10, "TIPO"),
        (11, "TEMA"),
        (12, "PARTICIPANTES_NINAS"),
        (13, "PARTICIPANTES_HOMBRES"),
        (14, "HORAS"),
        (15, "HORAS"),
        (16, ""),
        (17, "ID_ACTIVIDAD"),
        (18, "FECHA"),
        (19, "ID_ACTIVIDAD"),
        (21, "PARTICIPANTES_MUJERES"),
        (22, "CODIGO_SERVICIO"),
    }
    assert (report.to_create, report.rejected) == (2, 19)
    assert not Activity.objects.exists()


def test_the_command_names_the_lines_and_stores_nothing(cast, tmp_path):
    path = write_csv(tmp_path / "a.csv", [activity_row("T-1"), activity_row("T-2", TIPO="X")])
    with pytest.raises(CommandError, match="No se guardó nada"):
        import_activities(path)
    assert not Activity.objects.exists()


def test_skip_invalid_stores_the_good_rows_and_writes_the_rejected(cast, tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        [activity_row("T-1"), activity_row("T-2", UBIGEO="999999"), activity_row("T-3")],
    )

    out, err = import_activities(path, skip_invalid=True)

    assert set(Activity.objects.values_list("external_id", flat=True)) == {"T-1", "T-3"}
    rejects = (tmp_path / "a.rechazados.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejects[0].startswith("LINEA,MOTIVO,CODIGO_SERVICIO")
    assert rejects[1].startswith("3,UBIGEO:")
    assert " 3, UBIGEO: " in err


def test_an_unknown_centro_poblado_is_added_under_its_district(cast, tmp_path):
    known = CommunityFactory(district=cast.service_a.district, code="0812010001", name="Ccollpa")
    # The same 4-digit suffix in another district is another community.
    neighbour = DistrictFactory(code="081202", province=cast.service_a.district.province)
    CommunityFactory(district=neighbour, code="0812020007", name="Huayllay")
    path = write_csv(
        tmp_path / "a.csv",
        [
            activity_row("T-1", CENTRO_POBLADO="0812010001"),
            activity_row("T-2", CENTRO_POBLADO="0812010007"),
            activity_row("T-3", CENTRO_POBLADO="812010007"),  # a spreadsheet dropped the 0
        ],
    )

    preview = run_import("activities", path, dry_run=True)
    assert [count for _label, count in preview.extra_counts] == [1]
    assert not Community.objects.filter(code="0812010007").exists()

    run_import("activities", path)

    added = Community.objects.get(code="0812010007")
    assert (added.district_id, added.name, added.kind) == (
        "081201",
        "Centro poblado 0812010007",
        Community.Kind.CENTRO_POBLADO,
    )
    by_identifier = dict(Activity.objects.values_list("external_id", "community_id"))
    assert by_identifier == {"T-1": known.pk, "T-2": added.pk, "T-3": added.pk}


def test_a_name_already_used_in_the_district_gets_a_number(cast, tmp_path):
    CommunityFactory(
        district=cast.service_a.district, code="0812010099", name="Centro poblado 0812010009"
    )
    path = write_csv(tmp_path / "a.csv", [activity_row("T-1", CENTRO_POBLADO="0812010009")])
    run_import("activities", path)
    assert Community.objects.get(code="0812010009").name == "Centro poblado 0812010009 (2)"


def test_communities_of_rejected_rows_are_not_added(cast, tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        [activity_row("T-1"), activity_row("T-2", CENTRO_POBLADO="0812010009", TIPO="X")],
    )
    report = run_import("activities", path, skip_invalid=True)
    assert report.stored
    assert [count for _label, count in report.extra_counts] == [0]
    assert not Community.objects.filter(code="0812010009").exists()


def test_a_missing_column_is_a_file_error(cast, tmp_path):
    row = activity_row()
    del row["TIPO"]
    path = write_csv(tmp_path / "a.csv", [row])
    report = run_import("activities", path)
    assert {(error.line, error.column) for error in report.file_errors} == {(1, "TIPO")}
    assert not report.stored


def test_hours_and_centro_poblado_columns_may_be_absent(cast, tmp_path):
    row = activity_row()
    del row["HORAS"], row["CENTRO_POBLADO"]
    run_import("activities", write_csv(tmp_path / "a.csv", [row]))
    assert Activity.objects.get().duration_hours is None


def test_the_check_reads_the_file_in_a_constant_number_of_queries(
    cast, tmp_path, django_assert_num_queries
):
    """services, districts, pairs already stored (per service), communities named, taken
    names: never one query per row."""

    def check(count):
        rows = [activity_row(f"T-{n}", CENTRO_POBLADO=f"081201{n % 7:04d}") for n in range(count)]
        source = read_csv(write_csv(tmp_path / f"a{count}.csv", rows))
        from activities.importers import ActivityImporter

        return ActivityImporter(source).check()

    with django_assert_num_queries(5):
        assert check(3).to_create == 3
    with django_assert_num_queries(5):
        assert check(40).to_create == 40


def test_each_service_and_year_takes_one_block_of_numbers(cast, tmp_path):
    ActivityFactory(service=cast.service_a, date=date(2024, 1, 5))  # A0001 of 2024
    rows = [activity_row(f"T-{n}") for n in range(3)]
    run_import("activities", write_csv(tmp_path / "a.csv", rows))
    codes = sorted(
        Activity.objects.filter(external_id__isnull=False).values_list("code", flat=True)
    )
    assert codes == [f"SAR-081201-2024-A{n:04d}" for n in (2, 3, 4)]
    assert not Activity.objects.values("code").annotate(n=Count("pk")).filter(n__gt=1).exists()


def test_a_row_stored_between_check_and_store_aborts_the_import(cast, tmp_path, monkeypatch):
    """The unique (service, ID_ACTIVIDAD) settles a concurrent import: nothing is stored."""
    from activities.importers import ActivityImporter

    check = ActivityImporter.check

    def check_then_someone_imports_it(self):
        report = check(self)
        ActivityFactory(service=cast.service_a, external_id="T-2")
        return report

    monkeypatch.setattr(ActivityImporter, "check", check_then_someone_imports_it)
    path = write_csv(tmp_path / "a.csv", [activity_row("T-1"), activity_row("T-2")])

    with pytest.raises(ImportAborted):
        run_import("activities", path)

    # (the other import's row was written in this test's transaction, rolled back with it)
    assert not Activity.objects.exists()
    monkeypatch.undo()
    assert run_import("activities", path).to_create == 2


def test_a_community_added_between_check_and_store_aborts_the_import(cast, tmp_path, monkeypatch):
    from activities.importers import ActivityImporter

    check = ActivityImporter.check

    def check_then_a_colleague_adds_it(self):
        report = check(self)
        CommunityFactory(district=cast.service_a.district, code="0812010007", name="Chumpe")
        return report

    monkeypatch.setattr(ActivityImporter, "check", check_then_a_colleague_adds_it)
    path = write_csv(tmp_path / "a.csv", [activity_row("T-1", CENTRO_POBLADO="0812010007")])

    with pytest.raises(ImportAborted):
        run_import("activities", path)

    assert not Activity.objects.exists()
