"""Writes with a rule on community activities: register, edit, cancel.

Each runs in one transaction and writes its audit entry inside it. Every path that stores an
activity (the form, the import, the demo, the field sync) goes through `register_activity`, or,
for a bulk import, through the same rules (`rules.clean_activity`), codes
(`allocate_activity_numbers`, `activity_code`) and audit entries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from services.actions import get_or_add_community
from services.models import CareService
from services.rules import RuleViolation, raise_problems

from . import rules
from .models import Activity, ActivitySequence, AuditEntry

# The fields an activity's data may carry (`register_activity`, `update_activity`).
DATA_FIELDS = (*rules.RULE_FIELDS, "partners")
REQUIRED_FIELDS = ("date", "district", "type", "topic")


class ActivityCancelledError(Exception):
    """The activity is cancelled: it can no longer be changed."""


@dataclass
class StaleActivityError(Exception):
    """The activity changed since the editor loaded it; `current` is the stored version."""

    current: Activity


def audit(activity: Activity, user, action: str, changes: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        activity=activity, user=user, action=action, changes=changes or {}
    )


def allocate_activity_numbers(service: CareService, year: int, count: int = 1) -> range:
    """Reserve `count` consecutive activity numbers of `service` in `year`, without races.

    The sequence row is created if missing and bumped under a row lock (call it inside a
    transaction); a bulk import reserves a whole batch at once.
    """
    ActivitySequence.objects.get_or_create(service=service, year=year)
    sequence = ActivitySequence.objects.select_for_update().get(service=service, year=year)
    first = sequence.last + 1
    ActivitySequence.objects.filter(pk=sequence.pk).update(last=F("last") + count)
    return range(first, first + count)


def activity_code(service: CareService, year: int, sequence: int) -> str:
    """A readable code: the service's, the year and an A-number (`SAR-081201-2025-A0042`)."""
    return f"{service.code}-{year}-A{sequence:04d}"


def _serialize(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def existing_activity(
    *, service: CareService, client_key: uuid.UUID | None = None, external_id: str | None = None
) -> Activity | None:
    """The activity already stored under a creation key, if any.

    A device key belongs to one activity in the whole network: found under another service, it
    is refused rather than answered (it was not made for this one).
    """
    if client_key is not None:
        found = Activity.objects.filter(client_key=client_key).first()
        if found is not None:
            if found.service_id != service.pk:
                raise RuleViolation(
                    [("client_key", _("This identifier is already used: make a new one."))]
                )
            return found
    if external_id:
        return Activity.objects.filter(service=service, external_id=external_id).first()
    return None


def _with_new_community(data: dict[str, Any], new_community: str) -> dict[str, Any]:
    """Add the community missing from the district; the activity took place there."""
    if not new_community:
        return data
    try:
        community = get_or_add_community(district=data["district"], name=new_community)
    except ValidationError as invalid:
        raise RuleViolation([("new_community", message) for message in invalid.messages]) from None
    return {**data, "community": community}


@transaction.atomic
def register_activity(
    *,
    service: CareService,
    user,
    data: dict[str, Any],
    new_community: str = "",
    client_key: uuid.UUID | None = None,
    external_id: str | None = None,
    audit_extra: dict[str, Any] | None = None,
    audit_action: str = AuditEntry.Action.CREATE,
) -> Activity:
    """Register an activity of `service`; give it its code. Refuses what the rules forbid with
    `RuleViolation`.

    With `new_community`, the community missing from the district is added first. With a
    creation key (`client_key`, made by a device; `external_id`, the import's ID_ACTIVIDAD), a
    repeat returns the activity stored the first time and stores nothing, even when two arrive
    at once (the unique constraint settles it). `audit_extra` joins the audit entry's changes
    (the field sync's capture time and channel); an import records `AuditEntry.Action.IMPORT`
    as `audit_action`.
    """
    external_id = rules.tidy(external_id) or None
    first = existing_activity(service=service, client_key=client_key, external_id=external_id)
    if first is not None:
        return first
    unknown = set(data) - set(DATA_FIELDS)
    if unknown:
        raise ValueError(f"Not fields of an activity: {', '.join(sorted(unknown))}")
    raise_problems(
        (name, _("This field is required.")) for name in REQUIRED_FIELDS if data.get(name) is None
    )
    values = {**data, "new_community": new_community}
    raise_problems(rules.clean_activity(values, service=service))
    data = {name: values[name] for name in data}
    data = _with_new_community(data, values["new_community"])
    (sequence,) = allocate_activity_numbers(service, data["date"].year)
    activity = Activity(
        service=service,
        code=activity_code(service, data["date"].year, sequence),
        created_by=user,
        client_key=client_key,
        external_id=external_id,
        **data,
    )
    try:
        with transaction.atomic():
            activity.save()
    except IntegrityError:
        # The same key, committed meanwhile by a concurrent repeat: answer its result.
        first = existing_activity(service=service, client_key=client_key, external_id=external_id)
        if first is None:
            raise
        return first
    audit(activity, user, audit_action, audit_extra)
    return activity


@transaction.atomic
def update_activity(
    *,
    activity: Activity,
    user,
    data: dict[str, Any],
    expected_version: int,
    new_community: str = "",
    audit_extra: dict[str, Any] | None = None,
) -> Activity:
    """Save an edit made on version `expected_version`; refuse it if the activity moved on since
    (`StaleActivityError`) or was cancelled (`ActivityCancelledError`)."""
    current = Activity.objects.select_for_update().select_related("service").get(pk=activity.pk)
    if current.version != expected_version:
        raise StaleActivityError(current)
    if current.is_cancelled:
        raise ActivityCancelledError
    unknown = set(data) - set(DATA_FIELDS)
    if unknown:
        raise ValueError(f"Not fields of an activity: {', '.join(sorted(unknown))}")
    record = {name: getattr(current, name) for name in rules.RULE_FIELDS}
    record.update(data, new_community=new_community)
    raise_problems(rules.clean_activity(record, service=current.service))
    data = {name: record[name] for name in data}
    if record["new_community"]:
        data = _with_new_community(
            {**data, "district": record["district"]}, record["new_community"]
        )
    changes = {}
    for field, new in data.items():
        old = getattr(current, field)
        if old != new:
            changes[field] = [_serialize(old), _serialize(new)]
            setattr(current, field, new)
    if not changes:
        return current
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db(fields=["version", "updated_at"])
    audit(current, user, AuditEntry.Action.UPDATE, {**changes, **(audit_extra or {})})
    return current


@transaction.atomic
def cancel_activity(
    *, activity: Activity, user, reason: str, audit_extra: dict[str, Any] | None = None
) -> Activity:
    """Cancel an activity registered by mistake, with its reason; it is kept, never deleted,
    and no longer counted. Cancelling twice is refused (`ActivityCancelledError`)."""
    current = Activity.objects.select_for_update().get(pk=activity.pk)
    if current.is_cancelled:
        raise ActivityCancelledError
    raise_problems(rules.cancel_problems(reason))
    reason = rules.tidy(reason)
    Activity.objects.filter(pk=current.pk).update(
        cancelled_at=timezone.now(),
        cancelled_by=user,
        cancel_reason=reason,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    current.refresh_from_db()
    audit(current, user, AuditEntry.Action.CANCEL, {"reason": reason, **(audit_extra or {})})
    return current


def log_activity_view(*, activity: Activity, user) -> None:
    """Record that `user` read the activity (every read of an activity page is audited)."""
    audit(activity, user, AuditEntry.Action.VIEW)


def cancelled_message() -> str:
    return _("This activity is cancelled: it can no longer be changed.")
