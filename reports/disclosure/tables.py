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

from .control import Table


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
