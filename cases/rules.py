"""The rules of a case record, in one place: the intake form, the edit, the actions, the import
and the field sync call `clean_case`, and only translate its problems.

`clean_case` takes the values of a case by model field name and checks only the rules whose
fields it is given: a file that does not carry a column is not asked for it (the value stays
unknown), while the form, which carries every field, is held to all of them. The rules within one
row are also check constraints on `Case` (see `cases/models.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from services.rules import (
    MAX_AGE,
    Problem,
    age_problems,
    future_problems,
    spreadsheet_safe_problems,
    storable_text_problems,
)

from . import registry

FEMALE = 0  # SEXO_VICTIMA 0 = Mujer
PARTNER, FAMILY, NEITHER = 1, 2, 3  # VINCULO_AGRESOR_VICTIMA
# The detail of each kind of relationship: VINCULO_PAREJA, VINCULO_FAMILIAR, SIN_VINCULO.
RELATIONSHIP_DETAIL = {
    PARTNER: "partner_relationship",
    FAMILY: "family_relationship",
    NEITHER: "other_relationship",
}
MAX_CHILDREN = 30
CHILDREN_FIELDS = ("daughters_0_17", "sons_0_17", "daughters_18_plus", "sons_18_plus")

# The fields the rules read: an edit is checked as the whole record it leaves.
RULE_FIELDS = (
    "intake_date",
    "victim_age",
    "victim_birth_date",
    "aggressor_age",
    "victim_document_type",
    "victim_document_number",
    "victim_peruvian",
    "victim_country",
    "victim_sex",
    "victim_pregnant",
    "relationship",
    *RELATIONSHIP_DETAIL.values(),
    "violence_type",
    "violence_acts",
    *CHILDREN_FIELDS,
)
DNI = "DNI"
DNI_LENGTH = 8
DOCUMENT_TYPES = ("DNI", "CE", "PAS", "OTR")  # Case.DocumentType (no model import here)


def violence_type_of_acts() -> dict[str, int]:
    """Each sub-act variable's TIPO_VIOLENCIA code, as the dictionary groups them."""
    return {var.name: code for code, acts in registry.violence_acts().items() for var in acts}


def normalize_document(number: str | None) -> str:
    """A document number as stored: no spaces, capitals."""
    return "".join((number or "").split()).upper()


def clean_case(
    values: MutableMapping[str, Any],
    *,
    service_opened_on: date | None = None,
) -> list[Problem]:
    """Check a case's values against every rule within one record; return the problems.

    Fills in what follows from the values: the age from the birth date, the document number
    written as stored, a foreign nationality from a foreign country. Only the rules whose fields
    are in `values` are checked.
    """
    problems: list[Problem] = []
    problems += _intake_date(values, service_opened_on)
    problems += _age(values)
    problems += _aggressor_age(values)
    problems += _children(values)
    problems += _document(values)
    problems += _nationality(values)
    problems += _pregnancy(values)
    problems += _relationship(values)
    problems += _violence_acts(values)
    return problems


def _intake_date(values, service_opened_on) -> list[Problem]:
    intake = values.get("intake_date")
    if intake is None:
        return []
    problems = future_problems(intake, "intake_date", _("The intake date cannot be in the future."))
    if not problems and service_opened_on is not None and intake < service_opened_on:
        problems.append(
            (
                "intake_date",
                _("The intake date is before the service opened (%(date)s).")
                % {"date": service_opened_on.strftime("%d/%m/%Y")},
            )
        )
    return problems


def _age(values) -> list[Problem]:
    if "victim_age" not in values and "victim_birth_date" not in values:
        return []
    age, problems = age_problems(
        age=values.get("victim_age"),
        born=values.get("victim_birth_date"),
        on=values.get("intake_date"),
        age_field="victim_age",
        born_field="victim_birth_date",
        event="intake",
    )
    if not problems:
        values["victim_age"] = age
    return problems


