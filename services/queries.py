"""Reads of the network filtered by who is asking."""

from django.db.models import CharField, Count, Q, QuerySet, Value
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import CareService, Region
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
    """Return the service with this code if the user may see it; answer 404 otherwise."""
    if not scope_for(user).may_see_services:
        raise Http404
    return get_object_or_404(services_visible_to(user), code=code)


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
