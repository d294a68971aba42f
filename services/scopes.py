"""Who may see what: a user's access scope, read once per request from her assignments."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import StaffAssignment

Role = StaffAssignment.Role


@dataclass(frozen=True)
class Scope:
    """The union of a user's staff assignments. The empty scope sees nothing."""

    is_admin: bool = False
    national: bool = False
    manager_regions: frozenset[str] = field(default_factory=frozenset)
    shelter_regions: frozenset[str] = field(default_factory=frozenset)
    service_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_caseworker(self) -> bool:
        return bool(self.service_ids)

    @property
    def is_manager(self) -> bool:
        return self.national or bool(self.manager_regions)

    @property
    def is_shelter_staff(self) -> bool:
        return bool(self.shelter_regions)

    @property
    def has_role(self) -> bool:
        return self.is_admin or self.is_caseworker or self.is_manager or self.is_shelter_staff

    @property
    def sees_all_services(self) -> bool:
        return self.is_admin or self.national

    @property
    def may_see_services(self) -> bool:
        return self.sees_all_services or bool(self.manager_regions) or self.is_caseworker

    @property
    def may_read_cases(self) -> bool:
        """Caseworkers read their services' cases; managers and administrators their scope's."""
        return self.sees_all_services or bool(self.manager_regions) or self.is_caseworker


EMPTY_SCOPE = Scope()


def scope_for(user) -> Scope:
    """Return the user's scope, reading her assignments once and caching them on the user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_access_scope", None)
    if cached is not None:
        return cached
    manager_regions, shelter_regions, service_ids = set(), set(), set()
    national = False
    for role, service_id, region_id in user.assignments.values_list(
        "role", "service_id", "region_id"
    ):
        if role == Role.CASEWORKER:
            service_ids.add(service_id)
        elif role == Role.MANAGER and region_id is None:
            national = True
        elif role == Role.MANAGER:
            manager_regions.add(region_id)
        elif role == Role.SHELTER_STAFF:
            shelter_regions.add(region_id)
    scope = Scope(
        is_admin=user.is_superuser,
        national=national,
        manager_regions=frozenset(manager_regions),
        shelter_regions=frozenset(shelter_regions),
        service_ids=frozenset(service_ids),
    )
    user._access_scope = scope
    return scope
