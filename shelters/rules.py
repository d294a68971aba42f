"""The rules of shelter stays, in one place: the admission form, the actions, the stays import
and the field sync call these functions and only translate their problems.

Pure functions over values, returning `(field, message)` pairs (see `services/rules.py`). The
age / birth-date rule itself is the one the cases use (`services.rules.age_problems`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from services.rules import Problem, age_problems, future_problems

# A mother is at least this many years older than each child who comes with her: a "mother"
# of 12 with a "child" of 30 is a data-entry slip (two people swapped), never a family.
MIN_MOTHER_CHILD_GAP = 12


def person_age(
    *, age: int | None, born: date | None, on: date | None, age_field: str, born_field: str
) -> tuple[int | None, list[Problem]]:
    """A resident's age on the admission date, and the problems of her age / birth date."""
    return age_problems(
        age=age, born=born, on=on, age_field=age_field, born_field=born_field, event="admission"
    )


def family_problems(
    woman_age: int | None, child_ages: Iterable[int | None], *, child_field: str = "age"
) -> list[tuple[int, str, str]]:
    """The children whose age does not fit a child of the woman: (index, field, message)."""
    if woman_age is None:
        return []
    oldest_possible = woman_age - MIN_MOTHER_CHILD_GAP
    message = _(
        "A child must be at least %(gap)d years younger than the woman she comes with "
        "(%(age)d years): check both ages."
    ) % {"gap": MIN_MOTHER_CHILD_GAP, "age": woman_age}
    return [
        (index, child_field, message)
        for index, age in enumerate(child_ages)
        if age is not None and age > oldest_possible
    ]


class Period(Protocol):
    admitted_on: date
    discharged_on: date | None


def overlap(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    """Whether two stays overlap. Leaving one shelter and entering another on the same day (a
    transfer) is no overlap; None is an open end."""
    return (end is None or other_start < end) and (other_end is None or start < other_end)


def clashing_stay(start: date, end: date | None, stays: Iterable[Period]) -> Period | None:
    """The first of a person's other stays that the stay `start`..`end` would overlap."""
    for stay in stays:
        if overlap(start, end, stay.admitted_on, stay.discharged_on):
            return stay
    return None


def stay_dates_problems(
    *, admitted_on: date | None, planned_discharge_on: date | None = None
) -> list[Problem]:
    """An admission is not in the future and its planned discharge not before it."""
    problems = future_problems(
        admitted_on, "admitted_on", _("The admission date cannot be in the future.")
    )
    if admitted_on and planned_discharge_on and planned_discharge_on < admitted_on:
        problems.append(
            (
                "planned_discharge_on",
                _("The planned discharge date cannot be before the admission."),
            )
        )
    return problems
