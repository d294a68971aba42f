"""Phone first (issue 14): every key page at 360×740, for the person who would use it.

On each page, in a real Chromium:
- the page does not scroll sideways: `document.documentElement.scrollWidth <= window.innerWidth`;
- every visible input, select and textarea lies inside the viewport's width (nothing clipped),
  and no date field is narrower than its own date (the date would show cut);
- every visible button and link (and `summary`, the button of a <details>) is at least 44×44 px
  (WCAG 2.2, 2.5.8, and the platforms' guidelines). Exempt, per WCAG's "inline" exception: a
  link inside running text, i.e. whose computed display is `inline` and whose nearest
  non-inline ancestor holds words (letters or digits) besides those of its links: a link in a
  sentence of a `p`, an `li` or a table cell.
  Also exempt: the visually hidden skip link until it is focused (it is then checked too);
- a box that scrolls sideways (a wide table) has tabindex="0", role="region" and a name;
- a chart (inline SVG) has a viewBox and no fixed width, and fits its box.

`pytest tests/browser/test_phone.py -s` prints which pages fail and why: the elements that stick
out of the page, the clipped controls, the small targets, each with its size.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases.models import Case, Complaint
from reports import urls as report_urls
from reports.queries import DIMENSIONS
from tests.browser.steps import build_world, log_in, open_menu
from tests.browser.test_accessibility import REPORT_DIMENSIONS, key_pages, legal_clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
MIN_TARGET = 44  # CSS px
SHELTER = "HRT-081201"
FIELD = "/field/"  # opened at `localhost`, a secure context, as tests/browser/test_field_mode.py

# The key pages, per person; {case} and {shelter} are filled in from the world built below.
REPORTS = ["/reports/", "/reports/rural-coverage/", "/reports/shelters/", "/reports/network/"]
REPORTS += ["/reports/protection/", "/reports/activities/"]
REPORTS += [f"/reports/cases/?by={dimension}" for dimension in REPORT_DIMENSIONS]
KEY_PAGES = [
    ("caseworker_a", "/"),
    ("caseworker_a", "/cases/"),
    ("caseworker_a", "/cases/new/"),
    ("caseworker_a", "/cases/{case}/"),
    ("caseworker_a", "/cases/{case}/actions/new/"),
    # The legal clock (tests/browser/test_accessibility.legal_clock puts items on the case).
    ("caseworker_a", "/cases/{case}/complaints/{complaint}/measures/new/"),
    ("caseworker_a", "/cases/{case}/close/"),
    ("caseworker_a", "/pending/"),
    ("shelter_staff", "/shelters/"),
    ("shelter_staff", "/shelters/{shelter}/admit/"),
    *[("national_manager", path) for path in REPORTS],
    ("national_manager", "/shelters/national/"),
    ("national_manager", "/pending/"),
    ("caseworker_a", FIELD),  # last: its service worker stays out of the other pages' way
]

# What is measured on a page, in one pass. An element is visible when it is rendered (not in a
# closed collapse or <details>, not `visibility: hidden`) and larger than 1×1 (Bootstrap's
# `visually-hidden` clips to 1 px).
MEASURE = r"""() => {
  const iw = window.innerWidth;
  const visible = el => {
    if (!el.checkVisibility({checkOpacity: false, checkVisibilityCSS: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const classes = [...el.classList].slice(0, 3);
    if (classes.length) s += '.' + classes.join('.');
    if (el.name) s += `[name=${el.name}]`;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '')
      .trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  const box = r => `x ${Math.round(r.left)}..${Math.round(r.right)}, ` +
                   `${Math.round(r.width)}×${Math.round(r.height)}`;
  const scrolls = el =>
    ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);

  // 1. What makes the page wider than the screen: elements sticking out on the right (or left)
  //    whose parent does not, and that no scrolling box of their own holds.
  const wide = [];
  const walk = (el, clipped) => {
    for (const child of el.children) {
      if (!visible(child)) continue;
      const r = child.getBoundingClientRect();
      const out = !clipped && (r.right > iw + 0.5 || r.left < -0.5);
      if (out) {
        const parent = child.parentElement.getBoundingClientRect();
        const parentOut = child.parentElement !== document.body &&
          (parent.right > iw + 0.5 || parent.left < -0.5);
        if (!parentOut) wide.push(`${name(child)} (${box(r)})`);
      }
      walk(child, clipped || scrolls(child));
    }
  };
  walk(document.body, false);

  // 2. Form controls cut by the screen's edges.
  const clipped = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.right > iw + 0.5) clipped.push(`${name(el)} (${box(r)})`);
  }

  //    A date field as wide as the screen allows, yet narrower than its own date: cut inside.
  for (const el of document.querySelectorAll(
    'input[type=date], input[type=time], input[type=datetime-local], input[type=month]'
  )) {
    if (!visible(el)) continue;
    const width = el.getBoundingClientRect().width;
    const saved = el.getAttribute('style');
    el.style.setProperty('display', 'inline-block', 'important');
    el.style.setProperty('width', 'auto', 'important');
    el.style.setProperty('min-width', '0', 'important');
    el.style.setProperty('max-width', 'none', 'important');
    const natural = el.getBoundingClientRect().width;
    if (saved === null) el.removeAttribute('style'); else el.setAttribute('style', saved);
    if (natural > width + 1) {
      const needs = `needs ${Math.round(natural)} px, has ${Math.round(width)}`;
      clipped.push(`${name(el)} (its date ${needs})`);
    }
  }

  // 3. Targets smaller than 44×44, bar inline links in running text.
  const isInline = el => getComputedStyle(el).display === 'inline';
  const inRunningText = link => {
    if (!isInline(link)) return false;
    let block = link.parentElement;
    while (block && isInline(block)) block = block.parentElement;
    if (!block) return false;
    const copy = block.cloneNode(true);
    copy.querySelectorAll('a, button, script, style, template').forEach(n => n.remove());
    return /[\p{L}\p{N}]/u.test(copy.textContent);
  };
  const small = [];
  const targets = document.querySelectorAll(
    'a[href], button, summary, [role=button], input[type=submit], input[type=button], ' +
    'input[type=reset]'
  );
  for (const el of targets) {
    if (!visible(el)) continue;
    if (el.matches('a[href]') && inRunningText(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < MIN - 0.01 || r.height < MIN - 0.01) small.push(`${name(el)} (${box(r)})`);
  }
  // 4. Boxes that scroll sideways (wide tables): reachable by keyboard and named, so that
  //    axe-core stays clean: tabindex="0", role="region" and a name.
  const boxes = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el) || !['auto', 'scroll'].includes(getComputedStyle(el).overflowX)) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const named = el.getAttribute('aria-labelledby') || el.getAttribute('aria-label');
    if (el.getAttribute('tabindex') !== '0' || el.getAttribute('role') !== 'region' || !named) {
      boxes.push(`${name(el)} (scrolls ${el.scrollWidth} in ${el.clientWidth} px)`);
    }
  }

  // 5. Charts: drawn to a viewBox, as wide as their box at most.
  const charts = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    if (!visible(svg)) continue;
    const r = svg.getBoundingClientRect();
    const room = svg.parentElement.clientWidth;
    if (!svg.getAttribute('viewBox') || svg.hasAttribute('width') || r.width > room + 0.5) {
      charts.push(`${name(svg)} (${box(r)} in ${room} px, viewBox ${svg.getAttribute('viewBox')})`);
    }
  }
  return {
    boxes, charts,
    scrollWidth: document.documentElement.scrollWidth, innerWidth: iw,
    height: document.documentElement.scrollHeight, wide, clipped, small,
  };
}""".replace("MIN", str(MIN_TARGET))


def problems(measured: dict) -> list[str]:
    found = []
    if measured["scrollWidth"] > measured["innerWidth"]:
        found.append(
            f"page scrolls sideways: scrollWidth {measured['scrollWidth']} >"
            f" {measured['innerWidth']}; sticking out: {'; '.join(measured['wide']) or '?'}"
        )
    if measured["clipped"]:
        found.append(f"clipped controls: {'; '.join(measured['clipped'])}")
    if measured["small"]:
        found.append(f"targets under {MIN_TARGET}×{MIN_TARGET} px: {'; '.join(measured['small'])}")
    if measured["boxes"]:
        found.append(f"scrolling boxes without tabindex/role/name: {'; '.join(measured['boxes'])}")
    if measured["charts"]:
        found.append(f"charts that do not scale: {'; '.join(measured['charts'])}")
    return found


def summary(found: dict[str, list[str]], heights: dict[str, int]) -> str:
    failing = {page: why for page, why in found.items() if why}
    lines = [f"phone 360×740: {len(failing)} of {len(found)} pages fail"]
    for page, why in found.items():
        lines.append(f"  {'FAIL' if why else 'ok  '} {page} (page height {heights[page]} px)")
        lines.extend(f"       - {reason}" for reason in why)
    return "\n".join(lines)


def test_key_pages_fit_a_phone(page, live_server, cast):
    case, shelter = build_world(cast)
    complaint = legal_clock(cast, case)
    shelter = shelter.code
    page.set_viewport_size(PHONE)
    local = live_server.url.replace("127.0.0.1", "localhost")
    found, heights = {}, {}
    signed_in = None
    for username, pattern in KEY_PAGES:
        path = pattern.format(case=case.code, shelter=shelter, complaint=complaint.pk)
        base = local if path == FIELD else live_server.url
        if (username, base) != signed_in:
            page.context.clear_cookies()
            log_in(page, live_server, username, base_url=base)
            signed_in = (username, base)
        response = page.goto(f"{base}{path}")
        assert response.status == 200, f"{path} answered {response.status}"
        if path == FIELD:
            page.wait_for_selector("#field-app[data-ready='1']")
            page.wait_for_selector("[data-testid='field-prepare']")
        key = f"{username} {path}"
        measured = page.evaluate(MEASURE)
        found[key], heights[key] = problems(measured), measured["height"]
        if path == "/":  # the menu, opened: its links and the log-out button
            open_menu(page)
            menu = problems(page.evaluate(MEASURE))
            found[f"{username} {path} (menu open)"] = menu
            heights[f"{username} {path} (menu open)"] = measured["height"]
    report = summary(found, heights)
    print("\n" + report)
    assert not any(found.values()), report


def test_the_skip_link_is_a_full_target_when_focused(page, live_server, cast):
    log_in(page, live_server, "caseworker_a")
    page.keyboard.press("Tab")
    skip = page.locator("a.visually-hidden-focusable")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, box


def test_the_accessibility_check_covers_every_phone_page(cast):
    """tests/browser/test_accessibility.py runs axe-core at 360 px on each of these pages too."""
    axe_pages = set(key_pages(cast))
    case = Case.objects.filter(actions__isnull=False).get()
    complaint = Complaint.objects.get(case=case, settled_at__isnull=True)
    missing = [
        (username, pattern)
        for username, pattern in KEY_PAGES
        if (username, pattern.format(case=case.code, shelter=SHELTER, complaint=complaint.pk))
        not in axe_pages
    ]
    assert not missing, f"add to key_pages() in test_accessibility.py: {missing}"


def test_the_page_list_has_every_report_and_dimension():
    assert set(REPORT_DIMENSIONS) == set(DIMENSIONS)
    # Every page of the reports (the open-data file is a download, not a page).
    pages = {
        reverse(f"reports:{pattern.name}")
        for pattern in report_urls.urlpatterns
        if pattern.name != "open_data"
    }
    assert {re.sub(r"\?.*", "", path) for _, path in KEY_PAGES if "/reports/" in path} == pages
