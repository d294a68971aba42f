"""Writes with a rule on the network."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from .models import Community, District
from .rules import name_problems


def community_named(district: District, name: str) -> Community | None:
    """The district's community called `name`, compared as the unique constraint compares them
    (`unique_community_name_per_district`: lower case, in the database)."""
    return (
        Community.objects.alias(lower_name=Lower("name"))
        .filter(district=district, lower_name=Lower(Value(name)))
        .first()
    )


def _new_community(*, district, name, kind, code) -> Community:
    """An unsaved community with its name tidied, after the checks of its own values."""
    name = " ".join(name.split())
    for field, message in name_problems("name", name):
        raise ValidationError({field: message}, code="invalid_name")
    community = Community(district=district, name=name, kind=kind, code=code)
    community.clean_fields()
    community.validate_unique()
    # Every constraint but the name's uniqueness, which the callers settle under the database's
    # constraint (a check before the insert would race).
    community.validate_constraints(exclude={"name"})
    return community


@transaction.atomic
def get_or_add_community(
    *,
    district: District,
    name: str,
    kind: str = Community.Kind.CENTRO_POBLADO,
    code: str | None = None,
) -> Community:
    """The district's community called `name` (any case), added if it is missing.

    Race-free: when colleagues add the same new community at once (the same centro poblado in
    ten intakes), the first insert wins under the unique constraint and every other one takes
    the row it stored; nobody gets an error. The insert runs in a savepoint, so the caller's
    transaction goes on after a refused one; on PostgreSQL the refused insert waits for the
    first to commit, and the following read sees it. A community found by its name keeps its
    own kind and code. A code taken by another community is a ValidationError.
    """
    community = _new_community(district=district, name=name, kind=kind, code=code)
    existing = community_named(district, community.name)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            community.save()
    except IntegrityError:
        existing = community_named(district, community.name)
        if existing is None:  # not the name: the code was taken meanwhile
            raise ValidationError(
                {"code": _("Another community already has this INEI code.")}, code="unique"
            ) from None
        return existing
    return community


@transaction.atomic
def add_community(
    *,
    district: District,
    name: str,
    kind: str = Community.Kind.CENTRO_POBLADO,
    code: str | None = None,
) -> Community:
    """Add a community missing from a district (staff may add the ones they meet); a name the
    district already has is refused with a ValidationError, also when a colleague adds it at
    the same moment (`get_or_add_community` shares it instead)."""
    community = _new_community(district=district, name=name, kind=kind, code=code)
    if community_named(district, community.name) is None:
        try:
            with transaction.atomic():
                community.save()
            return community
        except IntegrityError:
            if community_named(district, community.name) is None:
                raise ValidationError(
                    {"code": _("Another community already has this INEI code.")}, code="unique"
                ) from None
    raise ValidationError(_("This district already has a community with that name."), code="unique")
