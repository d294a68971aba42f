"""The disclosure control on its own: the auditor catches weak files, suppression passes it."""

import math

import pytest

from reports.disclosure import MIN_SHOWN, Table, audit, control, legacy, protect, suppress, tables


def row_table(total, *groups, exact=True):
    """One open-data-like row: each group adds up to the total."""
    table = Table()
    t = table.cell("total", total)
    cells = []
    for g, group in enumerate(groups):
        ids = [table.cell((g, i), value) for i, value in enumerate(group)]
        table.relate(ids, t, exact=exact)
        cells.append(ids)
    return table, t, cells


def test_the_issues_example_is_caught_under_the_old_labels():
    """2023, one SAR row: violence types [0, X, 8, <5] with total 14 gives X = 5 and <5 = 1."""
    table, _total, [violence] = row_table(14, [0, 5, 8, 1])
    labels = legacy.open_data_labels([[14, 0, 5, 8, 1]], 0, [[1, 2, 3, 4]])
    assert labels == {(0, 2): "X", (0, 4): "<5"}
    old = tables.open_data([[14, 0, 5, 8, 1]], 0, [[1, 2, 3, 4]])
    hidden, bounds = legacy.label_bounds(old, labels)
    result = audit(old, hidden, bounds=bounds)
    assert not result.passed
    assert sorted((old.keys[c], result.intervals[c].low) for c in result.recoverable) == [
        ((0, 2), 5.0),
        ((0, 4), 1.0),
    ]


def test_two_hidden_cells_whose_sum_is_known_to_be_2_are_caught():
    table, _total, [[a, b, _c]] = row_table(20, [1, 1, 18])
    result = audit(table, {a, b}, bounds={a: (1, 4), b: (1, 4)})
    assert result.recoverable == (a, b)
    # ...and even without what the `<5` label told: the sum 2 is below 5
    result = audit(table, {a, b})
    assert set(result.failing) == {a, b}
    assert result.intervals[a] == control.Interval(0, 2)


def test_a_single_hidden_cell_in_a_row_with_a_known_total_is_caught():
    table, _total, [[a, _b, _c]] = row_table(30, [3, 12, 15])
    result = audit(table, {a})
    assert result.recoverable == (a,)
    assert result.intervals[a] == control.Interval(3, 3)
    assert not result.passed


def test_a_hidden_cell_pinned_by_the_smallest_shown_one_is_caught():
    """The old complement was at least 5 and at most the smallest cell shown: [X, 5, 20, <5]."""
    table, _total, [[x, _five, _twenty, small]] = row_table(31, [5, 5, 20, 1])
    result = audit(table, {x, small}, bounds={x: (5, 5), small: (1, 4)})
    assert result.recoverable == (x, small)


def test_suppression_hides_small_counts_their_zeros_and_enough_others():
    table, total, [[zero, five, eight, one]] = row_table(14, [0, 5, 8, 1])
    hidden = suppress(table)
    assert hidden == {zero, five, one}  # the zero too: an X may be 0
    result = audit(table, hidden)
    assert result.passed
    assert result.intervals[one] == control.Interval(0, 6)
    assert not result.recoverable
    assert total not in hidden


def test_a_small_total_hides_its_whole_row():
    table, total, groups = row_table(3, [1, 2], [0, 3, 0, 0])
    protection = protect(table)
    assert protection.hidden == set(range(len(table.values)))
    assert protection.audit.passed
    assert protection.audit.intervals[total].low == 0
    assert protection.audit.intervals[total].high >= MIN_SHOWN


def test_cells_that_need_no_protection_are_shown():
    table, _total, _groups = row_table(40, [20, 20], [0, 10, 30, 0])
    assert protect(table).hidden == frozenset()


def test_a_group_that_may_miss_some_cases_adds_up_to_at_most_the_total():
    table, total, [sex] = row_table(10, [4, 5], exact=None)  # one case of unknown sex
    assert not table.relations[0].exact
    protection = protect(table)
    assert protection.audit.passed
    assert sex[0] in protection.hidden


def test_a_relation_the_values_break_is_refused():
    table = Table()
    total = table.cell("total", 5)
    with pytest.raises(ValueError):
        table.relate([table.cell("a", 3), table.cell("b", 3)], total)
    with pytest.raises(ValueError):
        table.relate([table.cell("c", 1)], total, exact=True)
    with pytest.raises(ValueError):
        table.cell("d", -1)


def test_a_table_whose_rows_are_linked_by_column_totals_is_audited_whole():
    """Two rows and their column totals: a hidden pair in one row is pinned by the other rows
    unless the pattern is closed across rows too."""
    table = Table()
    rows = [[10, 2, 8], [10, 5, 5]]
    ids = [[table.cell((i, j), v) for j, v in enumerate(row)] for i, row in enumerate(rows)]
    for row in ids:
        table.relate(row[1:], row[0])
    columns = [table.cell(("sum", j), sum(r[j] for r in rows)) for j in range(3)]
    for j in range(3):
        table.relate([row[j] for row in ids], columns[j])
    table.relate(columns[1:], columns[0])
    weak = {ids[0][1], ids[0][2]}
    assert not audit(table, weak).passed  # column sums pin them: 7 - 5 = 2
    protection = protect(table)
    assert protection.audit.passed
    assert ids[1][1] in protection.hidden or columns[1] in protection.hidden


def test_the_pattern_tells_that_a_hidden_cell_is_at_most_the_smallest_one_shown():
    table, _total, [[a, b, c, d]] = row_table(100, [2, 6, 40, 52])
    bounds = control.pattern_bounds(table, {a, b})
    assert bounds[a] == (0.0, 40)
    table, total, [[a, b]] = row_table(7, [2, 5])
    assert control.pattern_bounds(table, {a, b})[a] == (0.0, 7)  # the total is shown
    assert control.pattern_bounds(table, {a, b, total})[a] == (0.0, math.inf)


def test_protect_fails_closed(monkeypatch):
    """If suppression ever left a failing file, everything is hidden rather than served."""
    table, _total, [[a, _b, _c]] = row_table(30, [3, 12, 15])
    monkeypatch.setattr(control, "suppress", lambda table: frozenset({a}))
    protection = control.protect(table)
    assert protection.hidden == set(range(len(table.values)))
    assert protection.audit.passed


def test_an_unsolved_interval_fails():
    interval = control.Interval(math.nan, math.nan, solved=False)
    assert interval.exact and not interval.protects


def test_intervals_over_whole_counts():
    """Where the linear program's optimum is not whole, the auditor answers over whole counts
    (a reader knows counts are whole): here x0 = x2 and 2 x0 + x1 = 7, so x0 is at most 3,
    not 3.5."""
    table = Table()
    x = [table.cell(i, v) for i, v in enumerate([3, 1, 3, 2, 0])]
    table.relate([x[3], x[4], x[0]], table.cell("t1", 5))
    table.relate([x[0], x[2], x[1]], table.cell("t2", 7))
    table.relate([x[3], x[2], x[4]], table.cell("t3", 5))
    result = audit(table, set(x), bounds=dict.fromkeys(x, (0, math.inf)))
    assert result.intervals[x[0]] == control.Interval(0, 3)


def test_the_minimum_shown_is_five():
    assert MIN_SHOWN == 5
