"""The legal clock's report (`/reports/protection/`), checked against figures counted by hand
on a hand-made set of complaints and measures, recorded through the case's actions.

The set (service A: the SAR of region 08; service B: the CEM of region 21), 2023 in Lima:
- A1 filed 01-01 00:30 (05:30 UTC): one measure granted after 30 h (late);
- A2 filed 03-01 10:00: one granted at exactly 24 h (on time), one lifted after 20 h;
- A3 filed 03-05 08:00: one granted at 24 h and 1 min (late), one in force after 5 h, and
  one only requested (not counted);
- A4 filed 06-10: set aside with a reason (no measure, not overdue);
- A5 filed 07-01: its only measure denied (not counted; settles it);
- A6 filed 08-01: nothing decided, one measure requested: pending past its deadline;
- A7 filed 12-31 23:30 (2024-01-01 04:30 UTC, still 2023 in Lima): granted 2024-01-01 after
  12 h, counted (whenever granted);
- out of the period: A0 filed 2022-12-31 23:30 in Lima (2023-01-01 04:30 UTC), granted after
  2 h; A8 filed 2022-06-01, pending (overdue now, of any filing date); A9 filed an hour ago,
  pending and not yet due;
- out of region 08's scope: B1 in service B, 2023-05-01, one measure granted after 48 h, and
  B2 filed 2023-05-02, pending past its deadline.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from cases import actions, measures
from reports import disclosure, queries
from reports.disclosure import tables
from reports.filters import ReportFilters
from services.models import CareService
from services.queries import services_visible_to
from tests.factories import CareServiceFactory, CaseFactory

URL = "/reports/protection/"
LIMA = ZoneInfo("America/Lima")
TYPES = measures.TYPES.codes()


def lima(*args) -> datetime:
    return datetime(*args, tzinfo=LIMA)


# The hand-made set -----------------------------------------------------------------------------


@dataclass
class Spec:
    """One complaint: its service (A or B), when it was filed, and its measures as (type, state,
    hours after filing it was decided, or None if only requested)."""

    service: str
    filed_at: datetime
    measures: list[tuple[str, str, float | None]] = field(default_factory=list)
    set_aside: bool = False


SPECS = {
    "A1": Spec("A", lima(2023, 1, 1, 0, 30), [("RETIRO_AGRESOR", "granted", 30)]),
    "A2": Spec(
        "A",
        lima(2023, 3, 1, 10, 0),
        [("RETIRO_AGRESOR", "granted", 24), ("ALBERGUE", "lifted", 20)],
    ),
    "A3": Spec(
        "A",
        lima(2023, 3, 5, 8, 0),
        [
            ("IMPEDIMENTO_ACERCAMIENTO", "granted", 24 + 1 / 60),
            ("PROHIBICION_COMUNICACION", "in_force", 5),
            ("PROHIBICION_ARMAS", "requested", None),
        ],
    ),
    "A4": Spec("A", lima(2023, 6, 10, 12, 0), set_aside=True),
    "A5": Spec("A", lima(2023, 7, 1, 9, 0), [("RETIRO_AGRESOR", "denied", 10)]),
    "A6": Spec("A", lima(2023, 8, 1, 9, 0), [("PROHIBICION_ARMAS", "requested", None)]),
    "A7": Spec("A", lima(2023, 12, 31, 23, 30), [("TRATAMIENTO_VICTIMA", "granted", 12)]),
    "A0": Spec("A", lima(2022, 12, 31, 23, 30), [("RETIRO_AGRESOR", "granted", 2)]),
    "A8": Spec("A", lima(2022, 6, 1, 9, 0)),
    "B1": Spec("B", lima(2023, 5, 1, 9, 0), [("RETIRO_AGRESOR", "granted", 48)]),
    "B2": Spec("B", lima(2023, 5, 2, 9, 0)),
}


def record(case, user, spec: Spec):
    """Record a complaint and its measures through the case's actions, as the pages do."""
    complaint = actions.file_complaint(
        case=case, user=user, filed_at=spec.filed_at, place="police", filed_by="victim"
    )
    for measure_type, state, hours in spec.measures:
        data = {"measure_type": measure_type, "state": state}
        if hours is not None:
            data["decided_at"] = spec.filed_at + timedelta(hours=hours)
        if state == "lifted":
            data["ended_on"] = (spec.filed_at + timedelta(days=3)).date()
        actions.record_measure(complaint=complaint, user=user, data=data)
    if spec.set_aside:
        actions.set_complaint_aside(complaint=complaint, user=user, reason="Presentada dos veces")
    return complaint


