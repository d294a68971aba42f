"""Report files: CSV and XLSX of the same numbers as the pages, and the open-data table."""

import csv
import io

from django.http import HttpResponse

SMALL_CELL = "<5"


def suppress(count: int) -> int | str:
    """Hide counts from 1 to 4 in tables that leave the system (0 is shown: nothing to hide)."""
    return SMALL_CELL if 1 <= count <= 4 else count


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
