"""The CSV import framework: read the files, read their cells, run an import.

The formats are DESIGN.md's "Import formats": UTF-8 (with or without BOM) or Latin-1, comma or
semicolon separated, dates `YYYY-MM-DD` or `DD/MM/YYYY`, the header on line 1. Each kind of file
(`services`, `cases`, `stays`) is an `Importer` subclass, kept in its own app and registered under
its name with `@register` when that app is ready (`AppConfig.ready` imports its `importers`); the
`import_csv` command (`services/management/commands/import_csv.py`) and the admin import page
(`services/admin_import.py`) offer every registered kind.

Every importer reads its cells with the one toolkit below (`Cells` and the `read_*` functions), so
that a date, a code or a number is accepted, and refused with the same reason, in every file.
"""

from __future__ import annotations

import csv
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .rules import storable_text_problems
from .spreadsheets import neutral

REJECTS_SUFFIX = ".rechazados.csv"
LINE_COLUMN = "LINEA"
REASON_COLUMN = "MOTIVO"
# Rows per INSERT of the importers' bulk_create.
BATCH_SIZE = 1000

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
    # Lines whose number of fields differs from the header's, or with a cell no database stores.
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
    positions = [_("column %(number)d") % {"number": n} for n in range(1, len(header) + 1)]
    if unstorable := unstorable_cells(1, positions, raw_header):
        raise ImportFileError(str(unstorable[0]))
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
            if unstorable := unstorable_cells(line, header, values):
                shape_errors.extend(unstorable)
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


def unstorable_cells(line: int, header: list[str], values: list[str]) -> list[RowError]:
    """The cells of a row that no database stores (a NUL byte), as errors naming the line and
    column. Such a row goes no further than the reading: no importer, query or message ever
    carries the value (PostgreSQL would refuse it and fail the whole import)."""
    return [
        RowError(line, column, reason)
        for column, value in zip(header, values, strict=True)
        for _field, reason in storable_text_problems(column, value)
    ]


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
            # Neutralised (services.spreadsheets): this file is opened in a spreadsheet.
            cells = [neutral(value) for value in values_by_line.get(line, [])]
            writer.writerow([line, neutral(" | ".join(texts)), *cells])
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


# How many times an import is tried when PostgreSQL rolls it back to break a deadlock.
IMPORT_ATTEMPTS = 3
# PostgreSQL's SQLSTATEs of a transaction rolled back for another's sake: a deadlock, a
# serialization failure. Running it again is the documented answer to both.
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})


def lost_to_another_writer(error: OperationalError) -> bool:
    """Whether the database rolled the transaction back because of a concurrent writer."""
    return getattr(error.__cause__, "sqlstate", None) in RETRIED_SQLSTATES


