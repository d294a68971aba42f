"""Activity pages: thin views that check access, call one action and render.

The same scope as cases: a service's caseworkers register and change its activities, managers
read those of their scope; anything else answers 404. Pages are never cached by the browser,
and every read of an activity page is audited, like a case's.
"""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from services.converters import is_code
from services.decorators import scope_required
from services.forms import AUTOCOMPLETE_LIMIT
from services.models import CareService
from services.pagination import paginate
from services.rules import RuleViolation, add_to_form
from services.scopes import scope_for
from services.submissions import once_per_submission, submit_once
from services.views import _options as options_response
from services.views import _search_text as search_text

from . import actions
from .forms import ActivityFilterForm, ActivityForm, CancelActivityForm, EditActivityForm
from .queries import (
    activities_visible_to,
    districts_reached,
    get_activity_for_user,
    reads_activities,
    services_registering_for,
    writes_activities,
)

ACTIVITIES_PER_PAGE = 25


def activity_url(activity) -> str:
    return reverse("activity_detail", kwargs={"code": activity.code})


def _cancelled_refusal(request, activity):
    messages.error(request, actions.cancelled_message())
    return redirect("activity_detail", code=activity.code)


@never_cache
@scope_required(reads_activities)
def activity_list(request):
    visible = activities_visible_to(request.user)
    form = ActivityFilterForm(request.GET or None, districts=districts_reached(visible))
    activities = form.filter(visible).for_list()
    page, query = paginate(request, activities, ACTIVITIES_PER_PAGE)
    return render(
        request,
        "activities/activity_list.html",
        {"form": form, "page": page, "query": query, "filtered": bool(query)},
    )


@never_cache
@scope_required(reads_activities)
def district_search(request):
    """Suggestions for the list's district filter: the first districts whose name contains `q`
    (or whose ubigeo starts with it) among those the user's activities reached, by name, with
    their province to tell apart namesakes. The scope is the filter's own (`districts_reached`
    of `activities_visible_to`), so nobody is offered a district outside it."""
    text = search_text(request)
    if not text:
        return options_response([])
    rows = (
        districts_reached(activities_visible_to(request.user))
        .filter(Q(name__icontains=text) | Q(code__startswith=text))
        .order_by("name", "code")
        .values_list("code", "name", "province__name")[:AUTOCOMPLETE_LIMIT]
    )
    return options_response((code, f"{name}, {province} ({code})") for code, name, province in rows)


def _service_for_new_activity(request) -> CareService | None:
    """The service the caseworker registers in: her only SAR or CEM, or the one she chose;
    None when she must choose. 404 when she has none, or chose one that is not hers."""
    mine = services_registering_for(request.user)
    chosen = request.POST.get("service") or request.GET.get("service")
    if chosen:
        service = mine.filter(code=chosen).first() if is_code(chosen) else None
        if service is None:
            raise Http404
        return service
    services = list(mine[:2])
    if not services:
        raise Http404
    return services[0] if len(services) == 1 else None


@never_cache
@scope_required(writes_activities)
@once_per_submission
def activity_create(request):
    service = _service_for_new_activity(request)
    if service is None:
        return render(
            request,
            "activities/choose_service.html",
            {"services": services_registering_for(request.user)},
        )
    form = ActivityForm(request.POST or None, service=service)
    if request.method == "POST" and form.is_valid():

        def register():
            activity = actions.register_activity(
                service=service,
                user=request.user,
                data=form.activity_data(),
                new_community=form.cleaned_data["new_community"],
            )
            messages.success(request, _("Activity %(code)s registered.") % {"code": activity.code})
            return activity_url(activity)

        try:
            return submit_once(request, register)
        except RuleViolation as violation:  # a community added meanwhile by a colleague
            add_to_form(form, violation.problems)
    return render(request, "activities/activity_form.html", {"form": form, "service": service})


@never_cache
@scope_required(reads_activities)
def activity_detail(request, code: str):
    activity = get_activity_for_user(request.user, code)
    actions.log_activity_view(activity=activity, user=request.user)
    may_write = activity.service_id in scope_for(request.user).service_ids
    return render(
        request,
        "activities/activity_detail.html",
        {"activity": activity, "may_write": may_write},
    )


@never_cache
@scope_required(writes_activities)
def activity_edit(request, code: str):
    activity = get_activity_for_user(request.user, code, write=True)
    if activity.is_cancelled:
        return _cancelled_refusal(request, activity)
    form = EditActivityForm(request.POST or None, instance=activity, service=activity.service)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_activity(
                activity=activity,
                user=request.user,
                data=form.activity_data(),
                expected_version=form.cleaned_data["version"],
                new_community=form.cleaned_data["new_community"],
            )
        except actions.StaleActivityError as stale:
            conflict = stale.current
        except actions.ActivityCancelledError:
            return _cancelled_refusal(request, activity)
        except RuleViolation as violation:
            add_to_form(form, violation.problems)
        else:
            messages.success(request, _("Activity %(code)s saved.") % {"code": activity.code})
            return redirect("activity_detail", code=activity.code)
    else:
        actions.log_activity_view(activity=activity, user=request.user)
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "activity": activity, "service": activity.service, "conflict": conflict},
        status=409 if conflict else 200,
    )


@never_cache
@scope_required(writes_activities)
@once_per_submission
def activity_cancel(request, code: str):
    activity = get_activity_for_user(request.user, code, write=True)
    if activity.is_cancelled:
        return _cancelled_refusal(request, activity)
    form = CancelActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def cancel():
            actions.cancel_activity(
                activity=activity, user=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Activity %(code)s cancelled.") % {"code": activity.code})
            return activity_url(activity)

        try:
            return submit_once(request, cancel)
        except actions.ActivityCancelledError:
            return _cancelled_refusal(request, activity)
    return render(request, "activities/activity_cancel.html", {"form": form, "activity": activity})
