"""Writes with a rule on cases: open, edit, record an action, refer, close, reopen.

Each runs in one transaction and writes its audit entry inside it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from services.actions import add_community
from services.models import CareService
from services.rules import raise_problems

from . import rules
from .models import AuditEntry, Case, CaseAction, CaseSequence, Referral

logger = logging.getLogger(__name__)

# Changes to these are recorded as "changed", never with their values.
CONFIDENTIAL_FIELDS = {"victim_name", "victim_document_number", "victim_birth_date"}
CHANGED = "(changed)"


class CaseClosedError(Exception):
    """The case is closed: reopen it before changing it."""


@dataclass
class StaleCaseError(Exception):
    """The case changed since the editor loaded it; `current` is the stored version."""

    current: Case


def audit(case: Case, user, action: str, changes: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(case=case, user=user, action=action, changes=changes or {})


def allocate_case_numbers(service: CareService, year: int, count: int = 1) -> range:
    """Reserve `count` consecutive sequence numbers of `service` in `year`, without races.

    The sequence row is created if missing and bumped with a row lock, so two transactions
    never receive the same number; the numbers are returned when the caller's transaction
    commits (call it inside one).
    """
    CaseSequence.objects.get_or_create(service=service, year=year)
    sequence = CaseSequence.objects.select_for_update().get(service=service, year=year)
    first = sequence.last + 1
    CaseSequence.objects.filter(pk=sequence.pk).update(last=F("last") + count)
    return range(first, first + count)


def case_code(service: CareService, year: int, sequence: int) -> str:
    return f"{service.code}-{year}-{sequence:05d}"


def case_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:05d}"


def _serialize(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def open_case(
    *,
    service: CareService,
    user,
    data: dict[str, Any],
    new_community: str = "",
    audit_extra: dict[str, Any] | None = None,
) -> Case:
    """Register a new case of `service` with the intake data; give it its code.

    With `new_community`, the community missing from the district is added and the person
    lives there. Refuses what the case rules forbid with `RuleViolation`. `audit_extra` is
    added to the audit entry's changes (the field sync's capture time and channel)."""
    data = dict(data)
    raise_problems(rules.clean_case(data, service_opened_on=service.opened_on))
    if new_community:
        data = {**data, "community": add_community(district=data["district"], name=new_community)}
    intake = data["intake_date"]
    (sequence,) = allocate_case_numbers(service, intake.year)
    # An imported NUMERO_CASO may look like ours ("2024-00042"): skip numbers already taken.
    while Case.objects.filter(service=service, number=case_number(intake.year, sequence)).exists():
        (sequence,) = allocate_case_numbers(service, intake.year)
    case = Case(
        service=service,
        code=case_code(service, intake.year, sequence),
        number=case_number(intake.year, sequence),
        created_by=user,
        **data,
    )
    case.save()
    audit(case, user, AuditEntry.Action.CREATE, audit_extra)
    return case


@transaction.atomic
def update_case(
    *,
    case: Case,
    user,
    data: dict[str, Any],
    expected_version: int,
    new_community: str = "",
    audit_extra: dict[str, Any] | None = None,
) -> Case:
    """Save an edit made on version `expected_version`; refuse it if the case moved on since."""
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.version != expected_version:
        raise StaleCaseError(current)
    if current.is_closed:
        raise CaseClosedError
    record = {name: getattr(current, name) for name in rules.RULE_FIELDS}
    record.update(data)
    raise_problems(rules.clean_case(record, service_opened_on=current.service.opened_on))
    data = {name: record[name] for name in data}
    if new_community:
        data = {**data, "community": add_community(district=data["district"], name=new_community)}
    changes = {}
    for field, new in data.items():
        old = getattr(current, field)
        if old != new:
            changes[field] = (
                CHANGED if field in CONFIDENTIAL_FIELDS else [_serialize(old), _serialize(new)]
            )
            setattr(current, field, new)
    if not changes:
        return current
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db(fields=["version", "updated_at"])
    audit(current, user, AuditEntry.Action.UPDATE, {**changes, **(audit_extra or {})})
    return current


def _touch(case: Case, **fields) -> None:
    """Change the case's own fields as part of another write, moving its version on."""
    Case.objects.filter(pk=case.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    case.refresh_from_db(fields=["version", "updated_at", *fields])


@transaction.atomic
def record_action(
    *,
    case: Case,
    user,
    kind: str,
    date: date,
    notes: str = "",
    audit_extra: dict[str, Any] | None = None,
) -> CaseAction:
    """Record a session, visit or assessment; an open case is then in care."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.is_closed:
        raise CaseClosedError
    action = CaseAction.objects.create(case=case, kind=kind, date=date, staff=user, notes=notes)
    if case.status == Case.Status.OPEN:
        _touch(case, status=Case.Status.IN_CARE)
    audit(
        case,
        user,
        AuditEntry.Action.ADD_ACTION,
        {"action": action.pk, "kind": kind, **(audit_extra or {})},
    )
    return action


@transaction.atomic
def refer_case(
    *,
    case: Case,
    user,
    destination: str,
    date: date,
    consent: bool,
    destination_service: CareService | None = None,
    destination_detail: str = "",
    notes: str = "",
) -> Referral:
    """Refer the person to another institution or service, with her consent on record."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.is_closed:
        raise CaseClosedError
    referral = Referral.objects.create(
        case=case,
        destination=destination,
        destination_service=destination_service,
        destination_detail=destination_detail,
        date=date,
        consent=consent,
        notes=notes,
        staff=user,
    )
    _touch(case, status=Case.Status.REFERRED)
    audit(
        case,
        user,
        AuditEntry.Action.REFER,
        {"referral": referral.pk, "destination": destination, "consent": consent},
    )
    return referral


@transaction.atomic
def close_case(*, case: Case, user, closed_on: date, reason: str) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.is_closed:
        raise CaseClosedError
    _touch(case, status=Case.Status.CLOSED, closed_on=closed_on, closure_reason=reason)
    audit(
        case, user, AuditEntry.Action.CLOSE, {"closed_on": closed_on.isoformat(), "reason": reason}
    )
    return case


@transaction.atomic
def reopen_case(*, case: Case, user) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.is_closed:
        return case
    _touch(case, status=Case.Status.IN_CARE, closed_on=None, closure_reason="")
    audit(case, user, AuditEntry.Action.REOPEN)
    return case


REPEAT_CHECKS_PER_WINDOW = 30
REPEAT_CHECK_WINDOW = 10 * 60  # seconds
# The database cache (config/settings.py): every gunicorn worker counts in the same table.
REPEAT_CHECK_CACHE = "shared"


def allow_repeat_check(*, user) -> bool:
    """Count a caseworker's document checks; refuse past 30 in any 10 minutes (an intake needs
    a few). Logged without the number, so that a burst of look-ups leaves a trace.

    Each check takes one of 30 numbered slots, which frees itself 10 minutes later. Taking a
    slot is a cache `add`, an INSERT on the key in the database cache, so two workers cannot
    take the same one; `incr` would read and write back, and lose counts between workers.
    """
    cache = caches[REPEAT_CHECK_CACHE]
    slots = [f"repeat-check:{user.pk}:{n}" for n in range(REPEAT_CHECKS_PER_WINDOW)]
    taken = cache.get_many(slots)  # only live slots; the backend deletes the expired ones
    for slot in slots:
        if slot not in taken and cache.add(slot, 1, timeout=REPEAT_CHECK_WINDOW):
            logger.info("Document check by user %s (%d in the window)", user.pk, len(taken) + 1)
            return True
    logger.info("Document check by user %s refused: over the limit", user.pk)
    return False


def log_case_view(*, case: Case, user) -> None:
    """Record that `user` read the case (every read of a case page is audited)."""
    audit(case, user, AuditEntry.Action.VIEW)


def log_case_views(*, cases: list[Case], user, changes: dict[str, Any] | None = None) -> None:
    """Record that `user` read each of `cases` at once (one entry per case, one insert)."""
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                case=case, user=user, action=AuditEntry.Action.VIEW, changes=dict(changes or {})
            )
            for case in cases
        ]
    )


def closed_case_message() -> str:
    return _("This case is closed. Reopen it to record anything new.")
