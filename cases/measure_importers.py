"""Import protection measures from a CSV file (kind `measures`): one row per measure.

For the services that keep their complaints and measures on spreadsheets today. Columns:

- CODIGO_SERVICIO and NUMERO_CASO: the case, which must exist in that service.
- FECHA_DENUNCIA, HORA_DENUNCIA (`HH:MM`, 24 hours, America/Lima), LUGAR_DENUNCIA (`police`,
  `prosecutor`, `family_court` or `peace_court`), NOMBRE_LUGAR (may be empty), PRESENTADA_POR
  (`victim`, `service`, `relative` or `other`) and REFERENCIA (may be empty): the complaint.
- TIPO_MEDIDA: a code of `cases/data/protection_measures.csv` (RETIRO_AGRESOR...).
- ESTADO (`requested`, `granted`, `denied`, `in_force`, `lifted` or `expired`; may be empty:
  `granted` if FECHA_OTORGAMIENTO is given, else `requested`), FECHA_OTORGAMIENTO and
  HORA_OTORGAMIENTO (the court's decision, granted or denied; may be empty), FECHA_NOTIFICACION,
  JUZGADO, EJECUTA (`police`, `judiciary`, `prosecutor`, `service`, `shelter`, `health`,
  `municipality` or `other`) and FECHA_FIN (lifted or expired on): all may be empty.

The required columns are CODIGO_SERVICIO, NUMERO_CASO, FECHA_DENUNCIA, HORA_DENUNCIA,
LUGAR_DENUNCIA, PRESENTADA_POR and TIPO_MEDIDA; the others may be absent (empty everywhere).

Decisions (see also README.md, "Import formats"):
- The coded columns take the values the application stores (written in any case); a wrong one is
  refused with the list of those accepted.
- PRESENTADA_POR is required: the model cannot store "unknown", and the import never invents a
  value the file does not carry.
- Rows of the same case with the same FECHA_DENUNCIA, HORA_DENUNCIA and LUGAR_DENUNCIA are the
  same complaint: created once (or found among the complaints already stored), its deadline from
  `clock.deadline_for`. Its other cells must then agree between the rows (a later line that
  differs is refused); a complaint already stored keeps what it holds.
- A measure is identified by its case, its complaint's moment and place, and TIPO_MEDIDA. A row
  already stored counts as already present and is left as it is, even when the file gives it a
  later state: the case page is where a measure moves on, and an import never overwrites what
  a caseworker recorded since. The report counts those rows. A row repeated in the file is an
  error on the later line.
- Every row is checked with `rules.complaint_problems` and `rules.measure_problems`, the rules of
  the forms and the actions; a problem becomes an error in the column at fault.
- A closed case may receive decided measures (its history), but not a complaint that would be
  left waiting for measures: such rows are refused. Reopen the case to record a pending one.
- The writes have the effects of `actions.file_complaint` and `actions.record_measure` (a
  decision settles the complaint at its earliest decision, unless it was set aside; the case
  records a complaint filed and, with a measure granted, protective measures; its version moves
  on), done in bulk: the actions take one case at a time and refuse a closed one, and a file is
  stored in one transaction with a few queries, not several per row. The cases are locked
  first, as the actions lock them, and the file's complaints and measures read again under the
  lock: a change made meanwhile aborts the import (run it again). Each stored row gets an
  "imported" audit entry naming the file and line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services.csvimport import (
    BATCH_SIZE,
    Cells,
    CsvSource,
    ImportAborted,
    Importer,
    Invalid,
    Report,
    RowError,
    in_query_chunks,
    read_date,
    read_text,
    register,
)
from services.models import CareService

from . import clock, measures, rules
from .importers import NUMBER_MAX
from .models import AuditEntry, Case, Complaint, ProtectionMeasure

SERVICE = "CODIGO_SERVICIO"
NUMBER = "NUMERO_CASO"
FILED_DATE = "FECHA_DENUNCIA"
FILED_TIME = "HORA_DENUNCIA"
PLACE = "LUGAR_DENUNCIA"
PLACE_NAME = "NOMBRE_LUGAR"
FILED_BY = "PRESENTADA_POR"
REFERENCE = "REFERENCIA"
TYPE = "TIPO_MEDIDA"
STATE = "ESTADO"
DECIDED_DATE = "FECHA_OTORGAMIENTO"
DECIDED_TIME = "HORA_OTORGAMIENTO"
NOTIFIED = "FECHA_NOTIFICACION"
COURT = "JUZGADO"
EXECUTOR = "EJECUTA"
ENDED = "FECHA_FIN"

REQUIRED_COLUMNS = (SERVICE, NUMBER, FILED_DATE, FILED_TIME, PLACE, FILED_BY, TYPE)
OPTIONAL_COLUMNS = (
    PLACE_NAME,
    REFERENCE,
    STATE,
    DECIDED_DATE,
    DECIDED_TIME,
    NOTIFIED,
    COURT,
    EXECUTOR,
    ENDED,
)
# The columns of each field the rules may find at fault (a moment is read from two cells; its
# problems are shown on the date's).
COLUMNS_OF = {
    "filed_at": (FILED_DATE, FILED_TIME),
    "place": (PLACE,),
    "filed_by": (FILED_BY,),
    "place_name": (PLACE_NAME,),
    "reference": (REFERENCE,),
    "measure_type": (TYPE,),
    "state": (STATE,),
    "decided_at": (DECIDED_DATE, DECIDED_TIME),
    "notified_on": (NOTIFIED,),
    "ended_on": (ENDED,),
    "court": (COURT,),
    "executed_by": (EXECUTOR,),
}
# The complaint's own cells: rows of the same complaint must agree on them.
COMPLAINT_CELLS = {"filed_by": FILED_BY, "place_name": PLACE_NAME, "reference": REFERENCE}

COURT_MAX = ProtectionMeasure._meta.get_field("court").max_length
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def read_time(text: str, *, required: bool = False) -> time | None:
    """A time of day as `HH:MM` (24 hours; `HH:MM:SS`, as spreadsheets export it, too)."""
    if not text:
        if required:
            raise Invalid(_("This value is required."))
        return None
    match = _TIME.match(text)
    try:
        if match is None:
            raise ValueError(text)
        hour, minute, second = (int(part or 0) for part in match.groups())
        return time(hour, minute, second)
    except ValueError:
        raise Invalid(_("Write the time as HH:MM (24 hours), such as 08:05 or 17:30.")) from None


def read_listed(text: str, values: Sequence[str], *, required: bool = False) -> str | None:
    """One of the stored `values` of a list, written in any case; the reason lists them."""
    if not text:
        if required:
            raise Invalid(_("This value is required."))
        return None
    wanted = text.casefold()
    for value in values:
        if value.casefold() == wanted:
            return value
    raise Invalid(_("Use one of: %(values)s.") % {"values": ", ".join(values)})


def moment(day: date | None, at: time | None) -> datetime | None:
    """The aware moment of `day` at `at` on the services' clock (America/Lima)."""
    if day is None or at is None:
        return None
    return datetime.combine(day, at, tzinfo=clock.service_zone())


