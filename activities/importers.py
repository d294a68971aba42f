"""Import community activities from a CSV file (kind `activities`).

Columns: CODIGO_SERVICIO (a SAR's or CEM's code) and ID_ACTIVIDAD (the service's own identifier
of the activity; the pair identifies the row), FECHA, UBIGEO (the district's 6 digits),
CENTRO_POBLADO (10 digits; may be empty), TIPO (a code of `activities/data/activity_types.csv`),
TEMA, PARTICIPANTES_MUJERES, PARTICIPANTES_HOMBRES, PARTICIPANTES_NINAS, PARTICIPANTES_NINOS and
HORAS (may be empty).

Decisions (see also DESIGN.md, "Import formats"):
- A pair already stored counts as already present and is left as it is (an activity may have
  been edited or cancelled since): a re-import stores nothing twice. A pair repeated in the file
  is an error on the later line.
- Every row is checked with the rules of `activities/rules.py`, the same the form calls; a
  problem becomes an error on the row's line, in the column of the field at fault.
- The participants are counts the file must carry: an empty cell is an error (write 0), never
  taken for 0. HORAS may be empty (unknown), written with a point or a comma (`1.5`, `1,5`).
- Codes of fewer digits than expected get their leading zeros back: spreadsheets drop them.
- An unknown centro poblado is created under its district, named "Centro poblado <10 digits>",
  through `services.actions.get_or_add_community` (race-free, the same checks as a form).
- The activities are stored in bulk with the codes `register_activity` would give them (one
  block of numbers per service and year) and an "imported" audit entry naming file and line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services.actions import get_or_add_community
from services.csvimport import (
    BATCH_SIZE,
    Cells,
    CsvSource,
    ImportAborted,
    Importer,
    Invalid,
    Report,
    in_query_chunks,
    read_date,
    read_digits,
    read_text,
    read_whole_number,
    register,
)
from services.models import CareService, Community, District

from . import rules
from .actions import activity_code, allocate_activity_numbers
from .models import Activity, AuditEntry

SERVICE = "CODIGO_SERVICIO"
IDENTIFIER = "ID_ACTIVIDAD"
DATE = "FECHA"
DISTRICT = "UBIGEO"
COMMUNITY = "CENTRO_POBLADO"
TYPE = "TIPO"
TOPIC = "TEMA"
HOURS = "HORAS"
PARTICIPANT_COLUMNS = {
    "PARTICIPANTES_MUJERES": "women",
    "PARTICIPANTES_HOMBRES": "men",
    "PARTICIPANTES_NINAS": "girls",
    "PARTICIPANTES_NINOS": "boys",
}
REQUIRED_COLUMNS = (SERVICE, IDENTIFIER, DATE, DISTRICT, TYPE, TOPIC, *PARTICIPANT_COLUMNS)
# The column of each field the rules may find at fault.
COLUMN_OF = {
    "service": SERVICE,
    "date": DATE,
    "duration_hours": HOURS,
    "district": DISTRICT,
    "community": COMMUNITY,
    "type": TYPE,
    "topic": TOPIC,
    **{name: column for column, name in PARTICIPANT_COLUMNS.items()},
}
IDENTIFIER_MAX = Activity._meta.get_field("external_id").max_length
HOURS_PLACES = Activity._meta.get_field("duration_hours").decimal_places


def community_name(code: str) -> str:
    """The name of a centro poblado created by an import (data, so not translated)."""
    return f"Centro poblado {code}"


def read_hours(text: str) -> Decimal | None:
    """Hours as a number with a point or a comma (`1.5`, `1,5`), at most two decimals; the
    range is the rules' (`rules.clean_activity`)."""
    if not text:
        return None
    try:
        hours = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise Invalid(_("Write the hours as a number, such as 2 or 1.5.")) from None
    if not hours.is_finite() or hours.as_tuple().exponent < -HOURS_PLACES:
        raise Invalid(_("Write the hours as a number, such as 2 or 1.5."))
    return hours


