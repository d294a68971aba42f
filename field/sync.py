"""The field sync: each item made on the device is validated and stored as its online twin.

One function per item type. Each calls the same form class as the page (`CaseForm`,
`CaseActionForm`, `EditCaseForm`, `ActivityForm`), hence the same rules (`cases/rules.py`,
`activities/rules.py`), and the same action (`open_case`, `record_action`, `update_case`,
`register_activity`); nothing here decides what is valid. Each item is stored at most once per
id (`services.submissions.claim_once`), in its own transaction, so that a refused item never
undoes another.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from activities import actions as activity_actions
from activities.forms import ActivityForm
from cases import actions
from cases.forms import ACT_CHOICES, CaseActionForm, CaseForm, EditCaseForm
from cases.models import Case, DocumentCheck
from services.audit import Refused, record_refusal
from services.converters import is_code
from services.forms import refuse_unstorable_text
from services.models import CareService
from services.rules import RuleViolation
from services.submissions import SubmissionKeyRefused, claim_once, stored_result

from .queries import get_activity_service_for_sync, get_case_for_sync, get_service_for_sync

MAX_ITEMS = 100
TYPES = ("case", "action", "edit", "activity")
# The items that name a service (something new in it); the others name a case.
SERVICE_TYPES = ("case", "activity")
# A device clock a little ahead of the server's is normal; more is a wrong clock.
CLOCK_TOLERANCE = timedelta(minutes=5)
VIA = "field"

Answer = dict[str, Any]
Scalar = (str, int, float, bool)


class MalformedItems(ValueError):
    """The request is not of the documented shape (the whole request is refused)."""


@dataclass(frozen=True)
class Item:
    id: uuid.UUID
    type: str
    captured_at: Any
    data: dict[str, Any]
    service: str = ""
    case: str = ""
    base_version: int | None = None


# Shape ----------------------------------------------------------------------------------------


def _value(value: Any) -> str | list[str] | None:
    """A value of `data` as a form would receive it: strings, lists of strings for multiple
    choices."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Scalar):
        return str(value)
    if isinstance(value, list) and all(
        isinstance(v, Scalar) and not isinstance(v, bool) for v in value
    ):
        return [str(v) for v in value]
    raise MalformedItems("A value of `data` is neither a string nor a list of strings.")


def parse_items(payload: Any) -> list[Item]:
    """Check the shape of a sync request (`{"items": [...]}`) and return its items."""
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise MalformedItems('The body must be {"items": [...]}.')
    raw_items = payload["items"]
    if len(raw_items) > MAX_ITEMS:
        raise MalformedItems(f"At most {MAX_ITEMS} items per request.")
    return [_parse_item(raw) for raw in raw_items]


def _parse_item(raw: Any) -> Item:
    if not isinstance(raw, dict):
        raise MalformedItems("Each item must be an object.")
    try:
        key = uuid.UUID(str(raw.get("id", "")))
    except ValueError:
        raise MalformedItems("Each item needs an `id` that is a UUID.") from None
    kind = raw.get("type")
    if kind not in TYPES:
        raise MalformedItems(f"Item {key}: `type` must be one of {', '.join(TYPES)}.")
    data = raw.get("data")
    if not isinstance(data, dict):
        raise MalformedItems(f"Item {key}: `data` must be an object.")
    values = {name: _value(value) for name, value in data.items()}
    names_service = kind in SERVICE_TYPES
    reference = raw.get("service" if names_service else "case")
    if not isinstance(reference, str) or not is_code(reference):
        # Not a code at all (missing, a NUL, a lone surrogate...): it names nothing, and never
        # reaches a query or the trail of refused accesses.
        raise MalformedItems(
            f"Item {key}: `{'service' if names_service else 'case'}` must be a code."
        )
    base_version = raw.get("base_version")
    if kind == "edit" and (not isinstance(base_version, int) or isinstance(base_version, bool)):
        raise MalformedItems(f"Item {key}: `base_version` must be an integer.")
    return Item(
        id=key,
        type=kind,
        captured_at=raw.get("captured_at"),
        data={name: value for name, value in values.items() if value is not None},
        service=reference if names_service else "",
        case=reference if not names_service else "",
        base_version=base_version if kind == "edit" else None,
    )


