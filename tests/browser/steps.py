"""Steps the browser tests share."""

from tests.conftest import PASSWORD


def log_in(page, live_server, username: str) -> None:
    """Log in through the login page, as a person would, and land on the home page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{live_server.url}/")
