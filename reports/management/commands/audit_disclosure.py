"""Audit every file the reports let leave the system, as an attacker would read it.

    python manage.py audit_disclosure [--year 2023 ...] [--legacy]

For each year with cases, community activities or complaints (a complaint's year in Lima): the
open-data file (national), and every download (each report, each `by` dimension, the whole year)
for the whole country and for each region. For each file it suppresses and audits as the views
do before serving, writes the CSV and XLSX and reads them back, and prints: files audited, hidden
cells, hidden cells a linear program recovers exactly (goal 0), hidden cells whose interval does
not reach from 0 to 5, exact counts from 1 to 4 left in downloads (goal 0; a median of 1 to 4
measures written counts as one), cells that look like formulas in the written files (goal 0),
and the time taken.

`--legacy` audits the old rule of thumb on the same data instead: the open-data file with `<5`
and one `X` (reading what those labels reveal), and downloads with no suppression at all.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import date

from django.core.management.base import BaseCommand
from django.db.models.functions import Substr

from activities.models import Activity
from cases import clock
from cases.models import Case, Complaint
from reports import disclosure, exports, queries, views
from reports.disclosure import legacy, tables
from reports.filters import ReportFilters
from services.models import CareService, Region
from shelters.models import Shelter, Stay


@dataclass
class Tally:
    files: int = 0
    hidden: int = 0
    recoverable: int = 0
    narrow: int = 0
    failing: int = 0
    small_shown: int = 0
    formulas: int = 0
    seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Command(BaseCommand):
    help = "Audit the disclosure control of the open-data files and every report download."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="only these years")
        parser.add_argument(
            "--legacy", action="store_true", help="audit the old `<5` + one `X` rule instead"
        )
        parser.add_argument(
            "--national-only", action="store_true", help="skip the downloads of each region"
        )

    def handle(self, *args, year, legacy, national_only, **options):
        start = time.perf_counter()
        years = year or sorted(
            {day.year for day in Case.objects.dates("intake_date", "year")}
            | {day.year for day in Activity.objects.dates("date", "year")}
            | {
                moment.year
                for moment in Complaint.objects.datetimes(
                    "filed_at", "year", tzinfo=clock.service_zone()
                )
            }
        )
        regions = [] if national_only else self._regions()
        method = "legacy (<5 and one X)" if legacy else "cell suppression with interval audit"
        self.stdout.write(f"Method: {method}. Years: {', '.join(map(str, years)) or 'none'}.")
        open_total, downloads_total = Tally(), Tally()
        for y in years:
            tally = self._open_data(y, legacy)
            open_total.add(tally)
            self._line(f"{y} open data", tally)
            per_year = Tally()
            for region in ["", *regions]:
                per_year.add(self._downloads(y, region, legacy))
            downloads_total.add(per_year)
            self._line(f"{y} downloads ({1 + len(regions)} scopes)", per_year)
        self._line("ALL open data", open_total)
        self._line("ALL downloads", downloads_total)
        both = Tally()
        both.add(open_total)
        both.add(downloads_total)
        self._line("ALL files", both)
        self.stdout.write(f"Total time: {time.perf_counter() - start:.1f} s")

    def _line(self, label, tally: Tally) -> None:
        self.stdout.write(
            f"{label}: files {tally.files}, hidden cells {tally.hidden}, "
            f"recoverable by LP {tally.recoverable}, narrower than [0,5] {tally.narrow}, "
            f"failing audit {tally.failing}, exact 1-4 shown {tally.small_shown}, "
            f"formula cells {tally.formulas}, audit time {tally.seconds:.2f} s"
        )

    def _regions(self) -> list[str]:
        codes = (
            CareService.objects.annotate(region=Substr("district_id", 1, 2))
            .values_list("region", flat=True)
            .distinct()
        )
        regions = Region.objects.filter(code__in=codes).order_by("code")
        return list(regions.values_list("code", flat=True))

    def _open_data(self, year: int, legacy_rule: bool) -> Tally:
        data = queries.open_data_table(CareService.objects.all(), year)
        table = tables.open_data_of(data)
        tally = Tally(files=1)
        started = time.perf_counter()
        if legacy_rule:
            labels = legacy.open_data_labels(data.rows, data.total, data.groups)
            hidden, bounds = legacy.label_bounds(table, labels)
            result = disclosure.audit(table, hidden, bounds=bounds)
            rows = tables.masked_rows(data.rows, labels, None)
            for key, label in labels.items():
                rows[key[0]][key[1]] = label
            formulas = _formula_cells(data.header, rows, neutralised=False)
        else:
            rows, protection = exports.open_data_rows(data)
            hidden, result = protection.hidden, protection.audit
            formulas = _formula_cells(data.header, rows, neutralised=True)
        tally.seconds = time.perf_counter() - started
        tally.hidden = len(hidden)
        tally.recoverable = len(result.recoverable)
        tally.narrow = len(result.narrow)
        tally.failing = len(result.failing)
        tally.formulas = formulas
        return tally

    def _downloads(self, year: int, region: str, legacy_rule: bool) -> Tally:
        filters = ReportFilters(start=date(year, 1, 1), end=date(year, 12, 31), region=region)
        services = CareService.objects.all()
        reports = [
            views.rural_coverage_report(services, filters),
            views.shelters_report(Stay.objects.all(), filters),
            views.network_report(services, Shelter.objects.all(), filters),
            *[views.cases_report(services, filters, by) for by in views.DIMENSION_LABELS],
            *[
                views.activities_report(services, filters, by)
                for by in views.ACTIVITY_DIMENSION_LABELS
            ],
            views.protection_report(services, filters),
        ]
        total = Tally()
        for report in reports:
            tally = Tally(files=1)
            table = report.table(report.data)
            started = time.perf_counter()
            if legacy_rule:
                hidden: list = []
            else:
                protection = report.protection()
                hidden = tables.hidden_pointers(protection)
                tally.hidden = len(hidden)
                tally.recoverable = len(protection.audit.recoverable)
                tally.narrow = len(protection.audit.narrow)
                tally.failing = len(protection.audit.failing)
            tally.seconds = time.perf_counter() - started
            released = tables.masked(report.data, hidden, None)
            tally.small_shown = sum(
                1
                for cell in tables.published_cells(table)
                if table.sensitive[cell]
                and isinstance(value := _at(released, table.keys[cell]), int)
                and 1 <= value < disclosure.MIN_SHOWN
            ) + sum(
                1
                for statistic in (
                    table.statistics if isinstance(table, tables.DerivedTable) else []
                )
                if _at(released, statistic.key) is not None
                and 1 <= table.values[statistic.basis] < disclosure.MIN_SHOWN
            )
            shown = tables.masked(report.data, hidden, disclosure.HIDDEN)
            rows = report.rows(shown)
            tally.formulas = _formula_cells(report.header, rows, neutralised=not legacy_rule)
            if not legacy_rule:
                tally.formulas += _xlsx_formulas(report, filters)
            total.add(tally)
        return total


def _at(data, pointer: str):
    node = data
    for token in pointer.split("/")[1:]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _formula_cells(header, rows, *, neutralised: bool) -> int:
    """Text cells that a spreadsheet would run as a formula, in the CSV as written (the
    current writer) or as the old writer wrote them (values unchanged)."""
    if neutralised:
        response = exports.csv_response("audit.csv", header, rows)
        cells = [
            cell
            for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
            for cell in row
        ]
    else:
        cells = [exports.plain(cell) for row in [header, *rows] for cell in row]
    return sum(
        1 for cell in cells if isinstance(cell, str) and cell.startswith(exports.FORMULA_STARTS)
    )


def _xlsx_formulas(report, filters) -> int:
    """Cells written as formulas in the XLSX download, read back with openpyxl."""
    from openpyxl import load_workbook

    response = exports.download(report, filters, "xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sum(
        1
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
        or (isinstance(cell.value, str) and cell.value.startswith(exports.FORMULA_STARTS))
    )
