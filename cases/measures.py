"""The types of protection measure, read from `data/protection_measures.csv`.

The law's list (Ley N.° 30364, art. 32) is data, not code (`services/codelists.py`): each row
holds the code stored and carried by the import's TIPO_MEDIDA column, the Spanish and English
labels and the article it comes from. An amendment of the law is a change of the file.
"""

from __future__ import annotations

from pathlib import Path

from services.codelists import CODE_LENGTH, CodeList

__all__ = ["CODE_LENGTH", "TYPES"]

TYPES_FILE = Path(__file__).resolve().parent / "data" / "protection_measures.csv"
TYPES = CodeList(TYPES_FILE, what="type of protection measure")
