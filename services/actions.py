"""Writes with a rule on the network."""

from django.db import transaction

from .models import Community, District


@transaction.atomic
def add_community(
    *,
    district: District,
    name: str,
    kind: str = Community.Kind.CENTRO_POBLADO,
    code: str | None = None,
) -> Community:
    """Add a community missing from a district (staff may add the ones they meet)."""
    community = Community(district=district, name=" ".join(name.split()), kind=kind, code=code)
    community.full_clean()
    community.save()
    return community
