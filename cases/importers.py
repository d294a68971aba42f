"""Import cases from a CSV file in the national registry's columns (kind `cases`).

A case is identified by CODIGO_SERVICIO (an existing service's code) and NUMERO_CASO. Every other
column is a registry variable: those the model stores (`REGISTRY_COLUMNS`), the violence sub-acts
(items 73 to 128, 1 = yes) and the residence (DPTO/PROV/DIST_DOMICILIO, CENTRO_POBLADO_DOMICILIO).
Optional NOMBRE_VICTIMA, TIPO_DOCUMENTO and NUMERO_DOCUMENTO fill the person's identity; their
values never appear in a message.

Decisions (see also DESIGN.md, "Import formats"):
- A pair already stored is counted as already present and left as it is (cases change after
  import, so the file is not compared with them); a pair repeated in the file is an error on the
  later line.
- Every row is checked with the case rules of `cases/rules.py`, the same the intake form calls;
  a problem becomes an error on the row's line, in the column of the field at fault.
- A value the file does not carry is stored as unknown, never invented: FORMA_INGRESO,
  SEXO_AGRESOR and VINCULO_AGRESOR_VICTIMA, which the intake form requires, are NULL when their
  column is missing or their cell empty (the reports count them as "No registrado"). The report
  notes each missing column and each case's audit entry lists them.
- Codes of 1 digit where 2 (or 4) are expected get their leading zero back: spreadsheets drop it.
- An unknown centro poblado is created under its district, named "Centro poblado <10 digits>".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services.csvimport import (
    BATCH_SIZE,
    Cells,
    CsvSource,
    Importer,
    Report,
    in_query_chunks,
    read_code,
    read_date,
    read_digits,
    read_text,
    read_whole_number,
    read_yes_no,
    register,
)
from services.models import CareService, Community, District

from . import registry, rules
from .actions import allocate_case_numbers, case_code
from .models import REGISTRY_COLUMNS, AuditEntry, Case

SERVICE = "CODIGO_SERVICIO"
NUMBER = "NUMERO_CASO"
DEPARTMENT, PROVINCE, DISTRICT = "DPTO_DOMICILIO", "PROV_DOMICILIO", "DIST_DOMICILIO"
COMMUNITY = "CENTRO_POBLADO_DOMICILIO"
VIOLENCE_TYPE = "TIPO_VIOLENCIA"

# The person's identity: optional, and never quoted in a message (they are confidential).
PERSON_COLUMNS = {
    "NOMBRE_VICTIMA": "victim_name",
    "TIPO_DOCUMENTO": "victim_document_type",
    "NUMERO_DOCUMENTO": "victim_document_number",
}

# Asked by the intake form, absent from DESIGN's minimal list: unknown when a file lacks them.
# The column of each field the rules may find at fault.
COLUMN_OF = {
    **{name: column for column, name in REGISTRY_COLUMNS.items()},
    **{name: column for column, name in PERSON_COLUMNS.items()},
}

NOTED_IF_ABSENT = ("FORMA_INGRESO", "SEXO_AGRESOR", "VINCULO_AGRESOR_VICTIMA")

REQUIRED_COLUMNS = (
    SERVICE,
    NUMBER,
    "FECHA_INGRESO",
    "CONDICION",
    "EDAD_VICTIMA",
    "SEXO_VICTIMA",
    DEPARTMENT,
    PROVINCE,
    DISTRICT,
    VIOLENCE_TYPE,
    "NIVEL_DE_RIESGO_VICTIMA",
)

NUMBER_MAX = Case._meta.get_field("number").max_length


def _max_value(field: models.Field) -> int | None:
    for validator in field.validators:
        if isinstance(validator, MaxValueValidator):
            return validator.limit_value
    return None


def _reader(field: models.Field) -> Callable[[str], Any]:
    """Return a function reading a cell of `field`'s registry column (raises Invalid)."""
    if isinstance(field, models.DateField):
        read = partial(read_date, today=timezone.localdate())
    elif isinstance(field, models.BooleanField):
        read = read_yes_no
    elif field.choices:
        read = partial(read_code, codes=frozenset(code for code, _label in field.choices))
    else:
        read = partial(read_whole_number, maximum=_max_value(field))
    if field.null:
        empty = None
    elif field.has_default():
        empty = field.get_default()
    else:
        return partial(read, required=True)
    return lambda text: read(text) if text else empty


