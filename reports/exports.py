"""Every report in every format: the page, JSON, CSV and XLSX of the same numbers, from one
function (`answer`); and the suppression of small cells for the open-data table."""

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

from .filters import FORMATS, ReportFilterForm, ReportFilters

SMALL_CELL = "<5"
# A cell hidden only so that a small one cannot be worked out by subtraction.
COMPLEMENT = "X"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_FORMATS = ("csv", "xlsx")
# Characters a spreadsheet's sheet name may not hold, and its greatest length.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_LENGTH = 31


@dataclass
class Report:
    """One report's numbers: `data` is the JSON of the contract (its keys never translated);
    `header` and `rows` are the same numbers as a table, in the asker's language.

    `title` names the file (and the sheet, unless `sheet` is given); `page` gives what only
    the page needs (charts), computed only when the page is asked for.
    """

    title: str
    data: dict
    header: list
    rows: list[list]
    sheet: str = ""
    page: Callable[[], dict] = field(default=dict)


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
    if fmt == "json":
        return JsonResponse(report.data)
    if fmt in FILE_FORMATS:
        start, end = filters.start.isoformat(), filters.end.isoformat()
        header = [_("From"), _("To"), *report.header]
        rows = [[start, end, *row] for row in report.rows]
        filename = f"{slugify(str(report.title))}-{start}-{end}.{fmt}"
        if fmt == "csv":
            return csv_response(filename, header, rows)
        return xlsx_response(filename, report.sheet or report.title, header, rows)
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


def plain(value):
    """A cell as files take it: numbers stay numbers, anything else (a lazy translation
    included) becomes a str; an unknown value stays empty."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return str(value)


def sheet_name(title) -> str:
    """A valid sheet name: without the characters spreadsheets refuse, at most 31 long."""
    name = " ".join(SHEET_FORBIDDEN.sub(" ", str(title)).split())
    return name[:SHEET_LENGTH].rstrip() or "1"


def suppress(count: int) -> int | str:
    """Hide counts from 1 to 4 in tables that leave the system (0 is shown: nothing to hide)."""
    return SMALL_CELL if 1 <= count <= 4 else count


def suppress_row(total: int, groups: list[list[int]]) -> tuple[int | str, list[list[int | str]]]:
    """Suppress a row whose `groups` of cells each add up to `total`.

    Every count from 1 to 4 becomes `<5`. A group with a single hidden cell would give it away
    (the total minus the others), so its smallest other non-zero cell is hidden too, as `X`.
    """
    shown_groups = []
    for group in groups:
        shown = [suppress(count) for count in group]
        hidden = [i for i, cell in enumerate(shown) if cell == SMALL_CELL]
        if len(hidden) == 1 and suppress(total) != SMALL_CELL:
            others = [(count, i) for i, count in enumerate(group) if i not in hidden and count]
            if others:
                shown[min(others)[1]] = COMPLEMENT
        shown_groups.append(shown)
    return suppress(total), shown_groups


def csv_response(filename: str, header: list, rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # a BOM, so that spreadsheet programs read the accents right
    writer = csv.writer(response)
    writer.writerow([plain(cell) for cell in header])
    writer.writerows([plain(cell) for cell in row] for row in rows)
    return response


def xlsx_response(filename: str, title, header: list, rows: list[list]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name(title))
    bold = Font(bold=True)
    cells = []
    for value in header:
        cell = WriteOnlyCell(sheet, value=plain(value))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([plain(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
