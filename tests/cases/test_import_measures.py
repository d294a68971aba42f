"""`import_csv --kind measures`: one row per protection measure, its complaint created once."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from cases import actions
from cases.models import AuditEntry, Case, Complaint, ProtectionMeasure
from services.csvimport import ImportAborted, read_csv, run_import
from tests.csvfiles import errors_of, import_file, write_csv
from tests.factories import CaseFactory

COLUMNS = [
    "CODIGO_SERVICIO",
    "NUMERO_CASO",
    "FECHA_DENUNCIA",
    "HORA_DENUNCIA",
    "LUGAR_DENUNCIA",
    "NOMBRE_LUGAR",
    "PRESENTADA_POR",
    "REFERENCIA",
    "TIPO_MEDIDA",
    "ESTADO",
    "FECHA_OTORGAMIENTO",
    "HORA_OTORGAMIENTO",
    "FECHA_NOTIFICACION",
    "JUZGADO",
    "EJECUTA",
    "FECHA_FIN",
]


@pytest.fixture(autouse=True)
def _in_english():
    """The reasons are read in English (the msgids), whatever the catalogue holds."""
    with translation.override("en"):
        yield


def lima(*args) -> datetime:
    """A moment on the services' clock (America/Lima is UTC-5 all year)."""
    return datetime(*args, tzinfo=UTC) + timedelta(hours=5)


@pytest.fixture
def case(cast):
    return CaseFactory(service=cast.service_a)


def row(case, **overrides):
    """A measure granted 20 hours after a police complaint filed on 2024-05-10 at 23:30."""
    return {
        "CODIGO_SERVICIO": case.service.code,
        "NUMERO_CASO": case.number,
        "FECHA_DENUNCIA": "2024-05-10",
        "HORA_DENUNCIA": "23:30",
        "LUGAR_DENUNCIA": "police",
        "NOMBRE_LUGAR": "Comisaría PNP de Urcos",
        "PRESENTADA_POR": "victim",
        "REFERENCIA": "123-2024",
        "TIPO_MEDIDA": "IMPEDIMENTO_ACERCAMIENTO",
        "ESTADO": "",
        "FECHA_OTORGAMIENTO": "2024-05-11",
        "HORA_OTORGAMIENTO": "19:30",
        "FECHA_NOTIFICACION": "2024-05-12",
        "JUZGADO": "Juzgado de Familia de Quispicanchi",
        "EJECUTA": "police",
        "FECHA_FIN": "",
        **overrides,
    }


def requested(case, **overrides):
    return row(
        case,
        FECHA_OTORGAMIENTO="",
        HORA_OTORGAMIENTO="",
        FECHA_NOTIFICACION="",
        JUZGADO="",
        EJECUTA="",
        **overrides,
    )


def measures_file(tmp_path, rows, **options):
    return write_csv(tmp_path / "medidas.csv", rows, columns=COLUMNS, **options)