@dataclass(frozen=True)
class CaseInfo:
    pk: int
    service_id: int
    number: str
    closed: bool


@dataclass
class StoredComplaint:
    pk: int
    settled_at: datetime | None
    set_aside: bool
    # The types of measure it has, with their state.
    measures: dict[str, str] = field(default_factory=dict)


# (case id, filed_at, place): what makes rows the same complaint.
ComplaintKey = tuple[int, datetime, str]


@dataclass
class NewRow:
    line: int
    case: CaseInfo
    key: ComplaintKey
    complaint: dict[str, Any]
    measure: dict[str, Any]


def file_cases(source: CsvSource, service_ids: dict[str, int]) -> dict[tuple[int, str], CaseInfo]:
    """The stored cases the rows name by CODIGO_SERVICIO and NUMERO_CASO, by (service id,
    number): a few queries."""
    numbers: dict[int, set[str]] = defaultdict(set)
    for code, number in zip(source.column(SERVICE), source.column(NUMBER), strict=True):
        service_id = service_ids.get(code.upper())
        if service_id and number:
            numbers[service_id].add(number)
    cases = {}
    for service_id, wanted in numbers.items():
        for chunk in in_query_chunks(wanted):
            rows = Case.objects.filter(service_id=service_id, number__in=chunk).values_list(
                "pk", "number", "status"
            )
            for pk, number, status in rows:
                closed = status == Case.Status.CLOSED
                cases[(service_id, number)] = CaseInfo(pk, service_id, number, closed)
    return cases


