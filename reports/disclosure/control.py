"""Cell suppression with an interval audit: the disclosure control of every table that leaves
the system (see docs/disclosure.md for the method, its guarantee and its references).

A `Table` is the cells of one published file (their true values) and the linear relations
between them that a reader knows (a group of cells adds up to a total). `suppress` chooses the
cells to hide; `audit` proves the choice: for each hidden cell it solves the two linear programs
an attacker would solve over the whole file (minimise and maximise the cell subject to every
relation, non-negativity and every bound the published file reveals), and a file passes only
when every hidden count from 1 to 4 could be anything from 0 to at least 5, and no hidden cell
is pinned to one value. `protect` does both and fails closed: a table that does not pass is
hidden whole.

Nothing here knows Django or the reports: `reports.disclosure.tables` builds the tables.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

logger = logging.getLogger(__name__)

# Counts from 1 to MIN_SHOWN - 1 are never shown in a file that leaves the system.
MIN_SHOWN = 5
# How a hidden cell is written in a CSV or XLSX: one label for all, so it tells nothing.
HIDDEN = "X"
# Linear programs are solved in floating point: values closer than this are equal.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Relation:
    """The cells `parts` add up to the cell `total` (`exact`), or to at most it."""

    parts: tuple[int, ...]
    total: int
    exact: bool = True

    @property
    def cells(self) -> tuple[int, ...]:
        return (*self.parts, self.total)


@dataclass
class Table:
    """The cells of one published table and the relations a reader knows between them.

    `keys` say where each cell is published (a JSON pointer, a row and column); `sensitive`
    cells count people (or their stays) and are hidden when from 1 to 4; the others (services,
    places) are never hidden for their own sake, only to protect a sensitive one.
    """

    values: list[int] = field(default_factory=list)
    keys: list[Hashable] = field(default_factory=list)
    sensitive: list[bool] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    _components: list[int] | None = field(default=None, init=False, repr=False, compare=False)

    def cell(self, key: Hashable, value: int, *, sensitive: bool = True) -> int:
        """Add a cell; its index names it in relations."""
        if value < 0 or int(value) != value:
            raise ValueError(f"a count is a whole number from 0: {key}={value}")
        self.values.append(int(value))
        self.keys.append(key)
        self.sensitive.append(sensitive)
        self._components = None
        return len(self.values) - 1

    def relate(self, parts: Iterable[int], total: int, *, exact: bool | None = True) -> Relation:
        """Add the relation sum(parts) == total (`exact`) or sum(parts) <= total.

        `exact=None` takes the equality when the true values satisfy it: the strongest relation
        that holds, so the audit assumes the best-informed reader. A relation the values do not
        satisfy is refused: it would make the audit unsound.
        """
        parts = tuple(parts)
        added = sum(self.values[part] for part in parts)
        if exact is None:
            exact = added == self.values[total]
        if added > self.values[total] or (exact and added != self.values[total]):
            sign = "==" if exact else "<="
            raise ValueError(f"the values break {parts} {sign} {total}")
        relation = Relation(parts, total, exact)
        self.relations.append(relation)
        self._components = None
        return relation

    def primary(self) -> frozenset[int]:
        """The cells hidden for what they are: sensitive counts from 1 to 4."""
        return frozenset(
            cell
            for cell, value in enumerate(self.values)
            if self.sensitive[cell] and 1 <= value < MIN_SHOWN
        )

    def totals(self) -> frozenset[int]:
        return frozenset(relation.total for relation in self.relations)

    def relations_of(self) -> list[list[Relation]]:
        """For each cell, the relations it takes part in."""
        of: list[list[Relation]] = [[] for _ in self.values]
        for relation in self.relations:
            for cell in set(relation.cells):
                of[cell].append(relation)
        return of

    def components(self) -> list[int]:
        """For each cell, the number of its component: cells linked through relations.

        Cells of different components share no relation, so the audit of one never needs the
        other (each row of the open-data file is its own component).
        """
        if self._components is None:
            parent = list(range(len(self.values)))

            def root(cell):
                while parent[cell] != cell:
                    parent[cell] = parent[parent[cell]]
                    cell = parent[cell]
                return cell

            for relation in self.relations:
                first = root(relation.total)
                for cell in relation.parts:
                    parent[root(cell)] = first
            self._components = [root(cell) for cell in range(len(self.values))]
        return self._components


@dataclass(frozen=True)
class Interval:
    """What the best-informed reader can tell of a hidden cell: low <= value <= high.

    Each end is the exact optimum, except that a cell seen in some table the reader cannot
    rule out at 0 (the least any count can be) and at 5 or more gets `high` = the largest value
    seen, which may understate the maximum: enough to decide every question asked of it.
    `high` is infinite when the cell can be larger than any count of the table. `solved` is
    false when the solver gave no answer: such a cell counts as failing (fail closed).
    """

    low: float
    high: float
    solved: bool = True

    @property
    def exact(self) -> bool:
        return not self.solved or self.high - self.low <= TOLERANCE

    @property
    def protects(self) -> bool:
        """From 0 (or less) to at least 5: the cell may be nothing, small or large."""
        return self.solved and self.low <= TOLERANCE and self.high >= MIN_SHOWN - TOLERANCE


@dataclass
class Audit:
    """The intervals of the hidden cells of a table, and the cells that fail."""

    intervals: dict[int, Interval]
    primary: frozenset[int]
    seconds: float = 0.0
    programs: int = 0

    @property
    def failing(self) -> tuple[int, ...]:
        """Hidden small counts not protected, and hidden cells pinned to one value."""
        return tuple(
            cell
            for cell, interval in sorted(self.intervals.items())
            if not _passes(interval, cell in self.primary)
        )

    @property
    def passed(self) -> bool:
        return not self.failing

    @property
    def recoverable(self) -> tuple[int, ...]:
        """Hidden cells whose value the reader can work out exactly."""
        return tuple(cell for cell, interval in sorted(self.intervals.items()) if interval.exact)

    @property
    def narrow(self) -> tuple[int, ...]:
        """Hidden cells whose interval does not reach from 0 to 5."""
        return tuple(
            cell for cell, interval in sorted(self.intervals.items()) if not interval.protects
        )


Bounds = dict[int, tuple[float, float]]


def pattern_bounds(table: Table, hidden: Iterable[int]) -> Bounds:
    """What the public rules of `suppress` tell a reader about each hidden cell.

    A hidden cell is a count from 1 to 4, a zero, or a cell hidden to protect another, which is
    the smallest non-zero cell still shown in a relation it shares with that one. So each hidden
    cell is at most the largest, over its relations, of max(4, the smallest non-zero cell shown
    in the relation); it is unbounded if one of its relations shows no non-zero cell.
    """
    hidden = frozenset(hidden)
    smallest_shown = {}
    for relation in table.relations:
        shown = [table.values[c] for c in relation.cells if c not in hidden and table.values[c]]
        smallest_shown[relation] = min(shown, default=math.inf)
    relations_of = table.relations_of()
    bounds = {}
    for cell in hidden:
        highs = [max(MIN_SHOWN - 1, smallest_shown[r]) for r in relations_of[cell]]
        bounds[cell] = (0.0, max(highs) if highs else math.inf)
    return bounds


class _Program:
    """The attacker's linear program over the hidden cells of some components of a table."""

    def __init__(self, table: Table, hidden: list[int], relations: list[Relation], bounds: Bounds):
        self.column = {cell: i for i, cell in enumerate(hidden)}
        # More than any count of the table: a maximum that reaches it is reported as unbounded
        # (it is at least this), and a minimum found while some value sits on it is checked
        # again without it.
        self.cap = (len(table.values) + 1) * (max(table.values, default=0) + MIN_SHOWN)
        rows = {True: ([], [], [], []), False: ([], [], [], [])}
        for relation in relations:
            coefficients: dict[int, float] = defaultdict(float)
            known = 0
            for part in relation.parts:
                if part in self.column:
                    coefficients[self.column[part]] += 1
                else:
                    known += table.values[part]
            if relation.total in self.column:
                coefficients[self.column[relation.total]] -= 1
                right = -known
            else:
                right = table.values[relation.total] - known
            if not any(coefficients.values()):
                continue
            row_of, col_of, value_of, rhs = rows[relation.exact]
            for col, coefficient in coefficients.items():
                row_of.append(len(rhs))
                col_of.append(col)
                value_of.append(coefficient)
            rhs.append(right)
        n = len(hidden)

        def matrix(exact):
            row_of, col_of, value_of, rhs = rows[exact]
            if not rhs:
                return None, None
            shape = (len(rhs), n)
            return sparse.csr_matrix((value_of, (row_of, col_of)), shape=shape), np.array(rhs)

        self.a_eq, self.b_eq = matrix(True)
        self.a_ub, self.b_ub = matrix(False)
        self.low = np.array([bounds[cell][0] for cell in hidden], dtype=float)
        self.high = np.array([bounds[cell][1] for cell in hidden], dtype=float)

    def solve(self, objective: dict[int, float], *, capped: bool, integral: bool = False):
        c = np.zeros(len(self.column))
        for col, sign in objective.items():
            c[col] = sign
        high = np.minimum(self.high, self.cap) if capped else self.high
        return linprog(
            c,
            A_ub=self.a_ub,
            b_ub=self.b_ub,
            A_eq=self.a_eq,
            b_eq=self.b_eq,
            bounds=np.column_stack([self.low, high]),
            method="highs",
            integrality=np.ones(len(c)) if integral else None,
        )


