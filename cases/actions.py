"""Writes with a rule on cases: open, edit, record an action, refer, close, reopen.

Each runs in one transaction and writes its audit entry inside it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from services.actions import get_or_add_community
from services.models import CareService, Submission
from services.rules import raise_problems

from . import clock, rules
from .models import (
    AuditEntry,
    Case,
    CaseAction,
    CaseSequence,
    Complaint,
    DocumentCheck,
    FollowUp,
    ProtectionMeasure,
    Referral,
)
from .queries import earlier_cases_count

logger = logging.getLogger(__name__)

# Changes to these are recorded as "changed", never with their values.
CONFIDENTIAL_FIELDS = {"victim_name", "victim_document_number", "victim_birth_date"}
CHANGED = "(changed)"


class CaseClosedError(Exception):
    """The case is closed: reopen it before changing it."""


class PendingItemsError(Exception):
    """The case still has pending items (complaints awaiting measures, follow-ups to do): each
    must be done, or set aside or cancelled with a reason, before the case is closed."""

    def __init__(self, items: list):
        self.items = items
        super().__init__(f"{len(items)} pending item(s)")


class AlreadySettledError(Exception):
    """The complaint or follow-up was already settled (by a colleague, or a repeated form)."""


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
        community = get_or_add_community(district=data["district"], name=new_community)
        data = {**data, "community": community}
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
        community = get_or_add_community(district=data["district"], name=new_community)
        data = {**data, "community": community}
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
    """Close the case; refused (`PendingItemsError`) while anything on it is pending."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.is_closed:
        raise CaseClosedError
    pending = clock.open_items_of_case(case)
    if pending:
        raise PendingItemsError(pending)
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
    a few). Logged without the number, so that a burst of look-ups leaves a trace. Every path
    that tells whether a document has a case draws on this one budget (`check_document`).

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


# The document check -------------------------------------------------------------------------
# Whether a document has a case anywhere in the country is an answer beyond the asker's scope.
# Every path that gives it (the check while typing, the intake and edit forms, the field sync)
# goes through `check_document`: one budget per user, one audit row per answer.

DOCUMENT_DIGEST_SALT = "warmi.cases.document-check"
INTAKE_PROOF_SALT = "warmi.cases.intake-in-progress"
INTAKE_PROOF_MAX_AGE = timedelta(hours=2)
MAX_DOCUMENT_LENGTH = Case._meta.get_field("victim_document_number").max_length


class TooManyDocumentChecks(ValidationError):
    """Over the document-check budget: no answer. A form shows it on the condition."""

    def __init__(self):
        super().__init__(too_many_checks_message(), code="too_many_checks")


def too_many_checks_message() -> str:
    return _(
        "Too many document checks in a few minutes: whether this document has earlier cases "
        "could not be checked, and nothing was saved. Try again in a few minutes."
    )


def document_digest(number: str) -> str:
    """A keyed hash (HMAC-SHA256) of a document number as stored, for the audit of checks.

    Keyed with `DOCUMENT_HASH_KEY`, else `SECRET_KEY`: without the key nobody can hash the
    8-digit DNIs one by one and read the numbers back. Changing the key changes every hash.
    """
    key = settings.DOCUMENT_HASH_KEY or settings.SECRET_KEY
    # Bytes, so that any string hashes (JSON may carry a lone surrogate, which UTF-8 refuses).
    value = rules.normalize_document(number).encode("utf-8", "surrogatepass")
    return salted_hmac(DOCUMENT_DIGEST_SALT, value, secret=key, algorithm="sha256").hexdigest()


def _could_be_stored(number: str) -> bool:
    """Whether a case could carry this number at all (a NUL byte never reaches a query)."""
    return 0 < len(number) <= MAX_DOCUMENT_LENGTH and number.isprintable()


