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
- FORMA_INGRESO, SEXO_AGRESOR and VINCULO_AGRESOR_VICTIMA are required by the model but not by
  the minimal column list: when the column is absent every case gets `DEFAULTS_IF_ABSENT` (the
  most frequent value in the registry), the report says so and each case's audit entry lists the
  defaulted columns. When the column is present, an empty cell is an error.
- Codes of 1 digit where 2 (or 4) are expected get their leading zero back: spreadsheets drop it.
- An unknown centro poblado is created under its district, named "Centro poblado <10 digits>".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.core.validators import MaxValueValidator
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services.csvimport import Importer, Report, RowError, chunks, pad_digits, parse_date, register
from services.models import CareService, Community, District

from . import registry
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

# Required by the model, absent from DESIGN's minimal list: the registry's most frequent value.
DEFAULTS_IF_ABSENT = {
    "FORMA_INGRESO": 1,  # Persona acude directamente al servicio
    "SEXO_AGRESOR": 1,  # Hombre
    "VINCULO_AGRESOR_VICTIMA": 1,  # Con vínculo relacional de pareja
}

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
BATCH_SIZE = 1000


class Invalid(Exception):
    """A cell's value is not acceptable; the message is the reason."""


def _max_value(field: models.Field) -> int | None:
    for validator in field.validators:
        if isinstance(validator, MaxValueValidator):
            return validator.limit_value
    return None


def _converter(field: models.Field) -> Callable[[str], Any]:
    """Return a function reading a cell of `field`'s registry column (raises Invalid)."""
    if field.null:
        empty = None
    elif field.has_default():
        empty = field.get_default()
    else:
        empty = Invalid

    def when_empty():
        if empty is Invalid:
            raise Invalid(_("This value is required."))
        return empty

    if isinstance(field, models.DateField):
        today = timezone.localdate()

        def read_date(text: str):
            if not text:
                return when_empty()
            try:
                value = parse_date(text)
            except ValueError:
                raise Invalid(_("Write the date as YYYY-MM-DD or DD/MM/YYYY.")) from None
            if value > today:
                raise Invalid(_("The date cannot be in the future."))
            return value

        return read_date

    if isinstance(field, models.BooleanField):

        def read_yes_no(text: str):
            if not text:
                return when_empty()
            if text in ("0", "1"):
                return text == "1"
            raise Invalid(_("Use 1 (yes) or 0 (no)."))

        return read_yes_no

    if field.choices:
        codes = frozenset(code for code, _label in field.choices)
        listed = ", ".join(str(code) for code in sorted(codes))

        def read_code(text: str):
            if not text:
                return when_empty()
            if text.isdigit() and int(text) in codes:
                return int(text)
            if len(codes) <= 12:
                raise Invalid(_("Use one of the official codes: %(codes)s.") % {"codes": listed})
            raise Invalid(_("This is not one of the variable's official codes."))

        return read_code

    maximum = _max_value(field)

    def read_number(text: str):
        if not text:
            return when_empty()
        if text.isdigit() and (maximum is None or int(text) <= maximum):
            return int(text)
        if maximum is None:
            raise Invalid(_("Write a whole number."))
        raise Invalid(_("Write a whole number from 0 to %(max)d.") % {"max": maximum})

    return read_number