def _form_data(values: dict[str, Any]) -> MultiValueDict:
    return MultiValueDict(
        {name: value if isinstance(value, list) else [value] for name, value in values.items()}
    )


# Answers --------------------------------------------------------------------------------------


def accepted(key: uuid.UUID, url: str) -> Answer:
    try:
        code = resolve(url).kwargs.get("code", "")
    except Resolver404:
        code = ""
    return {"id": str(key), "status": "accepted", "result": {"code": code, "url": url}}


def refused(key: uuid.UUID, errors: dict[str, list[str]]) -> Answer:
    return {"id": str(key), "status": "refused", "errors": errors}


def _refused_form(key: uuid.UUID, form) -> Answer:
    """The form's errors; when the only one is the budget of document checks, the item itself
    is fine: `retry_after` (seconds) tells the device to keep it and send it again later."""
    answer = refused(key, _form_errors(form))
    over_budget = form.has_error("condition", code="too_many_checks")
    if over_budget and len(form.errors) == 1 and len(form.errors["condition"]) == 1:
        answer["retry_after"] = actions.REPEAT_CHECK_WINDOW
    return answer


def not_found(key: uuid.UUID) -> Answer:
    return {"id": str(key), "status": "not_found"}


def _refused_access(user, key: uuid.UUID, model, code: str) -> Answer:
    """`not_found`, recorded in the trail of refused accesses (outside her scope or unknown)."""
    record_refusal(
        user=user, path=reverse("field_sync"), method="POST", refusal=Refused(model, code)
    )
    return not_found(key)


def conflict(key: uuid.UUID, case: Case, names: list[str]) -> Answer:
    return {
        "id": str(key),
        "status": "conflict",
        "current": {"version": case.version, "fields": current_values(case, names)},
    }


def _form_errors(form) -> dict[str, list[str]]:
    return {name: [str(message) for message in messages] for name, messages in form.errors.items()}


def _problems(violation: RuleViolation) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, message in violation.problems:
        errors.setdefault(name or "__all__", []).append(str(message))
    return errors


def _closed(key: uuid.UUID) -> Answer:
    return refused(key, {"__all__": [actions.closed_case_message()]})


