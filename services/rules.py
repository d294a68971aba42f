"""What every app's rules share: the shape of a problem, ages and dates.

A rule is a pure function over values that returns the problems it finds as `(field, message)`
pairs, `field` being the model field at fault (or "" for the record as a whole). Every write path
calls the same rule and only translates its problems: a form into field errors (`add_to_form`),
an action into an exception (`RuleViolation`), an importer into row errors with line and column.
Rules that hold within one row are also database constraints, so no path can store what the
rules forbid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .dates import completed_years
from .spreadsheets import looks_like_formula

MAX_AGE = 120

Problem = tuple[str, str]


class RuleViolation(ValueError):
    """An action was asked to store what a rule forbids; nothing was stored."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(" ".join(str(message) for _field, message in self.problems))

    @property
    def message(self) -> str:
        return str(self)


def raise_problems(problems: Iterable[Problem]) -> None:
    """Raise `RuleViolation` if there is any problem (what actions do with a rule's answer)."""
    problems = list(problems)
    if problems:
        raise RuleViolation(problems)


def add_to_form(form, problems: Iterable[Problem]) -> None:
    """Show each problem next to its field (or above the form), unless the field already has an
    error of its own: one message a field is enough."""
    for field, message in problems:
        name = field if field in form.fields else None
        if name is not None and name in form.errors:
            continue
        form.add_error(name, message)


# Messages of the age rule, by the event the age is counted on.
_AFTER = {
    "intake": _("The birth date is after the intake date."),
    "admission": _("The birth date is after the admission date."),
}
_GIVES = {
    "intake": _("The birth date gives %(years)d years on the intake date."),
    "admission": _("The birth date gives %(years)d years on the admission date."),
}


def age_problems(
    *,
    age: int | None,
    born: date | None,
    on: date | None,
    age_field: str,
    born_field: str,
    event: str,
    required: bool = True,
) -> tuple[int | None, list[Problem]]:
    """The age in completed years on `on` and the problems of an age / birth-date pair.

    Either is enough; when both are given they must agree on `on`. Neither may be in the future
    or give more than `MAX_AGE` years. Returns the age (worked out from the birth date when it
    can be) with the problems found.
    """
    problems: list[Problem] = []
    if born is not None and born > timezone.localdate():
        return age, [(born_field, _("The birth date cannot be in the future."))]
    if age is not None and not 0 <= age <= MAX_AGE:
        message = _("An age above %(max)d years is not possible.") % {"max": MAX_AGE}
        return age, [(age_field, message)]
    if born is None:
        if age is None and required:
            problems.append((age_field, _("Give the age or the birth date.")))
        return age, problems
    if on is None:
        return age, problems
    if born > on:
        return age, [(born_field, _AFTER[event])]
    years = completed_years(born, on)
    if years > MAX_AGE:
        return age, [(born_field, _("This birth date gives an impossible age."))]
    if age is not None and age != years:
        return age, [(age_field, _GIVES[event] % {"years": years})]
    return years, problems


def future_problems(value: date | None, field: str, message) -> list[Problem]:
    """A date after today (Lima time) is refused with `message`."""
    if value is not None and value > timezone.localdate():
        return [(field, message)]
    return []


# Text that can be stored, and names a spreadsheet reads as written ---------------------------

# A NUL character (PostgreSQL refuses it in text) or half of a surrogate pair (no encoding holds
# it; it reaches only through JSON, as "\ud800").
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable_text_problems(field: str, value) -> list[Problem]:
    """Text that no database stores as written is refused, never sent to one (which would fail
    the whole request): a NUL character or an unpaired surrogate."""
    if isinstance(value, str) and _UNSTORABLE.search(value):
        return [
            (
                field,
                _(
                    "This text holds a character that cannot be stored (a NUL byte or a broken "
                    "character): remove it."
                ),
            )
        ]
    return []


def spreadsheet_safe_problems(field: str, value) -> list[Problem]:
    """A name that a spreadsheet would run as a formula is refused.

    The names of services, shelters, communities and places end up in the reports' CSV and XLSX
    files and in the open-data file, opened in spreadsheets by people outside the system. The
    exports neutralise such values too; refusing them at input keeps every name readable as
    written. `value` is checked as it will be stored (after any trimming).
    """
    if looks_like_formula(value):
        return [
            (
                field,
                _(
                    "A name cannot begin with =, +, -, @, a tab or a line break: spreadsheets "
                    "would read it as a formula."
                ),
            )
        ]
    return []


def name_problems(field: str, value) -> list[Problem]:
    """The problems of a name that ends up in reports: storable, and safe in a spreadsheet."""
    return storable_text_problems(field, value) or spreadsheet_safe_problems(field, value)
