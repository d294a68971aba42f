"""Read the CSV files the importers take, and run an import: all-or-nothing or skipping bad rows.

The formats are DESIGN.md's "Import formats": UTF-8 (with or without BOM) or Latin-1, comma or
semicolon separated, dates `YYYY-MM-DD` or `DD/MM/YYYY`, the header on line 1. Each kind of file
(`services`, `cases`, later `stays`) is an `Importer` subclass registered under its name with
`@register`; the `import_csv` command and the admin import page offer every registered kind.
"""

from __future__ import annotations

import csv
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

REJECTS_SUFFIX = ".rechazados.csv"
LINE_COLUMN = "LINEA"
REASON_COLUMN = "MOTIVO"

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class ImportFileError(Exception):
    """The file cannot be read at all (missing, empty, no header); nothing was imported."""


@dataclass(frozen=True, order=True)
class RowError:
    """What is wrong with one cell: its line in the file (header = 1), column and reason."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.column:
            return _("Line %(line)d, %(column)s: %(reason)s") % {
                "line": self.line,
                "column": self.column,
                "reason": self.reason,
            }
        return _("Line %(line)d: %(reason)s") % {"line": self.line, "reason": self.reason}


def normalize_header(name: str) -> str:
    """Return a header name as the importers know it: no BOM, no padding, upper case."""
    return name.replace("\ufeff", "").strip().upper()


def parse_date(text: str) -> date:
    """Read `YYYY-MM-DD` or `DD/MM/YYYY`; raise ValueError for anything else."""
    text = text.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _DMY_DATE.match(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def decode(data: bytes) -> tuple[str, str]:
    """Return the text and the encoding: UTF-8 (a BOM is dropped) if it decodes, else Latin-1."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Latin-1 decodes any byte string, so it is the fallback and never fails.
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(header_line: str) -> str:
    """Pick `;` or `,`, whichever the header line uses more (a tie means comma)."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


@dataclass
class CsvSource:
    """A decoded CSV file: its normalised header and its rows with their line numbers."""

    path: Path
    encoding: str
    delimiter: str
    raw_header: list[str]
    header: list[str]
    rows: list[tuple[int, list[str]]]
    # Lines whose number of fields differs from the header's.
    shape_errors: list[RowError] = field(default_factory=list)
    # The name people know the file by (an upload is stored under a random one).
    name: str = ""

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield (line, {COLUMN: stripped value}) for each well-formed data row."""
        header = self.header
        for line, values in self.rows:
            yield line, dict(zip(header, (value.strip() for value in values), strict=True))

    def column(self, name: str) -> list[str]:
        """Every row's value in column `name` (stripped), or empty strings if it is absent."""
        if name not in self.header:
            return [""] * len(self.rows)
        index = self.header.index(name)
        return [values[index].strip() for _, values in self.rows]


