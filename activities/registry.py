"""The types of community activity: codes and labels, read from `data/activity_types.csv`.

The list is data, not code (`services/codelists.py`): the file holds each type's code (what is
stored, and what the import's TIPO column carries), its Spanish label, its English label and the
source of the list. The ministry's own list replaces it by replacing the file.
"""

from __future__ import annotations

from pathlib import Path

from services.codelists import CODE_LENGTH, Code, CodeList, read_codes

__all__ = ["CODE_LENGTH", "ActivityType", "activity_types", "choices", "codes", "label_for"]

TYPES_FILE = Path(__file__).resolve().parent / "data" / "activity_types.csv"
ActivityType = Code
TYPES = CodeList(TYPES_FILE, what="activity type")


def read_types(path: Path) -> dict[str, ActivityType]:
    """Read a list of activity types; refuse a file that does not have the expected shape."""
    return read_codes(path, what="activity type")


def activity_types() -> dict[str, ActivityType]:
    """The activity types of the data file, by code, in the file's order."""
    return TYPES.entries


def codes() -> list[str]:
    return TYPES.codes()


def label_for(code: str | None, language: str | None = None) -> str:
    return TYPES.label_for(code, language)


lazy_label = TYPES.lazy_label


def choices() -> list[tuple[str, str]]:
    return TYPES.choices()