def _json(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def current_values(case: Case, names: list[str]) -> dict[str, dict[str, Any]]:
    """The stored values of `names` with the case form's labels and their display text."""
    acts = dict(ACT_CHOICES)
    values = {}
    for name in names:
        model_field = Case._meta.get_field(name)
        value = model_field.value_from_object(case)
        if model_field.choices:
            display = case._get_FIELD_display(model_field) if value is not None else ""
        elif model_field.is_relation:
            related = getattr(case, name)
            display = str(related) if related is not None else ""
        elif name == "violence_acts":
            display = ", ".join(str(acts.get(act, act)) for act in value)
        elif isinstance(value, bool):
            display = _("Yes") if value else _("No")
        else:
            display = "" if value is None else str(_json(value))
        values[name] = {
            "label": str(CaseForm.base_fields[name].label),
            "value": _json(value),
            "display": str(display),
        }
    return values


# Items ----------------------------------------------------------------------------------------


# Nothing is captured before Ley 30364, whose services this network runs: an earlier time is a
# device's clock gone wrong (and a year 1 would not even fit the services' time zone).
EARLIEST_CAPTURE = datetime(2015, 11, 24, tzinfo=UTC)


def _captured_at(raw: Any) -> tuple[datetime | None, str]:
    """The device's capture time, or the reason it is refused."""
    if not raw:
        return None, _("This field is required.")
    try:
        moment = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:  # well formed, but no such date ("2026-13-40")
        moment = None
    if moment is None:
        return None, _("Enter a valid date and time (ISO 8601).")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + CLOCK_TOLERANCE:
        return None, _("The capture time is in the future: check the device's clock.")
    if moment < EARLIEST_CAPTURE:
        return None, _("The capture time is before the network existed: check the device's clock.")
    return moment, ""


def _audit_extra(captured_at: datetime) -> dict[str, str]:
    return {"captured_at": captured_at.isoformat(), "via": VIA}


def _case_url(case: Case) -> str:
    return reverse("case_detail", kwargs={"code": case.code})


def sync_items(*, user, items: list[Item]) -> list[Answer]:
    """Store each item once, in order; answer each (see docs/field-mode.md)."""
    return [sync_item(user=user, item=item) for item in items]


def sync_item(*, user, item: Item) -> Answer:
    """Answer a repeat with its first result; otherwise validate and store the item."""
    try:
        first = stored_result(user=user, key=item.id)
    except SubmissionKeyRefused:
        return refused(item.id, {"id": [_("This identifier is not yours: make a new item.")]})
    if first is not None:
        return accepted(item.id, first)
    captured_at, problem = _captured_at(item.captured_at)
    if captured_at is None:
        return refused(item.id, {"captured_at": [problem]})
    try:
        if item.type == "case":
            return sync_case(
                user=user,
                key=item.id,
                captured_at=captured_at,
                service_code=item.service,
                data=item.data,
            )
        if item.type == "activity":
            return sync_activity(
                user=user,
                key=item.id,
                captured_at=captured_at,
                service_code=item.service,
                data=item.data,
            )
        if item.type == "action":
            return sync_action(
                user=user, key=item.id, captured_at=captured_at, case_code=item.case, data=item.data
            )
        return sync_edit(
            user=user,
            key=item.id,
            captured_at=captured_at,
            case_code=item.case,
            base_version=item.base_version,
            data=item.data,
        )
    except SubmissionKeyRefused:
        return refused(item.id, {"id": [_("This identifier is not yours: make a new item.")]})


def _refused_unless_stored(*, user, key: uuid.UUID, form) -> Answer:
    """A repeat that failed validation because its first committed meanwhile (the document
    now has an earlier case: the first one) answers the first result, not the errors."""
    first = stored_result(user=user, key=key)
    return accepted(key, first) if first else _refused_form(key, form)


def _conflict_unless_stored(*, user, key: uuid.UUID, case: Case, names: list[str]) -> Answer:
    """A repeat of an edit whose first copy committed meanwhile (and so moved the version on)
    answers the first result, not a conflict with itself."""
    first = stored_result(user=user, key=key)
    return accepted(key, first) if first else conflict(key, case, names)


def sync_case(
    *, user, key: uuid.UUID, captured_at: datetime, service_code: str, data: dict[str, Any]
) -> Answer:
    """Register a case captured offline, through the intake form and `open_case`."""
    service = get_service_for_sync(user, service_code)
    if service is None:
        return _refused_access(user, key, CareService, service_code)
    # The sync of an intake is an intake in progress: its repeat check is answered, within her
    # budget of document checks, and audited.
    # The complaint and follow-up written with it are judged as of when she wrote them: a
    # follow-up due "today" on the trip is not refused because the device synced days later.
    written_at = min(captured_at, timezone.now())
    form = CaseForm(
        _form_data(data),
        service=service,
        count_earlier=actions.document_checker(
            user=user, service=service, via=DocumentCheck.Via.FIELD, intake_key=key
        ),
        captured_at=written_at,
    )
    if not form.is_valid():
        return _refused_unless_stored(user=user, key=key, form=form)

    def register() -> str:
        extra = _audit_extra(captured_at)
        case = actions.open_case(
            service=service,
            user=user,
            data=form.case_data(),
            new_community=form.cleaned_data["new_community"],
            audit_extra=extra,
        )
        if complaint := form.complaint_data():
            actions.file_complaint(
                case=case, user=user, now=written_at, audit_extra=extra, **complaint
            )
        if follow_up := form.follow_up_data():
            actions.schedule_follow_up(
                case=case, user=user, now=written_at, audit_extra=extra, **follow_up
            )
        return _case_url(case)

    try:
        _first_time, url = claim_once(user=user, key=key, perform=register)
    except RuleViolation as violation:
        return refused(key, _problems(violation))
    return accepted(key, url)


def sync_action(
    *, user, key: uuid.UUID, captured_at: datetime, case_code: str, data: dict[str, Any]
) -> Answer:
    """Append a follow-up action captured offline, through `CaseActionForm` and
    `record_action`."""
    case = get_case_for_sync(user, case_code)
    if case is None:
        return _refused_access(user, key, Case, case_code)
    if case.is_closed:
        return _closed(key)
    form = CaseActionForm(_form_data(data), case=case)
    if not form.is_valid():
        return _refused_unless_stored(user=user, key=key, form=form)

    def record() -> str:
        actions.record_action(
            case=case,
            user=user,
            kind=form.cleaned_data["kind"],
            date=form.cleaned_data["date"],
            notes=form.cleaned_data["notes"],
            audit_extra=_audit_extra(captured_at),
        )
        return _case_url(case)

    try:
        _first_time, url = claim_once(user=user, key=key, perform=record)
    except actions.CaseClosedError:
        return _closed(key)
    return accepted(key, url)


def _stored_form_data(case: Case) -> dict[str, Any]:
    """The case as the edit form shows it (its current values under the form's names)."""
    form = EditCaseForm(instance=case, service=case.service)
    return {name: form[name].value() for name in form.fields}


def sync_edit(
    *,
    user,
    key: uuid.UUID,
    captured_at: datetime,
    case_code: str,
    base_version: int,
    data: dict[str, Any],
) -> Answer:
    """Change the fields the item carries, on top of the version it was based on, through
    `EditCaseForm` and `update_case`; a case that moved on since is a conflict."""
    case = get_case_for_sync(user, case_code)
    if case is None:
        return _refused_access(user, key, Case, case_code)
    if case.is_closed:
        return _closed(key)
    editable = set(EditCaseForm.base_fields) - {"version"}
    unknown = sorted(set(data) - editable)
    if unknown:
        return refused(key, {name: [_("This field cannot be changed.")] for name in unknown})
    changed = [name for name in CaseForm._meta.fields if name in data]
    if data.get("new_community") and "district" not in changed:
        changed.append("district")  # the new community is added to the district it names
    if case.version != base_version:
        return _conflict_unless_stored(user=user, key=key, case=case, names=changed)
    form = EditCaseForm(
        _form_data({**_stored_form_data(case), **data, "version": str(base_version)}),
        instance=case,
        service=case.service,
        count_earlier=actions.document_checker(
            user=user, service=case.service, via=DocumentCheck.Via.FIELD, case=case
        ),
    )
    if not form.is_valid():
        return _refused_unless_stored(user=user, key=key, form=form)

    def save() -> str:
        actions.update_case(
            case=case,
            user=user,
            data={name: form.cleaned_data[name] for name in changed},
            expected_version=base_version,
            new_community=form.cleaned_data["new_community"],
            audit_extra=_audit_extra(captured_at),
        )
        return _case_url(case)

    try:
        _first_time, url = claim_once(user=user, key=key, perform=save)
    except actions.StaleCaseError as stale:
        return _conflict_unless_stored(user=user, key=key, case=stale.current, names=changed)
    except actions.CaseClosedError:
        return _closed(key)
    except RuleViolation as violation:
        return refused(key, _problems(violation))
    return accepted(key, url)


def _activity_url(activity) -> str:
    return reverse("activity_detail", kwargs={"code": activity.code})


def sync_activity(
    *, user, key: uuid.UUID, captured_at: datetime, service_code: str, data: dict[str, Any]
) -> Answer:
    """Register a community activity captured offline, through `ActivityForm` and
    `register_activity`, in a service where she registers activities (the activity page's
    rule). The item's id is also the activity's device key (`client_key`)."""
    service = get_activity_service_for_sync(user, service_code)
    if service is None:
        return _refused_access(user, key, CareService, service_code)
    form = ActivityForm(_form_data(data), service=service)
    refuse_unstorable_text(form)  # JSON can carry what no database stores (a lone surrogate)
    if not form.is_valid():
        return _refused_unless_stored(user=user, key=key, form=form)

    def register() -> str:
        activity = activity_actions.register_activity(
            service=service,
            user=user,
            data=form.activity_data(),
            new_community=form.cleaned_data["new_community"],
            client_key=key,
            audit_extra=_audit_extra(captured_at),
        )
        return _activity_url(activity)

    try:
        _first_time, url = claim_once(user=user, key=key, perform=register)
    except RuleViolation as violation:  # a community added meanwhile by a colleague
        return refused(key, _problems(violation))
    return accepted(key, url)
