"""Background jobs, run by the worker (`manage.py db_worker`) outside any request.

The admin's CSV import checks an uploaded file (its preview) and stores a confirmed file here: a
big file takes minutes, far past the 30-second timeout of a gunicorn worker (README,
"Production"). The jobs are Django's tasks (the `django-tasks` backport of Django 6's
`django.tasks`), kept in the application's own database by `django-tasks-db`: no queue server
to run. The web process enqueues a job (one row) and the worker claims and runs it.

An upload is the one copy of a file of victims' data outside the database, so it lives as short
a time as possible: under `var/imports/` (setting CSV_IMPORT_DIR; never under the static or
media folders, so it is never served), readable by its owner only, and deleted
- by the job that stores it, as soon as the import ends, stored or not;
- by the admin, when the administrator cancels it;
- by the preview's check job, when it finds it unreadable;
- by the sweep, once an hour has passed since it was uploaded or confirmed (an abandoned
  preview, a closed browser): every upload, preview and job sweeps, and each upload enqueues
  one sweep for the moment its own file falls due, so it goes even if nobody comes back.

The worker and the web processes must share that folder (one machine, or a shared volume):
the job reads the upload there and writes its progress beside it, in `<token>.progress.json`.
Progress cannot live in the database while the job runs: the import is one transaction, whose
writes nobody else sees before it commits (PostgreSQL), or that holds SQLite's only write lock.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from .csvimport import (
    CsvSource,
    ImportAborted,
    ImportFileError,
    Report,
    read_csv,
    run_import,
    summary_lines,
)

logger = logging.getLogger(__name__)

# An upload nobody confirmed or cancelled is deleted after this long.
MAX_AGE_SECONDS = 60 * 60
UPLOAD_SUFFIX = ".csv"
PROGRESS_SUFFIX = ".progress.json"
# The job writes its progress every this many rows checked.
PROGRESS_EVERY = 1000

# The phases of a job, as its progress file names them.
READING, CHECKING, STORING = "reading", "checking", "storing"


def upload_dir() -> Path:
    """The folder of uploads waiting to be previewed or stored, readable by its owner only."""
    folder = Path(getattr(settings, "CSV_IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) != 0o700:  # made by an older version, or by hand
        folder.chmod(0o700)
    return folder


def upload_path(token: str) -> Path:
    return upload_dir() / f"{token}{UPLOAD_SUFFIX}"


def progress_path(token: str) -> Path:
    return upload_dir() / f"{token}{PROGRESS_SUFFIX}"


def save_upload(token: str, chunks) -> Path:
    """Write an uploaded file under `token`, readable by the application's user only."""
    path = upload_path(token)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return path


def keep_upload(path: Path) -> None:
    """Restart the upload's hour: a confirmed file waits for the worker, not for the sweep."""
    os.utime(path)


def delete_upload(token: str) -> None:
    upload_path(token).unlink(missing_ok=True)
    progress_path(token).unlink(missing_ok=True)


def sweep_old_uploads(*, now: float | None = None) -> int:
    """Delete uploads (and progress files) older than an hour; return how many files went.

    Nobody confirmed or cancelled them: the session ended, or the browser was closed. A running
    job read its upload whole when it started, and rewrites its progress file every thousand
    rows it checks (its storing, minutes at most, rewrites nothing).
    """
    limit = (now if now is not None else time.time()) - MAX_AGE_SECONDS
    deleted = 0
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                deleted += 1
        except OSError:  # another process removed it meanwhile
            continue
    return deleted


@task()
def sweep_uploads() -> int:
    """The sweep as a job: each upload enqueues one, due when its file would be too old."""
    return sweep_old_uploads()


def enqueue_sweep() -> None:
    """Make sure this upload is gone within the hour even if nobody comes back to it."""
    due = timezone.now() + timedelta(seconds=MAX_AGE_SECONDS + 60)
    sweep_uploads.using(run_after=due).enqueue()


# Progress. --------------------------------------------------------------------------------------


def write_progress(token: str, phase: str, done: int = 0, total: int = 0) -> None:
    """Record how far the job is, atomically (a reader sees the old file or the new one)."""
    target = progress_path(token)
    scratch = target.with_name(target.name + ".tmp")
    scratch.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
    os.replace(scratch, target)


