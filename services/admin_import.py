"""The administrators' CSV import: upload, preview (stores nothing), confirm, follow the job.

`csv_import_urls` gives the pages to the model admin that shows them (the cases' admin, at
`/admin/cases/case/import/`); they offer every registered kind of file.

The upload waits under `var/imports/` (services/tasks.py says how long, and who deletes it) as
`<token>.csv`, the token being random and kept in the administrator's session. Checking it, and
storing it, may take minutes, longer than a request may last: the upload only enqueues a job for
the worker (`manage.py db_worker`) that checks the file and stores nothing, and the preview page
follows it, then shows its outcome; the confirmation enqueues the job that stores the file, and
sends the administrator to its status page, which follows its progress and then shows its outcome.
The admin never writes a rejects file: the preview and the status page list every rejected line.
Both follow their job with the same progress file, JSON answer and script.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from django import forms, urls
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from .csvimport import (
    importer_for,
    importer_kinds,
)
from .submissions import SubmissionKeyRefused, claim_once, stored_result
from .tasks import (
    CHECKING,
    MAX_AGE_SECONDS,
    READING,
    STORING,
    check_csv_import,
    delete_upload,
    enqueue_sweep,
    keep_upload,
    read_progress,
    save_upload,
    store_csv_import,
    sweep_old_uploads,
    upload_gone_message,
    upload_path,
)

# One-time keys of import confirmations, derived from the upload's token.
IMPORT_KEYS = uuid.UUID("6f1c3f0e-5d1b-4a57-9a43-2f0d3c5e7a10")

SESSION_KEY = "csv_imports"
# A job still waiting after this long suggests that no worker is running.
WORKER_LATE = timedelta(seconds=30)
# A running job without a progress file this long after it started lost its worker.
WORKER_GONE = timedelta(seconds=MAX_AGE_SECONDS)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of file"))
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8 or Latin-1, separated by commas or semicolons; the header is line 1."
        ),
    )
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Store the valid rows and skip the invalid ones"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, importer_for(k).label) for k in importer_kinds()]


class UploadGone(Exception):
    """The session still names an upload whose file the sweep has deleted."""


class CsvImportViews:
    """The views, bound to an admin site for its layout; only superusers may use them."""

    def __init__(self, admin_site, opts):
        self.admin_site = admin_site
        self.opts = opts

    def context(self, request: HttpRequest, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import CSV"),
            **extra,
        }

    @staticmethod
    def require_superuser(request: HttpRequest) -> None:
        if not request.user.is_superuser:
            raise Http404

    @staticmethod
    def pending(request: HttpRequest, token: str) -> tuple[dict, Path]:
        """The session's entry for the upload `token` and its file; 404 if not this session's."""
        entry = request.session.get(SESSION_KEY, {}).get(token)
        if entry is None:
            raise Http404
        path = upload_path(token)
        if not path.exists():
            raise UploadGone
        return entry, path

    @staticmethod
    def forget(request: HttpRequest, token: str) -> None:
        """Drop the upload from the session (its file stays for a job that stores it)."""
        pending = request.session.get(SESSION_KEY, {})
        pending.pop(token, None)
        request.session[SESSION_KEY] = pending

    def gone(self, request: HttpRequest, token: str) -> HttpResponse:
        self.forget(request, token)
        messages.error(request, upload_gone_message())
        return redirect("admin:csv_import")

    def upload(self, request: HttpRequest) -> HttpResponse:
        self.require_superuser(request)
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                sweep_old_uploads()
                token = secrets.token_urlsafe(24)
                save_upload(token, form.cleaned_data["file"].chunks())
                enqueue_sweep()
                entry = {
                    "kind": form.cleaned_data["kind"],
                    "name": Path(form.cleaned_data["file"].name).name,
                    "skip_invalid": form.cleaned_data["skip_invalid"],
                }
                # The check runs in the worker: a big file takes longer than a request may.
                check = check_csv_import.enqueue(
                    token=token,
                    kind=entry["kind"],
                    name=entry["name"],
                    user_id=request.user.pk,
                    language=translation.get_language(),
                )
                pending = request.session.get(SESSION_KEY, {})
                pending[token] = {**entry, "check": check.id}
                request.session[SESSION_KEY] = pending
                return redirect("admin:csv_import_preview", token=token)
        else:
            form = ImportForm(initial={"kind": request.GET.get("kind")})
        return TemplateResponse(
            request, "admin/csv_import/upload.html", self.context(request, form=form)
        )

    def preview(self, request: HttpRequest, token: str) -> HttpResponse:
        """Follow the job checking the upload, then show what storing it would do."""
        self.require_superuser(request)
        sweep_old_uploads()
        entry, check = self.check_job(request, token)
        outcome = job_outcome(check)
        if outcome and outcome["message"]:  # unreadable, or gone: nothing to preview
            self.forget(request, token)
            delete_upload(token)
            messages.error(request, outcome["message"])
            return redirect("admin:csv_import")
        if not upload_path(token).exists():
            return self.gone(request, token)
        return TemplateResponse(
            request,
            "admin/csv_import/preview.html",
            self.context(
                request,
                entry=entry,
                token=token,
                kind_label=importer_for(entry["kind"]).label,
                state=job_state(check),
                outcome=outcome,
                progress_url=reverse("admin:csv_import_preview_progress", args=[token]),
            ),
        )

    def preview_progress(self, request: HttpRequest, token: str) -> HttpResponse:
        """The check's state as JSON, for the preview's script (static/js/import_status.js)."""
        self.require_superuser(request)
        return JsonResponse(job_state(self.check_job(request, token)[1]))

    @staticmethod
    def check_job(request: HttpRequest, token: str) -> tuple[dict, TaskResult]:
        """The session's entry for the upload `token` and the job checking it; else 404."""
        entry = request.session.get(SESSION_KEY, {}).get(token)
        if entry is None or "check" not in entry:
            raise Http404
        try:
            check = check_csv_import.get_result(entry["check"])
        except (TaskResultDoesNotExist, TaskResultMismatch):
            raise Http404 from None
        if check.kwargs.get("user_id") != request.user.pk:
            raise Http404
        return entry, check

    def confirm(self, request: HttpRequest, token: str) -> HttpResponse:
        """Enqueue the job that stores the previewed file, once, and go to its status page.

        A second click, or a retry of a request whose answer was lost, enqueues nothing and
        goes to the first job (the upload's token is the submission's one-time key). The job
        checks the file again when it runs, inside its transaction: if a row became invalid
        meanwhile, nothing is stored and its status page says why.
        """
        self.require_superuser(request)
        if request.method != "POST":
            return redirect("admin:csv_import_preview", token=token)
        key = uuid.uuid5(IMPORT_KEYS, token)
        try:
            first = stored_result(user=request.user, key=key)
        except SubmissionKeyRefused:
            raise Http404 from None
        if first is not None:
            messages.info(request, already_confirmed_message())
            return redirect(first)
        try:
            entry, path = self.pending(request, token)
        except UploadGone:
            return self.gone(request, token)

        def enqueue() -> str:
            keep_upload(path)
            # The file's hour starts again: a sweep due after it removes the file even if the
            # worker dies before the job deletes it.
            enqueue_sweep()
            job = store_csv_import.enqueue(
                token=token,
                kind=entry["kind"],
                name=entry["name"],
                skip_invalid=entry["skip_invalid"],
                user_id=request.user.pk,
                language=translation.get_language(),
            )
            return reverse("admin:csv_import_status", args=[job.id])

        try:
            first_time, url = claim_once(user=request.user, key=key, perform=enqueue)
        except SubmissionKeyRefused:
            raise Http404 from None
        except FileNotFoundError:  # swept between the check and the job
            return self.gone(request, token)
        self.forget(request, token)
        if not first_time:
            messages.info(request, already_confirmed_message())
        return redirect(url)

    def cancel(self, request: HttpRequest, token: str) -> HttpResponse:
        self.require_superuser(request)
        if request.method == "POST":
            if token not in request.session.get(SESSION_KEY, {}):
                raise Http404
            self.forget(request, token)
            delete_upload(token)
            messages.info(request, _("Import cancelled: nothing was stored."))
        return redirect("admin:csv_import")

    @staticmethod
    def job(request: HttpRequest, job_id: uuid.UUID) -> TaskResult:
        """The import job `job_id`, if this administrator started it; else 404.

        Other administrators see its effects (the audit trail, the jobs list), not its page.
        """
        try:
            job = store_csv_import.get_result(str(job_id))
        except (TaskResultDoesNotExist, TaskResultMismatch):
            raise Http404 from None
        if job.kwargs.get("user_id") != request.user.pk:
            raise Http404
        return job

    def status(self, request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
        self.require_superuser(request)
        job = self.job(request, job_id)
        state = job_state(job)
        return TemplateResponse(
            request,
            "admin/csv_import/status.html",
            self.context(
                request,
                job=job,
                state=state,
                outcome=job_outcome(job),
                changelist=changelist_url(job.kwargs["kind"]),
                progress_url=reverse("admin:csv_import_progress", args=[job.id]),
            ),
        )

    def progress(self, request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
        """The job's state as JSON, for the status page's script (static/js/import_status.js)."""
        self.require_superuser(request)
        return JsonResponse(job_state(self.job(request, job_id)))


# What the status page shows. ---------------------------------------------------------------------

QUEUED, RUNNING, STORED, NOT_STORED, FAILED = "queued", "running", "stored", "not_stored", "failed"
# The preview's check ran to the end (services.tasks.check_csv_import).
CHECKED = "checked"


def job_outcome(job: TaskResult) -> dict | None:
    """The outcome the job returned (services.tasks.outcome_of, or check_outcome_of for the
    preview's check), once it ran to the end."""
    if job.status != TaskResultStatus.SUCCESSFUL:
        return None
    return job.return_value


def job_state(job: TaskResult, *, now=None) -> dict:
    """Where the job is, for people: {"state", "finished", "done", "total", "text"}."""
    now = now or timezone.now()
    progress: dict = {}
    if job.status == TaskResultStatus.READY:
        state, text = QUEUED, queued_text(job, now)
    elif job.status == TaskResultStatus.RUNNING:
        progress = read_progress(job.kwargs["token"])
        # A running job keeps its progress file fresh: long after the start, a missing one was
        # swept, and the worker died with the job (its transaction rolled back).
        lost = not progress and now - job.started_at > WORKER_GONE
        state, text = (FAILED, lost_text()) if lost else (RUNNING, running_text(progress))
    elif job.status == TaskResultStatus.SUCCESSFUL and job.return_value.get("checked"):
        state, text = CHECKED, _("File checked.")
    elif job.status == TaskResultStatus.SUCCESSFUL:
        stored = bool(job.return_value.get("stored"))
        state = STORED if stored else NOT_STORED
        text = _("Import stored.") if stored else _("Nothing was stored.")
    else:
        state, text = FAILED, failed_text()
    return {
        "state": state,
        "finished": state in {STORED, NOT_STORED, FAILED, CHECKED},
        "done": int(progress.get("done", 0)),
        "total": int(progress.get("total", 0)),
        "text": text,
    }


def queued_text(job: TaskResult, now) -> str:
    text = _("Waiting for the worker to start the import.")
    if now - job.enqueued_at > WORKER_LATE:
        text += " " + _(
            "If this does not change, no worker is running: start one with "
            "“python manage.py db_worker” (“make run” starts it too)."
        )
    return text


def lost_text() -> str:
    return _(
        "The worker stopped during the import (it was stopped or restarted), and nothing was "
        "stored: its changes are written in one transaction. Upload the file again."
    )


def failed_text() -> str:
    return _(
        "The import stopped with an unexpected error, and nothing was stored: its changes are "
        "written in one transaction. The details are in the list of background tasks."
    )


def running_text(progress: dict) -> str:
    numbers = {
        "done": number_format(int(progress.get("done", 0)), force_grouping=True),
        "total": number_format(int(progress.get("total", 0)), force_grouping=True),
    }
    phase = progress.get("phase")
    if phase == READING:
        return _("Reading the file.")
    if phase == CHECKING:
        return _("Checking the rows: %(done)s of %(total)s.") % numbers
    if phase == STORING:
        text = _(
            "All %(total)s rows checked. Storing, in one transaction: nothing appears until "
            "the whole file is stored."
        )
        return text % numbers
    # Between the claim and the first progress, and between the end and the job's result.
    return _("The import is running.")


def changelist_url(kind: str) -> str:
    app_label, model_name = importer_for(kind).admin_model.split(".")
    return reverse(f"admin:{app_label}_{model_name}_changelist")


def already_confirmed_message() -> str:
    return _("This import had already been confirmed: it is stored only once.")


def csv_import_urls(model_admin) -> list[urls.URLPattern]:
    """The import's pages, for `model_admin.get_urls()`: they take its site's layout and its
    app's breadcrumbs, and are named `admin:csv_import*`."""
    views = CsvImportViews(model_admin.admin_site, model_admin.opts)
    wrap = model_admin.admin_site.admin_view
    return [
        urls.path("import/", wrap(views.upload), name="csv_import"),
        urls.path("import/jobs/<uuid:job_id>/", wrap(views.status), name="csv_import_status"),
        urls.path(
            "import/jobs/<uuid:job_id>/progress/",
            wrap(views.progress),
            name="csv_import_progress",
        ),
        urls.path("import/<str:token>/", wrap(views.preview), name="csv_import_preview"),
        urls.path(
            "import/<str:token>/progress/",
            wrap(views.preview_progress),
            name="csv_import_preview_progress",
        ),
        urls.path("import/<str:token>/confirm/", wrap(views.confirm), name="csv_import_confirm"),
        urls.path("import/<str:token>/cancel/", wrap(views.cancel), name="csv_import_cancel"),
    ]
