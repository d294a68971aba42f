"""The trail of refused accesses: who asked for what she may not see, when, from where.

Every 404 answered by a view behind `scope_required` (and by the field API) is recorded as a
`RefusedAccess`: a page not for her role, or a case, shelter or service outside her scope or
that never existed. The answer stays the same 404 whatever the reason (docs/design.md); only
the trail tells "exists, outside her scope" from "does not exist", for administrators.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404, HttpRequest

from .converters import is_code
from .models import RefusedAccess

Reason = RefusedAccess.Reason
PATH_LENGTH = RefusedAccess._meta.get_field("path").max_length


class Refused(Http404):
    """Nothing with this code that the user may see (raised by the `get_*_for_user` helpers).

    A 404 like any other, carrying what was asked for so that the trail can record whether it
    exists; it carries no message, so no page or debug output can tell the two apart.
    """

    def __init__(self, model: type[models.Model], code: str):
        super().__init__()
        self.model = model
        self.code = code


def _printable(text: str, limit: int) -> str:
    """`text` without control characters (a NUL cannot be stored by PostgreSQL), cut to fit."""
    return "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)[:limit]


def _reason_and_code(refusal: Http404 | None) -> tuple[str, str]:
    if refusal is None:
        return Reason.ROLE, ""
    if isinstance(refusal, Refused):
        code = refusal.code if is_code(refusal.code) else ""
        exists = bool(code) and refusal.model._default_manager.filter(code=code).exists()
        return (Reason.OUT_OF_SCOPE if exists else Reason.NOT_FOUND), code
    return Reason.NOT_FOUND, ""


def record_refusal(
    *, user, path: str, method: str, refusal: Http404 | None = None, code: str = ""
) -> RefusedAccess:
    """Record a refused access. `refusal` is the 404 raised (None: refused for her role).

    The client's address comes from the request being answered (`services.addresses`).
    """
    reason, asked = _reason_and_code(refusal)
    return RefusedAccess.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        method=_printable(method, 10),
        path=_printable(path, PATH_LENGTH),
        reason=reason,
        object_code=_printable(asked or (code if is_code(code) else ""), 40),
    )


def record_refused_request(request: HttpRequest, refusal: Http404 | None = None) -> RefusedAccess:
    """Record that `request` was answered 404; the path only, never its query string."""
    return record_refusal(
        user=request.user, path=request.path, method=request.method or "", refusal=refusal
    )
