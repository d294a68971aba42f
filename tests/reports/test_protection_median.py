"""The protection report's median hours, read from the rollup's waits in two steps (the
histogram's buckets, then the exact waits of the middle's buckets), against the median of the
durations computed here and against the measures read in order."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median

import pytest
from django.db import connection

from cases import actions
from cases.models import ProtectionMeasure
from cases.rules import GRANTED_STATES
from reports import queries, rollups
from reports.filters import ReportFilters
from reports.models import Rollup
from services.models import CareService
from tests.factories import CaseFactory
from tests.reports.test_protection_report import lima

pytestmark = pytest.mark.django_db

# Waits in hours, over every kind of bucket (hourly up to two days, daily up to thirty, then
# thirty days at a time) and their edges, some exact to the microsecond.
WAITS = [
    0.0001,
    0.5,
    1.999999,
    2,
    5.25,
    23.999999,
    24,
    24.000001,
    30,
    47.5,
    48,
    49.75,
    71.99,
    100.25,
    400,
    719.999,
    720,
    1000,
    1500.123456,
]


def filed(day: int, month: int = 3):
    """A filing moment in Lima with microseconds, so that waits are not whole seconds."""
    return lima(2023, month, day, 9, 15, 7, 123_456)


def grant(cases, cast, hours: float, when, service: str = "A") -> None:
    case, user = cases[service]
    complaint = actions.file_complaint(
        case=case, user=user, filed_at=when, place="police", filed_by="victim"
    )
    actions.record_measure(
        complaint=complaint,
        user=user,
        data={
            "measure_type": "RETIRO_AGRESOR",
            "state": "granted",
            "decided_at": when + timedelta(hours=hours),
        },
    )


@pytest.fixture
def cases(cast):
    return {
        "A": (CaseFactory(service=cast.service_a, intake_date=date(2023, 1, 2)), cast.caseworker_a),
        "B": (CaseFactory(service=cast.service_b, intake_date=date(2023, 1, 2)), cast.caseworker_b),
    }


def expected(start: date, end: date) -> float | None:
    """The median computed here from the measures' own moments."""
    hours = [
        (measure.decided_at - measure.complaint.filed_at).total_seconds() / 3600
        for measure in ProtectionMeasure.objects.select_related("complaint")
        if measure.state in GRANTED_STATES
        and start <= measure.complaint.filed_at.astimezone(lima(2023, 1, 1).tzinfo).date() <= end
    ]
    return round(median(hours), 1) if hours else None


def report_median(start: date, end: date) -> float | None:
    return queries.protection(CareService.objects.all(), ReportFilters(start, end))[
        "median_hours_to_measure"
    ]


PERIODS = [
    (date(2023, 1, 1), date(2023, 12, 31)),  # a whole year: year rows
    (date(2023, 3, 1), date(2023, 4, 30)),  # whole months
    (date(2023, 3, 6), date(2023, 4, 20)),  # edge days read from the measures
    (date(2023, 3, 9), date(2023, 3, 9)),  # one day
]


@pytest.mark.parametrize("count", [len(WAITS), len(WAITS) - 1, 2, 1])
def test_the_median_from_the_rollup_is_the_medians_of_the_durations(cast, cases, count):
    """Odd and even numbers of measures, so that the two middle ones fall in one bucket or in
    two; services A and B; periods of whole years, whole months and edge days."""
    for i, hours in enumerate(WAITS[:count]):
        # Spread over March and April, both services, in an order unrelated to the waits.
        day, month = 1 + (i * 7) % 28, 3 + i % 2
        grant(cases, cast, hours, filed(day, month), "AB"[i % 3 == 0])
    for start, end in PERIODS:
        want = expected(start, end)
        assert report_median(start, end) == want, (start, end)
    assert expected(*PERIODS[0]) is not None


def test_the_two_middle_waits_in_different_buckets_are_averaged(cast, cases):
    """4 measures: the middle two (3 h and 50 h) lie in an hourly and a daily bucket."""
    for hours, day in [(1, 2), (3, 3), (50, 4), (800, 5)]:
        grant(cases, cast, hours, filed(day))
    assert report_median(date(2023, 1, 1), date(2023, 12, 31)) == 26.5
    # Edge days and whole months; then without the first: 3, 50 and 800 hours.
    assert report_median(date(2023, 3, 2), date(2023, 5, 31)) == 26.5
    assert report_median(date(2023, 3, 3), date(2023, 5, 31)) == 50.0


def test_the_histogram_holds_every_granted_measure_once(cast, cases):
    for i, hours in enumerate(WAITS):
        grant(cases, cast, hours, filed(1 + i))
    rows = rollups.counts(
        "measure", "wait_hours", CareService.objects.all(), date(2023, 1, 1), date(2023, 12, 31)
    )
    assert sum(n for n, _extra in rows.values()) == len(WAITS)
    assert {key for (key,) in rows} >= {"000000", "000001", "000024", "000048", "000720"}


def test_a_decision_recorded_before_its_complaint_is_read_from_the_measures(cast, cases):
    """The forms refuse it; written anyway (an old import, a shell), its wait is negative and
    has no bucket: the median is then read in order from the measures, still exact."""
    for i, hours in enumerate([2, 5, 9]):
        grant(cases, cast, hours, filed(1 + i))
    measure = ProtectionMeasure.objects.select_related("complaint").get(
        decided_at=filed(1) + timedelta(hours=2)
    )
    ProtectionMeasure.objects.filter(pk=measure.pk).update(
        decided_at=measure.complaint.filed_at - timedelta(hours=30)
    )
    assert rollups.differences() == []
    year = (date(2023, 1, 1), date(2023, 12, 31))
    assert rollups.counts("measure", "wait_hours", CareService.objects.all(), *year)[("-",)][0] == 1
    assert report_median(*year) == expected(*year) == 5.0


def test_reads_that_disagree_fall_back_to_the_measures(cast, cases):
    """The histogram and the exact waits are two statements: a measure changed between them
    (here: the exact waits made to disagree by hand) cannot place the middle, and the median
    is read from the measures instead of being wrong."""
    for i, hours in enumerate([2, 5, 9]):
        grant(cases, cast, hours, filed(1 + i))
    year = (date(2023, 1, 1), date(2023, 12, 31))
    Rollup.objects.filter(fact="measure", dimension="wait", key=f"{5 * 3600 * 10**6:016d}").update(
        n=0
    )
    assert rollups.differences() != []
    assert report_median(*year) == expected(*year) == 5.0


def test_a_fraction_of_a_second_written_by_hand_keeps_its_wait_exact(cast, cases):
    """A moment written outside Django (a shell's UPDATE) may carry three digits of fraction,
    not six: the wait is still exact to the microsecond, on SQLite as on PostgreSQL."""
    grant(cases, cast, 2, filed(1))
    measure = ProtectionMeasure.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_protectionmeasure SET decided_at = %s WHERE id = %s",
            ["2023-03-01 16:20:08.5", measure.pk],
        )
    measure = ProtectionMeasure.objects.select_related("complaint").get()
    wait = measure.decided_at - measure.complaint.filed_at
    assert wait.microseconds != 0
    microseconds = (wait.days * 86_400 + wait.seconds) * 1_000_000 + wait.microseconds
    (key,) = Rollup.objects.filter(dimension="wait", n=1).values_list("key", flat=True)
    assert key == f"{microseconds:016d}"
    assert rollups.differences() == []
