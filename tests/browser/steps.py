"""Steps the browser tests share."""

import uuid
from datetime import date

from tests.conftest import PASSWORD


def build_world(cast):
    """The data every key page needs: cases this year (one with an action and a referral), a
    community, shelters in both regions and a family in region A's. Return (case, shelter)."""
    from cases.actions import record_action, refer_case
    from cases.models import Referral
    from shelters.models import Stay
    from tests.factories import (
        CaseFactory,
        CommunityFactory,
        PersonFactory,
        ShelterFactory,
        StayFactory,
    )

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
    return case, shelter


def log_in(page, live_server, username: str, base_url: str | None = None) -> None:
    """Log in through the login page, as a person would, and land on the home page.

    `base_url` replaces `live_server.url`, e.g. with the host `localhost` (a secure context).
    """
    base = base_url or live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{base}/")


# WCAG 2.0 and 2.1, levels A and AA: the level the ministry's web pages must reach.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def open_menu(page) -> None:
    """Open the navigation's collapse (the phone's "Menú" button) and wait until it has finished
    opening: a click on a link or button inside it during the transition can be lost."""
    page.get_by_role("button", name="Menú").click()
    page.locator("#main-nav.show").wait_for()


def axe_violations(page, axe_script, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page as it stands; return its violations of the given impacts."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: a <script> tag with the code inline would be
        # refused by the pages' Content-Security-Policy (no 'unsafe-inline').
        page.evaluate(axe_script.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [rule for rule in result["violations"] if rule["impact"] in impacts]


def open_intake_sections(page) -> None:
    """Unfold every section of the intake form, as a person taps each title (on a phone only
    the first starts open)."""
    for section in page.locator("#case-form details").all():
        if section.get_attribute("open") is None:
            section.locator("> summary").click()


def fill_intake(page) -> None:
    """Fill the intake form on the page with one valid case of service A (Rosa, 34, Urcos,
    physical violence by her partner, severe risk), its sections unfolded first."""
    open_intake_sections(page)
    page.get_by_label("Condición del caso").select_option(label="Nuevo")
    page.get_by_label("Forma de ingreso").select_option(
        label="Persona acude directamente al servicio"
    )
    page.get_by_label("Nombres y apellidos").fill("Rosa Quispe Huamán")
    page.locator("#id_victim_age").fill("34")
    page.locator("#id_victim_sex").select_option(label="Mujer")
    page.locator("#id_region").select_option(label="Cusco")
    page.locator("#id_province").select_option(value="0812")
    page.locator("#id_district").select_option(value="081201")
    page.get_by_label("Sexo de la persona agresora").select_option(label="Hombre")
    page.get_by_label("Vínculo con la persona usuaria").select_option(
        label="Con vínculo relacional de pareja"
    )
    page.get_by_label("Vínculo de pareja").select_option(label="Conviviente")
    page.locator("#id_violence_type").select_option(label="Violencia Física")
    page.get_by_label("Bofetadas").check()
    page.locator("#id_risk_level").select_option(label="Riesgo Severo")