def _aggressor_age(values) -> list[Problem]:
    age = values.get("aggressor_age")
    if age is not None and not 0 <= age <= MAX_AGE:
        return [
            ("aggressor_age", _("An age above %(max)d years is not possible.") % {"max": MAX_AGE})
        ]
    return []


def _children(values) -> list[Problem]:
    return [
        (field, _("Write a whole number from 0 to %(max)d.") % {"max": MAX_CHILDREN})
        for field in CHILDREN_FIELDS
        if values.get(field) is not None and not 0 <= values[field] <= MAX_CHILDREN
    ]


def _document(values) -> list[Problem]:
    if "victim_document_number" not in values and "victim_document_type" not in values:
        return []
    number = normalize_document(values.get("victim_document_number"))
    kind = (values.get("victim_document_type") or "").upper()
    values["victim_document_number"], values["victim_document_type"] = number, kind
    if kind and kind not in DOCUMENT_TYPES:
        return [
            (
                "victim_document_type",
                _("Use one of: %(values)s.") % {"values": ", ".join(DOCUMENT_TYPES)},
            )
        ]
    if number and not kind:
        return [("victim_document_type", _("Choose the type of the document."))]
    if kind and not number:
        return [("victim_document_number", _("Write the document number."))]
    if kind == DNI and not (number.isdigit() and number.isascii() and len(number) == DNI_LENGTH):
        return [("victim_document_number", _("A DNI has exactly 8 digits."))]
    return []


def _nationality(values) -> list[Problem]:
    country = values.get("victim_country")
    if "victim_peruvian" not in values:
        if country is None:
            return []
        # A file that gives a foreign country and says nothing else: not Peruvian.
        values["victim_peruvian"] = False
    peruvian = values["victim_peruvian"]
    if peruvian and country is not None:
        return [
            (
                "victim_country",
                _("A Peruvian national has no foreign nationality: leave the country empty."),
            )
        ]
    if peruvian is False and country is None and "victim_country" in values:
        return [("victim_country", _("Choose the country of a foreign national."))]
    return []


def _pregnancy(values) -> list[Problem]:
    sex = values.get("victim_sex")
    if values.get("victim_pregnant") and sex is not None and sex != FEMALE:
        return [("victim_pregnant", _("Only a woman can be recorded as pregnant."))]
    return []


def _relationship(values) -> list[Problem]:
    if "relationship" not in values:
        return [
            (field, _("This detail belongs to another kind of relationship."))
            for field in RELATIONSHIP_DETAIL.values()
            if values.get(field) is not None
        ]
    relationship = values.get("relationship")
    problems = []
    for code, field in RELATIONSHIP_DETAIL.items():
        if field not in values:
            continue
        if code != relationship and values[field] is not None:
            problems.append((field, _("This detail belongs to another kind of relationship.")))
        elif code == relationship and values[field] is None:
            problems.append((field, _("Choose the kind of relationship.")))
    return problems


def foreign_acts(violence_type: int, acts: Iterable[str]) -> list[str]:
    """The acts that are not of `violence_type` (each act belongs to one type)."""
    types = violence_type_of_acts()
    return [act for act in acts if types.get(act) != violence_type]


def _violence_acts(values) -> list[Problem]:
    violence_type = values.get("violence_type")
    acts: Iterable[str] = values.get("violence_acts") or []
    if violence_type is None:
        return []
    if foreign_acts(violence_type, acts):
        label = registry.variable("TIPO_VIOLENCIA").label_for(violence_type)
        return [
            (
                "violence_acts",
                _("This act is not of the case's type of violence (%(type)s).") % {"type": label},
            )
        ]
    order = {name: index for index, name in enumerate(violence_type_of_acts())}
    values["violence_acts"] = sorted(set(acts), key=order.get)
    return []


