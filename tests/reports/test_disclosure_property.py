"""Property tests of the disclosure control over random tables: one row or many, one column
or many, all counts small, rows linked by column totals or not, groups that miss some cases.

- suppression always gives a file the auditor passes, hiding every count from 1 to 4;
- the auditor's intervals are exactly what a search of every whole-number table finds;
- the auditor catches a file with a hand-made weakness.
"""

import itertools
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.disclosure import MIN_SHOWN, Table, audit, suppress

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def splits(draw, total: int, size: int) -> list[int]:
    """`size` whole numbers adding up to `total`."""
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=size - 1, max_size=size - 1)))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


@st.composite
def tables(draw, max_rows=5, max_group=5, max_groups=3, highs=(4, 12, 60)) -> Table:
    """Rows like the open-data file's (a total and groups of cells adding up to it, or to at
    most it), optionally with column totals and a grand total linking the rows."""
    rows = draw(st.integers(1, max_rows))
    sizes = draw(st.lists(st.integers(1, max_group), min_size=1, max_size=max_groups))
    loose = [draw(st.booleans()) for _ in sizes]
    high = draw(st.sampled_from(highs))  # 4: every count small
    values = []
    for _ in range(rows):
        total = draw(st.integers(0, high))
        row = [total]
        for size, is_loose in zip(sizes, loose, strict=True):
            counted = draw(st.integers(0, total)) if is_loose else total
            row += draw(splits(counted, size))
        values.append(row)
    table = Table()
    ids = [[table.cell((i, j), v) for j, v in enumerate(row)] for i, row in enumerate(values)]
    starts = list(itertools.accumulate([1, *sizes]))

    def relate_row(cells):
        for g, size in enumerate(sizes):
            group = cells[starts[g] : starts[g] + size]
            table.relate(group, cells[0], exact=None if loose[g] else True)

    for cells in ids:
        relate_row(cells)
    if rows > 1 and draw(st.booleans()):
        width = len(values[0])
        sums = [table.cell(("sum", j), sum(row[j] for row in values)) for j in range(width)]
        for j in range(width):
            table.relate([cells[j] for cells in ids], sums[j])
        relate_row(sums)
    return table


@SETTINGS
@given(tables())
def test_suppression_always_passes_the_audit(table):
    hidden = suppress(table)
    result = audit(table, hidden)
    assert result.passed, [(table.keys[c], result.intervals[c]) for c in result.failing]
    assert table.primary() <= hidden
    assert not result.recoverable
    for cell in table.primary():
        interval = result.intervals[cell]
        assert interval.low <= 0 and interval.high >= MIN_SHOWN
    for cell, interval in result.intervals.items():
        assert interval.low <= table.values[cell] <= interval.high


def brute_force(table: Table, hidden: list[int], box: int) -> dict[int, tuple[int, int]]:
    """The least and greatest value of each hidden cell over every whole-number table with
    hidden cells in 0..box that keeps the shown cells and every relation."""
    grid = np.array(list(itertools.product(range(box + 1), repeat=len(hidden))))
    values = np.tile(np.array(table.values), (len(grid), 1))
    values[:, hidden] = grid
    keep = np.ones(len(grid), dtype=bool)
    for relation in table.relations:
        added = values[:, list(relation.parts)].sum(axis=1)
        total = values[:, relation.total]
        keep &= (added == total) if relation.exact else (added <= total)
    found = values[keep]
    return {cell: (int(found[:, cell].min()), int(found[:, cell].max())) for cell in hidden}


@SETTINGS
@given(tables(max_rows=2, max_group=3, max_groups=2, highs=(4, 7)), st.data())
def test_the_auditor_finds_exactly_the_whole_number_intervals(table, data):
    cells = range(len(table.values))
    hidden = data.draw(st.lists(st.sampled_from(cells), min_size=1, max_size=4, unique=True))
    box = max(table.values) + 2
    bounds = {cell: (0.0, float(box)) for cell in hidden}
    result = audit(table, hidden, bounds=bounds)
    expected = brute_force(table, sorted(hidden), box)
    for cell, interval in result.intervals.items():
        low, high = expected[cell]
        assert interval.low == low
        # A maximum of 5 or more may be reported as the largest value seen: enough to decide.
        if interval.high >= MIN_SHOWN:
            assert MIN_SHOWN <= interval.high <= high
        else:
            assert interval.high == high


@SETTINGS
@given(tables(), st.data())
def test_the_auditor_catches_a_small_count_hidden_alone(table, data):
    """Hide only one count from 1 to 4 that takes part in an exact relation: the rest of the
    relation, shown, pins it."""
    exact = {c for relation in table.relations if relation.exact for c in relation.cells}
    primary = sorted(table.primary() & exact)
    if not primary:
        return
    cell = data.draw(st.sampled_from(primary))
    result = audit(table, {cell})
    assert not result.passed
    assert result.recoverable == (cell,)
    assert result.intervals[cell].low == table.values[cell]


@SETTINGS
@given(tables(max_rows=3), st.data())
def test_the_auditor_catches_hidden_cells_whose_sum_is_below_five(table, data):
    """Hide the small counts of one exact group and nothing else, when they add up to less
    than 5 and the total is shown: their sum is known, so none can reach 5."""
    groups = [r for r in table.relations if r.exact and len(r.parts) > 1]
    if not groups:
        return
    relation = data.draw(st.sampled_from(groups))
    small = [c for c in relation.parts if 1 <= table.values[c] < MIN_SHOWN]
    if len(small) < 2 or sum(table.values[c] for c in small) >= MIN_SHOWN:
        return
    result = audit(table, set(small))
    assert set(result.failing) == set(small)
    assert all(result.intervals[c].high < MIN_SHOWN for c in small)
    assert math.isfinite(max(result.intervals[c].high for c in small))


@SETTINGS
@given(tables())
def test_a_total_is_hidden_only_when_it_is_small_in_files_without_column_totals(table):
    """Totals are shared with other files (a breakdown's total with every other breakdown of
    the same period): in the files this application writes, one of 5 or more is never hidden,
    so two files never disagree about it."""
    if any(key[0] == "sum" for key in table.keys):
        return
    hidden = suppress(table)
    for total in table.totals() & hidden:
        assert table.values[total] < MIN_SHOWN
