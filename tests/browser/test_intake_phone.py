"""The intake form on a phone (issue 14), in a real Chromium at 360×740: sections that fold and
say which still hold an error, numeric keyboards, and a submit bar always within reach.

`-s` prints the form's height filled in, all sections open and folded (the issue's figure).
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in
from tests.browser.test_field_mode import base_url, prepare_trip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A folder for screenshots of the whole page (for a pull request's description), if wanted.
SHOTS = os.environ.get("PHONE_SHOTS")

# Every select still empty gets its first choice, as a caseworker filling everything would; the
# relationship detail and the acts follow their choices.
FILL_SELECTS = """form => {
  const skip = ['region', 'province', 'district', 'community'];
  for (const select of form.querySelectorAll('select')) {
    if (skip.includes(select.name) || select.value) { continue; }
    const option = [...select.options].find(o => o.value);
    if (option) { select.value = option.value; }
    select.dispatchEvent(new Event('change', {bubbles: true}));
  }
}"""


def open_intake(page, live_server) -> None:
    log_in(page, live_server, "caseworker_a")
    page.goto(f"{live_server.url}/cases/new/")


def open_all(page) -> None:
    page.evaluate("document.querySelectorAll('#case-form details').forEach(d => d.open = true)")


def fill_everything(page) -> None:
    open_all(page)
    page.get_by_label("Nombres y apellidos").fill("Rosa Quispe Huamán")
    page.locator("#id_victim_document_type").select_option(value="DNI")
    page.locator("#id_victim_document_number").fill("45127788")
    page.locator("#id_victim_birth_date").fill("1990-03-14")
    page.locator("#id_victim_age").fill("34")
    for name in ("daughters_0_17", "sons_0_17", "daughters_18_plus", "sons_18_plus"):
        page.locator(f"#id_{name}").fill("1")
    page.locator("#id_aggressor_age").fill("38")
    page.locator("#id_relationship").select_option(label="Con vínculo relacional de pareja")
    page.locator("#id_violence_type").select_option(label="Violencia Física")
    page.evaluate(FILL_SELECTS, page.locator("#case-form").element_handle())
    page.get_by_label("Bofetadas").check()


def page_height(page) -> int:
    """The page's height, measured as if it could be shorter than the screen (the body is at
    least 100vh tall, the footer pushed down): the content's, then the footer's."""
    return round(
        page.evaluate(
            """const main = document.querySelector('main');
               const last = main.lastElementChild.matches('script')
                 ? document.getElementById('case-form') : main.lastElementChild;
               last.getBoundingClientRect().bottom + scrollY
                 + parseFloat(getComputedStyle(main).paddingBottom)
                 + document.querySelector('footer').offsetHeight"""
        )
    )


def check_boxes_height(page) -> int:
    """What the form's check boxes take (44 px targets since the touch-target CSS)."""
    return round(
        page.evaluate(
            """[...document.querySelectorAll('#case-form .form-check')]
               .filter(e => e.offsetParent).reduce((t, e) => t + e.offsetHeight, 0)"""
        )
    )


def fold(page, *keep_open: str) -> None:
    page.evaluate(
        """ids => document.querySelectorAll('#case-form details')
                  .forEach(d => d.open = ids.includes(d.id))""",
        list(keep_open),
    )