def read_progress(token: str) -> dict[str, Any]:
    """How far the job is: {"phase", "done", "total"}; empty before it starts and after it ends."""
    try:
        data = json.loads(progress_path(token).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class _CountedSource(CsvSource):
    """A file whose rows report to the job's progress as the importer checks them.

    Every importer checks each row once, in order, through `records()`; once they are all
    checked, the import stores them.
    """

    token: str = ""
    # The phase its progress names once every row is checked: a dry run stores nothing.
    then: str = STORING

    def records(self):
        total = len(self.rows)
        write_progress(self.token, CHECKING, 0, total)
        for done, record in enumerate(super().records(), start=1):
            yield record
            if done % PROGRESS_EVERY == 0:
                write_progress(self.token, CHECKING, done, total)
        write_progress(self.token, self.then, total, total)


def counted_reader(token: str, *, then: str = STORING):
    """A `read_csv` for `run_import` whose rows report progress under `token`."""

    def read(path, *, name: str = "") -> CsvSource:
        source = _CountedSource(**vars(read_csv(path, name=name)))
        source.token = token
        source.then = then
        return source

    return read


# The import. ------------------------------------------------------------------------------------


def outcome_of(report: Report) -> dict[str, Any]:
    """What the status page shows of a finished import, as JSON (the task's return value).

    The texts are already in the administrator's language; no cell's value is quoted in them.
    """
    return {
        "stored": report.stored,
        "summary": [str(line) for line in summary_lines(report)],
        "notes": [str(note) for note in report.notes],
        "errors": [
            {"line": error.line, "column": str(error.column), "reason": str(error.reason)}
            for error in report.all_errors
        ],
        "message": "",
    }


def check_outcome_of(report: Report) -> dict[str, Any]:
    """What the preview shows of a checked file: the outcome, and what decides the offer."""
    return {
        **outcome_of(report),
        "checked": True,
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "to_create": report.to_create,
        "present": report.present,
        "rejected": report.rejected,
        "file_errors": len(report.file_errors),
    }


def refusal(message: str) -> dict[str, Any]:
    """The outcome of an import that could not run at all: nothing was stored."""
    return {"stored": False, "summary": [], "notes": [], "errors": [], "message": str(message)}


def check_refusal(message: str) -> dict[str, Any]:
    """The outcome of a check that could not run: the preview sends the administrator back."""
    return {**refusal(message), "checked": True}


@task()
def store_csv_import(
    *, token: str, kind: str, name: str, skip_invalid: bool, user_id: int, language: str
) -> dict[str, Any]:
    """Store the upload `token`, as the admin's preview showed it, in one transaction.

    The administrator's confirmation enqueued this job once (a one-time key: a second click
    finds the first job); the worker runs each job once. Whatever happens, the upload is
    deleted when the job ends. An unexpected error fails the job with nothing stored (the
    import's transaction rolls back), and its traceback stays in the job's row for the
    administrators.
    """
    try:
        with translation.override(language):
            return _store(token, kind=kind, name=name, skip_invalid=skip_invalid, user_id=user_id)
    finally:
        delete_upload(token)
        try:
            sweep_old_uploads()
        except OSError:
            logger.exception("Sweeping the old uploads failed.")


def _store(token: str, *, kind: str, name: str, skip_invalid: bool, user_id: int) -> dict:
    user = get_user_model().objects.filter(pk=user_id, is_active=True, is_superuser=True).first()
    if user is None:
        return refusal(_("Only an administrator can import files: nothing was stored."))
    path = upload_path(token)
    if not path.exists():
        return refusal(upload_gone_message())
    write_progress(token, READING)
    try:
        with write_lock_first():
            report = run_import(
                kind,
                path,
                skip_invalid=skip_invalid,
                user=user,
                write_rejects_file=False,
                name=name,
                read=counted_reader(token),
            )
    except (ImportFileError, ImportAborted) as error:
        return refusal(str(error))
    return outcome_of(report)


@task()
def check_csv_import(*, token: str, kind: str, name: str, user_id: int, language: str) -> dict:
    """Check the upload `token` without storing anything: the outcome is the admin's preview.

    A big file takes longer to check than a request may last, so the upload enqueues this job
    and the preview page follows it. The upload stays for the confirmation (or the cancel, or
    the sweep), unless it cannot be read at all: then nothing can be confirmed, and it goes.
    """
    try:
        with translation.override(language):
            return _check(token, kind=kind, name=name, user_id=user_id)
    finally:
        progress_path(token).unlink(missing_ok=True)


def _check(token: str, *, kind: str, name: str, user_id: int) -> dict:
    user = get_user_model().objects.filter(pk=user_id, is_active=True, is_superuser=True).first()
    if user is None:
        delete_upload(token)
        return check_refusal(_("Only an administrator can import files: nothing was stored."))
    path = upload_path(token)
    if not path.exists():
        return check_refusal(upload_gone_message())
    write_progress(token, READING)
    try:
        report = run_import(
            kind, path, dry_run=True, name=name, read=counted_reader(token, then=CHECKING)
        )
    except ImportFileError as error:
        delete_upload(token)
        return check_refusal(str(error))
    return check_outcome_of(report)


@contextmanager
def write_lock_first() -> Iterator[None]:
    """On SQLite, begin the import's transaction by taking the write lock (BEGIN IMMEDIATE).

    SQLite has one writer. A transaction that reads for minutes (the check) and only then
    writes is refused the write lock ("database is locked") if a web request wrote meanwhile,
    as every request does when it saves its session, and the import would fail. Holding the
    lock from the start, the import always finishes; other writers wait for it instead, so a
    long import on SQLite (development) pauses their writes. PostgreSQL locks rows, not the
    database: nothing changes there.
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    previous = connection.transaction_mode
    connection.transaction_mode = "IMMEDIATE"
    try:
        yield
    finally:
        connection.transaction_mode = previous


def upload_gone_message() -> str:
    return _(
        "The uploaded file is no longer on the server (uploads are deleted after an hour): "
        "upload it again."
    )
