"""The application's own answers to errors, and its icon."""

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseServerError
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

ICON = settings.BASE_DIR / "static" / "favicon.ico"


def server_error(request):
    """Render 500.html as Django does (no context), or a bare page if even the layout fails.

    The layout can fail for the very reason the request did (a static file missing from the
    manifest, a broken template tag); the person must still get a Spanish page, not the web
    server's.
    """
    try:
        return defaults.server_error(request)
    except Exception:
        logger.exception("The error page itself failed; answering the bare one")
        title = escape(_("Something went wrong"))
        text = escape(_("The server could not complete your request. Try again in a few minutes."))
        return HttpResponseServerError(
            f'<!doctype html><html lang="es"><meta charset="utf-8"><title>{title} · Warmi Ñan'
            f"</title><h1>{title}</h1><p>{text}</p></html>"
        )


def csrf_failure(request, reason=""):
    """Answer a refused form (expired or missing CSRF token) with the application's 403 page.

    The reason stays in the log, never on the page.
    """
    logger.warning("CSRF check failed: %s", reason)
    return defaults.permission_denied(request, exception="")


@require_safe
@cache_control(public=True, max_age=7 * 24 * 60 * 60)
def favicon(request):
    """Serve the icon browsers ask for at /favicon.ico on every first visit."""
    return HttpResponse(ICON.read_bytes(), content_type="image/x-icon")
