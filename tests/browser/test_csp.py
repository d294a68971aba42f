"""The Content-Security-Policy in a real Chromium: the key pages work and nothing is blocked.

An init script listens for `securitypolicyviolation` in every document, and every console
message that names the policy is kept: both must stay empty while the pages do their work (the
intake form's sections and dependent selects, a new community, the repeat check, the service
worker and manifest of field mode, the admin's widgets). The pages are opened at `localhost`,
a secure context, so that the service worker registers.
"""

import pytest

from cases.models import Case
from tests.browser.steps import build_world, log_in, open_intake_sections, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__violations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} ` +
    `(${event.sourceFile || location.pathname}:${event.lineNumber}) ${event.sample || ''}`);
});
"""
POLICY_WORDS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy",
                "Permissions policy", "Unrecognized feature")  # fmt: skip
# Features that Chromium knows on phones but not in Debian's desktop build: denying them there
# is still worth it (staff use Android phones), so their "Unrecognized feature" is expected.
NOT_ON_THIS_PLATFORM = ("'bluetooth'", "'web-share'")


class Watch:
    """What the browser refused, page by page."""

    def __init__(self, page):
        self.page = page
        self.found: dict[str, list[str]] = {}
        self.console: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)

    def _console(self, message):
        if "Unrecognized feature" in message.text and message.text.endswith(
            tuple(f"{feature}." for feature in NOT_ON_THIS_PLATFORM)
        ):
            return
        if any(word in message.text for word in POLICY_WORDS):
            self.console.append(f"{self.page.url}: {message.text}")

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert "default-src 'self'" in response.headers["content-security-policy"], url
        self.check()

    def check(self) -> None:
        """Record the current document's violations (events fire just after the fact)."""
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(300)
        path = self.page.url.split("://", 1)[1].split("/", 1)[1]
        self.found.setdefault("/" + path, []).extend(self.page.evaluate("window.__violations"))

    def assert_clean(self, pages_expected: int) -> None:
        assert len(self.found) >= pages_expected, sorted(self.found)
        assert {path: v for path, v in self.found.items() if v} == {}
        assert self.console == [], "\n".join(self.console)


@pytest.fixture
def base(live_server) -> str:
    return live_server.url.replace("127.0.0.1", "localhost")


def test_a_caseworkers_day_breaks_no_rule(page, live_server, cast, base):
    case, _shelter = build_world(cast)
    watch = Watch(page)
    watch.visit(f"{base}/accounts/login/")
    log_in(page, live_server, "caseworker_a", base_url=base)
    watch.check()
    watch.visit(f"{base}/cases/")
    watch.visit(f"{base}/cases/{case.code}/")

    # The intake form, with its scripts at work: sections, dependent selects, the repeat check.
    watch.visit(f"{base}/cases/new/")
    open_intake_sections(page)
    page.get_by_label("Condición del caso").select_option(label="Nuevo")
    page.get_by_label("Forma de ingreso").select_option(
        label="Persona acude directamente al servicio"
    )
    page.get_by_label("Nombres y apellidos").fill("Rosa Quispe Huamán")
    page.locator("#id_victim_document_type").select_option(value="DNI")
    page.locator("#id_victim_document_number").fill("41234567")
    with page.expect_response("**/cases/repeat-check/"):
        page.locator("#id_victim_age").fill("34")  # leaving the number fires the check
    page.locator("#id_victim_sex").select_option(label="Mujer")
    page.locator("#id_region").select_option(label="Cusco")
    page.locator("#id_province").select_option(value="0812")
    page.locator("#id_district").select_option(value="081201")
    page.get_by_label("Comunidad que no está en la lista").fill("Huancarani Alto")
    page.get_by_label("Sexo de la persona agresora").select_option(label="Hombre")
    page.get_by_label("Vínculo con la persona usuaria").select_option(
        label="Con vínculo relacional de pareja"
    )
    page.get_by_label("Vínculo de pareja").select_option(label="Conviviente")
    page.locator("#id_violence_type").select_option(label="Violencia Física")
    page.get_by_label("Bofetadas").check()
    page.locator("#id_risk_level").select_option(label="Riesgo Severo")
    watch.check()
    page.get_by_role("button", name="Registrar el caso").click()
    page.wait_for_selector("text=registrado")
    watch.check()
    assert Case.objects.get(victim_name="Rosa Quispe Huamán").community.name == "Huancarani Alto"

    # Field mode: its service worker registers and its manifest loads.
    watch.visit(f"{base}/field/")
    script = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")
    assert script == f"{base}/sw.js"
    manifest = page.context.new_cdp_session(page).send("Page.getAppManifest")
    assert manifest["url"] == f"{base}/manifest.webmanifest"
    assert manifest["errors"] == []
    watch.check()

    # The user menu (Bootstrap's collapse and dropdown) leads to the password page.
    open_menu(page)
    page.locator(".navbar .dropdown-toggle").click()
    page.get_by_role("link", name="Cambiar contraseña").click()
    page.wait_for_url(f"{base}/accounts/password/")
    watch.check()
    watch.assert_clean(pages_expected=8)


def test_shelters_and_reports_break_no_rule(page, live_server, cast, base):
    build_world(cast)
    watch = Watch(page)
    log_in(page, live_server, "national_manager", base_url=base)
    watch.check()
    watch.visit(f"{base}/shelters/national/")
    # The occupancy bars are drawn by the style sheet, not by a style attribute.
    meter = page.locator("meter.occupancy-meter").first
    assert meter.bounding_box()["height"] == 8
    watch.visit(f"{base}/reports/cases/?by=month")
    assert page.locator("svg.chart rect").count() == 12
    watch.visit(f"{base}/reports/shelters/")
    open_menu(page)  # Bootstrap's collapse, on a phone
    watch.check()

    page.context.clear_cookies()
    log_in(page, live_server, "shelter_staff", base_url=base)
    watch.visit(f"{base}/shelters/")
    assert page.locator("meter.occupancy-meter").first.bounding_box()["height"] == 16
    watch.assert_clean(pages_expected=5)


def test_the_admin_breaks_no_rule(page, live_server, cast, base):
    case, _shelter = build_world(cast)
    watch = Watch(page)
    watch.visit(f"{base}/admin/login/")
    log_in(page, live_server, "admin", base_url=base)
    watch.visit(f"{base}/admin/")
    watch.visit(f"{base}/admin/cases/case/")
    watch.visit(f"{base}/admin/cases/case/{case.pk}/change/")
    # A form with the admin's widgets at work: its date picker and its autocomplete (select2).
    watch.visit(f"{base}/admin/shelters/shelter/add/")
    page.locator("#calendarlink0").click()
    assert page.locator("#calendarbox0").is_visible()
    page.keyboard.press("Escape")
    page.locator(".select2-selection").first.click()
    page.locator(".select2-search__field").fill("Urc")
    page.locator(".select2-results__option", has_text="Urcos").wait_for()
    watch.check()
    watch.visit(f"{base}/admin/auth/user/{cast.caseworker_a.pk}/change/")
    watch.visit(f"{base}/admin/axes/accessattempt/")
    watch.assert_clean(pages_expected=7)
