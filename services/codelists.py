"""Lists of codes kept as data files: codes, Spanish and English labels, and their source.

A list that a ministry or a law may change (the types of community activity, the types of
protection measure) is a CSV file beside its app, not code: an amendment is a data change. Each
file has the columns `codigo` (what is stored, and what an import carries), `etiqueta` (the
Spanish label), `etiqueta_en` (the English label) and `fuente` (where the list comes from). After
a change, `makemigrations` records the new choices and their check constraint, and a data
migration maps any code that disappears.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.functional import lazy

COLUMNS = ("codigo", "etiqueta", "etiqueta_en", "fuente")
CODE_LENGTH = 30
_CODE = re.compile(rf"^[A-Z0-9_]{{1,{CODE_LENGTH}}}$")


@dataclass(frozen=True)
class Code:
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


def read_codes(path: Path, *, what: str = "code") -> dict[str, Code]:
    """Read a code list; refuse a file that does not have the expected shape."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS[:2] if column not in (reader.fieldnames or [])]
        if missing:
            raise ImproperlyConfigured(f"{path.name}: missing column(s) {', '.join(missing)}.")
        codes: dict[str, Code] = {}
        for line, row in enumerate(reader, start=2):
            code = (row["codigo"] or "").strip().upper()
            label = (row["etiqueta"] or "").strip()
            if not _CODE.match(code) or not label:
                raise ImproperlyConfigured(
                    f"{path.name}, line {line}: a code of capitals, digits and _ "
                    f"(at most {CODE_LENGTH}) and a Spanish label are required."
                )
            if code in codes:
                raise ImproperlyConfigured(f"{path.name}, line {line}: code {code} repeated.")
            codes[code] = Code(
                code=code,
                label_es=label,
                label_en=(row.get("etiqueta_en") or "").strip(),
                source=(row.get("fuente") or "").strip(),
            )
    if not codes:
        raise ImproperlyConfigured(f"{path.name}: no {what}.")
    return codes


class CodeList:
    """One data file's codes, read once, in the file's order."""

    def __init__(self, path: Path, *, what: str = "code"):
        self.path = path
        self.what = what
        # A label read when it is shown, in the language of that moment (model choices are
        # built once, at import). With translations off, as `makemigrations` runs, it reads the
        # English label, so that a migration does not depend on who made it.
        self.lazy_label = lazy(self.label_for, str)

    @cached_property
    def entries(self) -> dict[str, Code]:
        return read_codes(self.path, what=self.what)

    def codes(self) -> list[str]:
        return list(self.entries)

    def label_for(self, code: str | None, language: str | None = None) -> str:
        """The label of `code` in the active language; "" for a code not in the list."""
        entry = self.entries.get(code or "")
        return entry.label(language) if entry else ""

    def choices(self) -> list[tuple[str, str]]:
        """(code, label) pairs for a field's `choices`, the labels in the language shown."""
        return [(code, self.lazy_label(code)) for code in self.entries]
