"""Write CSV files for the import tests, in the encodings and separators the imports accept."""

import csv
import io
from pathlib import Path


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
