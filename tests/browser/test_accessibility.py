"""axe-core on the key pages, on a phone and on a desktop: no serious or critical violation.

`pytest tests/browser/test_accessibility.py -s` prints, per viewport, how many pages have such
violations and how many elements each rule flags.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from cases import actions, clock
from cases.models import Complaint
from tests.browser.steps import axe_violations, build_world, log_in
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
# Known violations, each routed to the owner of its template: (viewport, page, rule). Each must
# still occur, so that its entry goes as soon as the template is fixed.
REPORT_DIMENSIONS = [
    "month", "sex", "age_group", "violence_type", "risk_level", "region", "service_kind", "service"
]  # fmt: skip


def legal_clock(cast, case) -> Complaint:
    """The legal clock on `case`: a complaint overdue, another decided by a granted measure, a
    follow-up due today and one done; and an item in region B. Return the overdue complaint."""

    def complaint(on, user, hours: int) -> Complaint:
        filed = (timezone.now() - timedelta(hours=hours)).replace(second=0, microsecond=0)
        return actions.file_complaint(
            case=on, user=user, filed_at=filed, place="police", filed_by="victim"
        )

    worker, today = cast.caseworker_a, clock.today()
    overdue = complaint(case, worker, 30)
    decided = complaint(case, worker, 40)
    actions.record_measure(
        complaint=decided,
        user=worker,
        data={
            "measure_type": "RETIRO_AGRESOR",
            "state": "granted",
            "decided_at": decided.filed_at + timedelta(hours=20),
            "executed_by": "police",
        },
    )
    actions.schedule_follow_up(case=case, user=worker, kind="home_visit", due_on=today)
    done = actions.schedule_follow_up(case=case, user=worker, kind="call", due_on=today)
    actions.complete_follow_up(follow_up=done, user=worker, done_on=today, notes="Llamada.")
    other = CaseFactory(service=cast.service_b, intake_date=today)
    complaint(other, cast.caseworker_b, 30)
    return overdue


def key_pages(cast) -> list[tuple[str | None, str]]:
    """Build the world of the key pages (steps.build_world) and list (username, path)."""
    case, shelter = build_world(cast)
    complaint = legal_clock(cast, case)
    reports = ["/reports/rural-coverage/", "/reports/shelters/", "/reports/network/"]
    reports += ["/reports/protection/", "/reports/activities/"]
    reports += [f"/reports/cases/?by={dimension}" for dimension in REPORT_DIMENSIONS]
    return [
        (None, "/accounts/login/"),
        ("caseworker_a", "/"),
        ("caseworker_a", "/cases/"),
        ("caseworker_a", f"/cases/{case.code}/"),
        ("caseworker_a", f"/cases/{case.code}/actions/new/"),
        ("caseworker_a", f"/cases/{case.code}/referrals/new/"),
        ("caseworker_a", f"/cases/{case.code}/complaints/{complaint.pk}/measures/new/"),
        ("caseworker_a", f"/cases/{case.code}/close/"),  # lists what is pending
        ("caseworker_a", "/pending/"),
        ("caseworker_a", "/services/"),
        ("regional_manager", "/"),
        ("regional_manager", "/pending/"),
        ("shelter_staff", "/"),
        ("shelter_staff", "/shelters/"),
        ("shelter_staff", f"/shelters/{shelter.code}/admit/"),
        ("national_manager", "/"),
        ("national_manager", "/shelters/national/"),
        ("national_manager", "/pending/"),
        ("national_manager", "/reports/"),
        *[("national_manager", path) for path in reports],
        # Last, the pages that register the service worker (the intake form, the field page):
        # once registered, the browser fetches /sw.js beside the next navigations, and a login
        # after it would race that request on the live server's one SQLite connection.
        ("caseworker_a", "/cases/new/"),
        ("caseworker_a", "/field/"),
    ]


def summary(viewport: str, found: dict[str, list[dict]]) -> str:
    """Pages with violations, elements per rule, then each page's rules and first elements."""
    failing = {path: rules for path, rules in found.items() if rules}
    per_rule = Counter()
    for rules in failing.values():
        for rule in rules:
            per_rule[rule["id"]] += len(rule["nodes"])
    lines = [
        f"axe ({viewport}): {len(failing)} of {len(found)} pages with serious/critical violations;"
        f" elements per rule: {dict(per_rule) or 'none'}"
    ]
    for path, rules in failing.items():
        for rule in rules:
            lines.append(f"  {path}: {rule['id']} ({rule['impact']}) x{len(rule['nodes'])}")
            for node in rule["nodes"]:
                why = node["failureSummary"].splitlines()[-1].strip()
                lines.append(f"    {' '.join(node['target'])}: {why}")
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_key_pages_have_no_serious_accessibility_violations(
    page, live_server, cast, axe_script, viewport
):
    page.set_viewport_size(VIEWPORTS[viewport])
    found = {}
    signed_in = None
    for username, path in key_pages(cast):
        if username != signed_in:
            page.context.clear_cookies()
            if username:
                log_in(page, live_server, username)
            signed_in = username
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{path} answered {response.status}"
        if path == "/field/":  # the view the script draws: preparing a trip
            page.wait_for_selector("[data-testid='field-prepare']")
        found[f"{username or 'anonymous'} {path}"] = axe_violations(page, axe_script)
    report = summary(viewport, found)
    print("\n" + report)
    seen = {(viewport, path, rule["id"]) for path, rules in found.items() for rule in rules}
    assert not seen, report
