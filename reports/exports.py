"""Report files: CSV and XLSX of the same numbers as the pages, and the open-data table."""

import csv
import io

from django.http import HttpResponse

SMALL_CELL = "<5"
# A cell hidden only so that a small one cannot be worked out by subtraction.
COMPLEMENT = "X"


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


def csv_response(filename: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # a BOM, so that spreadsheet programs read the accents right
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def xlsx_response(filename: str, title: str, header: list[str], rows: list[list]) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