def test_rows_of_one_complaint_create_it_once_settled_at_its_earliest_decision(case, tmp_path):
    version = case.version
    path = measures_file(
        tmp_path,
        [
            row(case, FECHA_OTORGAMIENTO="2024-05-12", HORA_OTORGAMIENTO="09:00"),
            row(case, TIPO_MEDIDA="PROHIBICION_COMUNICACION"),
            requested(case, TIPO_MEDIDA="RETIRO_AGRESOR"),
            requested(case, FECHA_DENUNCIA="2024-06-01", HORA_DENUNCIA="08:00"),
        ],
    )

    out, _ = import_file("measures", path)

    first, second = Complaint.objects.order_by("filed_at")
    assert (first.filed_at, first.deadline) == (
        lima(2024, 5, 10, 23, 30),
        lima(2024, 5, 11, 23, 30),
    )
    assert (first.place, first.filed_by, first.reference) == ("police", "victim", "123-2024")
    assert first.place_name == "Comisaría PNP de Urcos"
    assert (first.case, first.service) == (case, case.service)
    # Settled by the earliest decision of its measures: within the 24 hours.
    assert first.settled_at == lima(2024, 5, 11, 19, 30)
    assert sorted(first.measures.values_list("measure_type", "state")) == [
        ("IMPEDIMENTO_ACERCAMIENTO", "granted"),
        ("PROHIBICION_COMUNICACION", "granted"),
        ("RETIRO_AGRESOR", "requested"),
    ]
    granted = first.measures.get(measure_type="PROHIBICION_COMUNICACION")
    assert (granted.notified_on, granted.court, granted.executed_by) == (
        date(2024, 5, 12),
        "Juzgado de Familia de Quispicanchi",
        "police",
    )
    # Only requested: still waiting for measures.
    assert second.settled_at is None
    assert second.measures.get().state == "requested"
    case.refresh_from_db()
    assert (case.complaint_filed, case.protective_measures) == (True, True)
    assert case.version == version + 1
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).order_by("pk")
    assert [(e.case_id, e.changes["line"], e.changes["complaint_created"]) for e in entries] == [
        (case.pk, 2, True),
        (case.pk, 3, False),
        (case.pk, 4, False),
        (case.pk, 5, True),
    ]
    assert entries[0].changes["file"] == "medidas.csv"
    assert "medidas.csv" in out


def test_latin1_semicolon_day_first_dates_and_codes_in_any_case(case, tmp_path):
    path = measures_file(
        tmp_path,
        [
            row(
                case,
                FECHA_DENUNCIA="10/05/2024",
                LUGAR_DENUNCIA="Family_Court",
                NOMBRE_LUGAR="Juzgado de Familia de Urcos - Señora Ñaupa",
                PRESENTADA_POR="SERVICE",
                TIPO_MEDIDA="tratamiento_victima",
                ESTADO="In_Force",
                FECHA_OTORGAMIENTO="11/05/2024",
                HORA_OTORGAMIENTO="9:05:00",
                EJECUTA="Health",
            )
        ],
        encoding="latin-1",
        delimiter=";",
    )

    run_import("measures", path)

    measure = ProtectionMeasure.objects.select_related("complaint").get()
    assert measure.complaint.filed_at == lima(2024, 5, 10, 23, 30)
    assert (measure.complaint.place, measure.complaint.filed_by) == ("family_court", "service")
    assert measure.complaint.place_name.endswith("Señora Ñaupa")
    assert (measure.measure_type, measure.state, measure.executed_by) == (
        "TRATAMIENTO_VICTIMA",
        "in_force",
        "health",
    )
    assert measure.decided_at == lima(2024, 5, 11, 9, 5)


def test_importing_the_same_file_twice_stores_nothing_twice(case, tmp_path):
    rows = [row(case), requested(case, TIPO_MEDIDA="RETIRO_AGRESOR")]
    path = measures_file(tmp_path, rows)

    first = run_import("measures", path)
    second = run_import("measures", path)

    assert (first.to_create, first.present, first.rejected) == (2, 0, 0)
    assert (second.to_create, second.present, second.rejected) == (0, 2, 0)
    assert (Complaint.objects.count(), ProtectionMeasure.objects.count()) == (1, 2)
    assert AuditEntry.objects.count() == 2

    # A later state in the file leaves the stored measure as it is, and says so.
    rows[1] = row(case, TIPO_MEDIDA="RETIRO_AGRESOR")
    third = run_import("measures", measures_file(tmp_path, rows))
    assert (third.to_create, third.present) == (0, 2)
    assert ("Already present with another state in the file (left as they are)", 1) in [
        (str(label), count) for label, count in third.extra_counts
    ]
    assert ProtectionMeasure.objects.get(measure_type="RETIRO_AGRESOR").state == "requested"


