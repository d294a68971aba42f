"""Import the care-service network from a CSV file (kind `services`).

Columns: CODIGO, TIPO (CEM|SAR|CAI|HRT), NOMBRE, UBIGEO, FECHA_APERTURA, FECHA_CIERRE (may be
empty), CAPACIDAD (HRT only). A code already stored with the same values counts as already
present; with other values the row is an error: an import never overwrites a service (change it
in the administration). TIPO values are stored by a handler per kind: CareService handles CEM,
SAR and CAI; the shelters app registers one for HRT with `register_service_kind`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .csvimport import (
    BATCH_SIZE,
    Cells,
    Importer,
    Report,
    RowError,
    in_query_chunks,
    read_date,
    read_digits,
    read_text,
    read_whole_number,
    register,
)
from .models import CareService, District
from .rules import spreadsheet_safe_problems

ALL_KINDS = ("CEM", "SAR", "CAI", "HRT")
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
CODE_MAX = CareService._meta.get_field("code").max_length
NAME_MAX = CareService._meta.get_field("name").max_length

# Compared with what is stored, column by column, to tell "already present" from "changed".
COMPARED = {
    "TIPO": "kind",
    "NOMBRE": "name",
    "UBIGEO": "district_id",
    "FECHA_APERTURA": "opened_on",
    "FECHA_CIERRE": "closed_on",
    "CAPACIDAD": "capacity",
}


@dataclass
class ServiceRow:
    """One service as the file (or the database, for comparison) describes it."""

    line: int
    code: str
    kind: str
    name: str
    district_id: str
    opened_on: date
    closed_on: date | None
    capacity: int | None


class ServiceKindHandler(Protocol):
    """Stores the rows of some TIPO values (CareService for CEM/SAR/CAI, shelters for HRT)."""

    kinds: tuple[str, ...]

    def stored(self, codes: set[str]) -> dict[str, ServiceRow]:
        """The stored services among `codes`, as rows to compare the file's with."""

    def check(self, row: ServiceRow) -> list[tuple[str, str]]:
        """Checks of this kind only: (column, reason) pairs."""

    def create(self, rows: list[ServiceRow]) -> None:
        """Store the new rows (called inside the import's transaction)."""


class ModelKindHandler:
    """Stores rows of `kinds` as `model` objects that share the services' code, name, district and
    dates; subclasses say what else a new object holds."""

    kinds: tuple[str, ...]
    model: type[models.Model]

    def kind_of(self, stored: models.Model) -> str:
        return stored.kind

    def capacity_of(self, stored: models.Model) -> int | None:
        return None

    def extra_fields(self, row: ServiceRow) -> dict[str, Any]:
        return {}

    def stored(self, codes: set[str]) -> dict[str, ServiceRow]:
        rows = {}
        for chunk in in_query_chunks(codes):
            for stored in self.model.objects.filter(code__in=chunk):
                rows[stored.code] = ServiceRow(
                    0,
                    stored.code,
                    self.kind_of(stored),
                    stored.name,
                    stored.district_id,
                    stored.opened_on,
                    stored.closed_on,
                    self.capacity_of(stored),
                )
        return rows

    def check(self, row: ServiceRow) -> list[tuple[str, str]]:
        return []

    def create(self, rows: list[ServiceRow]) -> None:
        self.model.objects.bulk_create(
            [
                self.model(
                    code=row.code,
                    name=row.name,
                    district_id=row.district_id,
                    opened_on=row.opened_on,
                    closed_on=row.closed_on,
                    **self.extra_fields(row),
                )
                for row in rows
            ],
            batch_size=BATCH_SIZE,
        )


class CareServiceHandler(ModelKindHandler):
    kinds = ("CEM", "SAR", "CAI")
    model = CareService

    def extra_fields(self, row: ServiceRow) -> dict[str, Any]:
        return {"kind": row.kind}

    def check(self, row: ServiceRow) -> list[tuple[str, str]]:
        if row.capacity is not None:
            return [("CAPACIDAD", _("Only a shelter (HRT) has a capacity; leave it empty."))]
        return []


SERVICE_KINDS: dict[str, ServiceKindHandler] = {}


def register_service_kind(handler: ServiceKindHandler) -> None:
    """Let the services import store rows of `handler.kinds` (the shelters app: HRT)."""
    for kind in handler.kinds:
        SERVICE_KINDS[kind] = handler


register_service_kind(CareServiceHandler())


