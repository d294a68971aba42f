"""Write CSV files for the import tests, in the encodings and separators the imports accept,
and run `import_csv` on them."""

import csv
import io
from functools import partial
from pathlib import Path

from django.core.management import call_command


def write_csv(
    path: Path,
    rows: list[dict[str, object]],
    *,
    columns: list[str] | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """Write `rows` under a header of `columns` (default: the first row's keys)."""
    columns = columns or list(rows[0])
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def import_file(kind: str, path: Path, *, skip_invalid: bool = False) -> tuple[str, str]:
    """Run `import_csv --kind KIND FILE` as a person would; return what it printed."""
    out, err = io.StringIO(), io.StringIO()
    args = ["--kind", kind, str(path), *(["--skip-invalid"] if skip_invalid else [])]
    call_command("import_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


import_services = partial(import_file, "services")
import_cases = partial(import_file, "cases")
import_stays = partial(import_file, "stays")


def errors_of(report) -> set[tuple[int, str]]:
    """The (line, column) of every error of an import report."""
    return {(error.line, error.column) for error in report.all_errors}
