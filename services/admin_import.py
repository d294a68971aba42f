"""The administrators' CSV import: upload, preview (stores nothing), confirm.

`csv_import_urls` gives the pages to the model admin that shows them (the cases' admin, at
`/admin/cases/case/import/`); they offer every registered kind of file.

The upload waits under `var/imports/` (setting CSV_IMPORT_DIR) as `<token>.csv`, the token being
random and kept in the administrator's session; the file is deleted once stored or cancelled, and
uploads older than a day are swept away, since they may hold victims' data. The admin never writes
a rejects file: the preview and the result page list every rejected line instead.
"""

from __future__ import annotations

import secrets
import time
import uuid
from pathlib import Path

from django import forms, urls
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .csvimport import (
    ImportAborted,
    ImportFileError,
    Report,
    importer_for,
    importer_kinds,
    run_import,
    summary_lines,
)
from .submissions import claim_once, stored_result

# One-time keys of import confirmations, derived from the upload's token.
IMPORT_KEYS = uuid.UUID("6f1c3f0e-5d1b-4a57-9a43-2f0d3c5e7a10")

SESSION_KEY = "csv_imports"
MAX_AGE_SECONDS = 24 * 60 * 60


def upload_dir() -> Path:
    folder = Path(getattr(settings, "CSV_IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sweep_old_uploads(folder: Path) -> None:
    """Delete uploads nobody confirmed or cancelled (the session ended first)."""
    limit = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*.csv"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


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
        entry = request.session.get(SESSION_KEY, {}).get(token)
        if entry is None:
            raise Http404
        return entry, upload_dir() / f"{token}.csv"

    @staticmethod
    def forget(request: HttpRequest, token: str, path: Path) -> None:
        path.unlink(missing_ok=True)
        pending = request.session.get(SESSION_KEY, {})
        pending.pop(token, None)
        request.session[SESSION_KEY] = pending

    def upload(self, request: HttpRequest) -> HttpResponse:
        self.require_superuser(request)
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                folder = upload_dir()
                sweep_old_uploads(folder)
                token = secrets.token_urlsafe(24)
                with (folder / f"{token}.csv").open("wb") as handle:
                    for chunk in form.cleaned_data["file"].chunks():
                        handle.write(chunk)
                pending = request.session.get(SESSION_KEY, {})
                pending[token] = {
                    "kind": form.cleaned_data["kind"],
                    "name": Path(form.cleaned_data["file"].name).name,
                    "skip_invalid": form.cleaned_data["skip_invalid"],
                }
                request.session[SESSION_KEY] = pending
                return redirect("admin:csv_import_preview", token=token)
        else:
            form = ImportForm(initial={"kind": request.GET.get("kind")})
        return TemplateResponse(
            request, "admin/csv_import/upload.html", self.context(request, form=form)
        )

    def preview(self, request: HttpRequest, token: str) -> HttpResponse:
        self.require_superuser(request)
        entry, path = self.pending(request, token)
        try:
            report = run_import(entry["kind"], path, dry_run=True, name=entry["name"])
        except ImportFileError as error:
            self.forget(request, token, path)
            messages.error(request, str(error))
            return redirect("admin:csv_import")
        return self.render_preview(request, token, entry, report)

    def render_preview(
        self, request: HttpRequest, token: str, entry: dict, report: Report
    ) -> HttpResponse:
        return TemplateResponse(
            request,
            "admin/csv_import/preview.html",
            self.context(
                request,
                report=report,
                entry=entry,
                token=token,
                kind_label=importer_for(entry["kind"]).label,
                summary=summary_lines(report),
            ),
        )

    def confirm(self, request: HttpRequest, token: str) -> HttpResponse:
        """Store the previewed file, once: a second click, or a retry of a request whose answer
        was lost, stores nothing and goes where the first went (the upload's token is the
        submission's one-time key)."""
        self.require_superuser(request)
        if request.method != "POST":
            return redirect("admin:csv_import_preview", token=token)
        key = uuid.uuid5(IMPORT_KEYS, token)
        if (first := stored_result(user=request.user, key=key)) is not None:
            messages.info(request, already_stored_message())
            return redirect(first)
        entry, path = self.pending(request, token)
        app_label, model_name = importer_for(entry["kind"]).admin_model.split(".")
        outcome = {}

        def store() -> str:
            outcome["report"] = report = run_import(
                entry["kind"],
                path,
                skip_invalid=entry["skip_invalid"],
                user=request.user,
                write_rejects_file=False,
                name=entry["name"],
            )
            if not report.stored:
                raise _NotStored
            return reverse(f"admin:{app_label}_{model_name}_changelist")

        try:
            first_time, url = claim_once(user=request.user, key=key, perform=store)
        except (ImportFileError, ImportAborted) as error:
            self.forget(request, token, path)
            messages.error(request, str(error))
            return redirect("admin:csv_import")
        except _NotStored:
            # The data changed since the preview and the file no longer imports as a whole.
            return self.render_preview(request, token, entry, outcome["report"])
        if not first_time:
            messages.info(request, already_stored_message())
            return redirect(url)
        report = outcome["report"]
        self.forget(request, token, path)
        messages.success(request, _("Import stored.") + " " + " ".join(summary_lines(report)))
        if report.errors:
            return TemplateResponse(
                request,
                "admin/csv_import/result.html",
                self.context(request, report=report, summary=summary_lines(report)),
            )
        return redirect(url)

    def cancel(self, request: HttpRequest, token: str) -> HttpResponse:
        self.require_superuser(request)
        if request.method == "POST":
            entry, path = self.pending(request, token)
            self.forget(request, token, path)
            messages.info(request, _("Import cancelled: nothing was stored."))
        return redirect("admin:csv_import")


def already_stored_message() -> str:
    return _("This import had already been stored: nothing was stored twice.")


class _NotStored(Exception):
    """The file no longer imports as a whole: nothing was stored, the claim is rolled back."""


def csv_import_urls(model_admin) -> list[urls.URLPattern]:
    """The import's pages, for `model_admin.get_urls()`: they take its site's layout and its
    app's breadcrumbs, and are named `admin:csv_import*`."""
    views = CsvImportViews(model_admin.admin_site, model_admin.opts)
    wrap = model_admin.admin_site.admin_view
    return [
        urls.path("import/", wrap(views.upload), name="csv_import"),
        urls.path("import/<str:token>/", wrap(views.preview), name="csv_import_preview"),
        urls.path("import/<str:token>/confirm/", wrap(views.confirm), name="csv_import_confirm"),
        urls.path("import/<str:token>/cancel/", wrap(views.cancel), name="csv_import_cancel"),
    ]