def test_intake_height_at_360(page, live_server, cast):
    """Not a rule, a figure: the filled-in form's height, all open and folded (`-s` prints it)."""
    open_intake(page, live_server)
    fill_everything(page)
    opened = page_height(page)
    checks = check_boxes_height(page)
    # The whole page, the bar where it rests: after the last field.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/intake-after.png", full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    fold(page)
    folded = page_height(page)
    fold(page, "section-intake")
    fresh = page_height(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/intake-after-folded.png", full_page=True)
    each = {}
    for section in page.evaluate(
        "[...document.querySelectorAll('#case-form details')].map(d => d.id)"
    ):
        fold(page, section)
        each[section] = page_height(page)
    print(
        f"\nintake form at 360x740, filled in: all sections open {opened} px"
        f" (check boxes {checks} px); all folded {folded} px;"
        f" first open {fresh} px; one open: {each}"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740


def test_a_field_left_empty_in_a_closed_section_is_opened_and_focused(
    persistent_context, live_server, cast
):
    """Field mode checks the form in the browser (reportValidity) before keeping it: a required
    field in a folded section could neither show its message nor take the focus."""
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [])
    page.goto(f"{base}/cases/new/")
    expect(page.locator("#case-form")).to_have_attribute("data-field", "ready")
    persistent_context.set_offline(True)
    page.get_by_label("Condición del caso").select_option(label="Nuevo")
    page.get_by_label("Forma de ingreso").select_option(
        label="Persona acude directamente al servicio"
    )
    person = page.locator("#section-person")
    expect(person).not_to_have_attribute("open", "")
    expect(person.locator("[data-section-badge]")).to_be_hidden()

    page.get_by_role("button", name="Registrar el caso").click()

    expect(person).to_have_attribute("open", "")
    expect(page.locator("#id_victim_name")).to_be_focused()
    expect(person.locator("[data-section-badge]")).to_be_visible()
    # The first section had nothing to correct.
    expect(page.locator("#section-intake [data-section-badge]")).to_be_hidden()
    # Nothing was kept: no PIN asked.
    expect(page.get_by_test_id("field-pin")).to_have_count(0)


def test_the_submit_bar_stays_within_reach_and_nothing_overflows(page, live_server, cast):
    open_intake(page, live_server)
    submit = page.get_by_role("button", name="Registrar el caso")
    box = submit.bounding_box()
    assert box["height"] >= 44
    assert box["width"] >= 200  # the width of the screen, but for "Cancelar" beside it
    fill_everything(page)  # every section open: the longest page

    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height, 600):
        page.evaluate(f"window.scrollTo(0, {y})")
        assert in_viewport(page, submit), f"the submit button is out of reach at {y} px"
    # At the end, the bar rests after the last field instead of covering it.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last = page.locator("#id_protective_measures").bounding_box()
    bar = page.locator(".case-form-actions").bounding_box()
    assert last["y"] + last["height"] <= bar["y"]

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    clipped = page.evaluate(
        """[...document.querySelectorAll('#case-form :is(input, select, textarea)')]
           .filter(e => e.offsetParent && e.type !== 'hidden')
           .filter(e => { const r = e.getBoundingClientRect();
                          return r.left < 0 || r.right > window.innerWidth; })
           .map(e => e.name)"""
    )
    assert clipped == []
    # The four children counts, two by two.
    first, second, third = (
        page.locator(f"#id_{name}").bounding_box()
        for name in ("daughters_0_17", "sons_0_17", "daughters_18_plus")
    )
    assert first["y"] == second["y"] and first["x"] < second["x"]
    assert third["y"] > first["y"] and third["x"] == first["x"]


def test_a_dni_gets_a_numeric_keyboard_other_documents_do_not(page, live_server, cast):
    open_intake(page, live_server)
    open_all(page)
    number = page.locator("#id_victim_document_number")
    expect(number).not_to_have_attribute("inputmode", "numeric")
    page.locator("#id_victim_document_type").select_option(value="DNI")
    expect(number).to_have_attribute("inputmode", "numeric")
    page.locator("#id_victim_document_type").select_option(value="CE")
    expect(number).not_to_have_attribute("inputmode", "numeric")
    expect(page.locator("#id_victim_age")).to_have_attribute("inputmode", "numeric")


def test_on_a_wide_screen_every_section_starts_open(browser, live_server, cast):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-PE")
    page = context.new_page()
    try:
        open_intake(page, live_server)
        opened = page.evaluate(
            "[...document.querySelectorAll('#case-form details')].map(d => d.open)"
        )
        assert opened == [True] * 6  # the intake's five sections and the legal clock's
    finally:
        context.close()
