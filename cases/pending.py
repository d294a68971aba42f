"""The pending list, "Mis pendientes": what is overdue or due today, oldest first.

What pending, overdue and due today mean is `cases.clock`'s alone; these views only choose the
services to ask about (a caseworker's own, a manager's scope, or the one service she filters by)
and show the answer. The list names cases by their code, never by the victim's name: it may be
open on a screen others can see.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from services.audit import Refused
from services.converters import is_code
from services.decorators import scope_required
from services.models import CareService
from services.queries import services_visible_to
from services.scopes import scope_for

from . import clock

# How many items the caseworker's home shows before sending her to the whole list.
HOME_LIMIT = 10
# Up to this many services in scope, the service filter is a dropdown; above, a search field.
SELECT_LIMIT = 10


def reads_pending(scope) -> bool:
    """Whoever reads cases (caseworkers, managers, administrators) has a pending list."""
    return scope.may_read_cases


def services_in_scope(user) -> QuerySet | list[int] | None:
    """The services whose pending items `user` answers for, as `cases.clock` takes them.

    None (the whole network, read along the pending indexes without a join) for administrators
    and national managers; a caseworker's own services; a regional manager's as a subquery.
    """
    scope = scope_for(user)
    if scope.sees_all_services:
        return None
    if not scope.manager_regions:
        return sorted(scope.service_ids)
    return services_visible_to(user).order_by().values("pk")


# The badge shows up to this many items, then "99+"; the list and the home page count exactly.
NAV_BADGE_CAP = 99


def pending_count_for(user, *, cap: int | None = None) -> int:
    """Overdue plus due today in the user's scope, in one query; with a `cap`, at most cap + 1
    (the navigation's badge, `NAV_BADGE_CAP`)."""
    if not scope_for(user).may_read_cases:
        return 0
    return clock.pending_count(services=services_in_scope(user), cap=cap)


def _now() -> datetime:
    """The present, read once per request so that the items and their counts agree on it (the
    tests pin it to place their data on either side of Lima's midnight)."""
    return timezone.now()


@never_cache
@scope_required(reads_pending)
def pending_list(request):
    """Her services' overdue and due-today items; a manager's scope's, by service if asked.

    A `service` code outside the user's scope, or that is not a code at all, answers 404 (the
    trail of refused accesses records which); nothing else about the request is recorded.
    """
    scope = scope_for(request.user)
    visible = services_visible_to(request.user).order_by("name", "code")
    # (pk, code, name) of the first services in scope, in one query: when they are all of them
    # (a caseworker's few), the filter's choices and the check of the code asked for. A larger
    # scope gets a search field (static/js/autocomplete.js) and the code is looked up alone, so
    # that the page does not grow with the network.
    services = list(visible.values_list("pk", "code", "name")[: SELECT_LIMIT + 1])
    few = len(services) <= SELECT_LIMIT
    chosen_code = request.GET.get("service", "")
    chosen = None
    if chosen_code:
        chosen = next((row for row in services if row[1] == chosen_code), None)
        if chosen is None and not few and is_code(chosen_code):
            chosen = visible.filter(code=chosen_code).values_list("pk", "code", "name").first()
        if chosen is None:
            raise Refused(CareService, chosen_code)
        asked = [chosen[0]]
    elif scope.sees_all_services:
        asked = None
    else:
        asked = [pk for pk, _code, _name in services] if few else services_in_scope(request.user)
    pending = clock.pending_items(services=asked, now=_now(), limit=clock.PENDING_LIMIT)
    context = {
        "pending": pending,
        "services": [(code, name) for _pk, code, name in services] if few else None,
        "search_services": not few,
        "chosen": {"code": chosen[1], "name": chosen[2]} if chosen else None,
        "zone": clock.service_zone(),
    }
    if chosen is None:
        # The whole scope's count is already known: the navigation's badge needs no query.
        context["nav_pending_count"] = pending.total
    return render(request, "cases/pending_list.html", context)