def _query_chunk_size() -> int:
    # SQLite caps the parameters of one query (999 on older builds); PostgreSQL does not.
    limit = connection.features.max_query_params
    return min(limit - 10, 5000) if limit else 5000


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
            errors: list[RowError] = []

            def error(column: str, reason: str, line=line, errors=errors) -> None:
                errors.append(RowError(line, column, reason))

            service, number, present = self.identify(line, record, seen, error)
            if present:
                report.present += 1
                continue
            values, community_code = self.read_case(record, error)
            if errors:
                report.errors.extend(errors)
            else:
                new_rows.append(
                    (line, service, number, {**self.defaults, **values}, community_code)
                )
        self.new_rows = new_rows
        self.new_communities = self.plan_communities(new_rows)
        report.to_create = len(new_rows)
        report.extra_counts.append((_("New communities"), len(self.new_communities)))

    def prepare(self, report: Report) -> None:
        """Load the lookups in a few queries and plan how each of the file's columns is read."""
        header = set(self.source.header)
        self.services = {service.code: service for service in CareService.objects.all()}
        self.districts = set(District.objects.values_list("code", flat=True))
        self.stored = self.stored_pairs(self.services)
        self.fields = [
            (column, name, _converter(Case._meta.get_field(name)))
            for column, name in REGISTRY_COLUMNS.items()
            if column in header
        ]
        self.defaults = {}
        for column, value in DEFAULTS_IF_ABSENT.items():
            if column not in header:
                self.defaults[REGISTRY_COLUMNS[column]] = value
                report.notes.append(
                    _("Column %(column)s is missing: every case gets %(value)d (%(label)s).")
                    % {
                        "column": column,
                        "value": value,
                        "label": registry.variable(column).label_for(value),
                    }
                )
        grouped = registry.violence_acts()
        item = {var.name: var.item for acts in grouped.values() for var in acts}
        self.act_columns = sorted((c for c in header if c in item), key=item.get)
        self.acts_of_type = {code: {var.name for var in acts} for code, acts in grouped.items()}
        self.person = [
            (c, f, Case._meta.get_field(f)) for c, f in PERSON_COLUMNS.items() if c in header
        ]
        self.has_community = COMMUNITY in header

    def identify(self, line: int, record: dict[str, str], seen: dict, error):
        """Return the row's service, its case number and whether that case is already stored."""
        code = record[SERVICE].upper()
        number = record[NUMBER]
        service = self.services.get(code)
        valid = True
        if not code:
            error(SERVICE, _("This value is required."))
        elif service is None:
            error(SERVICE, _("No service has the code %(code)s.") % {"code": code})
            valid = False
        if not number:
            error(NUMBER, _("This value is required."))
            valid = False
        elif len(number) > NUMBER_MAX:
            error(NUMBER, _("Use at most %(max)d characters.") % {"max": NUMBER_MAX})
            valid = False
        if code and number:
            first = seen.setdefault((code, number), line)
            if first != line:
                error(
                    NUMBER,
                    _("The same service and case number are on line %(line)d.") % {"line": first},
                )
            elif valid and (service.pk, number) in self.stored:
                return service, number, True
        return service, number, False

    def read_case(self, record: dict[str, str], error) -> tuple[dict[str, Any], str | None]:
        """Read the case's fields from the row; return them and the centro poblado's code."""
        values: dict[str, Any] = {}
        for column, name, read in self.fields:
            try:
                values[name] = read(record[column])
            except Invalid as invalid:
                error(column, str(invalid))

        columns = (DEPARTMENT, PROVINCE, DISTRICT)
        parts = [pad_digits(record[column], 2) for column in columns]
        for column, part in zip(columns, parts, strict=True):
            if part is None:
                error(column, _("Write the 2-digit INEI code."))
        ubigeo = "".join(parts) if None not in parts else None
        if ubigeo and ubigeo not in self.districts:
            error(DISTRICT, _("No district has the ubigeo %(code)s.") % {"code": ubigeo})
            ubigeo = None
        values["district_id"] = ubigeo

        community_code = None
        if self.has_community and record[COMMUNITY]:
            suffix = pad_digits(record[COMMUNITY], 4)
            if suffix is None:
                error(COMMUNITY, _("Write the 4-digit INEI code of the centro poblado."))
            elif ubigeo:
                community_code = ubigeo + suffix

        values["violence_acts"] = self.read_acts(record, values.get("violence_type"), error)

        for column, name, field in self.person:
            text = record[column]
            if column == "TIPO_DOCUMENTO":
                text = text.upper()
                if text and text not in Case.DocumentType.values:
                    error(
                        column,
                        _("Use one of: %(values)s.")
                        % {"values": ", ".join(Case.DocumentType.values)},
                    )
            elif len(text) > field.max_length:
                # Never the value: it is the person's name or document number.
                error(column, _("Use at most %(max)d characters.") % {"max": field.max_length})
            values[name] = text
        return values, community_code

    def read_acts(self, record: dict[str, str], violence_type: int | None, error) -> list[str]:
        """The sub-acts answered 1, which must be of the row's type of violence."""
        acts = []
        for column in self.act_columns:
            text = record[column]
            if text in ("", "0"):
                continue
            if text != "1":
                error(column, _("Use 1 (yes) or 0 (no)."))
            elif violence_type is not None and column not in self.acts_of_type[violence_type]:
                error(
                    column,
                    _("This act is not of the case's type of violence (%(type)s).")
                    % {"type": registry.variable(VIOLENCE_TYPE).label_for(violence_type)},
                )
            else:
                acts.append(column)
        return acts

    def stored_pairs(self, services: dict[str, CareService]) -> set[tuple[int, str]]:
        """The (service id, number) pairs of the file that are already stored."""
        numbers = defaultdict(set)
        codes = self.source.column(SERVICE)
        for code, number in zip(codes, self.source.column(NUMBER), strict=True):
            service = services.get(code.upper())
            if service and number:
                numbers[service.pk].add(number)
        stored = set()
        for service_id, wanted in numbers.items():
            for chunk in chunks(sorted(wanted), _query_chunk_size()):
                stored.update(
                    (service_id, number)
                    for number in Case.objects.filter(
                        service_id=service_id, number__in=chunk
                    ).values_list("number", flat=True)
                )
        return stored

    def plan_communities(self, rows) -> dict[str, Community]:
        """The communities the rows name that are not stored yet, as unsaved objects by code."""
        self.community_ids: dict[str, int] = {}
        wanted = {row[4] for row in rows if row[4]}
        if not wanted:
            return {}
        for chunk in chunks(sorted(wanted), _query_chunk_size()):
            self.community_ids.update(
                Community.objects.filter(code__in=chunk).values_list("code", "id")
            )
        missing = sorted(wanted - self.community_ids.keys())
        taken = set()
        for chunk in chunks(sorted({code[:6] for code in missing}), _query_chunk_size()):
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
            for chunk in chunks(sorted(self.new_communities), _query_chunk_size()):
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
        Case.objects.bulk_create(cases, batch_size=BATCH_SIZE)
        if cases and cases[0].pk is None:
            # Backends that cannot return the new ids from a bulk insert.
            ids = {}
            for chunk in chunks([case.code for case in cases], _query_chunk_size()):
                ids.update(Case.objects.filter(code__in=chunk).values_list("code", "id"))
            for case in cases:
                case.pk = ids[case.code]

        defaulted = sorted(c for c in DEFAULTS_IF_ABSENT if REGISTRY_COLUMNS[c] in self.defaults)
        changes = {"file": self.source.name}
        if defaulted:
            changes["defaults"] = defaulted
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
