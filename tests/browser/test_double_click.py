"""On a slow link, a second click (even a forced second submission) stores nothing twice.

The slow link is a route that lets each POST reach the server at once but holds its answer
back, as a rural connection does: the first case is stored while the page still shows the form.
"""

import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError

from cases.models import Case
from shelters.models import Stay
from tests.browser.steps import fill_intake, log_in
from tests.factories import ShelterFactory, StayFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHELTER = "HRT-081201"


class SlowLink:
    """Hold back the answers to the POSTs of one page (the server has already handled them)."""

    def __init__(self, page, path: str):
        self.held = []
        self.posts = 0
        page.route(f"**{path}", self._hold)

    def _hold(self, route, request):
        if request.method != "POST":
            route.continue_()
            return
        self.posts += 1
        self.held.append((route, route.fetch(max_redirects=0)))

    def release(self):
        for route, response in self.held:
            # The browser may have given up the first request when the form was sent again.
            with contextlib.suppress(PlaywrightError):
                route.fulfill(response=response)


# While a navigation waits for its answer Playwright cannot look into the page, so the page
# itself does what the person does one second after the first click, and notes what it showed.
SECOND_CLICK = """
selector => {
  const form = document.querySelector(selector);
  const button = form.querySelector("button[type=submit]");
  setTimeout(() => {
    const status = form.querySelector(".once-status[role=status]");
    sessionStorage.setItem("seen", JSON.stringify({
      disabled: button.disabled,
      status: status ? status.textContent : null,
      saving: form.querySelector("input[name=submission_token]").dataset.saving,
    }));
    button.click();        // the second click, on the disabled button: nothing is sent
    form.requestSubmit();  // a scripted one: the page's script holds it back
  }, 1000);
  // Forced past the page's script, as an old browser or a retry would: the server stores once.
  setTimeout(() => HTMLFormElement.prototype.submit.call(form), 1300);
}
"""


def click_twice_one_second_apart(page, form_selector: str, button, link) -> None:
    page.evaluate(SECOND_CLICK, form_selector)
    button.click(no_wait_after=True)  # its answer is held back: do not wait for it
    page.wait_for_timeout(2000)
    assert link.posts == 2  # the click and the forced submission; not the scripted one
    link.release()


def saving_was_shown(page) -> None:
    """One second after the first click the button was disabled and the page said that the
    form was being saved ("Guardando…")."""
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('seen'))")
    assert seen["disabled"] is True
    assert seen["saving"] and seen["status"] == seen["saving"]


def test_two_clicks_on_a_slow_link_register_one_case(page, live_server, cast):
    log_in(page, live_server, "caseworker_a")
    page.goto(f"{live_server.url}/cases/new/")
    fill_intake(page)
    link = SlowLink(page, "/cases/new/")

    click_twice_one_second_apart(
        page, "#case-form", page.get_by_role("button", name="Registrar el caso"), link
    )

    case = Case.objects.get()
    page.wait_for_url(f"{live_server.url}/cases/{case.code}/")
    assert page.get_by_role("heading", name=f"Caso {case.code}").is_visible()
    saving_was_shown(page)
    assert Case.objects.count() == 1


def test_two_clicks_on_a_slow_link_admit_the_family_once(page, live_server, cast):
    shelter = ShelterFactory(
        code=SHELTER, name="Hogar Warmi Wasi", district=cast.service_a.district, capacity=20
    )
    for _ in range(14):
        StayFactory(shelter=shelter)  # occupancy 14, as in the report
    log_in(page, live_server, "shelter_staff")
    page.goto(f"{live_server.url}/shelters/{SHELTER}/admit/")
    page.locator("#id_woman_name").fill("Rosa Quispe Huamán")
    page.locator("#id_woman_age").fill("29")
    page.locator("#add-child").click()
    page.locator("#add-child").click()
    page.locator("#id_children-0-full_name").fill("Luz Quispe")
    page.locator("#id_children-0-sex").select_option(value="0")
    page.locator("#id_children-0-age").fill("7")
    page.locator("#id_children-1-full_name").fill("Juan Quispe")
    page.locator("#id_children-1-sex").select_option(value="1")
    page.locator("#id_children-1-age").fill("4")
    link = SlowLink(page, f"/shelters/{SHELTER}/admit/")

    click_twice_one_second_apart(page, "#admission-form", page.locator("#admit-submit"), link)

    page.wait_for_url(f"{live_server.url}/shelters/")
    assert page.locator(f"#occupied-{SHELTER}").inner_text() == "17"  # not 20
    saving_was_shown(page)
    assert Stay.objects.open().filter(shelter=shelter).count() == 17
    assert Stay.objects.filter(person__full_name="Luz Quispe").count() == 1
