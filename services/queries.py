"""Reads of the network filtered by who is asking."""

from datetime import timedelta

from django.db.models import CharField, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404
from django.utils import timezone

from .audit import Refused
from .models import CareService, RefusedAccess, Region
from .scopes import scope_for


def services_visible_to(user) -> QuerySet[CareService]:
    """The services this user may see: all for administrators and national managers, her
    region's for a regional manager, her own for a caseworker, none otherwise."""
    scope = scope_for(user)
    services = CareService.objects.select_related("district__province__region")
    if scope.sees_all_services:
        return services
    if not scope.may_see_services:
        return services.none()
    return services.filter(
        Q(pk__in=scope.service_ids) | Q(district__province__region__in=scope.manager_regions)
    )


def get_service_for_user(user, code: str) -> CareService:
    """Return the service with this code if the user may see it; answer 404 otherwise (the
    trail of refused accesses records whether it exists)."""
    if not scope_for(user).may_see_services:
        raise Http404
    try:
        return services_visible_to(user).get(code=code)
    except CareService.DoesNotExist:
        raise Refused(CareService, code) from None


def regions_visible_to(user) -> QuerySet[Region]:
    """Regions a manager may filter by: all for national scope, hers otherwise."""
    scope = scope_for(user)
    if scope.sees_all_services:
        return Region.objects.all()
    return Region.objects.filter(code__in=scope.manager_regions)


def active_service_counts(
    services: QuerySet[CareService], shelters: QuerySet | None = None, on=None
) -> dict[str, int]:
    """Count the services, and the shelters (HRT) if given, active on a date (today by
    default) by kind, in one query."""
    on = on or timezone.localdate()
    counts = dict.fromkeys(CareService.Kind.values, 0)
    rows = (
        services.active_between(on, on)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    if shelters is not None:
        counts["HRT"] = 0
        # Shelters are not services (another table): their count joins the same query.
        rows = rows.union(
            shelters.filter(opened_on__lte=on)
            .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=on))
            .order_by()
            .annotate(kind=Value("HRT", output_field=CharField()))
            .values("kind")
            .annotate(n=Count("pk"))
            .values_list("kind", "n"),
            all=True,
        )
    counts.update(dict(rows))
    return counts


REFUSALS_WINDOW = timedelta(hours=24)


def users_with_refusals(at_least: int, *, since=None) -> QuerySet:
    """The ids of users refused `at_least` times since `since` (the last 24 hours by default):
    who keeps asking for what she may not see. One query, usable as a subquery."""
    since = since or timezone.now() - REFUSALS_WINDOW
    return (
        RefusedAccess.objects.filter(at__gte=since, user__isnull=False)
        .order_by()
        .values("user")
        .annotate(refusals=Count("pk"))
        .filter(refusals__gte=at_least)
        .values("user")
    )


def refusals_of_user_since(since) -> Subquery:
    """A subquery counting the refusals of the outer row's user since `since`."""
    return Subquery(
        RefusedAccess.objects.filter(user=OuterRef("user"), at__gte=since)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