def audit(
    table: Table,
    hidden: Iterable[int],
    *,
    bounds: Bounds | None = None,
    cells: Iterable[int] | None = None,
) -> Audit:
    """The interval of each hidden cell (or each of `cells`) over the whole table: what an
    attacker finds by minimising and maximising it subject to the relations, non-negativity and
    `bounds` (by default what the pattern of `suppress` reveals; other labels reveal others).

    Each interval is decided exactly, with as few programs as possible:
    - Every whole-number solution the solver returns is a table the reader cannot rule out, so
      it witnesses a value each hidden cell can take (the true table is the first witness). A
      cell seen at 0 and at 5 or more needs no program of its own: its interval is [0, >= 5].
    - Otherwise its minimum or maximum is solved. Components (cells linked by relations) are
      independent, so one program takes a cell from every component at once: the optimum of a
      sum of independent problems is the sum of their optima.
    - An optimum that is not whole is solved again over whole numbers (a reader knows counts
      are whole); one found under the solver's cap and failing is solved again without it.
    """
    start = time.perf_counter()
    hidden = frozenset(hidden)
    if bounds is None:
        bounds = pattern_bounds(table, hidden)
    component = table.components()
    targets = sorted(hidden if cells is None else hidden & set(cells))
    by_component: dict[int, list[int]] = defaultdict(list)
    for cell in targets:
        by_component[component[cell]].append(cell)
    variables = sorted(cell for cell in hidden if component[cell] in by_component)
    relations = [r for r in table.relations if component[r.total] in by_component]
    program = _Program(table, variables, relations, bounds)
    # Per column of the program: its component (numbered 0..), and the least and greatest
    # value witnessed (the true table is the first witness).
    numbers = {own: i for i, own in enumerate(by_component)}
    of_column = np.array([numbers[component[cell]] for cell in variables], dtype=int)
    seen_low = np.array([table.values[cell] for cell in variables], dtype=float)
    seen_high = seen_low.copy()
    solved: dict[int, dict[int, float | None]] = {+1: {}, -1: {}}
    capped: set[int] = set()
    programs = 0

    def run(objective_cells, sense):
        """Solve; witness every whole component of the answer; say which are whole/capped."""
        nonlocal seen_low, seen_high, programs
        programs += 1
        result = program.solve({program.column[c]: sense for c in objective_cells}, capped=True)
        if result.status != 0:
            return result, None, None
        x = result.x
        rounded = np.round(x)
        broken = np.bincount(of_column[np.abs(x - rounded) > TOLERANCE], minlength=len(numbers))
        whole = broken == 0
        ok = whole[of_column]
        seen_low = np.where(ok, np.minimum(seen_low, rounded), seen_low)
        seen_high = np.where(ok, np.maximum(seen_high, rounded), seen_high)
        at_cap = (program.high > program.cap) & (x >= program.cap - TOLERANCE)
        touched = np.bincount(of_column[at_cap], minlength=len(numbers)) > 0
        return result, whole, touched

    def needs(cell, sense):
        if cell in solved[sense]:
            return False
        col = program.column[cell]
        return seen_low[col] > TOLERANCE if sense > 0 else seen_high[col] < MIN_SHOWN - TOLERANCE

    # Two programs for all at once: as small and as large as possible together.
    for sense in (+1, -1) if targets else ():
        run(targets, sense)
    while True:
        asked = False
        for sense in (+1, -1):
            batch = [
                cell
                for own in by_component.values()
                if (cell := next((c for c in own if needs(c, sense)), None)) is not None
            ]
            if not batch:
                continue
            asked = True
            result, whole, touched = run(batch, sense)
            for cell in batch:
                col = program.column[cell]
                number = of_column[col]
                if whole is None or not whole[number]:
                    # No answer, or not whole: this cell alone, over whole numbers.
                    solved[sense][cell] = _alone(table, hidden, bounds, cell, sense)
                    programs += 1
                    continue
                value = result.x[col]
                if sense < 0 and value >= program.cap - TOLERANCE:
                    value = math.inf  # larger than any count of the table: as large as wished
                elif touched[number]:
                    capped.add(cell)
                solved[sense][cell] = float(round(value)) if math.isfinite(value) else value
        if not asked:
            break

    def interval(cell):
        col = program.column[cell]
        low = solved[+1].get(cell, float(seen_low[col]))
        high = solved[-1].get(cell, float(seen_high[col]))
        return _interval(low, high)

    intervals = {cell: interval(cell) for cell in targets}
    primary = table.primary() & hidden
    # The cap is knowledge no reader has: an optimum found under it lies within the true one,
    # so it can only understate what is protected. A cell that fails under it is solved again
    # without it.
    for cell in capped:
        if not _passes(intervals[cell], cell in primary):
            low = _alone(table, hidden, bounds, cell, +1)
            high = _alone(table, hidden, bounds, cell, -1)
            intervals[cell] = _interval(low, high)
            programs += 2
    return Audit(
        intervals=intervals,
        primary=primary,
        seconds=time.perf_counter() - start,
        programs=programs,
    )


