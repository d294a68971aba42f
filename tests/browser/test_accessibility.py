"""axe-core on the key pages, on a phone and on a desktop: no serious or critical violation.

`pytest tests/browser/test_accessibility.py -s` prints, per viewport, how many pages have such
violations and how many elements each rule flags.
"""

import uuid
from collections import Counter
from datetime import date

import pytest

from cases.actions import record_action, refer_case
from cases.models import Referral
from shelters.models import Stay
from tests.browser.steps import axe_violations, log_in
from tests.factories import (
    CaseFactory,
    CommunityFactory,
    PersonFactory,
    ShelterFactory,
    StayFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
# Known violations, each routed to the owner of its template: (viewport, page, rule). Each must
# still occur, so that its entry goes as soon as the template is fixed.
REPORT_DIMENSIONS = [
    "month", "sex", "age_group", "violence_type", "risk_level", "region", "service_kind", "service"
]  # fmt: skip


def key_pages(cast) -> list[tuple[str | None, str]]:
    """Build a small world (cases this year, a sheltered family) and list (username, path)."""
    today = date.today()
    CommunityFactory(district=cast.service_a.district, name="Ccatca")
    case = CaseFactory(service=cast.service_a, intake_date=today)
    for _ in range(2):
        CaseFactory(service=cast.service_a, intake_date=today, victim_age=15)
    CaseFactory(service=cast.service_b, intake_date=today)
    record_action(case=case, user=cast.caseworker_a, kind="home_visit", date=today, notes="Visita.")
    refer_case(
        case=case,
        user=cast.caseworker_a,
        destination=Referral.Destination.PNP,
        date=today,
        consent=True,
    )
    shelter = ShelterFactory(code="HRT-081201", district=cast.service_a.district, capacity=8)
    ShelterFactory(code="HRT-210101", district=cast.service_b.district, capacity=6)
    family = uuid.uuid4()
    StayFactory(shelter=shelter, family_group=family, admitted_on=today)
    StayFactory(
        shelter=shelter,
        family_group=family,
        role=Stay.Role.CHILD,
        person=PersonFactory(full_name="Luz Quispe"),
        age_at_admission=7,
        admitted_on=today,
    )
    reports = ["/reports/rural-coverage/", "/reports/shelters/", "/reports/network/"]
    reports += [f"/reports/cases/?by={dimension}" for dimension in REPORT_DIMENSIONS]
    return [
        (None, "/accounts/login/"),
        ("caseworker_a", "/"),
        ("caseworker_a", "/cases/"),
        ("caseworker_a", "/cases/new/"),
        ("caseworker_a", f"/cases/{case.code}/"),
        ("caseworker_a", f"/cases/{case.code}/actions/new/"),
        ("caseworker_a", f"/cases/{case.code}/referrals/new/"),
        ("caseworker_a", "/services/"),
        ("regional_manager", "/"),
        ("shelter_staff", "/"),
        ("shelter_staff", "/shelters/"),
        ("shelter_staff", f"/shelters/{shelter.code}/admit/"),
        ("national_manager", "/"),
        ("national_manager", "/shelters/national/"),
        ("national_manager", "/reports/"),
        *[("national_manager", path) for path in reports],
        # Last: its service worker stays out of the other pages' way (live_server is `localhost`).
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