def test_a_measure_of_a_complaint_recorded_on_the_case_page_joins_it(case, cast, tmp_path):
    complaint = actions.file_complaint(
        case=case,
        user=cast.caseworker_a,
        filed_at=lima(2024, 5, 10, 23, 30),
        place="police",
        filed_by="relative",
    )
    actions.record_measure(
        complaint=complaint,
        user=cast.caseworker_a,
        data={
            "measure_type": "RETIRO_AGRESOR",
            "state": "granted",
            "decided_at": lima(2024, 5, 12, 8),
        },
    )
    path = measures_file(tmp_path, [row(case), row(case, TIPO_MEDIDA="RETIRO_AGRESOR")])

    report = run_import("measures", path)

    assert (report.to_create, report.present) == (1, 1)
    assert Complaint.objects.get() == complaint
    complaint.refresh_from_db()
    # The stored complaint keeps who filed it; the earlier decision of the file settles it.
    assert complaint.filed_by == "relative"
    assert complaint.settled_at == lima(2024, 5, 11, 19, 30)
    assert complaint.measures.count() == 2


def test_a_complaint_set_aside_keeps_the_moment_it_was_set_aside(case, cast, tmp_path):
    complaint = actions.file_complaint(
        case=case,
        user=cast.caseworker_a,
        filed_at=lima(2024, 5, 10, 23, 30),
        place="police",
        filed_by="victim",
    )
    actions.set_complaint_aside(complaint=complaint, user=cast.caseworker_a, reason="Duplicada")
    complaint.refresh_from_db()
    moment = complaint.settled_at

    run_import("measures", measures_file(tmp_path, [row(case)]))

    complaint.refresh_from_db()
    assert complaint.settled_at == moment
    assert complaint.measures.get().state == "granted"


def test_a_closed_case_takes_decided_measures_but_no_complaint_left_pending(case, tmp_path):
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, closed_on=date(2024, 8, 1), closure_reason="completed"
    )
    path = measures_file(
        tmp_path,
        [
            # Its history: a complaint with a decision, even if one of its measures waits.
            row(case, ESTADO="denied", FECHA_NOTIFICACION="", EJECUTA=""),
            requested(case, TIPO_MEDIDA="RETIRO_AGRESOR"),
            # A complaint with no decision at all would be left pending: refused.
            requested(case, FECHA_DENUNCIA="2024-06-01", HORA_DENUNCIA="08:00"),
        ],
    )

    report = run_import("measures", path, skip_invalid=True)

    assert errors_of(report) == {(4, "NUMERO_CASO")}
    assert "closed" in report.errors[0].reason
    complaint = Complaint.objects.get()
    assert complaint.settled_at == lima(2024, 5, 11, 19, 30)
    assert complaint.measures.count() == 2
    case.refresh_from_db()
    # A denial is no protective measure; the complaint was filed.
    assert (case.status, case.complaint_filed, case.protective_measures) == ("closed", True, None)


