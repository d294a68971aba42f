import pytest

from cases.models import Case, CaseAction
from tests.browser.steps import log_in, open_intake_sections
from tests.factories import CommunityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_caseworker_registers_a_case_finds_it_and_records_an_action(page, live_server, cast):
    CommunityFactory(district=cast.service_a.district, name="Ccatca")
    log_in(page, live_server, "caseworker_a")

    page.get_by_role("link", name="Registrar un caso").click()
    page.wait_for_url(f"{live_server.url}/cases/new/")
    open_intake_sections(page)
    page.get_by_label("Condición del caso").select_option(label="Nuevo")
    page.get_by_label("Forma de ingreso").select_option(
        label="Persona acude directamente al servicio"
    )
    page.get_by_label("Nombres y apellidos").fill("Rosa Quispe Huamán")
    page.locator("#id_victim_age").fill("34")
    page.locator("#id_victim_sex").select_option(label="Mujer")

    # Dependent selects: each choice loads the next list from the server.
    page.locator("#id_region").select_option(label="Cusco")
    page.locator("#id_province").select_option(value="0812")
    page.locator("#id_district").select_option(value="081201")
    page.get_by_label("Comunidad de residencia").select_option(label="Ccatca")

    page.get_by_label("Sexo de la persona agresora").select_option(label="Hombre")
    page.get_by_label("Vínculo con la persona usuaria").select_option(
        label="Con vínculo relacional de pareja"
    )
    page.get_by_label("Vínculo de pareja").select_option(label="Conviviente")
    # Only the chosen type's acts are offered.
    assert not page.get_by_label("Bofetadas").is_visible()
    page.locator("#id_violence_type").select_option(label="Violencia Física")
    assert page.get_by_label("Bofetadas").is_visible()
    assert not page.get_by_label("Gritos e insultos").is_visible()
    page.get_by_label("Bofetadas").check()
    page.locator("#id_risk_level").select_option(label="Riesgo Severo")
    page.get_by_role("button", name="Registrar el caso").click()

    page.wait_for_selector("text=registrado")
    case = Case.objects.get()
    assert case.community.name == "Ccatca"
    assert case.violence_acts == ["BOFETADAS"]
    assert page.get_by_role("heading", name=f"Caso {case.code}").is_visible()

    # She finds it in her list...
    page.goto(f"{live_server.url}/cases/")
    page.get_by_role("link", name=case.code).click()
    # ...and records an action.
    page.get_by_role("link", name="Registrar una acción").click()
    page.get_by_label("Tipo de acción").select_option(label="Visita domiciliaria")
    page.get_by_label("Notas").fill("Visita en la comunidad.")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_selector("text=Acción registrada.")
    assert page.get_by_text("Visita en la comunidad.").is_visible()
    assert CaseAction.objects.get(case=case).kind == "home_visit"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