def stored_activities(source: CsvSource, service_ids: dict[str, int]) -> set[tuple[int, str]]:
    """The (service id, ID_ACTIVIDAD) pairs of the file already stored: a few queries."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for code, identifier in zip(source.column(SERVICE), source.column(IDENTIFIER), strict=True):
        service_id = service_ids.get(code.upper())
        if service_id and identifier:
            wanted[service_id].add(identifier)
    stored = set()
    for service_id, identifiers in wanted.items():
        for chunk in in_query_chunks(identifiers):
            stored.update(
                Activity.objects.filter(service_id=service_id, external_id__in=chunk).values_list(
                    "service_id", "external_id"
                )
            )
    return stored


@dataclass
class NewRow:
    line: int
    service: CareService
    identifier: str
    values: dict[str, Any]
    community_code: str | None


@register
class ActivityImporter(Importer):
    kind = "activities"
    label = gettext_lazy("Community activities")
    required_columns = REQUIRED_COLUMNS
    optional_columns = (COMMUNITY, HOURS)
    admin_model = "activities.activity"

    def check_rows(self, report: Report) -> None:
        self.prepare()
        seen: dict[tuple[str, str], int] = {}
        new_rows: list[NewRow] = []
        for line, record in self.source.records():
            cells = Cells(line, record)
            service, identifier, present = self.identify(cells, seen)
            if present:
                report.present += 1
                continue
            values, community_code = self.read_activity(cells)
            self.check_activity(values, cells, service)
            if cells.errors:
                report.errors.extend(cells.errors)
            else:
                new_rows.append(NewRow(line, service, identifier, values, community_code))
        self.new_rows = new_rows
        report.to_create = len(new_rows)
        # Only the communities of rows that will be stored are added.
        self.new_communities = {
            row.community_code: self.new_communities[row.community_code]
            for row in new_rows
            if row.community_code in self.new_communities
        }
        report.extra_counts.append((_("New communities"), len(self.new_communities)))

    def prepare(self) -> None:
        """Load the lookups in a few queries: services, districts, the pairs already stored and
        the communities the file names."""
        self.services = {service.code: service for service in CareService.objects.all()}
        self.districts = set(District.objects.values_list("code", flat=True))
        self.stored = stored_activities(
            self.source, {code: service.pk for code, service in self.services.items()}
        )
        codes = {code.zfill(10) for code in self.source.column(COMMUNITY) if code.isdigit()}
        self.communities: dict[str, Community] = {}
        for chunk in in_query_chunks(codes):
            self.communities.update(
                (community.code, community)
                for community in Community.objects.filter(code__in=chunk).only(
                    "pk", "code", "district_id", "name"
                )
            )
        self.new_communities: dict[str, Community] = {}
        self.taken_names: set[tuple[str, str]] | None = None
        self.today = timezone.localdate()

    def identify(self, cells: Cells, seen: dict) -> tuple[CareService | None, str, bool]:
        """Return the row's service, its ID_ACTIVIDAD and whether it is already stored."""
        code = cells[SERVICE].upper()
        # As `register_activity` keeps it: one space between words.
        identifier = rules.tidy(cells[IDENTIFIER])
        service = self.services.get(code)
        valid = True
        if not code:
            cells.error(SERVICE, _("This value is required."))
        elif service is None:
            cells.error(SERVICE, _("No service has the code %(code)s.") % {"code": code})
            valid = False
        if cells.read(IDENTIFIER, read_text, max_length=IDENTIFIER_MAX, required=True) is None:
            valid = False
        if code and identifier:
            first = seen.setdefault((code, identifier), cells.line)
            if first != cells.line:
                cells.error(
                    IDENTIFIER,
                    _("The same service and activity identifier are on line %(line)d.")
                    % {"line": first},
                )
            elif valid and service is not None and (service.pk, identifier) in self.stored:
                return service, identifier, True
        return service, identifier, False

    def read_activity(self, cells: Cells) -> tuple[dict[str, Any], str | None]:
        """Read the activity's fields from the row; return them and the centro poblado's code
        (None if the cell is empty or refused)."""
        values: dict[str, Any] = {
            "date": cells.read(DATE, read_date, required=True, today=self.today),
            "duration_hours": cells.read(HOURS, read_hours),
            "type": cells[TYPE],
            "topic": cells.read(TOPIC, read_text, max_length=rules.TOPIC_LENGTH, required=True),
        }
        for column, name in PARTICIPANT_COLUMNS.items():
            values[name] = cells.read(
                column, read_whole_number, maximum=rules.MAX_PARTICIPANTS, required=True
            )
        ubigeo = cells.read(
            DISTRICT, read_digits, 6, message=_("Write the 6-digit ubigeo of the district.")
        )
        if ubigeo is not None and ubigeo not in self.districts:
            cells.error(DISTRICT, _("No district has the ubigeo %(code)s.") % {"code": ubigeo})
            ubigeo = None
        values["district"] = ubigeo
        values["community"] = None
        community_code = None
        if cells[COMMUNITY]:
            community_code = cells.read(
                COMMUNITY,
                read_digits,
                10,
                message=_("Write the 10-digit INEI code of the centro poblado."),
            )
            if community_code and ubigeo and not community_code.startswith(ubigeo):
                cells.error(
                    COMMUNITY,
                    _("The code of the centro poblado starts with the ubigeo of its district."),
                )
                community_code = None
            if community_code and ubigeo:
                values["community"] = self.community(community_code)
        return values, community_code

    def community(self, code: str) -> Community:
        """The stored community with this code, or the one this import will add."""
        if code in self.communities:
            return self.communities[code]
        if code not in self.new_communities:
            self.new_communities[code] = self.plan_community(code)
        return self.new_communities[code]

    def plan_community(self, code: str) -> Community:
        """An unsaved community for an unknown code, with a name its district does not use."""
        if self.taken_names is None:
            self.taken_names = set()
            codes = self.source.column(COMMUNITY)
            for chunk in in_query_chunks(c.zfill(10)[:6] for c in codes if c.isdigit()):
                self.taken_names.update(
                    Community.objects.filter(district_id__in=chunk)
                    .annotate(lower_name=Lower("name"))
                    .values_list("district_id", "lower_name")
                )
        district, name, extra = code[:6], community_name(code), 1
        while (district, name.lower()) in self.taken_names:
            extra += 1
            name = f"{community_name(code)} ({extra})"
        self.taken_names.add((district, name.lower()))
        return Community(
            district_id=district, code=code, name=name, kind=Community.Kind.CENTRO_POBLADO
        )

    def check_activity(self, values: dict[str, Any], cells: Cells, service) -> None:
        """Check the row with the activity rules (those of the form) and name each problem's
        column. A cell that did not read already has its error: its field is left out."""
        refused = {error.column for error in cells.errors}
        checked = {
            name: value
            for name, value in values.items()
            if name == "community" or (COLUMN_OF[name] not in refused and value is not None)
        }
        problems = rules.clean_activity(checked, service=service)
        for field, message in problems:
            column = COLUMN_OF.get(field, "")
            if field == "women" and rules.participant_total(checked) < 1:
                column = ""  # no column is at fault: all four are zero
            cells.error(column, str(message))
        values.update(checked)

    def store(self, report: Report) -> None:
        community_ids = {code: community.pk for code, community in self.communities.items()}
        community_ids.update(self.add_communities())
        groups: dict[tuple[int, int], list[NewRow]] = defaultdict(list)
        for row in self.new_rows:
            groups[(row.service.pk, row.values["date"].year)].append(row)
        activities, lines = [], []
        for (_service_id, year), rows in groups.items():
            service = rows[0].service
            sequences = allocate_activity_numbers(service, year, len(rows))
            for row, sequence in zip(rows, sequences, strict=True):
                values = row.values
                activities.append(
                    Activity(
                        service=service,
                        code=activity_code(service, year, sequence),
                        external_id=row.identifier,
                        date=values["date"],
                        duration_hours=values["duration_hours"],
                        district_id=values["district"],
                        community_id=(
                            community_ids[row.community_code] if row.community_code else None
                        ),
                        type=values["type"],
                        topic=values["topic"],
                        created_by=self.user,
                        **{name: values[name] for name in rules.PARTICIPANT_FIELDS},
                    )
                )
                lines.append(row.line)
        # SQLite and PostgreSQL, the databases supported, set the new ids on the objects.
        Activity.objects.bulk_create(activities, batch_size=BATCH_SIZE)
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    activity=activity,
                    user=self.user,
                    action=AuditEntry.Action.IMPORT,
                    changes={"file": self.source.name, "line": line},
                )
                for activity, line in zip(activities, lines, strict=True)
            ],
            batch_size=BATCH_SIZE * 5,
        )

    def add_communities(self) -> dict[str, int]:
        """Add the communities the stored rows need; their ids by code."""
        wanted = set(self.new_communities)
        if not wanted:
            return {}
        districts = District.objects.in_bulk({code[:6] for code in wanted})
        added = {}
        for code in sorted(wanted):
            planned = self.new_communities[code]
            try:
                community = get_or_add_community(
                    district=districts[code[:6]],
                    name=planned.name,
                    kind=planned.kind,
                    code=code,
                )
            except ValidationError:
                # Added by someone else since the check: nothing is stored; a rerun finds it.
                raise ImportAborted() from None
            added[code] = community.pk
        return added