FUTURE = (timezone.localdate() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("bad", "column", "says"),
    [
        ({"CODIGO_SERVICIO": "CEM-999999"}, "CODIGO_SERVICIO", "CEM-999999"),
        ({"NUMERO_CASO": "2023-99999"}, "NUMERO_CASO", "2023-99999"),
        ({"NUMERO_CASO": ""}, "NUMERO_CASO", ""),
        ({"FECHA_DENUNCIA": "2024/05/10"}, "FECHA_DENUNCIA", "DD/MM/YYYY"),
        ({"FECHA_DENUNCIA": FUTURE}, "FECHA_DENUNCIA", "future"),
        ({"HORA_DENUNCIA": "25:00"}, "HORA_DENUNCIA", "HH:MM"),
        ({"HORA_DENUNCIA": ""}, "HORA_DENUNCIA", "required"),
        ({"LUGAR_DENUNCIA": "comisaria"}, "LUGAR_DENUNCIA", "police, prosecutor"),
        ({"PRESENTADA_POR": ""}, "PRESENTADA_POR", "required"),
        ({"PRESENTADA_POR": "ella"}, "PRESENTADA_POR", "victim, service"),
        ({"TIPO_MEDIDA": "ALEJAMIENTO"}, "TIPO_MEDIDA", "RETIRO_AGRESOR"),
        ({"ESTADO": "otorgada"}, "ESTADO", "requested, granted"),
        ({"EJECUTA": "pnp"}, "EJECUTA", "police, judiciary"),
        (
            {"FECHA_OTORGAMIENTO": "2024-05-10", "HORA_OTORGAMIENTO": "20:00"},
            "FECHA_OTORGAMIENTO",
            "before",
        ),
        ({"HORA_OTORGAMIENTO": ""}, "HORA_OTORGAMIENTO", "HH:MM"),
        (
            {"FECHA_OTORGAMIENTO": "", "FECHA_NOTIFICACION": ""},
            "HORA_OTORGAMIENTO",
            "FECHA_OTORGAMIENTO",
        ),
        ({"ESTADO": "denied"}, "FECHA_NOTIFICACION", "granted"),
        ({"FECHA_FIN": "2024-06-01"}, "FECHA_FIN", "lifted"),
        ({"ESTADO": "expired"}, "FECHA_FIN", ""),
        ({"ESTADO": "requested", "FECHA_NOTIFICACION": ""}, "FECHA_OTORGAMIENTO", "requested"),
        ({"NOMBRE_LUGAR": "=HYPERLINK(1)"}, "NOMBRE_LUGAR", "formula"),
        ({"JUZGADO": "@juzgado"}, "JUZGADO", "formula"),
        ({"REFERENCIA": "9" * 61}, "REFERENCIA", "60"),
    ],
)
def test_each_bad_cell_is_reported_with_its_line_and_column(case, tmp_path, bad, column, says):
    path = measures_file(
        tmp_path,
        [
            row(case),
            row(case, TIPO_MEDIDA="RETIRO_AGRESOR"),
            row(case, **{"TIPO_MEDIDA": "PROHIBICION_COMUNICACION", **bad}),
            row(case, TIPO_MEDIDA="PROHIBICION_ARMAS"),
        ],
    )

    report = run_import("measures", path)

    assert errors_of(report) == {(4, column)}
    assert says in report.errors[0].reason
    assert report.to_create == 3
    assert not report.stored
    assert not Complaint.objects.exists() and not ProtectionMeasure.objects.exists()


def test_a_case_of_another_service_is_not_found(case, cast, tmp_path):
    second = CaseFactory(service=cast.service_a)
    CaseFactory(service=cast.service_b)  # service B has a case numbered like `case`, not `second`
    path = measures_file(
        tmp_path,
        [
            row(case, CODIGO_SERVICIO=cast.service_b.code.lower()),
            row(second, CODIGO_SERVICIO=cast.service_b.code),
        ],
    )

    report = run_import("measures", path)

    assert errors_of(report) == {(3, "NUMERO_CASO")}
    assert cast.service_b.code in report.errors[0].reason
    assert not report.stored


def test_an_invalid_row_stores_nothing_and_the_command_names_line_and_column(case, tmp_path):
    version = case.version
    path = measures_file(
        tmp_path, [row(case), row(case, TIPO_MEDIDA="RETIRO_AGRESOR", HORA_DENUNCIA="7pm")]
    )
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_csv", str(path), kind="measures", stdout=StringIO(), stderr=err)

    assert "3" in err.getvalue() and "HORA_DENUNCIA" in err.getvalue()
    assert not Complaint.objects.exists()
    assert not AuditEntry.objects.exists()
    case.refresh_from_db()
    assert (case.version, case.complaint_filed) == (version, None)
    assert not (tmp_path / "medidas.rechazados.csv").exists()


def test_skip_invalid_stores_the_good_rows_and_writes_the_rejects_beside_the_file(case, tmp_path):
    path = measures_file(
        tmp_path,
        [
            row(case),
            row(case, TIPO_MEDIDA="XYZ", EJECUTA="nadie"),
            row(case, TIPO_MEDIDA="RETIRO_AGRESOR"),
        ],
        delimiter=";",
    )

    out, _ = import_file("measures", path, skip_invalid=True)

    assert ProtectionMeasure.objects.count() == 2
    rejects = read_csv(tmp_path / "medidas.rechazados.csv")
    assert rejects.delimiter == ";"
    assert rejects.header[:3] == ["LINEA", "MOTIVO", "CODIGO_SERVICIO"]
    ((_, rejected),) = rejects.rows
    assert rejected[0] == "3"
    assert "TIPO_MEDIDA" in rejected[1] and "EJECUTA" in rejected[1]


