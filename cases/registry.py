"""The national CEM registry dictionary: official codes and labels, read from the published file.

`data/cem_case_dictionary.csv` is a verbatim copy of `shared/reference/cem_case_dictionary.csv`
(MIMP's "MD RA CEM" dictionary). Value lists are taken from it, never retyped: the official
numeric code is the stored value and the label is the file's own.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DICTIONARY = Path(__file__).resolve().parent / "data" / "cem_case_dictionary.csv"
_CATEGORY = re.compile(r"^\s*(\d+)\s*=\s*(.+?)\s*$")


@dataclass(frozen=True)
class Variable:
    item: int
    name: str
    label: str
    kind: str
    required: bool
    categories: tuple[tuple[int, str], ...]

    @property
    def codes(self) -> frozenset[int]:
        return frozenset(code for code, _ in self.categories)

    def label_for(self, code: int | None) -> str:
        return dict(self.categories).get(code, "") if code is not None else ""


def _parse_categories(text: str) -> tuple[tuple[int, str], ...]:
    if not text or text.strip().lower() == "no tiene":
        return ()
    pairs = []
    for part in text.split("||"):
        match = _CATEGORY.match(part)
        if match:
            pairs.append((int(match.group(1)), match.group(2)))
    return tuple(pairs)


@cache
def variables() -> dict[str, Variable]:
    """Every variable of the dictionary, by its registry column name."""
    with DICTIONARY.open(encoding="utf-8", newline="") as handle:
        return {
            row["variable"]: Variable(
                item=int(row["item"]),
                name=row["variable"],
                label=row["nombre_variable"],
                kind=row["tipo_variable"],
                required=row["obligatoria"].strip().lower() == "si",
                categories=_parse_categories(row["categorias_documentadas"]),
            )
            for row in csv.DictReader(handle)
        }


def variable(name: str) -> Variable:
    return variables()[name]


def choices(name: str) -> list[tuple[int, str]]:
    """The official (code, label) pairs of a coded variable, for a field's `choices`."""
    return list(variable(name).categories)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower().strip()


@cache
def violence_acts() -> dict[int, tuple[Variable, ...]]:
    """The yes/no sub-act variables of each TIPO_VIOLENCIA code, as the dictionary groups them.

    A sub-act's label starts with its type ("Violencia física: Bofetadas") or reads "Otro tipo de
    Violencia Física"; both are matched against the TIPO_VIOLENCIA labels of the same file.
    """
    types = {code: _fold(label) for code, label in choices("TIPO_VIOLENCIA")}
    grouped: dict[int, list[Variable]] = {code: [] for code in types}
    for var in variables().values():
        label = _fold(var.label)
        for code, type_label in types.items():
            if label.startswith(type_label + ":") or label == "otro tipo de " + type_label:
                grouped[code].append(var)
                break
    return {code: tuple(sorted(acts, key=lambda v: v.item)) for code, acts in grouped.items()}


def act_label(var: Variable) -> str:
    """A sub-act's label without its type prefix: "Bofetadas"."""
    return var.label.split(":", 1)[1].strip() if ":" in var.label else var.label


@cache
def all_violence_act_names() -> frozenset[str]:
    return frozenset(var.name for acts in violence_acts().values() for var in acts)