class ImportAborted(Exception):
    """The database refused the rows (they changed during the import); nothing was stored."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _(
                "The database refused the import (another change happened meanwhile); "
                "nothing was stored. Run it again."
            )
        )


def run_import(
    kind: str,
    path: Path | str,
    *,
    skip_invalid: bool = False,
    user=None,
    dry_run: bool = False,
    write_rejects_file: bool = True,
    name: str = "",
    read: Callable[..., CsvSource] = read_csv,
) -> Report:
    """Check the file and, unless `dry_run`, store it in one transaction.

    Nothing is stored when the file has a file-level error, or when any row is invalid and
    `skip_invalid` is off. With `skip_invalid` the valid rows are stored and the rejected ones
    written beside the input (`write_rejects_file`). `name` is the file's name for people and
    the audit trail, when `path` is a temporary copy. `read` reads the file like `read_csv`
    (the admin's background job passes one whose rows report its progress).
    """
    source = read(path, name=name)
    importer = importer_for(kind)(source, user=user)
    if dry_run:
        return importer.check()
    # Only a transaction of its own can be run again (inside a caller's, the caller decides).
    attempts = IMPORT_ATTEMPTS if not connection.in_atomic_block else 1
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                report = importer.check()
                if report.file_errors or (report.errors and not skip_invalid):
                    return report
                importer.store(report)
                report.stored = True
            break
        except IntegrityError as error:
            raise ImportAborted() from error
        except OperationalError as error:
            if not lost_to_another_writer(error) or attempts == 1:
                raise
            if attempt == attempts:
                raise ImportAborted() from error
            # PostgreSQL rolled the import back to break a deadlock with another writer (the
            # import writes the reports' rollup rows batch after batch): nothing was stored,
            # so it runs again over the rows read (the upload may be gone by now).
            importer = importer_for(kind)(source, user=user)
    if report.errors and write_rejects_file:
        report.rejects_file = write_rejects(source, report.errors)
    return report


# Querying what a file names: a few queries, never one per row. --------------------------------


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def query_chunk_size() -> int:
    """How many values one `__in` lookup may take on this database."""
    # SQLite caps the parameters of one query (999 on older builds); PostgreSQL does not.
    limit = connection.features.max_query_params
    return min(limit - 10, 5000) if limit else 5000


def in_query_chunks(values: Iterable) -> Iterator[list]:
    """The distinct `values`, sorted, in lists small enough for one `__in` lookup each."""
    return chunks(sorted(set(values)), query_chunk_size())


# Reading cells. --------------------------------------------------------------------------------
# Each reader takes a cell's stripped text and returns its value, None for an empty cell that may
# be empty, or raises Invalid with the reason people read next to the line and column.

T = TypeVar("T")


class Invalid(Exception):
    """A cell's value is not acceptable; the message is the reason."""


def _empty(required: bool) -> None:
    if required:
        raise Invalid(_("This value is required."))
    return None


def _whole(text: str) -> int | None:
    """The number `text` writes with ASCII digits only, else None."""
    return int(text) if text.isascii() and text.isdigit() else None


def read_date(text: str, *, required: bool = False, today: date | None = None) -> date | None:
    """A date as `YYYY-MM-DD` or `DD/MM/YYYY`; given `today`, none in the future."""
    if not text:
        return _empty(required)
    try:
        value = parse_date(text)
    except ValueError:
        raise Invalid(_("Write the date as YYYY-MM-DD or DD/MM/YYYY.")) from None
    if today is not None and value > today:
        raise Invalid(_("The date cannot be in the future."))
    return value


def read_choice(
    text: str, choices: Mapping[str, T], *, message: str, required: bool = False
) -> T | None:
    """One of the texts `choices` maps to values, written exactly; `message` says which."""
    if not text:
        return _empty(required)
    if text in choices:
        return choices[text]
    raise Invalid(str(message))


# Translated only when a cell is refused: a big file has millions of yes/no cells, and
# translating the message for each took most of the time of checking it.
YES_NO = {"1": True, "0": False}
YES_NO_MESSAGE = gettext_lazy("Use 1 (yes) or 0 (no).")


def read_yes_no(text: str, *, required: bool = False) -> bool | None:
    """The registry's yes/no: 1 (yes) or 0 (no)."""
    return read_choice(text, YES_NO, message=YES_NO_MESSAGE, required=required)


def read_code(text: str, codes: Collection[int], *, required: bool = False) -> int | None:
    """One of a variable's official numeric `codes` (a spreadsheet's "01" is 1)."""
    if not text:
        return _empty(required)
    value = _whole(text)
    if value is not None and value in codes:
        return value
    if len(codes) <= 12:
        listed = ", ".join(str(code) for code in sorted(codes))
        raise Invalid(_("Use one of the official codes: %(codes)s.") % {"codes": listed})
    raise Invalid(_("This is not one of the variable's official codes."))


def read_whole_number(
    text: str, *, maximum: int | None = None, positive: bool = False, required: bool = False
) -> int | None:
    """A whole number from 0 (1 if `positive`) up to `maximum`, if any."""
    if not text:
        return _empty(required)
    value = _whole(text)
    minimum = 1 if positive else 0
    if value is not None and value >= minimum and (maximum is None or value <= maximum):
        return value
    if maximum is not None:
        if positive:
            raise Invalid(_("Write a whole number from 1 to %(max)d.") % {"max": maximum})
        raise Invalid(_("Write a whole number from 0 to %(max)d.") % {"max": maximum})
    if positive:
        raise Invalid(_("Write a whole number greater than zero."))
    raise Invalid(_("Write a whole number."))


def read_digits(text: str, length: int, *, message: str) -> str:
    """A code of 1 to `length` digits (an INEI code) as exactly `length`, restoring the leading
    zeros a spreadsheet dropped; `message` says what to write, for an empty cell too."""
    if text.isascii() and text.isdigit() and len(text) <= length:
        return text.zfill(length)
    raise Invalid(message)


def read_text(text: str, *, max_length: int, required: bool = False) -> str:
    """Free text of at most `max_length` characters (the reason never quotes it)."""
    if required and not text:
        _empty(required)
    if len(text) > max_length:
        raise Invalid(_("Use at most %(max)d characters.") % {"max": max_length})
    return text


class Cells:
    """One row of a file, read cell by cell; what is wrong becomes a RowError on its line."""

    def __init__(self, line: int, record: dict[str, str]):
        self.line = line
        self.record = record
        self.errors: list[RowError] = []

    def __getitem__(self, column: str) -> str:
        """The cell's text; empty when the file has no such column."""
        return self.record.get(column, "")

    def error(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.line, column, reason))

    def read(self, column: str, reader: Callable[..., Any], *args, **options) -> Any:
        """`reader`'s value for the cell, or None after recording why it is refused."""
        try:
            return reader(self[column], *args, **options)
        except Invalid as invalid:
            self.error(column, str(invalid))
            return None
