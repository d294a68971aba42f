import pytest

from tests.browser.steps import open_menu
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_caseworker_logs_in_and_sees_her_home_in_spanish_on_a_phone(page, live_server, cast):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "es-pe"

    page.get_by_label("Nombre de usuario").fill("caseworker_a")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Mis servicios").is_visible()
    assert page.get_by_text("SAR Urcos").is_visible()
    assert page.get_by_text("CEM Puno").count() == 0
    # Bootstrap is served by the application and styles the page (the navbar is collapsed
    # behind its toggler on a 360 px screen), and nothing overflows sideways.
    assert page.locator(".navbar-toggler").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    open_menu(page)
    page.get_by_role("link", name="Servicios").click()
    page.wait_for_url(f"{live_server.url}/services/")
    assert page.get_by_role("link", name="SAR-081201").is_visible()
