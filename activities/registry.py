"""The types of community activity: codes and labels, read from `data/activity_types.csv`.

The list is data, not code: the file holds each type's code (what is stored, and what the
import's TIPO column carries), its Spanish label, its English label and the source of the list.
The ministry's own list replaces it by replacing the file (then `makemigrations` records the new
choices and their check constraint, and a data migration maps any code that disappears).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.functional import lazy

TYPES_FILE = Path(__file__).resolve().parent / "data" / "activity_types.csv"
COLUMNS = ("codigo", "etiqueta", "etiqueta_en", "fuente")
CODE_LENGTH = 30
_CODE = re.compile(rf"^[A-Z0-9_]{{1,{CODE_LENGTH}}}$")


@dataclass(frozen=True)
class ActivityType:
    code: str
    label_es: str
    label_en: str
    source: str

    def label(self, language: str | None = None) -> str:
        """The label in `language` (the active one by default): Spanish for `es*`; English
        otherwise, as the rest of the interface falls back to its English source text."""
        language = language if language is not None else translation.get_language()
        if (language or "").startswith("es") or not self.label_en:
            return self.label_es
        return self.label_en


def read_types(path: Path) -> dict[str, ActivityType]:
    """Read a list of activity types; refuse a file that does not have the expected shape."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS[:2] if column not in (reader.fieldnames or [])]
        if missing:
            raise ImproperlyConfigured(f"{path.name}: missing column(s) {', '.join(missing)}.")
        types: dict[str, ActivityType] = {}
        for line, row in enumerate(reader, start=2):
            code = (row["codigo"] or "").strip().upper()
            label = (row["etiqueta"] or "").strip()
            if not _CODE.match(code) or not label:
                raise ImproperlyConfigured(
                    f"{path.name}, line {line}: a code of capitals, digits and _ "
                    f"(at most {CODE_LENGTH}) and a Spanish label are required."
                )
            if code in types:
                raise ImproperlyConfigured(f"{path.name}, line {line}: code {code} repeated.")
            types[code] = ActivityType(
                code=code,
                label_es=label,
                label_en=(row.get("etiqueta_en") or "").strip(),
                source=(row.get("fuente") or "").strip(),
            )
    if not types:
        raise ImproperlyConfigured(f"{path.name}: no activity type.")
    return types


@cache
def activity_types() -> dict[str, ActivityType]:
    """The activity types of the data file, by code, in the file's order."""
    return read_types(TYPES_FILE)


def codes() -> list[str]:
    return list(activity_types())


def label_for(code: str | None, language: str | None = None) -> str:
    """The label of `code` in the active language; "" for a code not in the list."""
    kind = activity_types().get(code or "")
    return kind.label(language) if kind else ""


# A label that is read when it is shown, in the language of that moment (model choices are built
# once, at import). With translations off, as `makemigrations` runs, it reads the English label,
# so that the migration does not depend on the language of whoever made it.
lazy_label = lazy(label_for, str)


def choices() -> list[tuple[str, str]]:
    """(code, label) pairs for a field's `choices`, the labels in the language being shown."""
    return [(code, lazy_label(code)) for code in activity_types()]