@register
class ServiceImporter(Importer):
    kind = "services"
    label = gettext_lazy("Services")
    required_columns = ("CODIGO", "TIPO", "NOMBRE", "UBIGEO", "FECHA_APERTURA")
    optional_columns = ("FECHA_CIERRE", "CAPACIDAD")
    admin_model = "services.careservice"

    def check_rows(self, report: Report) -> None:
        districts = set(District.objects.values_list("code", flat=True))
        seen: dict[str, int] = {}
        valid: list[ServiceRow] = []
        for line, record in self.source.records():
            row, errors = self.parse(line, record, districts)
            if row is not None:
                if row.code in seen:
                    errors.append(
                        RowError(
                            line,
                            "CODIGO",
                            _("The same code is on line %(line)d.") % {"line": seen[row.code]},
                        )
                    )
                else:
                    seen[row.code] = line
            if errors:
                report.errors.extend(errors)
            else:
                valid.append(row)
        self.plan = self.compare_with_stored(valid, report)
        report.to_create = sum(len(rows) for rows in self.plan.values())

    def parse(
        self, line: int, record: dict[str, str], districts: set[str]
    ) -> tuple[ServiceRow | None, list[RowError]]:
        """Read one row; return it (None if unusable) and its errors."""
        cells = Cells(line, record)
        code = cells["CODIGO"].upper()
        if not code:
            cells.error("CODIGO", _("This value is required."))
        elif len(code) > CODE_MAX or not CODE_PATTERN.match(code):
            cells.error(
                "CODIGO",
                _("Use up to %(max)d capital letters, digits and hyphens.") % {"max": CODE_MAX},
            )
        kind = cells["TIPO"].upper()
        if kind not in ALL_KINDS:
            cells.error("TIPO", _("Use one of: %(values)s.") % {"values": ", ".join(ALL_KINDS)})
        elif kind not in SERVICE_KINDS:
            cells.error(
                "TIPO",
                _(
                    "Shelters (HRT) cannot be imported yet: add them in the administration, "
                    "under Shelters."
                )
                if kind == "HRT"
                else _("This kind of service cannot be imported."),
            )
        name = cells.read("NOMBRE", read_text, max_length=NAME_MAX, required=True)
        for column, reason in spreadsheet_safe_problems("NOMBRE", name):
            cells.error(column, str(reason))
        ubigeo = cells.read(
            "UBIGEO", read_digits, 6, message=_("Write the district's 6-digit ubigeo.")
        )
        if ubigeo is not None and ubigeo not in districts:
            cells.error("UBIGEO", _("No district has the ubigeo %(code)s.") % {"code": ubigeo})
        opened_on = cells.read("FECHA_APERTURA", read_date, required=True)
        closed_on = cells.read("FECHA_CIERRE", read_date)
        if opened_on and closed_on and closed_on < opened_on:
            cells.error("FECHA_CIERRE", _("The closing date cannot be before the opening date."))
        capacity = cells.read("CAPACIDAD", read_whole_number, positive=True)
        if not code or kind not in ALL_KINDS:
            return None, cells.errors
        row = ServiceRow(line, code, kind, name, ubigeo, opened_on, closed_on, capacity)
        if kind in SERVICE_KINDS and not cells.errors:
            cells.errors.extend(RowError(line, c, r) for c, r in SERVICE_KINDS[kind].check(row))
        return row, cells.errors

    def compare_with_stored(
        self, rows: list[ServiceRow], report: Report
    ) -> dict[ServiceKindHandler, list[ServiceRow]]:
        """Split valid rows into new ones (by handler) and already present; a stored code with
        other values is an error."""
        codes = {row.code for row in rows}
        stored: dict[str, ServiceRow] = {}
        for handler in {id(h): h for h in SERVICE_KINDS.values()}.values():
            stored.update(handler.stored(codes))
        plan: dict[ServiceKindHandler, list[ServiceRow]] = {}
        for row in rows:
            current = stored.get(row.code)
            if current is None:
                plan.setdefault(SERVICE_KINDS[row.kind], []).append(row)
                continue
            if SERVICE_KINDS.get(current.kind) is not SERVICE_KINDS[row.kind]:
                # A shelter's code on a service row, or the reverse: they share the codes.
                report.errors.append(
                    RowError(
                        row.line,
                        "CODIGO",
                        _(
                            "This code already belongs to a %(kind)s: services and shelters "
                            "share their codes, so use another one."
                        )
                        % {"kind": current.kind},
                    )
                )
                continue
            changed = [
                column
                for column, attribute in COMPARED.items()
                if getattr(row, attribute) != getattr(current, attribute)
            ]
            if changed:
                report.errors.append(
                    RowError(
                        row.line,
                        "CODIGO",
                        _(
                            "This service is already stored with other values (%(columns)s); "
                            "an import never changes a service: edit it in the administration."
                        )
                        % {"columns": ", ".join(changed)},
                    )
                )
            else:
                report.present += 1
        return plan

    def store(self, report: Report) -> None:
        for handler, rows in self.plan.items():
            handler.create(rows)