def read_csv(path: Path | str, *, name: str = "") -> CsvSource:
    """Read and decode `path`; rows with the wrong number of fields become shape errors."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError(
            _("Cannot read the file %(name)s: %(error)s")
            % {"name": path.name, "error": error.strerror}
        ) from error
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise ImportFileError(_("The file is empty or its first line is not a header."))
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        raw_header = next(reader)
    except csv.Error as error:  # e.g. an unbalanced quote that swallows the whole file
        raise ImportFileError(
            _("Line %(line)d: the file is not valid CSV (%(error)s).") % {"line": 1, "error": error}
        ) from error
    header = [normalize_header(name) for name in raw_header]
    width = len(header)
    rows: list[tuple[int, list[str]]] = []
    shape_errors: list[RowError] = []
    previous_end = reader.line_num
    try:
        for values in reader:
            # A quoted field may span lines: the row starts right after the previous one ended.
            line, previous_end = previous_end + 1, reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) > width and not any(v.strip() for v in values[width:]):
                # Spreadsheets often leave empty trailing cells: drop them.
                values = values[:width]
            if len(values) != width:
                shape_errors.append(
                    RowError(
                        line,
                        "",
                        _("This row has %(found)d fields; the header has %(expected)d.")
                        % {"found": len(values), "expected": width},
                    )
                )
                continue
            rows.append((line, values))
    except csv.Error as error:
        raise ImportFileError(
            _("Line %(line)d: the file is not valid CSV (%(error)s).")
            % {"line": reader.line_num, "error": error}
        ) from error
    return CsvSource(
        path, encoding, delimiter, raw_header, header, rows, shape_errors, name or path.name
    )


def rejects_path(path: Path) -> Path:
    """Where the rejected rows of `path` go: `<name>.rechazados.csv` beside it."""
    return path.with_name(path.stem + REJECTS_SUFFIX)


def write_rejects(source: CsvSource, errors: list[RowError]) -> Path:
    """Write the rejected rows of `source`, with their line and reasons, to a CSV beside it.

    The file keeps the input's delimiter and original columns, after LINEA and MOTIVO, so it can
    be corrected and imported again; it is UTF-8 with a BOM so that spreadsheets read accents.
    """
    reasons: dict[int, list[str]] = {}
    for error in sorted(errors):
        text = f"{error.column}: {error.reason}" if error.column else error.reason
        reasons.setdefault(error.line, []).append(text)
    values_by_line = dict(source.rows)
    target = rejects_path(source.path)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=source.delimiter)
        writer.writerow([LINE_COLUMN, REASON_COLUMN, *source.raw_header])
        for line, texts in sorted(reasons.items()):
            # Rows of the wrong shape were never split into the header's columns.
            writer.writerow([line, " | ".join(texts), *values_by_line.get(line, [])])
    return target


@dataclass
class Report:
    """The outcome of checking (and maybe storing) one file."""

    kind: str
    source_name: str
    encoding: str
    delimiter: str
    # Problems with the file as a whole (a missing column): nothing can be imported.
    file_errors: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    to_create: int = 0
    present: int = 0
    # Further counts worth showing, e.g. communities to create: (label, number).
    extra_counts: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stored: bool = False
    rejects_file: Path | None = None

    @property
    def rejected(self) -> int:
        return len({error.line for error in self.errors})

    @property
    def all_errors(self) -> list[RowError]:
        return sorted(self.file_errors) + sorted(self.errors)


def summary_lines(report: Report) -> list[str]:
    """Return the counts of a report, one sentence each, as the command and the admin show them."""
    created = _("Created: %(count)d.") if report.stored else _("To create: %(count)d.")
    return [
        created % {"count": report.to_create},
        _("Already present: %(count)d.") % {"count": report.present},
        _("Rejected: %(count)d.") % {"count": report.rejected},
        *(f"{label}: {count}." for label, count in report.extra_counts),
    ]


class Importer(ABC):
    """One kind of import file. `check` validates without writing; `store` writes the result.

    Subclasses set `kind`, `label`, `required_columns` and `optional_columns`; `check` must not
    write to the database (the admin preview runs it alone), and `store` runs inside the
    transaction that `run_import` opens.
    """

    kind: str
    label: str
    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()
    # Where the admin sends the administrator after storing: "app_label.model_name".
    admin_model: str = ""

    def __init__(self, source: CsvSource, *, user=None):
        self.source = source
        self.user = user

    def new_report(self) -> Report:
        return Report(
            kind=self.kind,
            source_name=self.source.name,
            encoding=self.source.encoding,
            delimiter=self.source.delimiter,
        )

    def known_columns(self) -> set[str]:
        return set(self.required_columns) | set(self.optional_columns)

    def check_header(self, report: Report) -> None:
        """Record missing and repeated columns as file errors, and note ignored ones."""
        header = self.source.header
        missing = [name for name in self.required_columns if name not in header]
        for name in missing:
            report.file_errors.append(RowError(1, name, _("This required column is missing.")))
        seen: set[str] = set()
        for name in header:
            if name and name in seen:
                report.file_errors.append(
                    RowError(1, name, _("This column appears more than once."))
                )
            seen.add(name)
        known = self.known_columns()
        ignored = [name for name in header if name and name not in known]
        if ignored:
            report.notes.append(
                _("Columns ignored (not stored by this import): %(names)s")
                % {"names": ", ".join(ignored)}
            )

    def check(self) -> Report:
        """Validate the whole file and plan what to store; write nothing."""
        report = self.new_report()
        self.check_header(report)
        report.errors.extend(self.source.shape_errors)
        if not report.file_errors:
            self.check_rows(report)
        return report

    @abstractmethod
    def check_rows(self, report: Report) -> None:
        """Validate every row, add RowErrors to the report and count what would be stored."""

    @abstractmethod
    def store(self, report: Report) -> None:
        """Store the valid rows that `check_rows` planned (inside a transaction)."""


_IMPORTERS: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    """Make `importer` available to `import_csv --kind` and the admin, under its `kind`."""
    _IMPORTERS[importer.kind] = importer
    return importer


def importer_kinds() -> list[str]:
    return sorted(_IMPORTERS)


def importer_for(kind: str) -> type[Importer]:
    return _IMPORTERS[kind]


class ImportAborted(Exception):
    """The database refused the rows (they changed during the import); nothing was stored."""


def run_import(
    kind: str,
    path: Path | str,
    *,
    skip_invalid: bool = False,
    user=None,
    dry_run: bool = False,
    write_rejects_file: bool = True,
    name: str = "",
) -> Report:
    """Check the file and, unless `dry_run`, store it in one transaction.

    Nothing is stored when the file has a file-level error, or when any row is invalid and
    `skip_invalid` is off. With `skip_invalid` the valid rows are stored and the rejected ones
    written beside the input (`write_rejects_file`). `name` is the file's name for people and
    the audit trail, when `path` is a temporary copy.
    """
    source = read_csv(path, name=name)
    importer = importer_for(kind)(source, user=user)
    if dry_run:
        return importer.check()
    try:
        with transaction.atomic():
            report = importer.check()
            if report.file_errors or (report.errors and not skip_invalid):
                return report
            importer.store(report)
            report.stored = True
    except IntegrityError as error:
        raise ImportAborted(
            _(
                "The database refused the import (another change happened meanwhile); "
                "nothing was stored. Run it again."
            )
        ) from error
    if report.errors and write_rejects_file:
        report.rejects_file = write_rejects(source, report.errors)
    return report


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def pad_digits(text: str, length: int) -> str | None:
    """Return `text` as exactly `length` digits, restoring leading zeros a spreadsheet dropped;
    None if it is not 1 to `length` digits."""
    if text.isdigit() and text.isascii() and 0 < len(text) <= length:
        return text.zfill(length)
    return None