def stored_complaints(case_ids: Iterable[int]) -> dict[ComplaintKey, StoredComplaint]:
    """The complaints of these cases, by (case, moment filed, place), with their measures' types
    and states: a few queries. Two complaints recorded alike: the first one counts."""
    complaints: dict[ComplaintKey, StoredComplaint] = {}
    by_pk: dict[int, StoredComplaint] = {}
    for chunk in in_query_chunks(case_ids):
        rows = (
            Complaint.objects.filter(case_id__in=chunk)
            .order_by("pk")
            .values_list("pk", "case_id", "filed_at", "place", "settled_at", "set_aside_reason")
        )
        for pk, case_id, filed_at, place, settled_at, reason in rows:
            stored = StoredComplaint(pk, settled_at, bool(reason))
            by_pk[pk] = stored
            complaints.setdefault((case_id, filed_at, place), stored)
    for chunk in in_query_chunks(by_pk):
        rows = (
            ProtectionMeasure.objects.filter(complaint_id__in=chunk)
            .order_by("pk")
            .values_list("complaint_id", "measure_type", "state")
        )
        for complaint_id, measure_type, state in rows:
            by_pk[complaint_id].measures.setdefault(measure_type, state)
    return complaints


@register
class MeasureImporter(Importer):
    kind = "measures"
    label = gettext_lazy("Protection measures")
    required_columns = REQUIRED_COLUMNS
    optional_columns = OPTIONAL_COLUMNS
    admin_model = "cases.case"

    def check_rows(self, report: Report) -> None:
        self.prepare()
        seen: dict[tuple, int] = {}
        first_of_complaint: dict[ComplaintKey, tuple[int, dict[str, Any]]] = {}
        rows: list[NewRow] = []
        changed_state = 0
        for line, record in self.source.records():
            cells = Cells(line, record)
            case = self.identify(cells)
            complaint = self.read_complaint(cells)
            measure = self.read_measure(cells)
            key = None
            if case is not None and complaint["filed_at"] and complaint["place"]:
                key = (case.pk, complaint["filed_at"], complaint["place"])
            if key is not None and measure["measure_type"]:
                identity = (*key, measure["measure_type"])
                first = seen.setdefault(identity, line)
                if first != line:
                    cells.error(
                        TYPE,
                        _("The same case, complaint and type of measure are on line %(line)d.")
                        % {"line": first},
                    )
                elif (stored_state := self.stored_state(key, measure["measure_type"])) is not None:
                    report.present += 1
                    changed_state += measure["state"] != stored_state
                    continue
            self.check_rules(cells, complaint, measure)
            if key is not None:
                first_line, values = first_of_complaint.setdefault(key, (line, complaint))
                if first_line != line and key not in self.stored:
                    self.check_same_complaint(cells, values, complaint, first_line)
            if cells.errors:
                report.errors.extend(cells.errors)
            else:
                rows.append(NewRow(line, case, key, complaint, measure))
        self.new_rows = self.refuse_pending_on_closed(rows, report)
        new_complaints = {row.key for row in self.new_rows if row.key not in self.stored}
        report.to_create = len(self.new_rows)
        report.extra_counts.append((_("New complaints"), len(new_complaints)))
        if changed_state:
            report.extra_counts.append(
                (
                    _("Already present with another state in the file (left as they are)"),
                    changed_state,
                )
            )

    def prepare(self) -> None:
        """Load the lookups in a few queries: services, the cases the file names, and their
        complaints and measures."""
        self.now = timezone.now()
        self.services = {service.code: service for service in CareService.objects.all()}
        self.cases = file_cases(self.source, {code: s.pk for code, s in self.services.items()})
        self.stored = stored_complaints(case.pk for case in self.cases.values())

    def stored_state(self, key: ComplaintKey, measure_type: str) -> str | None:
        """The state of the stored measure of this type for this complaint, if there is one."""
        stored = self.stored.get(key)
        return stored.measures.get(measure_type) if stored else None

    def identify(self, cells: Cells) -> CaseInfo | None:
        """The row's case, which must exist in the row's service."""
        code = cells[SERVICE].upper()
        service = self.services.get(code)
        if not code:
            cells.error(SERVICE, _("This value is required."))
        elif service is None:
            cells.error(SERVICE, _("No service has the code %(code)s.") % {"code": code})
        number = cells.read(NUMBER, read_text, max_length=NUMBER_MAX, required=True)
        if service is None or not number:
            return None
        case = self.cases.get((service.pk, number))
        if case is None:
            cells.error(
                NUMBER,
                _("Service %(service)s has no case numbered %(number)s.")
                % {"service": code, "number": number},
            )
        return case

    def read_complaint(self, cells: Cells) -> dict[str, Any]:
        filed_on = cells.read(FILED_DATE, read_date, required=True)
        filed_time = cells.read(FILED_TIME, read_time, required=True)
        return {
            "filed_at": moment(filed_on, filed_time),
            "place": cells.read(PLACE, read_listed, Complaint.Place.values, required=True),
            "filed_by": cells.read(FILED_BY, read_listed, Complaint.FiledBy.values, required=True),
            "place_name": cells.read(
                PLACE_NAME, read_text, max_length=_max_length(Complaint, "place_name")
            ),
            "reference": cells.read(
                REFERENCE, read_text, max_length=_max_length(Complaint, "reference")
            ),
        }

    def read_measure(self, cells: Cells) -> dict[str, Any]:
        measure_type = cells.read(TYPE, read_listed, measures.TYPES.codes(), required=True)
        decided_on = cells.read(DECIDED_DATE, read_date)
        decided_time = cells.read(DECIDED_TIME, read_time)
        if decided_on is not None and decided_time is None and not cells[DECIDED_TIME]:
            cells.error(DECIDED_TIME, _("Give the time of the decision (HH:MM)."))
        if decided_time is not None and decided_on is None and not cells[DECIDED_DATE]:
            cells.error(DECIDED_TIME, _("A time of decision needs its date (FECHA_OTORGAMIENTO)."))
        state = cells.read(STATE, read_listed, ProtectionMeasure.State.values)
        if state is None and not cells[STATE]:
            given = cells[DECIDED_DATE]
            state = ProtectionMeasure.State.GRANTED if given else ProtectionMeasure.State.REQUESTED
        return {
            "measure_type": measure_type,
            "state": state,
            "decided_at": moment(decided_on, decided_time),
            "notified_on": cells.read(NOTIFIED, read_date),
            "ended_on": cells.read(ENDED, read_date),
            "court": cells.read(
                COURT, read_text, max_length=_max_length(ProtectionMeasure, "court")
            )
            or "",
            "executed_by": cells.read(EXECUTOR, read_listed, ProtectionMeasure.Executor.values)
            or "",
            "notes": "",
        }

    def check_rules(self, cells: Cells, complaint: dict, measure: dict) -> None:
        """Check the row with the rules of the forms and actions, and name each problem's
        column; a column whose cell was already refused gets no second reason."""
        complaint["place_name"] = (complaint["place_name"] or "").strip()
        complaint["reference"] = (complaint["reference"] or "").strip()
        problems = rules.complaint_problems(complaint, now=self.now)
        # A decision is compared with the filing only when that moment is itself acceptable.
        filed_at = (
            None if any(name == "filed_at" for name, _m in problems) else complaint["filed_at"]
        )
        problems += rules.measure_problems(measure, complaint_filed_at=filed_at, now=self.now)
        refused = {error.column for error in cells.errors}
        named = set()
        for name, message in problems:
            columns = COLUMNS_OF.get(name, ("",))
            if refused.intersection(columns) or (columns[0], name) in named:
                continue
            named.add((columns[0], name))
            cells.error(columns[0], str(message))

    def check_same_complaint(self, cells: Cells, first: dict, values: dict, line: int) -> None:
        """Rows of the same new complaint must agree on who filed it, where and its number."""
        for name, column in COMPLAINT_CELLS.items():
            if None not in (values[name], first[name]) and values[name] != first[name]:
                cells.error(
                    column,
                    _("The same complaint is on line %(line)d with another value in this column.")
                    % {"line": line},
                )

    def refuse_pending_on_closed(self, rows: list[NewRow], report: Report) -> list[NewRow]:
        """Refuse the rows that would leave a complaint of a closed case waiting for measures
        (none of its measures decided, in the file or stored)."""
        pending = self.pending_on_closed(rows)
        message = _(
            "The case is closed: this complaint would be left waiting for measures. Give the "
            "decision (FECHA_OTORGAMIENTO), or reopen the case first."
        )
        kept = []
        for row in rows:
            if row.key in pending:
                report.errors.append(RowError(row.line, NUMBER, message))
            else:
                kept.append(row)
        return kept

    def pending_on_closed(self, rows: list[NewRow]) -> set[ComplaintKey]:
        decided: set[ComplaintKey] = set()
        keys = set()
        for row in rows:
            if row.case.closed:
                keys.add(row.key)
                if row.measure["state"] in rules.DECIDED_STATES:
                    decided.add(row.key)
        return {
            key
            for key in keys - decided
            if not (key in self.stored and self.stored[key].settled_at is not None)
        }

    # Storing.

    def store(self, report: Report) -> None:
        if not self.new_rows:
            return
        self.lock_and_recheck()
        now = timezone.now()
        complaints = self.create_complaints()
        stored_measures = self.create_measures(complaints)
        self.settle_stored_complaints()
        self.update_cases(now)
        # The entry of the first row of a new complaint says that it created it.
        creating = {}
        for row in self.new_rows:
            if row.key not in self.stored:
                creating.setdefault(row.key, row.line)
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    case_id=row.case.pk,
                    user=self.user,
                    action=AuditEntry.Action.IMPORT,
                    changes={
                        "file": self.source.name,
                        "line": row.line,
                        "complaint": complaints[row.key],
                        "complaint_created": creating.get(row.key) == row.line,
                        "measure": measure.pk,
                        "type": measure.measure_type,
                        "state": measure.state,
                    },
                )
                for row, measure in zip(self.new_rows, stored_measures, strict=True)
            ],
            batch_size=BATCH_SIZE * 5,
        )

    def lock_and_recheck(self) -> None:
        """Lock the file's cases, as the actions do, and make sure that nothing the check relied
        on changed since: no case closed under a pending complaint, no complaint or measure of
        the file recorded meanwhile. Otherwise nothing is stored (the caller rolls back)."""
        case_ids = sorted({row.case.pk for row in self.new_rows})
        closed_now = set()
        for chunk in in_query_chunks(case_ids):
            # Every case of the file is locked (a filter on the status would lock only the
            # closed ones, and a case closed meanwhile would take a pending complaint).
            locked = (
                Case.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk", "status")
            )
            closed_now.update(pk for pk, status in locked if status == Case.Status.CLOSED)
        fresh = stored_complaints(case_ids)
        for row in self.new_rows:
            was = self.stored.get(row.key)
            now = fresh.get(row.key)
            if (was is None) != (now is None) or (
                now is not None and row.measure["measure_type"] in now.measures
            ):
                raise ImportAborted()
            if row.case.pk in closed_now and not row.case.closed:
                row.case = CaseInfo(row.case.pk, row.case.service_id, row.case.number, True)
        if self.pending_on_closed(self.new_rows):
            raise ImportAborted()
        self.stored = fresh

    def create_complaints(self) -> dict[ComplaintKey, int]:
        """Create the complaints the rows need, settled at their earliest decision if any; the
        id of every complaint of the rows, by key."""
        ids = {key: stored.pk for key, stored in self.stored.items()}
        new: dict[ComplaintKey, Complaint] = {}
        for row in self.new_rows:
            if row.key in ids:
                continue
            complaint = new.get(row.key)
            if complaint is None:
                complaint = new[row.key] = Complaint(
                    case_id=row.case.pk,
                    service_id=row.case.service_id,
                    deadline=clock.deadline_for(row.complaint["filed_at"]),
                    created_by=self.user,
                    **{name: row.complaint[name] for name in ("filed_at", "place")},
                    **{name: row.complaint[name] or "" for name in COMPLAINT_CELLS},
                )
            decided_at = row.measure["decided_at"]
            if decided_at is not None and (
                complaint.settled_at is None or decided_at < complaint.settled_at
            ):
                complaint.settled_at = decided_at
        # SQLite and PostgreSQL, the databases supported, set the new ids on the objects.
        Complaint.objects.bulk_create(new.values(), batch_size=BATCH_SIZE)
        ids.update((key, complaint.pk) for key, complaint in new.items())
        return ids

    def create_measures(self, complaints: dict[ComplaintKey, int]) -> list[ProtectionMeasure]:
        created = [
            ProtectionMeasure(
                case_id=row.case.pk,
                service_id=row.case.service_id,
                complaint_id=complaints[row.key],
                created_by=self.user,
                **row.measure,
            )
            for row in self.new_rows
        ]
        ProtectionMeasure.objects.bulk_create(created, batch_size=BATCH_SIZE)
        return created

    def settle_stored_complaints(self) -> None:
        """A stored complaint given a decision is settled at its earliest decision, read again
        from all its measures (as `actions.record_measure` does); one set aside keeps its
        moment."""
        touched = {
            self.stored[row.key].pk
            for row in self.new_rows
            if row.key in self.stored
            and row.measure["decided_at"] is not None
            and not self.stored[row.key].set_aside
        }
        settled = {stored.pk: stored.settled_at for stored in self.stored.values()}
        changed = []
        for chunk in in_query_chunks(touched):
            earliest = (
                ProtectionMeasure.objects.filter(complaint_id__in=chunk, decided_at__isnull=False)
                .values("complaint_id")
                .annotate(earliest=Min("decided_at"))
                .values_list("complaint_id", "earliest")
            )
            changed += [
                Complaint(pk=pk, settled_at=moment_)
                for pk, moment_ in earliest
                if moment_ != settled[pk]
            ]
        Complaint.objects.bulk_update(changed, ["settled_at"], batch_size=BATCH_SIZE)

    def update_cases(self, now: datetime) -> None:
        """What the actions do to a case: a complaint filed, protective measures once one is
        granted, and its version moved on (an edit loaded before the import is then stale)."""
        touched = {row.case.pk for row in self.new_rows}
        filed = {row.case.pk for row in self.new_rows if row.key not in self.stored}
        granted = {
            row.case.pk for row in self.new_rows if row.measure["state"] in rules.GRANTED_STATES
        }
        for chunk in in_query_chunks(touched):
            Case.objects.filter(pk__in=chunk).update(version=F("version") + 1, updated_at=now)
        for ids, flag in ((filed, "complaint_filed"), (granted, "protective_measures")):
            for chunk in in_query_chunks(ids):
                Case.objects.filter(pk__in=chunk).exclude(**{flag: True}).update(**{flag: True})