def stored_cases(source: CsvSource, service_ids: Mapping[str, int]) -> dict[tuple[int, str], Case]:
    """The stored cases that the rows of `source` name by CODIGO_SERVICIO and NUMERO_CASO, by
    (service id, number); `service_ids` maps the services' codes to their ids."""
    numbers: dict[int, set[str]] = defaultdict(set)
    for code, number in zip(source.column(SERVICE), source.column(NUMBER), strict=True):
        service_id = service_ids.get(code.upper())
        if service_id and number:
            numbers[service_id].add(number)
    cases = {}
    for service_id, wanted in numbers.items():
        for chunk in in_query_chunks(wanted):
            for case in Case.objects.filter(service_id=service_id, number__in=chunk).only(
                "pk", "service_id", "number"
            ):
                cases[(service_id, case.number)] = case
    return cases


def community_name(code: str) -> str:
    """The name of a centro poblado created by an import (data, so not translated)."""
    return f"Centro poblado {code}"


@register
class CaseImporter(Importer):
    kind = "cases"
    label = gettext_lazy("Cases")
    required_columns = REQUIRED_COLUMNS
    admin_model = "cases.case"

    @property
    def optional_columns(self) -> tuple[str, ...]:
        return (
            *(name for name in REGISTRY_COLUMNS if name not in REQUIRED_COLUMNS),
            COMMUNITY,
            *PERSON_COLUMNS,
            *registry.all_violence_act_names(),
        )

    def check_rows(self, report: Report) -> None:
        self.prepare(report)
        seen: dict[tuple[str, str], int] = {}
        new_rows: list[tuple[int, CareService, str, dict[str, Any], str | None]] = []
        for line, record in self.source.records():
            cells = Cells(line, record)
            service, number, present = self.identify(cells, seen)
            if present:
                report.present += 1
                continue
            values, community_code = self.read_case(cells)
            self.check_case(values, cells, service)
            if cells.errors:
                report.errors.extend(cells.errors)
            else:
                new_rows.append((line, service, number, values, community_code))
        self.new_rows = new_rows
        self.new_communities = self.plan_communities(new_rows)
        report.to_create = len(new_rows)
        report.extra_counts.append((_("New communities"), len(self.new_communities)))

    def prepare(self, report: Report) -> None:
        """Load the lookups in a few queries and plan how each of the file's columns is read."""
        header = set(self.source.header)
        self.services = {service.code: service for service in CareService.objects.all()}
        self.districts = set(District.objects.values_list("code", flat=True))
        self.stored = stored_cases(
            self.source, {code: service.pk for code, service in self.services.items()}
        )
        self.fields = [
            (column, name, _reader(Case._meta.get_field(name)))
            for column, name in REGISTRY_COLUMNS.items()
            if column in header
        ]
        self.unknown = [column for column in NOTED_IF_ABSENT if column not in header]
        for column in self.unknown:
            report.notes.append(
                _(
                    "Column %(column)s is missing: every case stores it as unknown "
                    "(counted as “No registrado”)."
                )
                % {"column": column}
            )
        grouped = registry.violence_acts()
        item = {var.name: var.item for acts in grouped.values() for var in acts}
        self.act_columns = sorted((c for c in header if c in item), key=item.get)
        self.person = [
            (c, f, Case._meta.get_field(f)) for c, f in PERSON_COLUMNS.items() if c in header
        ]
        self.has_community = COMMUNITY in header

    def identify(self, cells: Cells, seen: dict) -> tuple[CareService | None, str, bool]:
        """Return the row's service, its case number and whether that case is already stored."""
        code = cells[SERVICE].upper()
        number = cells[NUMBER]
        service = self.services.get(code)
        valid = True
        if not code:
            cells.error(SERVICE, _("This value is required."))
        elif service is None:
            cells.error(SERVICE, _("No service has the code %(code)s.") % {"code": code})
            valid = False
        if cells.read(NUMBER, read_text, max_length=NUMBER_MAX, required=True) is None:
            valid = False
        if code and number:
            first = seen.setdefault((code, number), cells.line)
            if first != cells.line:
                cells.error(
                    NUMBER,
                    _("The same service and case number are on line %(line)d.") % {"line": first},
                )
            elif valid and (service.pk, number) in self.stored:
                return service, number, True
        return service, number, False

    # Reading a row's cells.

    def read_case(self, cells: Cells) -> tuple[dict[str, Any], str | None]:
        """Read the case's fields from the row; return them and the centro poblado's code."""
        values: dict[str, Any] = {
            name: cells.read(column, read) for column, name, read in self.fields
        }
        values["district_id"] = ubigeo = self.read_district(cells)

        community_code = None
        if self.has_community and cells[COMMUNITY]:
            suffix = cells.read(
                COMMUNITY,
                read_digits,
                4,
                message=_("Write the 4-digit INEI code of the centro poblado."),
            )
            if suffix is not None and ubigeo:
                community_code = ubigeo + suffix

        values["violence_acts"] = [
            column for column in self.act_columns if cells.read(column, read_yes_no)
        ]

        for column, name, field in self.person:
            # The reason never quotes the value: it is the person's name or document number.
            values[name] = cells.read(column, read_text, max_length=field.max_length)
        return values, community_code

    def read_district(self, cells: Cells) -> str | None:
        """The residence's ubigeo from its three 2-digit INEI codes, if a district has it."""
        columns = (DEPARTMENT, PROVINCE, DISTRICT)
        message = _("Write the 2-digit INEI code.")
        parts = [cells.read(column, read_digits, 2, message=message) for column in columns]
        if None in parts:
            return None
        ubigeo = "".join(parts)
        if ubigeo not in self.districts:
            cells.error(DISTRICT, _("No district has the ubigeo %(code)s.") % {"code": ubigeo})
            return None
        return ubigeo

    # The rules between a row's cells.

    def check_case(self, values: dict[str, Any], cells: Cells, service) -> None:
        """Check the row with the case rules (those of the intake form) and name each problem's
        column. A cell that did not read already has its error: its field is left out."""
        refused = {error.column for error in cells.errors}
        checked = {
            name: value
            for name, value in values.items()
            if COLUMN_OF.get(name) not in refused and name != "district_id"
        }
        problems = rules.clean_case(
            checked, service_opened_on=service.opened_on if service else None
        )
        for field, message in problems:
            if field == "violence_acts":
                for column in rules.foreign_acts(checked["violence_type"], checked[field]):
                    cells.error(column, str(message))
            else:
                cells.error(COLUMN_OF.get(field, ""), str(message))
        values.update(checked)

    def plan_communities(self, rows) -> dict[str, Community]:
        """The communities the rows name that are not stored yet, as unsaved objects by code."""
        self.community_ids: dict[str, int] = {}
        wanted = {row[4] for row in rows if row[4]}
        if not wanted:
            return {}
        for chunk in in_query_chunks(wanted):
            self.community_ids.update(
                Community.objects.filter(code__in=chunk).values_list("code", "id")
            )
        missing = sorted(wanted - self.community_ids.keys())
        taken = set()
        for chunk in in_query_chunks(code[:6] for code in missing):
            taken.update(
                Community.objects.filter(district_id__in=chunk)
                .annotate(lower_name=Lower("name"))
                .values_list("district_id", "lower_name")
            )
        planned = {}
        for code in missing:
            district, name = code[:6], community_name(code)
            # Names are unique per district: an older community may already use this one.
            extra = 1
            while (district, name.lower()) in taken:
                extra += 1
                name = f"{community_name(code)} ({extra})"
            taken.add((district, name.lower()))
            planned[code] = Community(
                district_id=district, code=code, name=name, kind=Community.Kind.CENTRO_POBLADO
            )
        return planned

    def store(self, report: Report) -> None:
        community_ids = self.community_ids
        if self.new_communities:
            Community.objects.bulk_create(self.new_communities.values(), batch_size=BATCH_SIZE)
            for chunk in in_query_chunks(self.new_communities):
                community_ids.update(
                    Community.objects.filter(code__in=chunk).values_list("code", "id")
                )

        # Case codes come from the service's yearly sequence, reserved in one block per pair.
        groups: dict[tuple[int, int], list] = defaultdict(list)
        for row in self.new_rows:
            groups[(row[1].pk, row[3]["intake_date"].year)].append(row)
        cases, lines = [], []
        for (_service_id, year), rows in groups.items():
            service = rows[0][1]
            sequences = allocate_case_numbers(service, year, len(rows))
            for (line, _service, number, values, community), sequence in zip(
                rows, sequences, strict=True
            ):
                cases.append(
                    Case(
                        service=service,
                        code=case_code(service, year, sequence),
                        number=number,
                        community_id=community_ids.get(community) if community else None,
                        created_by=self.user,
                        status=Case.Status.OPEN,
                        **values,
                    )
                )
                lines.append(line)
        # SQLite and PostgreSQL, the databases supported, set the new ids on the objects.
        Case.objects.bulk_create(cases, batch_size=BATCH_SIZE)

        changes = {"file": self.source.name}
        if self.unknown:
            changes["unknown"] = self.unknown
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    case=case,
                    user=self.user,
                    action=AuditEntry.Action.IMPORT,
                    changes={**changes, "line": line},
                )
                for case, line in zip(cases, lines, strict=True)
            ],
            batch_size=BATCH_SIZE * 5,
        )
