"""Reads of field mode, filtered by who is asking: her services, their open cases, their places."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from activities.queries import services_registering_for
from cases.models import Case
from cases.queries import cases_editable_by
from services.models import CareService, Community, District, Province
from services.scopes import scope_for

FIELD_KINDS = (CareService.Kind.SAR, CareService.Kind.CEM)
MAX_OPEN_CASES = 500


def field_services(user) -> QuerySet[CareService]:
    """The open SAR and CEM services where the user is a caseworker (none for anyone else)."""
    return (
        CareService.objects.filter(
            pk__in=scope_for(user).service_ids, kind__in=FIELD_KINDS, closed_on__isnull=True
        )
        .select_related("district__province")
        .order_by("name")
    )


def open_cases_for_field(user) -> QuerySet[Case]:
    """The cases she may take along: not closed, of her field services, newest first."""
    return (
        cases_editable_by(user)
        .filter(service__in=field_services(user))
        .exclude(status=Case.Status.CLOSED)
        .order_by("-intake_date", "-id")
    )


def get_case_for_sync(user, code: str) -> Case | None:
    """The case with this code if she may change it; None otherwise (unknown or not hers: the
    same answer for both)."""
    return cases_editable_by(user).select_related("service").filter(code=code).first()


def get_service_for_sync(user, code: str) -> CareService | None:
    """Her open field service with this code; None otherwise."""
    return field_services(user).filter(code=code).first()


def get_activity_service_for_sync(user, code: str) -> CareService | None:
    """Her service with this code if she registers activities in it (`services_registering_for`,
    the activity page's own rule); None otherwise."""
    return services_registering_for(user).filter(code=code).first()


def geography_for(user) -> dict[str, dict[str, list[dict[str, str]]]]:
    """The provinces, districts and communities of her services' regions, as the `/geo/`
    endpoints offer them (value and label), keyed by their parent's code. Three queries."""
    services = field_services(user)
    regions = (
        District.objects.filter(Q(services__in=services) | Q(covering_services__in=services))
        .values("province__region_id")
        .distinct()
    )
    places: dict[str, dict[str, list[dict[str, str]]]] = {
        "provinces": {},
        "districts": {},
        "communities": {},
    }
    for key, rows in (
        (
            "provinces",
            Province.objects.filter(region_id__in=regions).values_list("region_id", "code", "name"),
        ),
        (
            "districts",
            District.objects.filter(province__region_id__in=regions).values_list(
                "province_id", "code", "name"
            ),
        ),
        (
            "communities",
            Community.objects.filter(district__province__region_id__in=regions)
            .order_by("district_id", "name")
            .values_list("district_id", "pk", "name"),
        ),
    ):
        for parent, value, label in rows:
            places[key].setdefault(parent, []).append({"value": str(value), "label": label})
    return places