# The legal clock: complaints, protection measures, follow-ups ---------------------------------
# Each takes the values by model field name and the present (`now`, an aware moment), and returns
# the problems; the forms, the actions and the measures import all call these.

# Where a measure may go from each state (a decided measure is never "requested" again).
MEASURE_TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"requested", "granted", "denied"}),
    "granted": frozenset({"granted", "in_force", "lifted", "expired"}),
    "in_force": frozenset({"in_force", "lifted", "expired"}),
    "denied": frozenset({"denied"}),
    "lifted": frozenset({"lifted"}),
    "expired": frozenset({"expired"}),
}
DECIDED_STATES = frozenset({"granted", "denied", "in_force", "lifted", "expired"})
GRANTED_STATES = frozenset({"granted", "in_force", "lifted", "expired"})
ENDED_STATES = frozenset({"lifted", "expired"})
# Ley 30364 (published 23/11/2015) set the procedure whose clock these records follow.
LAW_IN_FORCE = date(2015, 11, 24)
# How far ahead a follow-up may be scheduled.
MAX_FOLLOW_UP_DAYS = 366


def _text_problems(values, fields: Iterable[str]) -> list[Problem]:
    problems: list[Problem] = []
    for field in fields:
        problems += storable_text_problems(field, values.get(field))
    return problems


def _local_date(moment: datetime) -> date:
    from .clock import local  # the clock reads the models; the rules stay importable by them

    return local(moment).date()


def _choice_problems(values, field: str, choices, message, *, blank: bool = False) -> list[Problem]:
    """A coded value outside its list is refused here, not only by the forms: the import and
    any other caller of the actions store what they are given."""
    value = values.get(field)
    if blank and not value:
        return []
    if value not in {code for code, _label in choices}:
        return [(field, message)]
    return []


def complaint_problems(values: MutableMapping[str, Any], *, now: datetime) -> list[Problem]:
    """A complaint: where and by whom it was filed (from their lists), when (not in the
    future), and text that can be stored."""
    from .models import Complaint

    problems = _text_problems(values, ("place_name", "reference"))
    problems += spreadsheet_safe_problems("place_name", values.get("place_name"))
    problems += _choice_problems(
        values, "place", Complaint.Place.choices, _("Choose where the complaint was filed.")
    )
    problems += _choice_problems(
        values, "filed_by", Complaint.FiledBy.choices, _("Choose who filed the complaint.")
    )
    filed_at = values.get("filed_at")
    if filed_at is None:
        problems.append(("filed_at", _("Give the date and time the complaint was filed.")))
    elif filed_at > now:
        problems.append(("filed_at", _("The complaint cannot have been filed in the future.")))
    elif _local_date(filed_at) < LAW_IN_FORCE:
        problems.append(
            (
                "filed_at",
                _(
                    "The legal clock counts complaints under Ley 30364, in force since "
                    "24/11/2015: check the date."
                ),
            )
        )
    return problems


def set_aside_problems(reason: str | None) -> list[Problem]:
    """Setting a complaint aside, or cancelling a follow-up, needs a reason."""
    if not (reason or "").strip():
        return [("reason", _("Say why: the reason is kept with the case."))]
    return storable_text_problems("reason", reason)


