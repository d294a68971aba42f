"""Every form that creates something stores once, however many times it is sent.

The form carries a one-time key (`{% submission_token %}`, made when the page is drawn). The
first submission with a key claims it by inserting a `Submission` row, in the same transaction
as the write itself, and records where its result is. A repeat (a second click, a retry on a
slow link, the back button) stores nothing and is sent to the first result. On PostgreSQL a
repeat that arrives while the first is still running waits on the unique index, then hears of
the committed first row; the same holds on SQLite, whose writes are serialised.

A POST without a key (API clients, old tests) runs as before, without the guarantee; a
malformed key, or one that belongs to another user, is refused (400) and nothing is stored.
Keys are kept `KEEP_FOR`, then swept: a form left open longer than that is a new submission.
The offline field sync reuses the same keys (one per record made on the device).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Submission

TOKEN_FIELD = "submission_token"  # noqa: S105 - a field name, not a secret
KEEP_FOR = timedelta(days=30)


class _AlreadyClaimed(Exception):
    """Another request holds this key (committed by the time the database says so)."""


def new_token() -> str:
    """Return a fresh key for a form that creates something."""
    return str(uuid.uuid4())


def submission_key(request: HttpRequest) -> uuid.UUID | None:
    """Return the key the POST carries; None when it carries none; 400 when it is malformed."""
    raw = request.POST.get(TOKEN_FIELD)
    if raw is None:
        return None
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        raise BadRequest("Malformed submission token.") from None


def _first_result(request: HttpRequest, submission: Submission) -> HttpResponse:
    if submission.user_id != request.user.pk or not submission.result_url:
        # Another user's key: no hint of where its result is, and nothing stored.
        raise BadRequest("Submission token of another user.")
    messages.info(request, _("This form had already been sent: nothing was stored twice."))
    return HttpResponseRedirect(submission.result_url)


def repeated_submission(request: HttpRequest) -> HttpResponse | None:
    """Answer a repeat of a stored submission with its first result; None when it is new.

    Call it before validating the form: a repeat may no longer be valid (the document's earlier
    case is now the first submission itself), and it must not be reported as an error.
    """
    key = submission_key(request)
    if key is None:
        return None
    submission = Submission.objects.filter(key=key).first()
    return _first_result(request, submission) if submission else None


def submit_once(request: HttpRequest, perform: Callable[[], str]) -> HttpResponse:
    """Run `perform` (the write; it returns the URL of its result) once per key and redirect.

    The key is claimed first, in the same transaction as the write, so that a concurrent
    repeat waits for this one and never runs its own write. Exceptions of `perform` (a rule
    that refuses the write) roll the claim back with it and reach the caller.
    """
    key = submission_key(request)
    if key is None:
        return HttpResponseRedirect(perform())
    repeat = repeated_submission(request)
    if repeat is not None:
        return repeat
    try:
        with transaction.atomic():
            try:
                submission = Submission.objects.create(key=key, user=request.user)
            except IntegrityError:
                raise _AlreadyClaimed from None
            submission.result_url = perform()
            submission.save(update_fields=["result_url"])
    except _AlreadyClaimed:
        first = Submission.objects.filter(key=key).first()
        if first is None:
            raise BadRequest("Submission token claimed and released.") from None
        return _first_result(request, first)
    forget_old_submissions()
    return HttpResponseRedirect(submission.result_url)


def forget_old_submissions(*, now=None) -> int:
    """Delete keys older than `KEEP_FOR` (one indexed range delete); return how many."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _by_model = Submission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def once_per_submission(view):
    """Answer a repeated POST with its first result before the view validates anything.

    Also after: when the form failed validation because a concurrent first submission with
    the same key committed in the meantime, the first result is the answer, not the errors.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        repeat = repeated_submission(request)
        if repeat is not None:
            return repeat
        response = view(request, *args, **kwargs)
        if not response.has_header("Location"):
            repeat = repeated_submission(request)
            if repeat is not None:
                return repeat
        return response

    return wrapped