def check_document(
    *,
    user,
    service: CareService,
    number: str,
    via: str,
    intake_key: uuid.UUID | None = None,
    case: Case | None = None,
    before: date | None = None,
) -> bool:
    """Tell whether `number` has an earlier case anywhere (other than `case`, with an intake on
    or before `before`), within the user's budget; record the check and its answer.

    Raises `TooManyDocumentChecks` past the budget (the refusal is recorded too).
    """
    number = rules.normalize_document(number)
    check = DocumentCheck(
        user=user,
        service=service,
        document_digest=document_digest(number),
        via=via,
        intake_key=intake_key,
        case=case,
    )
    if not allow_repeat_check(user=user):
        check.answer = DocumentCheck.Answer.REFUSED
        check.save()
        raise TooManyDocumentChecks
    earlier = _could_be_stored(number) and (
        earlier_cases_count(number, exclude_pk=case.pk if case else None, before=before) > 0
    )
    check.answer = DocumentCheck.Answer.EARLIER if earlier else DocumentCheck.Answer.NONE
    check.save()
    return earlier


def document_checker(
    *,
    user,
    service: CareService,
    via: str,
    intake_key: uuid.UUID | None = None,
    case: Case | None = None,
) -> Callable[..., int]:
    """The repeat check a case form runs (`CaseForm(count_earlier=...)`) on her behalf.

    An edit that keeps the case's own document asks nothing new (the answer was given when the
    number was written): that check is neither counted nor recorded.
    """

    def count_earlier(number: str, *, exclude_pk: int | None = None, before=None) -> int:
        if case is not None and rules.normalize_document(number) == case.victim_document_number:
            return earlier_cases_count(number, exclude_pk=exclude_pk, before=before)
        return int(
            check_document(
                user=user,
                service=service,
                number=number,
                via=via,
                intake_key=intake_key,
                case=case,
                before=before,
            )
        )

    return count_earlier


def intake_proof(*, user, service: CareService) -> str:
    """A signed, dated token that an intake form of `service` was drawn for `user`."""
    # A random part, so that each form drawn has its own proof (one intake key per proof).
    nonce = uuid.uuid4().hex
    return signing.TimestampSigner(salt=INTAKE_PROOF_SALT).sign(f"{user.pk}:{service.code}:{nonce}")


def intake_in_progress(*, user, service: CareService, key: str, proof: str) -> uuid.UUID | None:
    """The intake's one-time key, if `proof` shows an intake form of `service` drawn for `user`
    in the last two hours and `key` was not submitted yet; None otherwise.

    The check while typing answers only then: it helps an intake, it is no look-up service.
    """
    signer = signing.TimestampSigner(salt=INTAKE_PROOF_SALT)
    try:
        signed = signer.unsign(proof, max_age=INTAKE_PROOF_MAX_AGE)
        intake_key = uuid.UUID(key.strip())
    except (signing.BadSignature, ValueError):
        return None
    if signed.rpartition(":")[0] != f"{user.pk}:{service.code}":
        return None
    if Submission.objects.filter(key=intake_key).exists():
        return None
    # One form drawn, one intake: the first key checked with this proof is the only one it
    # answers for (kept in the shared cache while the proof lasts), so a page loaded once is
    # not a look-up service for two hours with a fresh key per question.
    slot = "intake-proof:" + hashlib.sha256(proof.encode()).hexdigest()
    cache = caches[REPEAT_CHECK_CACHE]
    cache.add(slot, str(intake_key), timeout=int(INTAKE_PROOF_MAX_AGE.total_seconds()))
    if cache.get(slot) != str(intake_key):
        return None
    return intake_key


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


# The legal clock: complaints, protection measures, follow-ups ---------------------------------
# Each locks the case first, as the other writes on a case do, so that closing the case and
# adding to it never interleave, and refuses a closed case.


def _lock_open_case(case: Case) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.is_closed:
        raise CaseClosedError
    return case


