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
# A year: a device may come back from the field long after its answer was lost.
KEEP_FOR = timedelta(days=365)


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


class SubmissionKeyRefused(Exception):
    """The key belongs to another user (or to a write that left no result): nothing to answer."""


def stored_result(*, user, key: uuid.UUID) -> str | None:
    """Return the URL of the first result stored under `key`; None when the key is new.

    Raises `SubmissionKeyRefused` for another user's key, giving no hint of where its result is.
    """
    submission = Submission.objects.filter(key=key).first()
    if submission is None:
        return None
    if submission.user_id != user.pk or not submission.result_url:
        raise SubmissionKeyRefused
    return submission.result_url


def claim_once(*, user, key: uuid.UUID, perform: Callable[[], str]) -> tuple[bool, str]:
    """Run `perform` (the write; it returns the URL of its result) once per key.

    Return `(True, url)` when this call ran the write, `(False, url of the first result)` when
    the key was already stored. The key is claimed first, in the same transaction as the write,
    so that a concurrent repeat waits for this one on the unique index and never runs its own
    write. Exceptions of `perform` (a rule that refuses the write) roll the claim back with it
    and reach the caller. Used by the forms (`submit_once`) and by the field sync, whose items
    carry keys made on the device. Callers check `stored_result` first, before validating (a
    repeat may no longer be valid); this settles the race of two repeats that both passed it.
    """
    try:
        with transaction.atomic():
            try:
                submission = Submission.objects.create(key=key, user=user)
            except IntegrityError:
                raise _AlreadyClaimed from None
            submission.result_url = perform()
            if not submission.result_url:
                raise ValueError("perform() must return the URL of its result.")
            submission.save(update_fields=["result_url"])
    except _AlreadyClaimed:
        first = stored_result(user=user, key=key)
        if first is None:  # swept between the insert and this read
            raise SubmissionKeyRefused from None
        return False, first
    forget_old_submissions()
    return True, submission.result_url


def _first_result(request: HttpRequest, url: str) -> HttpResponse:
    messages.info(request, _("This form had already been sent: nothing was stored twice."))
    return HttpResponseRedirect(url)


def repeated_submission(request: HttpRequest) -> HttpResponse | None:
    """Answer a repeat of a stored submission with its first result; None when it is new.

    Call it before validating the form: a repeat may no longer be valid (the document's earlier
    case is now the first submission itself), and it must not be reported as an error.
    """
    key = submission_key(request)
    if key is None:
        return None
    try:
        url = stored_result(user=request.user, key=key)
    except SubmissionKeyRefused:
        raise BadRequest("Submission token of another user.") from None
    return _first_result(request, url) if url else None


def submit_once(request: HttpRequest, perform: Callable[[], str]) -> HttpResponse:
    """Run `perform` (the write; it returns the URL of its result) once per key and redirect.

    See `claim_once`; a repeat is redirected to the first result with a message.
    """
    key = submission_key(request)
    if key is None:
        return HttpResponseRedirect(perform())
    repeat = repeated_submission(request)
    if repeat is not None:
        return repeat
    try:
        first_time, url = claim_once(user=request.user, key=key, perform=perform)
    except SubmissionKeyRefused:
        raise BadRequest("Submission token of another user.") from None
    return HttpResponseRedirect(url) if first_time else _first_result(request, url)


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
