"""Reads of community activities filtered by who is asking: the same scope as cases."""

from django.db.models import Q, QuerySet

from services.audit import Refused
from services.models import CareService, District
from services.scopes import Scope, scope_for

from .models import Activity
from .rules import SERVICE_KINDS


def reads_activities(scope: Scope) -> bool:
    """Caseworkers read their services' activities; managers and administrators their scope's."""
    return scope.may_read_cases


def writes_activities(scope: Scope) -> bool:
    """Only a service's caseworkers register and change its activities."""
    return scope.is_caseworker


def activities_visible_to(user) -> QuerySet[Activity]:
    """Activities this user may read: her services' for a caseworker, her region's services' for
    a regional manager, all for national managers and administrators, none otherwise."""
    scope = scope_for(user)
    if scope.sees_all_services:
        return Activity.objects.all()
    if not (scope.service_ids or scope.manager_regions):
        return Activity.objects.none()
    return Activity.objects.filter(
        Q(service_id__in=scope.service_ids)
        | Q(service__district__province__region__in=scope.manager_regions)
    )


def activities_editable_by(user) -> QuerySet[Activity]:
    """Activities this user may change: only those of the services she works in."""
    return Activity.objects.filter(service_id__in=scope_for(user).service_ids)


def get_activity_for_user(user, code: str, *, write: bool = False) -> Activity:
    """Return the activity with this code if the user may read it (or change it, with
    `write`); answer 404 otherwise, whether it exists outside her scope or not at all (only the
    trail of refused accesses tells the two apart)."""
    activities = activities_editable_by(user) if write else activities_visible_to(user)
    try:
        return activities.select_related(
            "service",
            "district__province__region",
            "community",
            "created_by",
            "cancelled_by",
        ).get(code=code)
    except Activity.DoesNotExist:
        raise Refused(Activity, code) from None


def services_registering_for(user) -> QuerySet[CareService]:
    """The services in which this user registers activities: her open SARs and CEMs."""
    return CareService.objects.filter(
        pk__in=scope_for(user).service_ids, kind__in=SERVICE_KINDS, closed_on__isnull=True
    ).order_by("name")


def districts_reached(activities: QuerySet[Activity]) -> QuerySet[District]:
    """The districts where these activities took place (the list's district filter): only
    places of the asker's scope, and only as many as her services reached. One query."""
    return District.objects.filter(code__in=activities.order_by().values("district_id")).order_by(
        "name"
    )