@transaction.atomic
def file_complaint(
    *,
    case: Case,
    user,
    filed_at,
    place: str,
    filed_by: str,
    place_name: str = "",
    reference: str = "",
    now=None,
    audit_extra: dict[str, Any] | None = None,
) -> Complaint:
    """Record a complaint; its deadline for measures starts when it was filed."""
    now = now or timezone.now()
    values = {
        "filed_at": filed_at,
        "place": place,
        "filed_by": filed_by,
        "place_name": place_name.strip(),
        "reference": reference.strip(),
    }
    raise_problems(rules.complaint_problems(values, now=now))
    case = _lock_open_case(case)
    complaint = Complaint.objects.create(
        case=case,
        service_id=case.service_id,
        deadline=clock.deadline_for(filed_at),
        created_by=user,
        **values,
    )
    if not case.complaint_filed:
        _touch(case, complaint_filed=True)
    else:
        _touch(case)
    audit(
        case,
        user,
        AuditEntry.Action.COMPLAINT,
        {
            "complaint": complaint.pk,
            "filed_at": filed_at.isoformat(),
            "place": place,
            **(audit_extra or {}),
        },
    )
    return complaint


@transaction.atomic
def set_complaint_aside(*, complaint: Complaint, user, reason: str, now=None) -> Complaint:
    """Stop waiting for measures on a complaint (withdrawn, filed twice...), with the reason."""
    raise_problems(rules.set_aside_problems(reason))
    case = _lock_open_case(complaint.case)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not complaint.is_pending:
        raise AlreadySettledError
    complaint.settled_at = now or timezone.now()
    complaint.set_aside_reason = reason.strip()
    complaint.save(update_fields=["settled_at", "set_aside_reason"])
    _touch(case)
    audit(
        case,
        user,
        AuditEntry.Action.COMPLAINT,
        {"complaint": complaint.pk, "set_aside": True},
    )
    return complaint


def _measure_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {
        "measure_type": data.get("measure_type"),
        "state": data.get("state") or ProtectionMeasure.State.REQUESTED,
        "decided_at": data.get("decided_at"),
        "notified_on": data.get("notified_on"),
        "ended_on": data.get("ended_on"),
        "court": (data.get("court") or "").strip(),
        "executed_by": data.get("executed_by") or "",
        "notes": (data.get("notes") or "").strip(),
    }
    return values


def _settle_by_decision(complaint: Complaint, measure: ProtectionMeasure) -> None:
    """A decided measure settles its complaint at the moment of the earliest decision.

    The earliest is read again from all its measures, so that correcting a decision's time
    (later as well as earlier) moves the moment the complaint was settled with it. A complaint
    set aside keeps the moment it was set aside.
    """
    if measure.decided_at is None or complaint.set_aside_reason:
        return
    earliest = ProtectionMeasure.objects.filter(
        complaint=complaint, decided_at__isnull=False
    ).aggregate(earliest=Min("decided_at"))["earliest"]
    if earliest is not None and earliest != complaint.settled_at:
        Complaint.objects.filter(pk=complaint.pk).update(settled_at=earliest)
        complaint.settled_at = earliest


@transaction.atomic
def record_measure(
    *,
    complaint: Complaint,
    user,
    data: dict[str, Any],
    now=None,
    audit_extra: dict[str, Any] | None = None,
) -> ProtectionMeasure:
    """Record a measure asked for `complaint`: requested, or already granted or denied.

    A decision settles the complaint (it no longer waits for measures); a granted measure
    means the person has protective measures (the registry's CUENTA_MEDIDAS_PROTECCION).
    """
    now = now or timezone.now()
    values = _measure_values(data)
    raise_problems(rules.measure_problems(values, complaint_filed_at=complaint.filed_at, now=now))
    case = _lock_open_case(complaint.case)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    measure = ProtectionMeasure.objects.create(
        case=case, service_id=case.service_id, complaint=complaint, created_by=user, **values
    )
    _settle_by_decision(complaint, measure)
    _after_measure(case, measure)
    audit(
        case,
        user,
        AuditEntry.Action.MEASURE,
        {
            "measure": measure.pk,
            "complaint": complaint.pk,
            "type": measure.measure_type,
            "state": measure.state,
            **(audit_extra or {}),
        },
    )
    return measure


def _after_measure(case: Case, measure: ProtectionMeasure) -> None:
    if measure.was_granted and not case.protective_measures:
        _touch(case, protective_measures=True)
    else:
        _touch(case)


# A measure's fields whose changes are audited without their values.
MEASURE_FREE_TEXT = {"notes"}