def test_a_row_repeated_in_the_file_is_an_error_on_the_later_line(case, tmp_path):
    path = measures_file(tmp_path, [row(case), requested(case), row(case, HORA_DENUNCIA="08:00")])

    report = run_import("measures", path)

    assert errors_of(report) == {(3, "TIPO_MEDIDA")}
    assert "2" in report.errors[0].reason


def test_rows_of_one_new_complaint_must_agree_on_it(case, tmp_path):
    path = measures_file(
        tmp_path,
        [row(case), row(case, TIPO_MEDIDA="RETIRO_AGRESOR", PRESENTADA_POR="relative")],
    )

    report = run_import("measures", path)

    assert errors_of(report) == {(3, "PRESENTADA_POR")}


def test_a_nul_byte_refuses_its_row_without_quoting_it(case, tmp_path):
    path = measures_file(
        tmp_path, [row(case), row(case, TIPO_MEDIDA="RETIRO_AGRESOR", REFERENCIA="12\x003")]
    )

    report = run_import("measures", path, skip_invalid=True)

    assert errors_of(report) == {(3, "REFERENCIA")}
    assert ProtectionMeasure.objects.count() == 1


def test_a_missing_required_column_refuses_the_file(case, tmp_path):
    columns = [c for c in COLUMNS if c != "PRESENTADA_POR"]
    path = write_csv(tmp_path / "medidas.csv", [row(case)], columns=columns)

    report = run_import("measures", path, skip_invalid=True)

    assert errors_of(report) == {(1, "PRESENTADA_POR")}
    assert not ProtectionMeasure.objects.exists()


def test_the_admin_import_offers_the_measures_kind(cast, as_user):
    page = as_user(cast.admin).get("/admin/cases/case/import/", {"kind": "measures"})

    assert '<option value="measures" selected>' in page.content.decode()


def test_a_measure_recorded_meanwhile_aborts_the_import(case, cast, tmp_path, monkeypatch):
    from cases.measure_importers import MeasureImporter

    recheck = MeasureImporter.lock_and_recheck

    def colleague_first(self):
        # Between the check and the store, a caseworker records the same complaint's measure.
        complaint = actions.file_complaint(
            case=case,
            user=cast.caseworker_a,
            filed_at=lima(2024, 5, 10, 23, 30),
            place="police",
            filed_by="victim",
        )
        actions.record_measure(
            complaint=complaint,
            user=cast.caseworker_a,
            data={"measure_type": "IMPEDIMENTO_ACERCAMIENTO"},
        )
        recheck(self)

    monkeypatch.setattr(MeasureImporter, "lock_and_recheck", colleague_first)

    with pytest.raises(ImportAborted):
        run_import("measures", measures_file(tmp_path, [row(case)]))

    assert not Complaint.objects.exists()  # the colleague's too: one transaction rolled back


def test_the_queries_do_not_grow_with_the_rows(cast, tmp_path):
    def queries_for(count: int) -> int:
        cases = [CaseFactory(service=cast.service_a) for _ in range(count)]
        rows = [
            row(c, TIPO_MEDIDA=kind, HORA_DENUNCIA=f"0{n}:00")
            for n, c in enumerate(cases)
            for kind in ("RETIRO_AGRESOR", "PROHIBICION_ARMAS")
        ]
        with CaptureQueriesContext(connection) as queries:
            report = run_import("measures", measures_file(tmp_path, rows))
        assert report.stored and report.to_create == 2 * count
        return len(queries.captured_queries)

    assert queries_for(2) == queries_for(8)