def measure_problems(
    values: MutableMapping[str, Any],
    *,
    complaint_filed_at: datetime | None,
    now: datetime,
    previous_state: str | None = None,
) -> list[Problem]:
    """A protection measure: its type, a state it may reach, and dates in order.

    Requested: no decision yet, so no date of decision, notification or end. Decided (granted
    or denied): the date and time of the decision, not before the complaint was filed, not in
    the future. Notified: only a granted measure, on or after the decision. Lifted or expired:
    the date it ended, on or after the decision.
    """
    from .measures import TYPES
    from .models import ProtectionMeasure

    problems = _text_problems(values, ("court", "notes"))
    problems += spreadsheet_safe_problems("court", values.get("court"))
    if values.get("measure_type") not in TYPES.entries:
        problems.append(("measure_type", _("Choose a type of measure from the law's list.")))
    problems += _choice_problems(
        values,
        "executed_by",
        ProtectionMeasure.Executor.choices,
        _("Choose who executes the measure from the list."),
        blank=True,
    )
    state = values.get("state")
    if state not in MEASURE_TRANSITIONS:
        return [*problems, ("state", _("Choose a state."))]
    if previous_state is not None and state not in MEASURE_TRANSITIONS[previous_state]:
        problems.append(
            (
                "state",
                _("A measure that is %(old)s cannot become %(new)s.")
                % {"old": _state_label(previous_state), "new": _state_label(state)},
            )
        )
    decided_at = values.get("decided_at")
    notified_on = values.get("notified_on")
    ended_on = values.get("ended_on")
    today = _local_date(now)
    if state not in DECIDED_STATES:
        for field, message in (
            ("decided_at", _("A measure only requested has no date of decision yet.")),
            ("notified_on", _("A measure only requested has not been notified yet.")),
            ("ended_on", _("A measure only requested has not ended.")),
        ):
            if values.get(field) is not None:
                problems.append((field, message))
        return problems
    if decided_at is None:
        problems.append(("decided_at", _("Give the date and time of the court's decision.")))
    elif decided_at > now:
        problems.append(("decided_at", _("The decision cannot be in the future.")))
    elif complaint_filed_at is not None and decided_at < complaint_filed_at:
        problems.append(
            ("decided_at", _("The decision cannot come before the complaint was filed."))
        )
    if notified_on is not None:
        if state not in GRANTED_STATES:
            problems.append(("notified_on", _("Only a granted measure is notified.")))
        elif notified_on > today:
            problems.append(("notified_on", _("The notification date cannot be in the future.")))
        elif decided_at is not None and notified_on < _local_date(decided_at):
            problems.append(("notified_on", _("It cannot be notified before it was granted.")))
    if state in ENDED_STATES:
        if ended_on is None:
            problems.append(("ended_on", _("Give the date it was lifted or expired.")))
        elif ended_on > today:
            problems.append(("ended_on", _("That date cannot be in the future.")))
        elif decided_at is not None and ended_on < _local_date(decided_at):
            problems.append(("ended_on", _("It cannot end before it was granted.")))
    elif ended_on is not None:
        problems.append(("ended_on", _("Only a lifted or expired measure has an end date.")))
    return problems


def _state_label(state: str) -> str:
    from .models import ProtectionMeasure

    return str(dict(ProtectionMeasure.State.choices).get(state, state)).lower()


def follow_up_problems(values: MutableMapping[str, Any], *, now: datetime) -> list[Problem]:
    """Scheduling a follow-up: of a kind from the list, due today or later, within a year."""
    from .models import FollowUp

    problems = _text_problems(values, ("notes",))
    problems += _choice_problems(
        values, "kind", FollowUp.Kind.choices, _("Choose the kind of follow-up.")
    )
    due_on = values.get("due_on")
    today = _local_date(now)
    if due_on is None:
        problems.append(("due_on", _("Give the date it is due.")))
    elif due_on < today:
        problems.append(("due_on", _("Schedule it for today or a later day.")))
    elif (due_on - today).days > MAX_FOLLOW_UP_DAYS:
        problems.append(("due_on", _("Schedule it within the next year.")))
    return problems


def follow_up_done_problems(
    done_on: date | None, *, scheduled_at: datetime | None, now: datetime
) -> list[Problem]:
    """Marking a follow-up done: on a day between its scheduling and today."""
    if done_on is None:
        return [("done_on", _("Give the date it was done."))]
    if done_on > _local_date(now):
        return [("done_on", _("The date it was done cannot be in the future."))]
    if scheduled_at is not None and done_on < _local_date(scheduled_at):
        return [("done_on", _("It cannot have been done before it was scheduled."))]
    return []
