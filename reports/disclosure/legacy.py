"""The rule of thumb the open-data file used before the interval audit, kept only so that
`audit_disclosure --legacy` and the tests can show what the audit finds in it.

Every count from 1 to 4 was written `<5`; a group with a single `<5` cell also hid, as `X`, its
smallest other non-zero cell. The labels themselves told a reader that a `<5` cell is from 1 to
4, and an `X` cell at least 5 and at most the smallest non-zero cell shown in its group.
"""

from __future__ import annotations

import math

from .control import MIN_SHOWN, Bounds, Table

SMALL_CELL = "<5"
COMPLEMENT = "X"


def _shown(count: int) -> int | str:
    return SMALL_CELL if 1 <= count < MIN_SHOWN else count


def suppress_row(total: int, groups: list[list[int]]) -> tuple[int | str, list[list[int | str]]]:
    """The old suppression of one open-data row (its groups each add up to `total`)."""
    shown_groups = []
    for group in groups:
        shown = [_shown(count) for count in group]
        hidden = [i for i, cell in enumerate(shown) if cell == SMALL_CELL]
        if len(hidden) == 1 and _shown(total) != SMALL_CELL:
            others = [(count, i) for i, count in enumerate(group) if i not in hidden and count]
            if others:
                shown[min(others)[1]] = COMPLEMENT
        shown_groups.append(shown)
    return _shown(total), shown_groups


def open_data_labels(rows: list[list], total: int, groups: list[list[int]]) -> dict:
    """The label the old rule gave each hidden (row, column) of the open-data rows."""
    labels = {}
    for i, row in enumerate(rows):
        shown_total, shown_groups = suppress_row(
            row[total], [[row[column] for column in columns] for columns in groups]
        )
        if shown_total == SMALL_CELL:
            labels[(i, total)] = SMALL_CELL
        for columns, shown in zip(groups, shown_groups, strict=True):
            for column, cell in zip(columns, shown, strict=True):
                if cell in (SMALL_CELL, COMPLEMENT):
                    labels[(i, column)] = cell
    return labels


def label_bounds(table: Table, labels: dict) -> tuple[frozenset[int], Bounds]:
    """The hidden cells of `table` under the old labels (by key), and what each label reveals."""
    index = {key: cell for cell, key in enumerate(table.keys)}
    hidden = frozenset(index[key] for key in labels)
    relations_of = table.relations_of()
    bounds = {}
    for key, label in labels.items():
        cell = index[key]
        if label == SMALL_CELL:
            bounds[cell] = (1.0, float(MIN_SHOWN - 1))
            continue
        high = math.inf
        for relation in relations_of[cell]:
            if relation.total == cell:
                continue
            shown = [table.values[c] for c in relation.parts if c not in hidden and table.values[c]]
            high = min(high, min(shown, default=math.inf))
        bounds[cell] = (float(MIN_SHOWN), high)
    return hidden, bounds
