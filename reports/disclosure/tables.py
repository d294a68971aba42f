"""The tables of the files this application lets leave the system, with exactly the relations a
reader knows between their cells (docs/disclosure.md lists them), and the masking of the
cells that `control.protect` hides.

Cells of the JSON reports are named by their JSON pointer (RFC 6901: "/rows/3/count",
"/women"), which is also how a JSON download lists its hidden cells.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field

from .control import MIN_SHOWN, Protection, Table


@dataclass
class ActivityTable(Table):
    """A table that also counts community activities with their participants.

    Every activity counts at least one participant, and participants come only from
    activities: activities <= participants (a relation), and participants > 0 exactly when
    activities > 0. The second is not a sum (it is participants <= 40,000 x activities, the
    most one activity may count), so the audit's relations cannot state it: a reader who saw
    the participants would know that a hidden count of activities is at least 1. So the
    participants of a count of activities from 1 to 4 are hidden for what they are too (they are
    primary), and must be as protected as the count itself.
    """

    pairs: list[tuple[int, int]] = field(default_factory=list)

    def pair(self, activities: int, participants: int) -> None:
        """Add activities <= participants, and hide the participants with small activities."""
        self.relate([activities], participants, exact=None)
        self.pairs.append((activities, participants))

    def primary(self) -> frozenset[int]:
        small = super().primary()
        return small | frozenset(people for count, people in self.pairs if count in small)


@dataclass(frozen=True)
class Statistic:
    """A value of a file that is not a count: a median (or another order statistic) of the
    `basis` values (a cell counting them), which may be read against a threshold that `split`
    (cells counting the values on each side of it) divides them by."""

    key: str
    basis: int
    split: tuple[int, ...] = ()
    # The number of cells declared before it: it is listed among the hidden after them, in the
    # order of the document.
    position: int = 0


@dataclass
class DerivedTable(Table):
    """A table whose file also lets a reader work out cells it does not carry, and carries
    values that are not counts.

    - `implied` cells are not in the file, but a reader works them out from cells that are (a
      difference): the audit treats them as shown unless hidden, so a small one is protected
      like a count shown, and they are never listed as hidden (they are never written).
    - `statistics` (a median) are withheld (null, X, and listed as hidden) when they would tell
      about too few values or narrow a hidden count: see `withholds`.
    """

    implied: set[int] = field(default_factory=set)
    statistics: list[Statistic] = field(default_factory=list)

    def implied_cell(self, key: str, value: int) -> int:
        cell = self.cell(key, value)
        self.implied.add(cell)
        return cell

    def statistic(self, key: str, *, basis: int, split: Iterable[int] = ()) -> None:
        """Add a statistic, declared where it stands in the document (after the cells so far)."""
        self.statistics.append(Statistic(key, basis, tuple(split), position=len(self.values)))

    def withholds(self, statistic: Statistic, hidden: frozenset[int]) -> bool:
        """Withhold a statistic of 1 to 4 values: it is one of them, or near it; and one of a
        hidden count (of no value, shown as 0, there is nothing to withhold). Which side of the
        threshold a median falls tells whether at least half the values are on that side: with
        fewer than 10 values, that would pin a hidden count of one side near 0 (or near all of
        them), so it is withheld whenever a cell of the split is hidden. From 10 values, half
        of them is 5 or more, and a hidden count from 1 to 4 can still be 0 or 5 or more."""
        count = self.values[statistic.basis]
        if statistic.basis in hidden:
            return True
        if count < MIN_SHOWN:
            return count > 0  # of no value at all there is no statistic to withhold
        return count < 2 * MIN_SHOWN and any(cell in hidden for cell in statistic.split)

    def published(self) -> list[int]:
        return [cell for cell in range(len(self.values)) if cell not in self.implied]

    def hidden_pointers(self, hidden: frozenset[int]) -> list[str]:
        """The hidden cells the file carries and the statistics it withholds, in the order of
        the document."""
        listed = [(cell, 0, self.keys[cell]) for cell in hidden if cell not in self.implied]
        listed += [(s.position, -1, s.key) for s in self.statistics if self.withholds(s, hidden)]
        return [key for _position, _order, key in sorted(listed)]


def hidden_pointers(protection: Protection) -> list:
    """What a file lists as hidden (and masks): its hidden cells that it carries, and the
    statistics it withholds."""
    table = protection.table
    if isinstance(table, DerivedTable):
        return table.hidden_pointers(protection.hidden)
    return protection.hidden_keys()


def published_cells(table: Table) -> list[int]:
    """The cells a file carries (not those a reader only works out)."""
    if isinstance(table, DerivedTable):
        return table.published()
    return list(range(len(table.values)))


def pointer(*tokens) -> str:
    """The JSON pointer of a value: pointer("rows", 3, "count") == "/rows/3/count"."""
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in tokens)


def _tokens(path: str) -> list[str]:
    return [token.replace("~1", "/").replace("~0", "~") for token in path.split("/")[1:]]


def masked(data: dict, hidden: Iterable[str], value) -> dict:
    """A copy of `data` with the value at each hidden pointer replaced by `value`."""
    data = copy.deepcopy(data)
    for path in hidden:
        *parents, last = _tokens(path)
        node = data
        for token in parents:
            node = node[int(token)] if isinstance(node, list) else node[token]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def breakdown(data: dict) -> Table:
    """Cases by one dimension: the rows add up to the total (every case is in exactly one row,
    "Not recorded" included)."""
    table = Table()
    rows = [
        table.cell(pointer("rows", i, "count"), row["count"]) for i, row in enumerate(data["rows"])
    ]
    table.relate(rows, table.cell(pointer("total"), data["total"]))
    return table


def shelters(data: dict) -> Table:
    """People sheltered: women, girls, boys and men add up to the people (each person is in
    exactly one class); each person has at least one stay, so people <= stays. And stays come
    only from people: stays > 0 exactly when people > 0, which is not a sum, so the stays of a
    small number of people are hidden for what they are too, as the participants of a small
    number of activities are (`ActivityTable.pair`)."""
    table = ActivityTable()
    people = table.cell(pointer("people_sheltered"), data["people_sheltered"])
    classes = [table.cell(pointer(key), data[key]) for key in ("women", "girls", "boys", "men")]
    table.relate(classes, people)
    table.pair(people, table.cell(pointer("stays"), data["stays"]))
    return table


def rural_coverage(data: dict) -> Table:
    """Rural coverage: the cases count people; the places are not counts of people but each
    place of residence has at least one case, and each region a province, each province a
    district: regions <= provinces <= districts <= cases, communities <= cases. The number of
    services is a count of public services, related to nothing here.

    The activities of the SARs are counted apart from the cases (nothing relates the two):
    activities <= participants (see `ActivityTable`), and each place an activity reached has at
    least one: activity_districts <= activities, activity_communities <= activities. The places
    are not counts of people either."""
    table = ActivityTable()
    table.cell(pointer("services"), data["services"], sensitive=False)
    cases = table.cell(pointer("cases"), data["cases"])
    place = {
        key: table.cell(pointer(key), data[key], sensitive=False)
        for key in ("districts", "communities", "provinces", "regions")
    }
    table.relate([place["regions"]], place["provinces"], exact=None)
    table.relate([place["provinces"]], place["districts"], exact=None)
    table.relate([place["districts"]], cases, exact=None)
    table.relate([place["communities"]], cases, exact=None)
    activities = table.cell(pointer("activities"), data["activities"])
    table.pair(activities, table.cell(pointer("participants"), data["participants"]))
    for key in ("activity_districts", "activity_communities"):
        table.relate([table.cell(pointer(key), data[key], sensitive=False)], activities, exact=None)
    return table


def activities(data: dict) -> Table:
    """Activities by one dimension: every activity is in exactly one row (one month, type,
    service, region), so the rows' counts add up to `total` and their participants to
    `participants_total`; in each row, and in the totals, activities <= participants (see
    `ActivityTable`)."""
    table = ActivityTable()
    counts, people = [], []
    for i, row in enumerate(data["rows"]):
        counts.append(table.cell(pointer("rows", i, "count"), row["count"]))
        people.append(table.cell(pointer("rows", i, "participants"), row["participants"]))
        table.pair(counts[-1], people[-1])
    total = table.cell(pointer("total"), data["total"])
    participants_total = table.cell(pointer("participants_total"), data["participants_total"])
    table.relate(counts, total)
    table.relate(people, participants_total)
    table.pair(total, participants_total)
    return table


def protection(data: dict) -> DerivedTable:
    """The legal clock. The measures granted by type add up to `measures_granted` (each has one
    type). Those granted within the deadline and those granted after it add up to it too; the
    file does not carry the late ones, but anyone subtracts them, so they are an implied cell:
    a difference from 1 to 4 is protected like a count shown. `complaints` and `overdue_now`
    count complaints, related to nothing here (a complaint may have no measure or several, and
    the overdue ones are of any filing date). The median of the hours to the measures granted
    is a statistic of `measures_granted` values, read against the deadline that
    `granted_within_deadline` and the late ones split them by (`DerivedTable.withholds`)."""
    table = DerivedTable()
    table.cell(pointer("complaints"), data["complaints"])
    granted = table.cell(pointer("measures_granted"), data["measures_granted"])
    within = table.cell(pointer("granted_within_deadline"), data["granted_within_deadline"])
    late = table.implied_cell(
        pointer("granted_after_deadline"),
        data["measures_granted"] - data["granted_within_deadline"],
    )
    table.relate([within, late], granted)
    median = pointer("median_hours_to_measure")
    table.statistic(median, basis=granted, split=(within, late))
    table.cell(pointer("overdue_now"), data["overdue_now"])
    by_type = [
        table.cell(pointer("by_type", i, "count"), row["count"])
        for i, row in enumerate(data["by_type"])
    ]
    table.relate(by_type, granted)
    return table


def network(data: dict) -> Table:
    """The network counts services and shelters, not people: nothing in it is hidden."""
    return Table()


def open_data(
    rows: list[list],
    total: int,
    groups: list[list[int]],
    *,
    activities: int | None = None,
    participants: int | None = None,
) -> Table:
    """The open-data file: in each row, each group of columns adds up to the row's total (or to
    at most it, if some cases fall in none of its columns); the rows are not related (the file
    publishes no column totals). The columns `activities` and `participants`, if given, count
    the service's community activities and their participants: related to no case, and to each
    other as `ActivityTable` says. Cells are named (row, column)."""
    table = ActivityTable()
    for i, row in enumerate(rows):
        row_total = table.cell((i, total), row[total])
        for columns in groups:
            cells = [table.cell((i, column), row[column]) for column in columns]
            table.relate(cells, row_total, exact=None)
        if activities is not None and participants is not None:
            table.pair(
                table.cell((i, activities), row[activities]),
                table.cell((i, participants), row[participants]),
            )
    return table


def open_data_of(data) -> Table:
    """The table of a `reports.queries.OpenData`, with every column it publishes."""
    return open_data(
        data.rows,
        data.total,
        data.groups,
        activities=data.activities,
        participants=data.participants,
    )


def masked_rows(rows: list[list], hidden: Iterable[tuple[int, int]], value) -> list[list]:
    """A copy of the rows with each hidden (row, column) replaced by `value`."""
    rows = [list(row) for row in rows]
    for i, column in hidden:
        rows[i][column] = value
    return rows
