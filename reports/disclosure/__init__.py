"""Statistical disclosure control of what the reports let leave the system: cell suppression
with an interval audit (`control`), the tables of this application's files (`tables`), and the
old rule of thumb, kept only to show what the audit finds in it (`legacy`)."""

from .control import (
    HIDDEN,
    MIN_SHOWN,
    Audit,
    Interval,
    Protection,
    Relation,
    Table,
    audit,
    pattern_bounds,
    protect,
    suppress,
)

__all__ = [
    "HIDDEN",
    "MIN_SHOWN",
    "Audit",
    "Interval",
    "Protection",
    "Relation",
    "Table",
    "audit",
    "pattern_bounds",
    "protect",
    "suppress",
]
