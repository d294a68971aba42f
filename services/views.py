from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from cases import clock, pending
from shelters.models import Shelter

from .decorators import scope_required
from .forms import (
    AUTOCOMPLETE_LIMIT,
    AUTOCOMPLETE_MIN_CHARS,
    ServiceFilterForm,
    case_filter_communities,
    case_filter_services,
)
from .models import CareService, Community, District, Province, Region
from .pagination import paginate
from .queries import (
    active_service_counts,
    get_service_for_user,
    regions_visible_to,
    services_visible_to,
)
from .rules import storable_text_problems
from .scopes import scope_for

SERVICES_PER_PAGE = 25

# Every page and answer here is for a logged-in user and is marked `never_cache` (no-store), as
# the case pages are: staff share phones and computers, and neither the next person's back
# button nor a shared cache may show them.


@never_cache
@login_required
def home(request):
    """Show each role what it works with; a user without a role is told so.

    A caseworker's day starts with "Mis pendientes" (the oldest of her services' overdue and
    due-today items); a manager gets the count in her scope and the link to the list.
    """
    scope = scope_for(request.user)
    context = {"scope": scope}
    if scope.is_caseworker:
        context["my_services"] = list(
            services_visible_to(request.user).filter(pk__in=scope.service_ids)
        )
        context["my_pending"] = clock.pending_items(
            services=sorted(scope.service_ids), limit=pending.HOME_LIMIT
        )
        context["pending_zone"] = clock.service_zone()
        # Her services are her whole scope unless she manages too: then the badge counts that.
        if not (scope.is_manager or scope.is_admin):
            context["nav_pending_count"] = context["my_pending"].total
    if scope.is_manager or scope.is_admin:
        context["managed_regions"] = (
            [] if scope.sees_all_services else list(regions_visible_to(request.user))
        )
        managed = CareService.objects.all()
        shelters = Shelter.objects.all()
        if not scope.sees_all_services:
            managed = managed.in_regions(scope.manager_regions)
            shelters = shelters.in_regions(scope.manager_regions)
        context["service_counts"] = active_service_counts(managed, shelters)
        context["scope_pending_count"] = context["nav_pending_count"] = pending.pending_count_for(
            request.user
        )
    if scope.is_shelter_staff:
        context["shelter_regions"] = list(Region.objects.filter(code__in=scope.shelter_regions))
    return render(request, "services/home.html", context)


@never_cache
@scope_required(lambda scope: scope.may_see_services)
def service_list(request):
    regions = regions_visible_to(request.user)
    form = ServiceFilterForm(request.GET or None, regions=regions)
    services = form.filter(services_visible_to(request.user))
    page, query = paginate(request, services.order_by("code"), SERVICES_PER_PAGE)
    return render(
        request,
        "services/service_list.html",
        {"form": form, "page": page, "query": query, "filtered": bool(query)},
    )


@never_cache
@scope_required(lambda scope: scope.may_see_services)
def service_detail(request, code: str):
    service = get_service_for_user(request.user, code)
    return render(
        request,
        "services/service_detail.html",
        {
            "service": service,
            "covered_districts": service.covered_districts.select_related("province__region"),
            "covered_communities": service.covered_communities.select_related("district"),
        },
    )


def _parent(request) -> str:
    """The parent's INEI code from the query string; anything but digits matches nothing."""
    parent = request.GET.get("parent", "")
    return parent if parent.isdigit() and len(parent) <= 6 else ""


def _options(rows) -> JsonResponse:
    return JsonResponse({"options": [{"value": value, "label": label} for value, label in rows]})


@never_cache
@scope_required(lambda scope: scope.has_role)
def province_options(request):
    """Provinces of a region, for the dependent selects of the forms."""
    rows = Province.objects.filter(region_id=_parent(request)).values_list("code", "name")
    return _options(rows)


@never_cache
@scope_required(lambda scope: scope.has_role)
def district_options(request):
    rows = District.objects.filter(province_id=_parent(request)).values_list("code", "name")
    return _options(rows)


@never_cache
@scope_required(lambda scope: scope.has_role)
def community_options(request):
    rows = Community.objects.filter(district_id=_parent(request)).values_list("pk", "name")
    return _options(rows)


def _search_text(request) -> str:
    """What the user typed, if it is worth a search: at least AUTOCOMPLETE_MIN_CHARS
    characters that a database can store (anything else finds nothing)."""
    text = request.GET.get("q", "").strip()[:50]
    if len(text) < AUTOCOMPLETE_MIN_CHARS or storable_text_problems("", text):
        return ""
    return text


@never_cache
@scope_required(lambda scope: scope.may_see_services)
def service_search(request):
    """Suggestions for a service filter: the first services of the user's scope whose code or
    name contains `q`, by their code; `for=cases`, the case list's SARs and CEMs only. The scope
    is `services_visible_to`'s, the lists' own, so an outsider is offered nothing outside it."""
    text = _search_text(request)
    if not text:
        return _options([])
    services = services_visible_to(request.user)
    if request.GET.get("for") == "cases":
        services = case_filter_services(services)
    rows = (
        services.filter(Q(code__icontains=text) | Q(name__icontains=text))
        .order_by("name", "code")
        .values_list("code", "name")[:AUTOCOMPLETE_LIMIT]
    )
    return _options((code, f"{name} ({code})") for code, name in rows)


@never_cache
@scope_required(lambda scope: scope.may_see_services)
def community_search(request):
    """Suggestions for the case list's community filter: the first communities covered by the
    user's SARs and CEMs whose name contains `q`, by their number, with their district."""
    text = _search_text(request)
    if not text:
        return _options([])
    rows = (
        case_filter_communities(services_visible_to(request.user))
        .filter(name__icontains=text)
        .order_by("name", "pk")
        .values_list("pk", "name", "district__name")[:AUTOCOMPLETE_LIMIT]
    )
    return _options((pk, f"{name} ({district})") for pk, name, district in rows)


class LogoutView(auth_views.LogoutView):
    """Log out, and have the browser wipe what this site stored on the device (field mode's
    encrypted cases and queue, its caches and its service worker)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