@transaction.atomic
def update_measure(
    *, measure: ProtectionMeasure, user, data: dict[str, Any], now=None
) -> ProtectionMeasure:
    """Move a measure on (granted, denied, in force, lifted, expired) or correct its details.

    The states follow `rules.MEASURE_TRANSITIONS`: a decided measure is never "requested" again.
    """
    now = now or timezone.now()
    case = _lock_open_case(measure.case)
    current = ProtectionMeasure.objects.select_for_update().get(pk=measure.pk)
    complaint = Complaint.objects.select_for_update().get(pk=current.complaint_id)
    values = _measure_values({**_measure_values(vars(current)), **data})
    raise_problems(
        rules.measure_problems(
            values,
            complaint_filed_at=complaint.filed_at,
            now=now,
            previous_state=current.state,
        )
    )
    changes = {}
    for field, new in values.items():
        old = getattr(current, field)
        if old != new:
            # The notes are free text that may name people: the audit says only that they
            # changed, as for the case's confidential fields.
            changes[field] = (
                CHANGED
                if field in MEASURE_FREE_TEXT
                else [_serialize_moment(old), _serialize_moment(new)]
            )
            setattr(current, field, new)
    if not changes:
        return current
    current.save()
    _settle_by_decision(complaint, current)
    _after_measure(case, current)
    audit(case, user, AuditEntry.Action.MEASURE, {"measure": current.pk, **changes})
    return current


def _serialize_moment(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@transaction.atomic
def schedule_follow_up(
    *,
    case: Case,
    user,
    kind: str,
    due_on: date,
    notes: str = "",
    now=None,
    audit_extra: dict[str, Any] | None = None,
) -> FollowUp:
    """Schedule a visit, call or accompaniment for a day from today on."""
    now = now or timezone.now()
    values = {"kind": kind, "due_on": due_on, "notes": notes.strip()}
    raise_problems(rules.follow_up_problems(values, now=now))
    case = _lock_open_case(case)
    follow_up = FollowUp.objects.create(
        case=case, service_id=case.service_id, created_by=user, **values
    )
    _touch(case)
    audit(
        case,
        user,
        AuditEntry.Action.FOLLOW_UP,
        {
            "follow_up": follow_up.pk,
            "kind": kind,
            "due_on": due_on.isoformat(),
            **(audit_extra or {}),
        },
    )
    return follow_up


def _settle_follow_up(
    follow_up: FollowUp, user, now, *, added_notes: str = "", **fields
) -> FollowUp:
    case = _lock_open_case(follow_up.case)
    current = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not current.is_pending:
        raise AlreadySettledError
    if added_notes:
        # Added to the notes as stored (read under the lock), not as the caller last saw them.
        fields["notes"] = "\n\n".join(part for part in (current.notes, added_notes) if part)
    for name, value in fields.items():
        setattr(current, name, value)
    current.closed_at = now
    current.closed_by = user
    current.save(update_fields=[*fields, "closed_at", "closed_by"])
    _touch(case)
    return current


@transaction.atomic
def complete_follow_up(
    *, follow_up: FollowUp, user, done_on: date, notes: str = "", now=None
) -> FollowUp:
    """Mark a follow-up done on `done_on` (a note on how it went is added to its notes)."""
    now = now or timezone.now()
    raise_problems(
        rules.follow_up_done_problems(done_on, scheduled_at=follow_up.created_at, now=now)
    )
    raise_problems(rules.storable_text_problems("notes", notes))
    current = _settle_follow_up(follow_up, user, now, added_notes=notes.strip(), done_on=done_on)
    audit(
        current.case,
        user,
        AuditEntry.Action.FOLLOW_UP,
        {"follow_up": current.pk, "done_on": done_on.isoformat()},
    )
    return current


@transaction.atomic
def cancel_follow_up(*, follow_up: FollowUp, user, reason: str, now=None) -> FollowUp:
    """Cancel a follow-up that will not happen, with the reason."""
    raise_problems(rules.set_aside_problems(reason))
    current = _settle_follow_up(
        follow_up, user, now or timezone.now(), cancel_reason=reason.strip()
    )
    audit(
        current.case,
        user,
        AuditEntry.Action.FOLLOW_UP,
        {"follow_up": current.pk, "cancelled": True},
    )
    return current
