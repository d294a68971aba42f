"""Every report in every format: the page, JSON, CSV and XLSX of the same numbers, from one
function (`answer`). The page, read in the application by a person in scope, shows the exact
numbers; every download first goes through the disclosure control (`reports.disclosure`), and
every CSV and XLSX cell is written so that no spreadsheet runs it as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from services.spreadsheets import FORMULA_STARTS, neutral, plain  # noqa: F401 (re-exported)

from . import disclosure
from .disclosure import tables
from .filters import FORMATS, ReportFilterForm, ReportFilters

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_FORMATS = ("csv", "xlsx")
# Characters a spreadsheet's sheet name may not hold, and its greatest length.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_LENGTH = 31
# A text starting with one of these is a formula to a spreadsheet program (OWASP, "CSV
# Injection"), also after leading spaces, and in their full-width forms.
# Control characters an XLSX cell cannot hold (openpyxl refuses them).
ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The key of a JSON download that lists its hidden cells, as JSON pointers.
HIDDEN_KEY = "hidden"


@dataclass
class Report:
    """One report's numbers: `data` is the JSON of the contract (its keys never translated);
    `header` and `rows(data)` are the same numbers as a table, in the asker's language.

    `table(data)` gives the disclosure-control table of the data: its counts (named by JSON
    pointer) and the relations between them. `title` names the file (and the sheet, unless
    `sheet` is given); `page` gives what only the page needs (charts), computed only when the
    page is asked for.
    """

    title: str
    data: dict
    header: list
    rows: Callable[[dict], list[list]]
    table: Callable[[dict], disclosure.Table]
    sheet: str = ""
    page: Callable[[], dict] = field(default=dict)

    def protection(self) -> disclosure.Protection:
        """The cells to hide, audited."""
        return disclosure.protect(self.table(self.data))

    def hidden(self) -> list:
        """The JSON pointers of what the files hide: the hidden cells they carry, and the
        statistics withheld (`tables.hidden_pointers`)."""
        return tables.hidden_pointers(self.protection())


def answer(
    request,
    form: ReportFilterForm,
    *,
    template: str,
    build: Callable[[ReportFilters], Report],
    context: dict | None = None,
) -> HttpResponse:
    """Answer a report in the format asked for (`format`: html, json, csv or xlsx).

    Bad parameters, an unknown format included, answer 400 naming the parameter at fault:
    the page with the form's errors, a JSON of errors, or a plain text for the files.
    """
    context = context or {}
    if not form.is_valid():
        return _invalid(request, form, template, context)
    fmt = form.cleaned_data["format"]
    filters = form.filters()
    report = build(filters)
    if fmt == "json" or fmt in FILE_FORMATS:
        return download(report, filters, fmt)
    return render(
        request,
        template,
        {
            **context,
            "form": form,
            "filters": filters,
            "region": form.cleaned_data.get("region"),
            "data": report.data,
            "downloads": _downloads(request),
            **report.page(),
        },
    )


def download(report: Report, filters: ReportFilters, fmt: str) -> HttpResponse:
    """A report's file (json, csv or xlsx): the numbers as they may leave the system.

    JSON keeps every key of the contract, with each hidden count (or withheld statistic, such
    as a median) null, and adds `hidden`, their JSON pointers in the order of the document (an
    empty list if none); CSV and XLSX write `X`.
    """
    hidden = report.hidden()
    if fmt == "json":
        return JsonResponse({**tables.masked(report.data, hidden, None), HIDDEN_KEY: hidden})
    shown = tables.masked(report.data, hidden, disclosure.HIDDEN)
    start, end = filters.start.isoformat(), filters.end.isoformat()
    header = [_("From"), _("To"), *report.header]
    rows = [[start, end, *row] for row in report.rows(shown)]
    filename = f"{slugify(str(report.title))}-{start}-{end}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header, rows)
    return xlsx_response(filename, report.sheet or report.title, header, rows)


def open_data_rows(open_data) -> tuple[list[list], disclosure.Protection]:
    """The rows of the open-data table as they may leave the system, and their protection."""
    table = tables.open_data_of(open_data)
    protection = disclosure.protect(table)
    rows = tables.masked_rows(open_data.rows, protection.hidden_keys(), disclosure.HIDDEN)
    return rows, protection


def _invalid(request, form, template, context) -> HttpResponse:
    """A 400 in the format asked for (the page if the format itself is unknown)."""
    fmt = form.requested_format()
    if fmt == "json":
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    if fmt in FILE_FORMATS:
        lines = [
            f"{_parameter(form, name)}: {message}" if name != "__all__" else str(message)
            for name, messages in form.errors.items()
            for message in messages
        ]
        return HttpResponse(
            "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    return render(request, template, {**context, "form": form}, status=400)


def _parameter(form, name: str) -> str:
    """The URL parameter of a form field (`from_` is `from`)."""
    return form.add_prefix(name)


def _downloads(request) -> list[tuple[str, str]]:
    """The same report, with the same parameters, in each file format."""
    links = []
    for fmt in FORMATS[1:]:
        query = request.GET.copy()
        query["format"] = fmt
        links.append((fmt.upper(), f"?{query.urlencode()}"))
    return links


def sheet_name(title) -> str:
    """A valid sheet name: without the characters spreadsheets refuse (nor an apostrophe at
    either end), at most 31 long. A sheet name is never run as a formula."""
    name = " ".join(SHEET_FORBIDDEN.sub(" ", ILLEGAL_XLSX.sub("", str(title))).split())
    return name.strip("'")[:SHEET_LENGTH].strip(" '") or "1"


def csv_response(filename: str, header: list, rows: list[list]) -> HttpResponse:
    """A CSV download. Every text is quoted (so a separator inside it cannot start a new cell)
    and neutralised (`neutral`); numbers are written bare."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # a BOM, so that spreadsheet programs read the accents right
    writer = csv.writer(response, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([_csv_cell(cell) for cell in header])
    writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
    return response


def _csv_cell(value):
    # QUOTE_NONNUMERIC would quote None as ""; an empty cell is simply empty text.
    value = neutral(value)
    return "" if value is None else value


def xlsx_response(filename: str, title, header: list, rows: list[list]) -> HttpResponse:
    """An XLSX download: every text cell is a string cell (never a formula), neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name(title))
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, value, font=bold) for value in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_cell(sheet, value, *, font=None):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        # Control characters out first: what is left is what a spreadsheet reads, and that is
        # what must not start a formula ("\x01=HYPERLINK(...)" would become one).
        value = ILLEGAL_XLSX.sub("", value)
    value = neutral(value)
    if isinstance(value, str):
        value = ILLEGAL_XLSX.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would take a text starting with "=" for a formula
    if font is not None:
        cell.font = font
    return cell