def _whole(x: np.ndarray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) <= TOLERANCE))


def _interval(low: float | None, high: float | None) -> Interval:
    if low is None or high is None:
        return Interval(math.nan, math.nan, solved=False)
    return Interval(low, high)


def _passes(interval: Interval, primary: bool) -> bool:
    return interval.protects if primary else not interval.exact


def _alone(table: Table, hidden, bounds: Bounds, cell: int, sense: int) -> float | None:
    """The optimum of one cell over its component, without cap, over whole numbers."""
    component = table.components()
    own = component[cell]
    variables = sorted(c for c in hidden if component[c] == own)
    relations = [r for r in table.relations if component[r.total] == own]
    program = _Program(table, variables, relations, bounds)
    objective = {program.column[cell]: sense}
    result = program.solve(objective, capped=False)
    if result.status == 3:  # unbounded: only upwards, every count being at least 0
        return math.inf if sense < 0 else None
    if result.status != 0:
        return None
    if not _whole(result.x):
        result = program.solve(objective, capped=False, integral=True)
        if result.status != 0:
            return None
    return float(round(result.x[program.column[cell]]))


def _close_zeros(table: Table, hidden: set[int]) -> None:
    """Hide the zeros of every relation that hides a cell, so that a hidden cell may be 0.

    If zeros were always shown, every hidden cell would be at least 1 to anyone who knows the
    method; hiding them makes "0" a true possibility for each hidden cell, as the audit assumes.
    """
    changed = True
    while changed:
        changed = False
        for relation in table.relations:
            cells = relation.cells
            if any(c in hidden for c in cells):
                for c in cells:
                    if c not in hidden and table.values[c] == 0:
                        hidden.add(c)
                        changed = True


