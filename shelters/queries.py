"""Reads of shelters filtered by who is asking.

Two kinds of access: shelter staff keep the shelters of their region (residents, addresses) and
administrators keep all; managers see occupancy figures of their scope, never an address or a
name. Everyone else sees no shelter at all (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import Case, Referral
from cases.queries import cases_visible_to
from services.audit import Refused
from services.models import Region
from services.scopes import Scope, scope_for

from .models import Shelter, Stay


def keeps_shelters(scope: Scope) -> bool:
    """Shelter staff and administrators: residents, addresses, admissions and discharges."""
    return scope.is_shelter_staff or scope.is_admin


def sees_occupancy(scope: Scope) -> bool:
    """Managers (national or regional) and administrators: figures only."""
    return scope.is_manager or scope.is_admin


def shelters_visible_to(user) -> QuerySet[Shelter]:
    """Shelters whose residents and address this user may see: her regions' for shelter staff,
    all for administrators, none otherwise."""
    scope = scope_for(user)
    shelters = Shelter.objects.select_related("district__province__region")
    if scope.is_admin:
        return shelters
    if not scope.is_shelter_staff:
        return shelters.none()
    return shelters.in_regions(scope.shelter_regions)


def get_shelter_for_user(user, code: str) -> Shelter:
    """Return the shelter with this code if the user keeps it; answer 404 otherwise (the trail
    of refused accesses records whether it exists)."""
    if not keeps_shelters(scope_for(user)):
        raise Http404
    try:
        return shelters_visible_to(user).get(code=code)
    except Shelter.DoesNotExist:
        raise Refused(Shelter, code) from None


def shelters_counted_for(user) -> QuerySet[Shelter]:
    """Shelters whose occupancy figures this user may see: all for national managers and
    administrators, her regions' for a regional manager, none otherwise."""
    scope = scope_for(user)
    shelters = Shelter.objects.select_related("district__province__region")
    if scope.sees_all_services:
        return shelters
    if not scope.manager_regions:
        return shelters.none()
    return shelters.in_regions(scope.manager_regions)


def open_stays() -> QuerySet[Stay]:
    """Open stays with their person, families together, for the board."""
    return (
        Stay.objects.open()
        .select_related("person")
        .order_by("admitted_on", "family_group", "-role", "pk")
    )


def board_shelters(user, today: date | None = None) -> list[Shelter]:
    """The shelters this user keeps, each with `occupied` and its `residents` (open stays), in
    two queries however many shelters and residents there are."""
    today = today or timezone.localdate()
    return list(
        shelters_visible_to(user)
        .with_occupancy()
        .current(today)
        .prefetch_related(Prefetch("stays", queryset=open_stays(), to_attr="residents"))
        .order_by("district__province__region__name", "name", "code")
    )


@dataclass
class RegionOccupancy:
    region: Region
    shelters: list[Shelter] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(shelter.capacity for shelter in self.shelters)

    @property
    def occupied(self) -> int:
        return sum(shelter.occupied for shelter in self.shelters)

    @property
    def free(self) -> int:
        return sum(shelter.free for shelter in self.shelters)

    @property
    def occupancy_rate(self) -> int:
        return round(100 * self.occupied / self.capacity) if self.capacity else 0


def occupancy_overview(user, today: date | None = None) -> list[RegionOccupancy]:
    """Capacity, occupied and free beds of the shelters this user may count, by region, in one
    query (the open stays are counted by the database, per shelter)."""
    today = today or timezone.localdate()
    shelters = (
        shelters_counted_for(user)
        .with_occupancy()
        .current(today)
        .order_by("district__province__region__code", "name", "code")
    )
    regions: dict[str, RegionOccupancy] = {}
    for shelter in shelters:
        region = shelter.district.province.region
        regions.setdefault(region.code, RegionOccupancy(region)).shelters.append(shelter)
    return list(regions.values())


def family_stays(shelter: Shelter, family_group: uuid.UUID) -> list[Stay]:
    """The open stays of a family in a shelter; 404 when there is none."""
    stays = list(open_stays().filter(shelter=shelter, family_group=family_group))
    if not stays:
        raise Http404
    return stays


def transfer_destinations(
    shelter: Shelter, people: int = 0, on: date | None = None
) -> QuerySet[Shelter]:
    """Where a family in `shelter` may move: every other shelter in the country open on `on`
    (today) with at least `people` free beds, with its region and `occupied`, by region and name.

    Transfers between regions are real, so this is not limited to the regions the user keeps:
    whoever shows these shows the name, region and free beds, never the address.
    """
    on = on or timezone.localdate()
    shelters = (
        Shelter.objects.select_related("district__province__region")
        .exclude(pk=shelter.pk)
        .filter(opened_on__lte=on)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=on))
        .with_occupancy()
        .order_by("district__province__region__name", "name", "code")
    )
    if people > 0:
        shelters = shelters.filter(occupied__lte=F("capacity") - people)
    return shelters


def cases_for_admission(user) -> QuerySet[Case]:
    """Cases whose person this user may admit from: the cases she may read, and for shelter
    staff the open cases referred to a shelter by a service of her region, not yet admitted."""
    scope = scope_for(user)
    readable = cases_visible_to(user)
    if not scope.shelter_regions:
        return readable
    # Only cases waiting for a bed: still referred (not closed, not yet in care elsewhere) and
    # with no stay of their own yet. Shelter staff cannot read cases, so an old or already
    # sheltered case's name must not be reachable by guessing its sequential code.
    referred = Case.objects.filter(
        status=Case.Status.REFERRED,
        referrals__destination=Referral.Destination.SHELTER,
        service__district__province__region__in=scope.shelter_regions,
    ).exclude(shelter_stays__isnull=False)
    return Case.objects.filter(Q(pk__in=readable.values("pk")) | Q(pk__in=referred.values("pk")))


def get_case_for_admission(user, code: str) -> Case | None:
    """The case with this code if the user may admit from it, else None."""
    if not code:
        return None
    return cases_for_admission(user).select_related("service").filter(code=code).first()
