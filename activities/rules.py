"""The rules of a community activity, in one place: the form, the actions, the import, the demo
and the field sync call `clean_activity` and only translate its problems.

Pure functions over values, like `cases/rules.py`: `clean_activity` checks only the rules whose
fields it is given (an edit passes the whole record it leaves). The service and the places are
read from the objects given, never queried: a community's district is its `district_id`, and a
district's region is the first two digits of its ubigeo. The rules within one row are also check
constraints on `Activity` (see `activities/models.py`).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from services.rules import Problem, future_problems

from . import registry

# Who may run an activity: the services that do community prevention.
SERVICE_KINDS = ("SAR", "CEM")
PARTICIPANT_FIELDS = ("women", "men", "girls", "boys")
# A campaign in a town square may reach thousands; more in one group is a typing error.
MAX_PARTICIPANTS = 10_000
MAX_HOURS = Decimal(24)
TOPIC_LENGTH = 300
REASON_LENGTH = 500

# The fields the rules read: an edit is checked as the whole record it leaves.
RULE_FIELDS = (
    "date",
    "duration_hours",
    "district",
    "community",
    "type",
    "topic",
    *PARTICIPANT_FIELDS,
)


def clean_activity(values: MutableMapping[str, Any], *, service=None) -> list[Problem]:
    """Check an activity's values against every rule within one record; return the problems.

    `values` are by model field name (`district` a District or its ubigeo, `community` a
    Community or None), plus `new_community` (the name of a community to add). `service` is the
    activity's CareService (its kind, the ubigeo of its seat, its opening and closing dates).
    Writes back the values as stored: the topic, the partners and a new community's name with
    their spaces tidied, the type in capitals.
    """
    problems: list[Problem] = []
    problems += service_problems(service)
    problems += _date(values, service)
    problems += _duration(values)
    problems += _type(values)
    problems += _text(values)
    problems += _participants(values)
    problems += _place(values, service)
    return problems


def service_problems(service) -> list[Problem]:
    """Only a SAR or a CEM registers community activities."""
    if service is not None and service.kind not in SERVICE_KINDS:
        return [("service", _("Only a SAR or a CEM registers community activities."))]
    return []


def _date(values, service) -> list[Problem]:
    day: date | None = values.get("date")
    if day is None:
        return []
    problems = future_problems(day, "date", _("The date of the activity cannot be in the future."))
    if problems or service is None:
        return problems
    if day < service.opened_on:
        return [
            (
                "date",
                _("The activity is dated before the service opened (%(date)s).")
                % {"date": service.opened_on.strftime("%d/%m/%Y")},
            )
        ]
    if service.closed_on is not None and day > service.closed_on:
        return [
            (
                "date",
                _("The activity is dated after the service closed (%(date)s).")
                % {"date": service.closed_on.strftime("%d/%m/%Y")},
            )
        ]
    return []


def _duration(values) -> list[Problem]:
    hours = values.get("duration_hours")
    if hours is None:
        return []
    try:
        hours = Decimal(str(hours))
    except InvalidOperation:
        return [("duration_hours", _("Write the hours as a number, such as 2 or 1.5."))]
    if not Decimal(0) < hours <= MAX_HOURS:
        return [
            (
                "duration_hours",
                _("The duration is more than 0 hours and at most %(max)d.") % {"max": MAX_HOURS},
            )
        ]
    values["duration_hours"] = hours
    return []


def _type(values) -> list[Problem]:
    if "type" not in values:
        return []
    code = (values.get("type") or "").strip().upper()
    values["type"] = code
    if code not in registry.activity_types():
        return [("type", _("Use one of: %(values)s.") % {"values": ", ".join(registry.codes())})]
    return []


def tidy(text: str | None) -> str:
    """Text as stored: one space between words, none at the ends."""
    return " ".join((text or "").split())


def _text(values) -> list[Problem]:
    problems: list[Problem] = []
    for name in ("partners", "new_community"):
        if name in values:
            values[name] = tidy(values[name])
    if "topic" in values:
        values["topic"] = tidy(values["topic"])
        if not values["topic"]:
            problems.append(("topic", _("Write the topic of the activity.")))
        elif len(values["topic"]) > TOPIC_LENGTH:
            problems.append(
                (
                    "topic",
                    _("Write the topic in at most %(max)d characters.") % {"max": TOPIC_LENGTH},
                )
            )
    return problems


def participant_total(values) -> int:
    return sum(values.get(name) or 0 for name in PARTICIPANT_FIELDS)


def _participants(values) -> list[Problem]:
    given = [name for name in PARTICIPANT_FIELDS if name in values]
    if not given:
        return []
    problems: list[Problem] = [
        (name, _("Write a whole number from 0 to %(max)d.") % {"max": MAX_PARTICIPANTS})
        for name in given
        if values[name] is not None and not 0 <= values[name] <= MAX_PARTICIPANTS
    ]
    if not problems and len(given) == len(PARTICIPANT_FIELDS) and participant_total(values) < 1:
        problems.append(
            ("women", _("Count the people who took part: at least one, in any of the groups."))
        )
    return problems


def _code(place) -> str:
    """The INEI code of a District (or the code itself)."""
    return getattr(place, "code", None) or str(place or "")


def _place(values, service) -> list[Problem]:
    district, community = values.get("district"), values.get("community")
    new_community = values.get("new_community")
    problems: list[Problem] = []
    if district is None:
        return problems
    district_code = _code(district)
    if service is not None and district_code[:2] != (service.district_id or "")[:2]:
        problems.append(("district", _("The district is outside the region of the service.")))
    if community is not None and community.district_id != district_code:
        problems.append(("community", _("This community does not belong to the chosen district.")))
    if community is not None and new_community:
        problems.append(("new_community", _("Choose a community or add a new one, not both.")))
    return problems


def cancel_problems(reason: str | None) -> list[Problem]:
    """An activity is cancelled only with its reason (it is never deleted)."""
    reason = tidy(reason)
    if not reason:
        return [("reason", _("Write why the activity is cancelled."))]
    if len(reason) > REASON_LENGTH:
        return [
            (
                "reason",
                _("Write the reason in at most %(max)d characters.") % {"max": REASON_LENGTH},
            )
        ]
    return []
