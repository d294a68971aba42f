"""`seed_demo` gives every demo SAR a realistic year of community activities: within the rules,
deterministic by seed, idempotent, and numbered as the application numbers them."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from activities import registry, rules
from activities.actions import activity_code, register_activity
from activities.demo import DEMO_PREFIX, seed_activities
from activities.models import Activity, ActivitySequence, AuditEntry, participants_expression
from cases.models import Case
from services.models import CareService, Community
from tests.activities.factories import activity_data

CODE = re.compile(r"^(?P<service>[A-Z0-9-]+)-(?P<year>\d{4})-A(?P<sequence>\d{4,})$")
FIELDS = ("code", "service__code", "date", "type", "topic", "district_id", "community__code")


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def snapshot():
    return list(
        Activity.objects.order_by("code").values_list(*FIELDS, "women", "men", "girls", "boys")
    )


def test_every_demo_sar_gets_a_year_of_activities_within_the_rules(db, demo_password):
    output = seed()

    assert re.search(r"Demo activities: \d+ added", output)
    today = timezone.localdate()
    sars = CareService.objects.filter(kind="SAR")
    assert sars.filter(closed_on__isnull=False).exists()
    for sar in sars:
        activities = Activity.objects.filter(service=sar)
        days = (min(today, sar.closed_on or today) - max(sar.opened_on, date(2000, 1, 1))).days
        weeks = min(days, (today - date(today.year - 1, 1, 1)).days, 365 * 2) / 7
        if sar.closed_on:
            weeks = min(days, 364) / 7
        # a few a week
        assert 1.2 * weeks <= activities.count() <= 4 * weeks, (sar.code, activities.count())
    assert not Activity.objects.exclude(service__kind="SAR").exists()
    assert not AuditEntry.objects.exists()  # generated data is nobody's change
    for activity in Activity.objects.select_related("service", "district", "community"):
        activity.full_clean()
        values = {name: getattr(activity, name) for name in rules.RULE_FIELDS}
        assert rules.clean_activity(values, service=activity.service) == [], activity.code
        assert activity.external_id.startswith(DEMO_PREFIX)
        assert activity.created_by is None
    assert Activity.objects.filter(cancelled_at__isnull=False).exists()


def test_the_figures_look_like_community_work(db, demo_password):
    seed()
    activities = Activity.objects.counted()
    by_type = dict(activities.values_list("type").annotate(n=Count("pk")))
    assert set(by_type) == set(registry.codes())
    assert by_type["TALLER"] == max(by_type.values())
    people = activities.aggregate(n=Sum(participants_expression()))["n"]
    assert 10 <= people / activities.count() <= 40
    # Authorities' meetings are of adults.
    meetings = activities.filter(type="REUNION_AUTORIDADES")
    assert not meetings.exclude(girls=0, boys=0).exists()
    # Most in communities; some in the district, with none.
    assert activities.filter(community__isnull=True).exists()
    assert activities.filter(community__isnull=False).count() > activities.count() / 2


def test_some_activities_reach_communities_where_no_case_lives(db, demo_password):
    seed(cases=400)

    with_cases = set(Case.objects.exclude(community=None).values_list("community_id", flat=True))
    reached = set(Activity.objects.exclude(community=None).values_list("community_id", flat=True))
    assert reached - with_cases
    # The annexes: in the SARs' districts, covered by no SAR, so no demo case lives there.
    annexes = Community.objects.filter(name__startswith="Anexo")
    assert set(annexes.values_list("pk", flat=True)) & reached
    assert not set(annexes.values_list("pk", flat=True)) & with_cases
    assert not CareService.objects.filter(covered_communities__in=annexes).exists()


def test_a_rerun_adds_none_and_the_same_seed_gives_the_same_activities(db, demo_password):
    seed(seed=7)
    first = snapshot()
    assert first

    assert "Demo activities: 0 added" in seed(seed=7)
    assert snapshot() == first

    Activity.objects.all().delete()
    ActivitySequence.objects.all().delete()
    seed(seed=7)
    assert snapshot() == first

    Activity.objects.all().delete()
    ActivitySequence.objects.all().delete()
    seed(seed=8)
    assert snapshot() != first


def test_a_later_day_adds_only_the_days_since(db, demo_password):
    seed()
    Activity.objects.all().delete()
    ActivitySequence.objects.all().delete()
    services = list(CareService.objects.all())
    day = date(2025, 3, 1)

    seed_activities(seed=3, services=services, today=day)
    before = snapshot()
    added = seed_activities(seed=3, services=services, today=day + timedelta(days=30))

    after = snapshot()
    assert added == len(after) - len(before) > 0
    assert set(before) <= set(after)
    assert not Activity.objects.filter(date__gt=day + timedelta(days=30)).exists()
    new = Activity.objects.filter(date__gt=day).count()
    assert new == added


def test_codes_run_in_date_order_and_the_application_continues_them(db, demo_password):
    seed()
    numbers: dict[tuple[str, int], list[tuple[int, date]]] = {}
    for code, service, day in Activity.objects.values_list("code", "service__code", "date"):
        match = CODE.match(code)
        assert match and match["service"] == service and int(match["year"]) == day.year
        numbers.setdefault((service, day.year), []).append((int(match["sequence"]), day))
    for key, given in numbers.items():
        given.sort()
        assert [number for number, _day in given] == list(range(1, len(given) + 1)), key
        assert [day for _number, day in given] == sorted(day for _number, day in given), key

    sar = CareService.objects.filter(kind="SAR", closed_on__isnull=True).first()
    today = timezone.localdate()
    last = ActivitySequence.objects.get(service=sar, year=today.year).last
    user = get_user_model().objects.get(username="caseworker")
    activity = register_activity(service=sar, user=user, data=activity_data(sar, date=today))
    assert activity.code == activity_code(sar, today.year, last + 1)
