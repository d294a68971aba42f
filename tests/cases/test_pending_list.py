"""Mis pendientes (/pending/), the home's pending sections and the navigation's badge.

The expected items are worked out here from hand-made data, on the services' clock (America/Lima)
read with zoneinfo, not with cases.clock: the page must list exactly what is overdue or due
today, oldest first, in the asker's scope and nothing else.
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import clock, pending
from cases.models import AuditEntry, Complaint, FollowUp
from services.models import CareService, RefusedAccess, StaffAssignment
from tests.factories import AssignmentFactory, CareServiceFactory, CaseFactory, UserFactory

LIMA = ZoneInfo("America/Lima")
ROW = re.compile(
    r'data-testid="pending-item" data-kind="(?P<kind>\w+)" data-overdue="(?P<overdue>\w+)">'
    r'\s*<a [^>]*href="(?P<url>[^"]+)"'
)


def pending_url(**query) -> str:
    url = reverse("pending_list")
    return url + "?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else url


def lima_day(moment: datetime) -> date:
    return moment.astimezone(LIMA).date()


def lima(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LIMA)


def complaint(case, filed_at: datetime, **fields) -> Complaint:
    return Complaint.objects.create(
        case=case,
        service=case.service,
        filed_at=filed_at,
        place=Complaint.Place.POLICE,
        filed_by=Complaint.FiledBy.VICTIM,
        deadline=filed_at + timedelta(hours=24),  # Ley 31715: 24 hours from filing
        **fields,
    )


def follow_up(case, due_on: date, **fields) -> FollowUp:
    return FollowUp.objects.create(
        case=case, service=case.service, kind=FollowUp.Kind.HOME_VISIT, due_on=due_on, **fields
    )


def row(item, *, overdue: bool) -> tuple[str, str, str]:
    """How an item must appear on the page: its kind, its state and its link."""
    kind = "complaint" if isinstance(item, Complaint) else "follow_up"
    url = reverse("case_detail", kwargs={"code": item.case.code}) + f"#{kind}-{item.pk}"
    return kind, "true" if overdue else "false", url


def rows(response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200
    return [match.group("kind", "overdue", "url") for match in ROW.finditer(page(response))]


def page(response) -> str:
    return response.content.decode()


def count(response, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}" data-count="(\d+)"', page(response))
    assert match, testid
    return int(match.group(1))


def service_options(response) -> list[str]:
    """The codes the filter by service offers."""
    select = re.search(r'<select [^>]*name="service">(.*?)</select>', page(response), re.S)
    assert select
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def nav_badge(response) -> int:
    match = re.search(r'data-testid="nav-pending-count">(\d+)<', page(response))
    assert match, "no badge"
    return int(match.group(1))


def pending_queries(queries: CaptureQueriesContext) -> list[str]:
    """The queries that read pending items (the badge's count reads both tables in one)."""
    return [q["sql"] for q in queries.captured_queries if FollowUp._meta.db_table in q["sql"]]


@pytest.fixture
def pin_now(monkeypatch):
    """Pin the present the pending list reads (the data is then placed around it)."""

    def pin(moment: datetime) -> datetime:
        monkeypatch.setattr(pending, "_now", lambda: moment)
        return moment

    return pin


@pytest.fixture
def world(cast):
    """One overdue complaint and one follow-up due today in each of service A, another service
    of region A, and service B (region B); and items that are not due: settled, closed, later."""
    now = timezone.now()
    today = lima_day(now)
    service_a2 = CareServiceFactory(
        code="CEM-081201",
        kind=CareService.Kind.CEM,
        name="CEM Urcos",
        district=cast.service_a.district,
    )
    cases = {
        service.code: CaseFactory(service=service, victim_name=f"Victima Secreta {service.code}")
        for service in (cast.service_a, service_a2, cast.service_b)
    }
    items = {}
    for code, case in cases.items():
        items[code] = [
            row(complaint(case, now - timedelta(days=3)), overdue=True),
            row(follow_up(case, today), overdue=False),
        ]
        # Not due: settled, closed, or later.
        complaint(case, now - timedelta(hours=30), settled_at=now)
        follow_up(case, today - timedelta(days=3), closed_at=now, done_on=today)
        follow_up(case, today - timedelta(days=3), closed_at=now, cancel_reason="Se mudó")
        complaint(case, now)  # its deadline is tomorrow
        follow_up(case, today + timedelta(days=1))
    return {"service_a2": service_a2, "cases": cases, "items": items}


# Who sees what ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(pending_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("member", ["outsider", "shelter_staff"])
def test_users_without_a_pending_list_get_404_recorded_as_refused_for_their_role(
    cast, as_user, member
):
    response = as_user(getattr(cast, member)).get(pending_url())
    assert response.status_code == 404
    refusal = RefusedAccess.objects.get()
    assert (refusal.user, refusal.reason) == (getattr(cast, member), RefusedAccess.Reason.ROLE)


def test_caseworker_sees_only_her_service(cast, as_user, world):
    response = as_user(cast.caseworker_a).get(pending_url())
    assert rows(response) == world["items"]["SAR-081201"]
    assert "no-store" in response["Cache-Control"]  # a shared computer's back button
    assert rows(as_user(cast.caseworker_b).get(pending_url())) == world["items"]["CEM-210101"]


def test_regional_manager_sees_her_region_oldest_first(cast, as_user, world):
    a, a2 = world["items"]["SAR-081201"], world["items"]["CEM-081201"]
    # Both complaints' deadlines passed before today's follow-ups began: oldest first.
    expected = sorted([a[0], a2[0]], key=lambda r: int(r[2].rsplit("-", 1)[1])) + sorted(
        [a[1], a2[1]], key=lambda r: int(r[2].rsplit("-", 1)[1])
    )
    assert rows(as_user(cast.regional_manager).get(pending_url())) == expected


@pytest.mark.parametrize("member", ["national_manager", "admin"])
def test_national_scope_sees_the_whole_network(cast, as_user, world, member):
    response = as_user(getattr(cast, member)).get(pending_url())
    everything = [item for items in world["items"].values() for item in items]
    assert sorted(rows(response)) == sorted(everything)
    assert [kind for kind, _overdue, _url in rows(response)] == ["complaint"] * 3 + [
        "follow_up"
    ] * 3
    assert (count(response, "pending-overdue-count"), count(response, "pending-today-count")) == (
        3,
        3,
    )


def test_a_manager_filters_by_service_among_those_of_her_scope(cast, as_user, world):
    client = as_user(cast.national_manager)
    response = client.get(pending_url(service="CEM-210101"))
    assert rows(response) == world["items"]["CEM-210101"]
    assert (count(response, "pending-overdue-count"), count(response, "pending-today-count")) == (
        1,
        1,
    )
    assert sorted(service_options(response)) == ["", "CEM-081201", "CEM-210101", "SAR-081201"]
    assert '<option value="CEM-210101" selected>' in page(response)

    regional = as_user(cast.regional_manager).get(pending_url(service="CEM-081201"))
    assert rows(regional) == world["items"]["CEM-081201"]
    assert sorted(service_options(regional)) == ["", "CEM-081201", "SAR-081201"]


def test_a_caseworker_of_several_services_can_filter_and_one_of_one_sees_no_filter(
    cast, as_user, world
):
    AssignmentFactory(
        user=cast.caseworker_a, role=StaffAssignment.Role.CASEWORKER, service=world["service_a2"]
    )
    client = as_user(cast.caseworker_a)
    everything = client.get(pending_url())
    assert sorted(rows(everything)) == sorted(
        world["items"]["SAR-081201"] + world["items"]["CEM-081201"]
    )
    assert 'data-testid="pending-filter"' in page(everything)
    assert rows(client.get(pending_url(service="CEM-081201"))) == world["items"]["CEM-081201"]

    alone = as_user(cast.caseworker_b).get(pending_url())
    assert 'data-testid="pending-filter"' not in page(alone)


@pytest.mark.parametrize(
    ("member", "code", "reason", "recorded_code"),
    [
        ("regional_manager", "CEM-210101", RefusedAccess.Reason.OUT_OF_SCOPE, "CEM-210101"),
        ("caseworker_a", "CEM-081201", RefusedAccess.Reason.OUT_OF_SCOPE, "CEM-081201"),
        ("caseworker_b", "SAR-081201", RefusedAccess.Reason.OUT_OF_SCOPE, "SAR-081201"),
        ("national_manager", "SAR-999999", RefusedAccess.Reason.NOT_FOUND, "SAR-999999"),
        ("regional_manager", "%3Cscript%3E", RefusedAccess.Reason.NOT_FOUND, ""),
        ("regional_manager", "SAR-081201%00", RefusedAccess.Reason.NOT_FOUND, ""),
    ],
)
def test_a_service_outside_the_scope_or_malformed_answers_404_and_only_that_is_recorded(
    cast, as_user, world, member, code, reason, recorded_code
):
    audit_before = AuditEntry.objects.count()
    response = as_user(getattr(cast, member)).get(pending_url(service=code))
    assert response.status_code == 404
    refusal = RefusedAccess.objects.get()
    assert (refusal.user, refusal.path, refusal.reason, refusal.object_code) == (
        getattr(cast, member),
        "/pending/",  # the path only: never the query string
        reason,
        recorded_code,
    )
    assert AuditEntry.objects.count() == audit_before
    assert "CEM Puno" not in page(response)


def test_reading_the_list_records_nothing(cast, as_user, world):
    audit_before = AuditEntry.objects.count()
    as_user(cast.national_manager).get(pending_url(service="SAR-081201"))
    assert AuditEntry.objects.count() == audit_before
    assert not RefusedAccess.objects.exists()


def test_the_list_never_shows_a_victims_name_or_document(cast, as_user):
    case = CaseFactory(
        service=cast.service_a,
        victim_name="Rosa Quispe Huamán",
        victim_document_type="DNI",
        victim_document_number="41234567",
    )
    complaint(case, timezone.now() - timedelta(hours=25))
    follow_up(case, lima_day(timezone.now()))
    pages = [
        as_user(cast.caseworker_a).get(reverse("home")),
        *(
            as_user(getattr(cast, member)).get(pending_url())
            for member in ("caseworker_a", "regional_manager", "national_manager")
        ),
    ]
    for response in pages:
        assert len(rows(response)) == 2
        text = page(response)
        assert case.code in text
        assert "Quispe" not in text
        assert "41234567" not in text


# The clock's edges, on the page ----------------------------------------------------------------


def test_time_edges_relative_to_now(cast, as_user):
    """Data placed around the real present: what is overdue, due today, or not listed."""
    now = timezone.now()
    today = lima_day(now)
    case = CaseFactory(service=cast.service_a)
    late = complaint(case, now - timedelta(hours=24, seconds=1))  # deadline a second ago
    recent = complaint(case, now - timedelta(hours=23))  # deadline in an hour
    yesterday = follow_up(case, today - timedelta(days=1))
    due_today = follow_up(case, today)
    follow_up(case, today + timedelta(days=1))  # tomorrow: not listed

    expected = [
        row(late, overdue=True),
        row(yesterday, overdue=True),
        row(due_today, overdue=False),
    ]
    # Due today only if its deadline comes before Lima's midnight (from 23:00 on, it is tomorrow).
    if lima_day(recent.deadline) == today:
        expected.append(row(recent, overdue=False))
    response = as_user(cast.caseworker_a).get(pending_url())
    assert sorted(rows(response)) == sorted(expected)
    assert count(response, "pending-overdue-count") == 2


@pytest.mark.parametrize(
    ("hour", "minute", "listed"),
    [(20, 0, True), (22, 59, True), (23, 0, False), (23, 30, False)],
)
def test_a_complaint_filed_23_hours_ago_is_due_today_only_before_limas_midnight(
    cast, as_user, pin_now, hour, minute, listed
):
    now = pin_now(lima(date(2025, 3, 10), hour, minute))
    case = CaseFactory(service=cast.service_a)
    recent = complaint(case, now - timedelta(hours=23))
    expected = [row(recent, overdue=False)] if listed else []
    assert rows(as_user(cast.caseworker_a).get(pending_url())) == expected


def test_a_complaint_filed_at_23_30_is_due_the_next_day_and_overdue_after_its_24_hours(
    cast, as_user, pin_now
):
    case = CaseFactory(service=cast.service_a)
    filed = complaint(case, lima(date(2025, 3, 9), 23, 30))
    client = as_user(cast.caseworker_a)

    pin_now(lima(date(2025, 3, 9), 23, 45))  # filed a quarter of an hour ago: due tomorrow
    assert rows(client.get(pending_url())) == []
    pin_now(lima(date(2025, 3, 10), 0, 1))  # just after midnight: due today
    assert rows(client.get(pending_url())) == [row(filed, overdue=False)]
    pin_now(lima(date(2025, 3, 10), 23, 30))  # exactly 24 hours: still on time
    assert rows(client.get(pending_url())) == [row(filed, overdue=False)]
    pin_now(lima(date(2025, 3, 10), 23, 30, 1))  # a second later: overdue
    assert rows(client.get(pending_url())) == [row(filed, overdue=True)]


def test_follow_ups_are_due_on_their_day_and_overdue_from_the_next_on_limas_calendar(
    cast, as_user, pin_now
):
    # 02:00 UTC on 11 March is still 21:00 on 10 March in Lima.
    pin_now(datetime(2025, 3, 11, 2, 0, tzinfo=ZoneInfo("UTC")))
    case = CaseFactory(service=cast.service_a)
    earlier = follow_up(case, date(2025, 3, 9))
    today = follow_up(case, date(2025, 3, 10))
    follow_up(case, date(2025, 3, 11))
    response = as_user(cast.caseworker_a).get(pending_url())
    assert rows(response) == [row(earlier, overdue=True), row(today, overdue=False)]
    assert '<time data-field="due" datetime="2025-03-10">10/03/2025</time>' in page(response)


def test_a_complaints_deadline_is_shown_in_lima_time(cast, as_user, pin_now):
    pin_now(lima(date(2025, 3, 10), 12, 0))
    complaint(CaseFactory(service=cast.service_a), lima(date(2025, 3, 9), 9, 15))
    text = page(as_user(cast.caseworker_a).get(pending_url()))
    assert 'datetime="2025-03-10T09:15-0500">10/03/2025 09:15</time>' in text


def test_the_empty_list_says_so(cast, as_user):
    response = as_user(cast.caseworker_a).get(pending_url())
    assert rows(response) == []
    assert 'data-testid="pending-empty"' in page(response)
    assert (count(response, "pending-overdue-count"), count(response, "pending-today-count")) == (
        0,
        0,
    )


def test_a_list_cut_at_the_limit_says_so_and_keeps_exact_counts(cast, as_user, monkeypatch):
    monkeypatch.setattr(clock, "PENDING_LIMIT", 3)
    today = lima_day(timezone.now())
    case = CaseFactory(service=cast.service_a)
    ups = [follow_up(case, today - timedelta(days=days)) for days in (5, 4, 3, 2, 0)]
    response = as_user(cast.caseworker_a).get(pending_url())
    assert rows(response) == [row(item, overdue=True) for item in ups[:3]]
    assert (count(response, "pending-overdue-count"), count(response, "pending-today-count")) == (
        4,
        1,
    )
    assert 'data-testid="pending-truncated"' in page(response)

    monkeypatch.setattr(clock, "PENDING_LIMIT", 5)
    assert 'data-testid="pending-truncated"' not in page(
        as_user(cast.caseworker_a).get(pending_url())
    )


# Query counts ----------------------------------------------------------------------------------


def _items(service, n: int):
    """`n` items on as many cases, half complaints, half follow-ups, all due or overdue."""
    now = timezone.now()
    for index in range(n):
        case = CaseFactory(service=service)
        if index % 2:
            complaint(case, now - timedelta(hours=25 + index))
        else:
            follow_up(case, lima_day(now) - timedelta(days=index))


@pytest.mark.parametrize("n", [1, 40])
def test_caseworker_list_queries_do_not_grow_with_items(
    cast, as_user, django_assert_num_queries, n
):
    _items(cast.service_a, n)
    client = as_user(cast.caseworker_a)
    # session, user, assignments, the services in scope; the first complaints and follow-ups
    # with their case and service, and one count of each (cases.clock.pending_items); the
    # badge is the list's own count. Then the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(11):
        response = client.get(pending_url())
    assert len(rows(response)) == n


@pytest.mark.parametrize("n", [1, 40])
def test_filtered_manager_list_queries_do_not_grow_with_items(
    cast, as_user, django_assert_num_queries, n
):
    _items(cast.service_a, n)
    _items(cast.service_b, n)
    client = as_user(cast.national_manager)
    # as above, plus the badge's count over her whole scope (one query)
    with django_assert_num_queries(12):
        response = client.get(pending_url(service="SAR-081201"))
    assert len(rows(response)) == n
    assert nav_badge(response) == 2 * n


# The navigation's badge ------------------------------------------------------------------------


def test_the_badge_counts_overdue_and_due_today_in_the_users_scope(cast, as_user, world):
    expected = {
        "caseworker_a": 2,
        "caseworker_b": 2,
        "regional_manager": 4,
        "national_manager": 6,
        "admin": 6,
    }
    for member, number in expected.items():
        client = as_user(getattr(cast, member))
        # A page that knows nothing of the pending list: the badge counts on its own.
        assert nav_badge(client.get(reverse("case_list"))) == number, member
        assert nav_badge(client.get(reverse("home"))) == number, member
        assert nav_badge(client.get(pending_url())) == number, member


def test_the_badge_has_text_for_screen_readers_and_links_to_the_list(cast, as_user, world):
    text = page(as_user(cast.caseworker_a).get(reverse("case_list")))
    link = re.search(r'<a class="nav-link" href="/pending/">(.*?)</a>', text, re.S)
    assert link
    assert 'data-testid="nav-pending-count">2</span>' in link.group(1)
    assert '<span class="visually-hidden">' in link.group(1)


def test_the_badge_stops_counting_past_its_cap(cast, as_user, world, monkeypatch):
    """A national scope can have thousands of pending items: the badge counts to its cap and
    one more, shows "cap+", and the list and the home page still count them all."""
    from cases import context_processors

    monkeypatch.setattr(context_processors, "NAV_BADGE_CAP", 3)
    national = as_user(cast.national_manager)  # 6 items in scope
    with CaptureQueriesContext(connection) as queries:
        text = page(national.get(reverse("case_list")))
    assert 'data-testid="nav-pending-count">3+</span>' in text
    (count,) = pending_queries(queries)
    assert "LIMIT 4" in count
    assert 'data-testid="home-scope-pending-link">6 ' in page(national.get(reverse("home")))
    # A caseworker under the cap sees her exact count.
    assert nav_badge(as_user(cast.caseworker_a).get(reverse("case_list"))) == 2


@pytest.mark.parametrize("member", ["outsider", "shelter_staff"])
def test_users_without_a_pending_list_get_no_badge_and_no_query_for_it(cast, as_user, member):
    client = as_user(getattr(cast, member))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert 'data-testid="nav-pending-count"' not in page(response)
    assert reverse("pending_list") not in page(response)
    assert not pending_queries(queries)


def test_anonymous_pages_run_no_pending_query(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'data-testid="nav-pending-count"' not in page(response)
    assert not pending_queries(queries)


def test_the_badge_is_counted_only_when_the_navigation_shows_it(cast, world, rf):
    request = rf.get("/")
    request.user = cast.caseworker_a
    with CaptureQueriesContext(connection) as queries:
        render_to_string("includes/pagination.html", {"page": None}, request=request)
    assert not pending_queries(queries)

    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("base.html", {}, request=request)
    assert len(pending_queries(queries)) == 1
    assert 'data-testid="nav-pending-count">2<' in html


# Home ------------------------------------------------------------------------------------------


def test_caseworker_home_starts_with_her_oldest_pending_items(cast, as_user, world):
    response = as_user(cast.caseworker_a).get(reverse("home"))
    text = page(response)
    assert text.index('data-testid="home-pending"') < text.index('id="my-cases"')
    assert rows(response) == world["items"]["SAR-081201"]
    assert 'data-testid="home-pending-link"' in text


def test_caseworker_home_shows_the_first_items_and_links_to_the_rest(cast, as_user):
    today = lima_day(timezone.now())
    case = CaseFactory(service=cast.service_a)
    ups = [follow_up(case, today - timedelta(days=days)) for days in range(15, 0, -1)]
    response = as_user(cast.caseworker_a).get(reverse("home"))
    assert rows(response) == [row(item, overdue=True) for item in ups[: pending.HOME_LIMIT]]
    assert count(response, "pending-overdue-count") == 15
    link = re.search(r'href="/pending/" data-testid="home-pending-link">([^<]*)<', page(response))
    assert link
    assert "15" in link.group(1)


def test_caseworker_home_with_nothing_pending_says_so(cast, as_user):
    text = page(as_user(cast.caseworker_a).get(reverse("home")))
    assert 'data-testid="home-pending"' in text
    assert 'data-testid="pending-empty"' in text


@pytest.mark.parametrize(
    ("member", "number"), [("regional_manager", 4), ("national_manager", 6), ("admin", 6)]
)
def test_managers_home_links_to_the_list_with_their_count(cast, as_user, world, member, number):
    response = as_user(getattr(cast, member)).get(reverse("home"))
    assert rows(response) == []  # the count and the link, not the items
    link = re.search(
        r'href="/pending/" data-testid="home-scope-pending-link">\s*(\d+)\b', page(response)
    )
    assert link
    assert int(link.group(1)) == number


def test_a_caseworker_who_also_manages_gets_both_and_a_badge_for_her_whole_scope(
    cast, as_user, world
):
    person = UserFactory(username="both")
    AssignmentFactory(user=person, role=StaffAssignment.Role.CASEWORKER, service=cast.service_b)
    AssignmentFactory(user=person, role=StaffAssignment.Role.MANAGER, region=cast.region_a)
    response = as_user(person).get(reverse("home"))
    assert rows(response) == world["items"]["CEM-210101"]  # her own service's items
    text = page(response)
    assert re.search(r'data-testid="home-scope-pending-link">\s*6\b', text)
    assert nav_badge(response) == 6
    assert nav_badge(as_user(person).get(pending_url())) == 6
    assert len(rows(as_user(person).get(pending_url()))) == 6
