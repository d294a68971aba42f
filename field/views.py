"""Field mode's page and JSON endpoints: thin views that check access, call one function, answer.

The API answers JSON, never a page: an expired session is a 401 (the device keeps its queue and
asks her to log in again), anyone but a caseworker a 404, a malformed request a 400.
"""

from __future__ import annotations

import json
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from services.addresses import requested_from
from services.audit import record_refused_request
from services.converters import is_code
from services.decorators import scope_required
from services.scopes import scope_for

from . import openapi, sync
from .forms import FieldActionForm, FieldActivityForm, FieldEditForm
from .package import MAX_PACKAGE_CASES, CasesNotTakeable, prepare_package
from .queries import MAX_OPEN_CASES, field_services, geography_for, open_cases_for_field

SERVICE_WORKER = "js/field/sw.js"
THEME_COLOR = "#0a58ca"  # the navbar's bg-primary
_csrf = CsrfViewMiddleware(lambda request: None)


def _error(status: int, error: str, **extra) -> JsonResponse:
    return JsonResponse({"error": error, **extra}, status=status)


def login_required_answer() -> JsonResponse:
    login_url = f"{reverse('login')}?next={reverse('field')}"
    return _error(401, "login_required", login_url=login_url)


def api(*methods: str):
    """A JSON endpoint for caseworkers: 405, 401, 404, then the CSRF check, in that order, so
    that an expired session is told as such even with a token that no longer matches.

    As behind `scope_required`, a 404 is recorded in the trail of refused accesses, and the
    audit entries written meanwhile carry the client's address."""

    def decorator(view):
        @csrf_exempt  # checked below, after the session
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            with requested_from(request):
                if request.method not in methods:
                    response = _error(405, "method_not_allowed")
                    response["Allow"] = ", ".join(methods)
                elif not request.user.is_authenticated:
                    response = login_required_answer()
                elif not scope_for(request.user).is_caseworker:
                    record_refused_request(request)
                    response = _error(404, "not_found")
                elif _csrf.process_view(request, None, (), {}) is not None:
                    response = _error(403, "csrf_failed")
                else:
                    response = view(request, *args, **kwargs)
                    if response.status_code == 404:  # cases that are not hers to take
                        record_refused_request(request, Http404())
            if not response.has_header("Cache-Control"):
                add_never_cache_headers(response)
            return response

        return wrapped

    return decorator


class BadBody(ValueError):
    pass


def _json_body(request):
    try:
        return json.loads(request.body)
    except (ValueError, RequestDataTooBig):
        raise BadBody from None


# The page ---------------------------------------------------------------------------------------


def api_urls() -> dict[str, str]:
    """The URLs the device calls, by name (the page hands them over in `data-` attributes)."""
    return {
        "csrf": reverse("field_csrf"),
        "open_cases": reverse("field_open_cases"),
        "package": reverse("field_package"),
        "geography": reverse("field_geography"),
        "sync": reverse("field_sync"),
        "openapi": reverse("field_openapi"),
        "manifest": reverse("field_manifest"),
        "sw": reverse("field_sw"),
        "intake": reverse("case_create"),
        "login": reverse("login"),
        "logout": reverse("logout"),
    }


@require_safe
@scope_required(lambda scope: scope.is_caseworker)
def field_page(request):
    """The field page: forms and URLs, no case data (the service worker caches it)."""
    services = list(field_services(request.user))
    if not services:
        raise Http404
    response = render(
        request,
        "field/field.html",
        {
            "services": services,
            "services_json": json.dumps(
                [{"code": service.code, "name": service.name} for service in services]
            ),
            "user_id": request.user.pk,
            "action_form": FieldActionForm(),
            "edit_form": FieldEditForm(),
            "activity_form": FieldActivityForm(services=services),
            "urls": api_urls(),
        },
    )
    patch_cache_control(response, no_cache=True, private=True)
    return response


# The API ----------------------------------------------------------------------------------------


@api("GET")
def csrf_token(request):
    return JsonResponse({"csrfToken": get_token(request)})


@api("GET")
def open_cases(request):
    rows = open_cases_for_field(request.user)[:MAX_OPEN_CASES]
    return JsonResponse(
        {
            "cases": [
                {
                    "code": case.code,
                    "intake_date": case.intake_date.isoformat(),
                    "risk": case.get_risk_level_display(),
                    "status": case.get_status_display(),
                }
                for case in rows.only("code", "intake_date", "risk_level", "status")
            ]
        }
    )


@api("POST")
def package(request):
    try:
        body = _json_body(request)
    except BadBody:
        return _error(400, "bad_request", detail="The body is not JSON.")
    codes = body.get("cases") if isinstance(body, dict) else None
    if (
        not isinstance(codes, list)
        or len(codes) > MAX_PACKAGE_CASES
        or not all(isinstance(code, str) and is_code(code) for code in codes)
    ):
        return _error(
            400,
            "bad_request",
            detail=f'The body must be {{"cases": [codes]}}, 0 to {MAX_PACKAGE_CASES} codes.',
        )
    try:
        return JsonResponse(prepare_package(user=request.user, codes=codes))
    except CasesNotTakeable:
        return _error(404, "not_found")


@api("GET")
def geography(request):
    response = JsonResponse(geography_for(request.user))
    # Public places, no case: the service worker keeps it for offline use.
    patch_cache_control(response, private=True, no_cache=True)
    return response


@api("POST")
def sync_items(request):
    try:
        items = sync.parse_items(_json_body(request))
    except BadBody:
        return _error(400, "bad_request", detail="The body is not JSON.")
    except sync.MalformedItems as malformed:
        return _error(400, "bad_request", detail=str(malformed))
    return JsonResponse({"items": sync.sync_items(user=request.user, items=items)})


@api("GET")
def openapi_document(request):
    return JsonResponse(openapi.document())


# Installing the application --------------------------------------------------------------------


@require_safe
def manifest(request):
    """The web app manifest. Public: browsers fetch it without the session's cookie."""
    response = JsonResponse(
        {
            "name": _("Warmi Ñan · Field trip"),
            "short_name": "Warmi Ñan",
            "description": _("Register cases and follow-ups where there is no signal."),
            "lang": get_language(),
            "dir": "ltr",
            "id": reverse("field"),
            "start_url": reverse("field"),
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_COLOR,
            "background_color": "#ffffff",
            "icons": [
                {
                    "src": static("favicon.svg"),
                    "type": "image/svg+xml",
                    "sizes": "any",
                    "purpose": "any",
                }
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
    patch_cache_control(response, public=True, max_age=3600)
    return response


def service_worker_path() -> Path | None:
    """The service worker's file: from the static folders, else the collected ones."""
    found = finders.find(SERVICE_WORKER)
    if found:
        return Path(found)
    collected = Path(settings.STATIC_ROOT) / SERVICE_WORKER
    return collected if collected.is_file() else None


@require_safe
def service_worker(request):
    """The service worker, served from the root so that its scope is the whole site."""
    path = service_worker_path()
    if path is None:
        raise Http404
    response = HttpResponse(path.read_bytes(), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