def _candidate(table: Table, hidden: set[int], cell: int, relations_of, totals) -> int | None:
    """The cell to hide next to protect `cell`: the smallest non-zero cell still shown in a
    relation with it, totals last (they are shared with other files, as the rows of others)."""
    shown = {
        c
        for relation in relations_of[cell]
        for c in relation.cells
        if c not in hidden and table.values[c]
    }
    return min(shown, key=lambda c: (c in totals, table.values[c], c), default=None)


def suppress(table: Table) -> frozenset[int]:
    """Choose the cells to hide: every sensitive count from 1 to 4 (primary suppression), the
    zeros of their relations, and, until the audit passes, one more cell per failing relation
    (secondary suppression). A component that no candidate can mend is hidden whole, so this
    ends: each round hides at least one more cell, or stops. `protect` audits the result again,
    whole.
    """
    hidden = set(table.primary())
    _close_zeros(table, hidden)
    component = table.components()
    relations_of = table.relations_of()
    totals = table.totals()
    members: dict[int, set[int]] = defaultdict(set)
    for cell, own in enumerate(component):
        members[own].add(cell)
    pending = set(hidden)
    while pending:
        result = audit(table, hidden, cells=pending)
        failing = result.failing
        if not failing:
            break
        before = set(hidden)
        touched: set[Relation] = set()
        for cell in failing:
            if touched.intersection(relations_of[cell]):
                continue  # one cell per relation and round: it may mend the others
            pick = _candidate(table, hidden, cell, relations_of, totals)
            if pick is None:
                hidden |= members[component[cell]]
            else:
                hidden.add(pick)
                touched.update(relations_of[pick])
            touched.update(relations_of[cell])
        _close_zeros(table, hidden)
        if hidden == before:
            break
        # Hiding more only widens every interval (a shown value becomes unknown, and the bounds
        # of the pattern rise): a cell that passed still passes. Audit the rest.
        pending = set(failing) | (hidden - before)
    return frozenset(hidden)


@dataclass
class Protection:
    """The hidden cells of a table and the audit that passed them."""

    table: Table
    hidden: frozenset[int]
    audit: Audit

    def hidden_keys(self) -> list:
        return [self.table.keys[cell] for cell in sorted(self.hidden)]


def protect(table: Table) -> Protection:
    """Suppress, then audit the whole table before it is served; never serve a failing one.

    If the audit still fails (it should not), every cell of the table is hidden: a file with
    no numbers is served rather than an error, and the failure is logged (without values).
    """
    hidden = suppress(table)
    result = audit(table, hidden)
    if not result.passed:
        logger.error(
            "disclosure audit failed after suppression (%d cells, %d failing): hiding all",
            len(table.values),
            len(result.failing),
        )
        hidden = frozenset(range(len(table.values)))
        result = audit(table, hidden)
    return Protection(table=table, hidden=hidden, audit=result)
