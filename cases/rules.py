"""The rules of a case record, in one place: the intake form, the edit, the actions, the import
and the field sync call `clean_case`, and only translate its problems.

`clean_case` takes the values of a case by model field name and checks only the rules whose
fields it is given: a file that does not carry a column is not asked for it (the value stays
unknown), while the form, which carries every field, is held to all of them. The rules within one
row are also check constraints on `Case` (see `cases/models.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from services.rules import MAX_AGE, Problem, age_problems, future_problems

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
    problems = future_problems(
        intake, "intake_date", _("The intake date cannot be in the future.")
    )
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
                _("This act is not of the case's type of violence (%(type)s).")
                % {"type": label},
            )
        ]
    order = {name: index for index, name in enumerate(violence_type_of_acts())}
    values["violence_acts"] = sorted(set(acts), key=order.get)
    return []