@pytest.fixture
def clock_world(cast):
    cases = {
        "A": CaseFactory(service=cast.service_a, intake_date=date(2022, 6, 1)),
        "B": CaseFactory(service=cast.service_b, intake_date=date(2023, 5, 1)),
    }
    users = {"A": cast.caseworker_a, "B": cast.caseworker_b}
    for spec in SPECS.values():
        record(cases[spec.service], users[spec.service], spec)
    # A9: filed an hour ago, pending, its deadline still ahead.
    actions.file_complaint(
        case=cases["A"],
        user=cast.caseworker_a,
        filed_at=timezone.now() - timedelta(hours=1),
        place="prosecutor",
        filed_by="service",
    )
    return cases


YEAR_2023 = ReportFilters(start=date(2023, 1, 1), end=date(2023, 12, 31))


def protection_figures(services, filters, **kwargs) -> dict:
    """The report's figures as the query gives them, with Spanish labels (as SPECS expects)."""
    with translation.override("es-pe"):
        return queries.protection(services, filters, **kwargs)


def get_json(client, **params):
    response = client.get(URL, {"year": 2023, **params, "format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def types(**counts) -> list[dict]:
    return [
        {"key": code, "label": measures.TYPES.label_for(code, "es"), "count": counts.get(code, 0)}
        for code in TYPES
    ]


# The figures, by hand --------------------------------------------------------------------------

# Service A in 2023: A1..A7. Granted: A1 (30 h, late), A2 (24 h on time; 20 h lifted, on
# time), A3 (24 h 1 min late; 5 h in force, on time), A7 (12 h, on time). Overdue now: A6, A8.
HOURS_A = [30, 24, 20, 24 + 1 / 60, 5, 12]
FIGURES_A = {
    "period": {"from": "2023-01-01", "to": "2023-12-31"},
    "complaints": 7,
    "measures_granted": 6,
    "granted_within_deadline": 4,
    "median_hours_to_measure": 22.0,  # the middle of 5, 12, 20 | 24, 24.02, 30
    "overdue_now": 2,
    "by_type": types(
        RETIRO_AGRESOR=2,
        ALBERGUE=1,
        IMPEDIMENTO_ACERCAMIENTO=1,
        PROHIBICION_COMUNICACION=1,
        TRATAMIENTO_VICTIMA=1,
    ),
}
# Service B adds B1 (48 h, late) and B2 (overdue now).
FIGURES_ALL = {
    **FIGURES_A,
    "complaints": 9,
    "measures_granted": 7,
    "granted_within_deadline": 4,
    "median_hours_to_measure": 24.0,  # 5, 12, 20, 24, 24.02, 30, 48
    "overdue_now": 3,
    "by_type": types(
        RETIRO_AGRESOR=3,
        ALBERGUE=1,
        IMPEDIMENTO_ACERCAMIENTO=1,
        PROHIBICION_COMUNICACION=1,
        TRATAMIENTO_VICTIMA=1,
    ),
}
FIGURES_B = {
    **FIGURES_A,
    "complaints": 2,
    "measures_granted": 1,
    "granted_within_deadline": 0,
    "median_hours_to_measure": 48.0,
    "overdue_now": 1,
    "by_type": types(RETIRO_AGRESOR=1),
}
NOTHING = {
    **FIGURES_A,
    "complaints": 0,
    "measures_granted": 0,
    "granted_within_deadline": 0,
    "median_hours_to_measure": None,
    "overdue_now": 0,
    "by_type": types(),
}


def assert_released(data: dict, expected: dict) -> None:
    """Each figure of a download is the expected one, or hidden: null and listed."""
    assert set(data) == set(expected) | {"hidden"}
    for pointer in data["hidden"]:
        assert at(data, pointer) is None
    figures = [k for k in expected if k not in ("period", "by_type")]
    pointers = [f"/{key}" for key in figures]
    pointers += [f"/by_type/{i}/count" for i in range(len(expected["by_type"]))]
    for pointer in pointers:
        shown = at(data, pointer)
        assert shown == at(expected, pointer) or (shown is None and pointer in data["hidden"]), (
            pointer
        )
        assert not small(shown), pointer
    assert [(r["key"], r["label"]) for r in data["by_type"]] == [
        (r["key"], r["label"]) for r in expected["by_type"]
    ]
    assert data["period"] == expected["period"]
    # listed in the order of the document
    assert data["hidden"] == [p for p in pointers_in_order(data) if p in data["hidden"]]


def pointers_in_order(data: dict) -> list[str]:
    return [
        pointer
        for key, value in data.items()
        for pointer in (
            [f"/by_type/{i}/count" for i in range(len(value))] if key == "by_type" else [f"/{key}"]
        )
    ]


def test_the_hand_counts_agree_with_the_set():
    """The literal figures above are those of SPECS (a check on the hand count itself)."""
    in_a = [s for n, s in SPECS.items() if s.service == "A" and s.filed_at.year == 2023]
    granted = [
        (s, hours)
        for s in in_a
        for _type, state, hours in s.measures
        if state in {"granted", "in_force", "lifted", "expired"}
    ]
    assert len(in_a) == FIGURES_A["complaints"]
    assert len(granted) == FIGURES_A["measures_granted"]
    assert sum(hours <= 24 for _s, hours in granted) == FIGURES_A["granted_within_deadline"]
    assert sorted(hours for _s, hours in granted) == sorted(HOURS_A)
    assert round(median(HOURS_A), 1) == FIGURES_A["median_hours_to_measure"]


@pytest.mark.parametrize(
    "member, expected",
    [
        ("national_manager", FIGURES_ALL),
        ("admin", FIGURES_ALL),
        ("regional_manager", FIGURES_A),
        ("caseworker_a", FIGURES_A),
        ("caseworker_b", FIGURES_B),
        ("shelter_staff", NOTHING),
    ],
)
def test_each_figure_is_the_hand_count_of_the_scope(clock_world, cast, as_user, member, expected):
    """The report's figures for the asker's scope are the hand counts: exact in the query the
    page and the files share; in the JSON download, each one either exact or hidden (null, and
    listed)."""
    user = getattr(cast, member)
    assert protection_figures(services_visible_to(user), YEAR_2023) == expected
    assert_released(get_json(as_user(user)), expected)


def test_the_page_shows_the_exact_figures_and_the_definitions(clock_world, cast, as_user):
    page = as_user(cast.regional_manager).get(URL, {"year": 2023})
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("complaints", "measures_granted", "granted_within_deadline", "overdue_now"):
        assert f'data-key="{key}">{FIGURES_A[key]}<' in html
    assert 'data-key="median_hours_to_measure">22,0<' in html
    assert 'data-key="granted_after_deadline">2<' in html
    assert 'data-key="RETIRO_AGRESOR">2<' in html
    assert 'data-key="by_type_total">6<' in html
    assert "<svg" in html and "chart-bar" in html  # the chart, drawn on the server
    assert "format=csv" in html


def english(client):
    """The page's own words are checked in their English msgids (the catalogue has Spanish)."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize("hours", [24, 48])
def test_the_page_states_the_definitions_and_the_law(clock_world, cast, as_user, hours, settings):
    settings.PROTECTION_MEASURE_DEADLINE_HOURS = hours
    client = english(as_user(cast.regional_manager))
    html = client.get(URL, {"year": 2023}).content.decode()
    (definitions,) = re.findall(r'<div[^>]*id="definitions">(.*?)</div>', html, re.S)
    assert "Ley N.° 30364, art. 16, as amended by Ley N.° 31715" in definitions
    assert f"has {hours} hours to grant protection measures" in definitions
    assert "America/Lima" in definitions
    assert "exactly at the deadline is on time" in definitions
    assert "filed on any date, not only in the period" in definitions  # overdue now
    assert "denied, are not counted" in definitions


def test_the_region_kind_and_service_filters(clock_world, cast, as_user):
    every = CareService.objects.all()
    year = {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}
    for filters, expected in [
        (ReportFilters(**year, region="21"), FIGURES_B),
        (ReportFilters(**year, service_kind="CEM"), FIGURES_B),
        (ReportFilters(**year, service="SAR-081201"), FIGURES_A),
        (ReportFilters(**year, service_kind="HRT"), NOTHING),
    ]:
        assert protection_figures(every, filters) == expected
    client = as_user(cast.national_manager)
    assert_released(get_json(client, region="21"), FIGURES_B)
    assert_released(get_json(client, service="SAR-081201"), FIGURES_A)


def test_a_period_of_days_counts_the_days_of_lima(clock_world, cast):
    """A0 (2022-12-31 23:30 in Lima, 2023-01-01 in UTC) is not of 2023-01-01; A1 (00:30) is."""
    services = services_visible_to(cast.caseworker_a)
    first_day = ReportFilters(start=date(2023, 1, 1), end=date(2023, 1, 1))
    data = protection_figures(services, first_day)
    assert (data["complaints"], data["measures_granted"]) == (1, 1)
    last_day = ReportFilters(start=date(2022, 12, 31), end=date(2022, 12, 31))
    data = protection_figures(services, last_day)
    assert (data["complaints"], data["measures_granted"], data["granted_within_deadline"]) == (
        1,
        1,
        1,
    )
    assert data["median_hours_to_measure"] == 2.0
    # overdue now does not depend on the period
    assert data["overdue_now"] == 2


def test_overdue_now_is_the_clock_at_the_given_moment(clock_world, cast):
    """A6 (deadline 2023-08-02 09:00) is not yet overdue a minute before, and is at the minute
    after; A8 was already; A9 (filed an hour ago) is not yet."""
    services = services_visible_to(cast.caseworker_a)
    filters = ReportFilters(start=date(2023, 1, 1), end=date(2023, 12, 31))
    before = protection_figures(services, filters, now=lima(2023, 8, 2, 8, 59))
    at = protection_figures(services, filters, now=lima(2023, 8, 2, 9, 0))
    after = protection_figures(services, filters, now=lima(2023, 8, 2, 9, 1))
    assert (before["overdue_now"], at["overdue_now"], after["overdue_now"]) == (1, 1, 2)


# Access --------------------------------------------------------------------------------------


def test_an_outsider_gets_404(clock_world, cast, as_user):
    client = as_user(cast.outsider)
    for fmt in ("", "json", "csv", "xlsx"):
        assert client.get(URL, {"format": fmt}).status_code == 404


def test_anonymous_goes_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", ""])
def test_a_regional_manager_cannot_ask_for_another_region(clock_world, cast, as_user, fmt):
    client = as_user(cast.regional_manager)
    assert client.get(URL, {"year": 2023, "region": "21", "format": fmt}).status_code == 400
    assert (
        client.get(URL, {"year": 2023, "service": "CEM-210101", "format": fmt}).status_code == 400
    )


def test_a_caseworker_does_not_see_her_colleagues_complaints(clock_world, cast, as_user):
    """Another SAR of the same region: its complaints count for the region's manager only."""
    other = CareServiceFactory(code="SAR-081202", kind="SAR", district=cast.service_a.district)
    case = CaseFactory(service=other, intake_date=date(2023, 1, 1))
    for day in range(1, 6):
        record(case, cast.regional_manager, Spec("A", lima(2023, 2, day, 9, 0)))
    filters = ReportFilters(start=date(2023, 1, 1), end=date(2023, 12, 31))
    mine = protection_figures(services_visible_to(cast.caseworker_a), filters)
    region = protection_figures(services_visible_to(cast.regional_manager), filters)
    assert (mine["complaints"], mine["overdue_now"]) == (7, 2)
    assert (region["complaints"], region["overdue_now"]) == (12, 7)


def test_the_reports_index_links_to_it(cast, as_user):
    html = as_user(cast.caseworker_a).get("/reports/").content.decode()
    assert f'href="{URL}"' in html


# Downloads and the disclosure control ----------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def small(value) -> bool:
    return isinstance(value, int) and 1 <= value <= 4


def at(data, pointer):
    node = data
    for token in pointer.split("/")[1:]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_the_json_download_hides_small_counts_and_lists_them(clock_world, cast, as_user):
    data = get_json(as_user(cast.regional_manager))
    assert set(data) == set(FIGURES_A) | {"hidden"}
    counts = [data[key] for key in ("complaints", "measures_granted", "overdue_now")]
    counts += [data["granted_within_deadline"]] + [row["count"] for row in data["by_type"]]
    assert not any(small(count) for count in counts), counts
    # every null is listed, and only those
    assert data["hidden"], "2 overdue, 2 late and single measures: small counts"
    for pointer in data["hidden"]:
        assert at(data, pointer) is None
    nulls = [f"/by_type/{i}/count" for i, row in enumerate(data["by_type"]) if row["count"] is None]
    assert set(nulls) <= set(data["hidden"])
    # overdue now (2) is small; 2 measures late: the split is hidden (the late ones are never
    # written, so never listed); 6 measures and a hidden split: the median is withheld
    assert "/overdue_now" in data["hidden"]
    assert "/granted_after_deadline" not in data["hidden"]
    assert data["median_hours_to_measure"] is None
    assert "/median_hours_to_measure" in data["hidden"]
    # what is shown is exact
    for key in ("complaints", "measures_granted", "granted_within_deadline"):
        assert data[key] in (None, FIGURES_A[key])


def test_csv_and_xlsx_write_x_for_the_same_cells(clock_world, cast, as_user):
    client = english(as_user(cast.regional_manager))
    data = get_json(client)
    text = client.get(URL, {"year": 2023, "format": "csv"})
    assert text["Content-Disposition"] == (
        'attachment; filename="protection-measures-and-the-legal-deadline'
        '-2023-01-01-2023-12-31.csv"'
    )
    rows = csv_rows(text)
    assert rows[0] == ["From", "To", "Code", "Figure", "Value"]
    body = rows[1:]
    assert [row[2] for row in body] == [
        "complaints",
        "measures_granted",
        "granted_within_deadline",
        "median_hours_to_measure",
        "overdue_now",
        *TYPES,
    ]
    assert body[0][3] == "Complaints filed in the period"
    assert body[5][3] == "Measures granted: " + measures.TYPES.label_for(TYPES[0], "en")
    shown = [data[key] for key in ("complaints", "measures_granted", "granted_within_deadline")]
    shown += [data["median_hours_to_measure"], data["overdue_now"]]
    shown += [row["count"] for row in data["by_type"]]
    assert [row[4] for row in body] == ["X" if v is None else str(v) for v in shown]

    book = client.get(URL, {"year": 2023, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet.title == "Protection measures"
    sheet_rows = [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert sheet_rows == rows


def big_world(cast, *, on_time: int, late: int, overdue: int = 0):
    """`on_time + late` complaints of service A in 2023, each granted one removal of the
    aggressor (on time: 6 h after; late: 30 h after), and `overdue` pending past the deadline."""
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 1, 1))
    for i in range(on_time + late):
        hours = 6 if i < on_time else 30
        record(
            case,
            cast.caseworker_a,
            Spec("A", lima(2023, 2, 1 + i, 9, 0), [("RETIRO_AGRESOR", "granted", hours)]),
        )
    for i in range(overdue):
        record(case, cast.caseworker_a, Spec("A", lima(2023, 4, 1 + i, 9, 0)))


def test_nothing_small_nothing_hidden(cast, as_user):
    big_world(cast, on_time=12, late=0, overdue=5)
    data = get_json(as_user(cast.caseworker_a))
    assert data["hidden"] == []
    assert (data["complaints"], data["measures_granted"], data["granted_within_deadline"]) == (
        17,
        12,
        12,
    )
    assert data["median_hours_to_measure"] == 6.0
    assert data["overdue_now"] == 5
    assert data["by_type"][0] == {
        "key": "RETIRO_AGRESOR",
        "label": measures.TYPES.label_for("RETIRO_AGRESOR", "es"),
        "count": 12,
    }


def test_a_small_number_late_hides_the_split_not_the_median_of_ten(cast, as_user):
    """8 on time, 2 late: subtracting would tell 2, so the on-time count is hidden; with 10
    measures the median (which side of 24 h half of them fall) cannot narrow it below 5."""
    big_world(cast, on_time=8, late=2)
    data = get_json(as_user(cast.caseworker_a))
    assert data["hidden"] == ["/granted_within_deadline"]
    assert data["measures_granted"] == 10
    assert data["median_hours_to_measure"] == 6.0


def test_a_small_number_late_of_fewer_than_ten_withholds_the_median(cast, as_user):
    big_world(cast, on_time=6, late=2)
    data = get_json(as_user(cast.caseworker_a))
    assert data["measures_granted"] == 8
    assert data["hidden"] == ["/granted_within_deadline", "/median_hours_to_measure"]
    assert data["median_hours_to_measure"] is None


def test_the_median_of_fewer_than_five_is_withheld(cast, as_user):
    big_world(cast, on_time=3, late=0)
    data = get_json(as_user(cast.caseworker_a))
    assert data["measures_granted"] is None
    assert data["median_hours_to_measure"] is None
    assert data["hidden"][:4] == [
        "/complaints",
        "/measures_granted",
        "/granted_within_deadline",
        "/median_hours_to_measure",
    ]


def test_no_measure_no_median_and_nothing_withheld(cast, as_user):
    data = get_json(as_user(cast.caseworker_a))
    assert data["median_hours_to_measure"] is None
    assert data["hidden"] == []


def test_the_pages_show_what_the_files_hide(cast, as_user):
    big_world(cast, on_time=3, late=0)
    html = as_user(cast.caseworker_a).get(URL, {"year": 2023}).content.decode()
    assert 'data-key="measures_granted">3<' in html
    assert 'data-key="median_hours_to_measure">6,0<' in html


# The table of the file, over random figures -------------------------------------------------


@st.composite
def clock_figures(draw):
    """Figures of the report: granted measures split into on time and late, and by type; with
    the hours of each, on time ones at most 24 h, late ones after."""
    on_time = draw(st.integers(0, 14))
    late = draw(st.integers(0, 14))
    n = on_time + late
    cuts = sorted(draw(st.lists(st.integers(0, n), min_size=3, max_size=3)))
    by_type = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    by_type += [0] * (len(TYPES) - len(by_type))
    hours = [draw(st.floats(0, 24)) for _ in range(on_time)]
    hours += [draw(st.floats(24.02, 200)) for _ in range(late)]
    return {
        "complaints": draw(st.integers(0, 12)),
        "measures_granted": n,
        "granted_within_deadline": on_time,
        "median_hours_to_measure": round(median(hours), 1) if hours else None,
        "overdue_now": draw(st.integers(0, 8)),
        "by_type": [
            {"key": k, "label": k, "count": c} for k, c in zip(TYPES, by_type, strict=True)
        ],
        "_hours": hours,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clock_figures())
def test_the_file_protects_every_small_count_even_with_the_median(figures):
    """Suppression passes the audit; no count from 1 to 4 is written (the late ones included,
    as a difference of two written counts); the median is withheld with fewer than 5 measures;
    and when it is written, the side of 24 h it falls on (at least half of the measures on that
    side) still leaves each hidden small count of the split free to be 0 or 5 or more."""
    hours = figures.pop("_hours")
    table = tables.protection(figures)
    protection = disclosure.protect(table)
    assert protection.audit.passed
    hidden = tables.hidden_pointers(protection)
    released = tables.masked(figures, hidden, None)
    assert "/granted_after_deadline" not in hidden
    for cell in tables.published_cells(table):
        assert not small(at(released, table.keys[cell]))
    n, on_time = figures["measures_granted"], figures["granted_within_deadline"]
    late = n - on_time
    if released["measures_granted"] is not None and released["granted_within_deadline"] is not None:
        assert not small(late)
    if released["median_hours_to_measure"] is None:
        return
    assert n >= disclosure.MIN_SHOWN and released["measures_granted"] == n
    # What the median tells a reader who knows n: which side of 24 h at least half fall on.
    most_on_time = median(hours) <= 24
    half = math.ceil(n / 2)
    intervals = protection.audit.intervals
    cells = dict(zip(table.keys, range(len(table.keys)), strict=True))
    for key, value, most_on_this_side in (
        ("/granted_within_deadline", on_time, most_on_time),
        ("/granted_after_deadline", late, not most_on_time),
    ):
        cell = cells[key]
        if cell not in protection.hidden:
            continue
        low, high = intervals[cell].low, intervals[cell].high
        if most_on_this_side:
            low = max(low, half)
        else:
            high = min(high, n - half)
        assert low <= value <= high
        if small(value):
            assert low <= 0 and high >= disclosure.MIN_SHOWN, (key, value, low, high)
        else:
            assert high > low


# Queries -----------------------------------------------------------------------------------

# session, user, assignments; then the session's new expiry (savepoint, update, release)
BASE = 3 + 3


@pytest.mark.parametrize("n", [1, 6])
@pytest.mark.parametrize(
    "params, count",
    [
        # the complaints counted, the granted measures counted by type, the median (the
        # waits' histogram, then the exact waits of the middle's buckets), the overdue
        # complaints
        ({"format": "json"}, 5),
        ({"format": "csv"}, 5),
        ({"format": "xlsx"}, 5),
        # the page: the same, then the regions of the region filter, and the navigation's
        # count of pending items ("Mis pendientes")
        ({}, 5 + 1 + 1),
        # a region and a service to filter by: each checked to be in the scope first
        ({"format": "json", "region": "08", "service": "SAR-081201"}, 2 + 5),
    ],
)
def test_the_queries_are_constant(cast, as_user, django_assert_num_queries, n, params, count):
    own = CaseFactory(service=cast.service_a, intake_date=date(2023, 1, 1))
    for i in range(n):
        service = CareServiceFactory(kind="SAR", district=cast.service_a.district)
        case = CaseFactory(service=service, intake_date=date(2023, 1, 1))
        granted = [("RETIRO_AGRESOR", "granted", 6), ("ALBERGUE", "in_force", 30)]
        for where in (own, case):
            record(where, cast.caseworker_a, Spec("A", lima(2023, 3, 1 + i, 9, 0), granted))
            record(where, cast.caseworker_a, Spec("A", lima(2023, 4, 1 + i, 9, 0)))
    client = as_user(cast.national_manager)
    with django_assert_num_queries(BASE + count):
        response = client.get(URL, {"year": 2023, **params})
    assert response.status_code == 200


# The audit of every file ------------------------------------------------------------------------


def audit_figures(output: str, label: str) -> dict[str, int]:
    (line,) = [line for line in output.splitlines() if line.startswith(label + ":")]
    parts = [part.rsplit(" ", 1) for part in line.split(": ", 1)[1].split(", ")]
    return {name: int(value) for name, value in parts if value.isdigit()}


def test_audit_disclosure_passes_the_protection_files(clock_world, cast):
    out = io.StringIO()
    call_command("audit_disclosure", "--year", "2023", stdout=out)
    every = audit_figures(out.getvalue(), "ALL downloads")
    assert every["hidden cells"] > 0
    for name in ("recoverable by LP", "narrower than [0,5]", "failing audit", "exact 1-4 shown"):
        assert every[name] == 0, name


def test_audit_disclosure_counts_a_median_of_few_measures_shown(cast, monkeypatch):
    """The audit would catch a file that writes the median of 1 to 4 measures."""
    big_world(cast, on_time=3, late=0)
    monkeypatch.setattr(tables.DerivedTable, "withholds", lambda self, statistic, hidden: False)
    out = io.StringIO()
    call_command("audit_disclosure", "--year", "2023", "--national-only", stdout=out)
    assert audit_figures(out.getvalue(), "ALL downloads")["exact 1-4 shown"] == 1


def test_audit_disclosure_audits_the_years_of_complaints_in_lima(cast):
    """A complaint filed on 2021-12-31 at 23:30 in Lima (2022 in UTC) makes 2021 a year."""
    case = CaseFactory(service=cast.service_a, intake_date=date(2023, 1, 1))
    record(case, cast.caseworker_a, Spec("A", lima(2021, 12, 31, 23, 30)))
    out = io.StringIO()
    call_command("audit_disclosure", "--national-only", stdout=out)
    assert "Years: 2021, 2023." in out.getvalue()


def test_shelter_staff_type_a_code_without_suggestions_nor_refused_accesses(cast, as_user):
    """Shelter staff read reports but not the service list: the service field asks no
    endpoint that would refuse them (and record each keystroke as a refused access)."""
    from services.models import RefusedAccess

    page = as_user(cast.shelter_staff).get(reverse("reports:cases")).content.decode()
    manager_page = as_user(cast.regional_manager).get(reverse("reports:cases")).content.decode()

    assert 'name="service"' in page and "data-autocomplete" not in page
    assert "data-autocomplete" in manager_page
    assert not RefusedAccess.objects.exists()
