"""A caseworker's day on the legal clock (issue 11), in a real Chromium at phone size.

The morning's pending items on her home and in the navigation's badge, a protection measure
recorded for an overdue complaint, a follow-up done and the next scheduled, a case that cannot be
closed while a complaint waits for measures; and a regional manager's pending list by service.
Times are typed as a caseworker in Peru reads them (America/Lima), whatever the server's zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import actions, clock
from cases.models import Case, Complaint, FollowUp
from services.models import CareService
from tests.browser.steps import fill_intake, log_in
from tests.factories import CareServiceFactory, CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hours_ago(hours: float) -> datetime:
    """A moment in the past, to the minute (what a datetime-local input can say)."""
    return (timezone.now() - timedelta(hours=hours)).replace(second=0, microsecond=0)


def local_input(moment: datetime) -> str:
    """What a caseworker types in a datetime-local input for `moment`: Peru's wall clock."""
    return clock.local(moment).strftime("%Y-%m-%dT%H:%M")


def overdue_complaint(case: Case, user, *, hours: float = 30) -> Complaint:
    """A complaint filed `hours` ago (more than the 24 of the law) with no measure yet."""
    return actions.file_complaint(
        case=case, user=user, filed_at=hours_ago(hours), place="police", filed_by="victim"
    )


def pending_rows(scope):
    return scope.get_by_test_id("pending-item")


def test_morning_overdue_complaint_then_granted_measure(page, live_server, cast):
    """Her home lists what is overdue and due today in her service only; the overdue complaint
    leads to its place on the case page, and a measure granted settles it everywhere."""
    yesterday = clock.today() - timedelta(days=1)
    case = CaseFactory(service=cast.service_a, intake_date=yesterday, victim_name="Rosa Quispe")
    complaint = overdue_complaint(case, cast.caseworker_a)
    follow_up = actions.schedule_follow_up(
        case=case, user=cast.caseworker_a, kind="home_visit", due_on=clock.today()
    )
    # Another region's overdue complaint: neither listed nor counted for her.
    elsewhere = CaseFactory(service=cast.service_b, intake_date=yesterday)
    overdue_complaint(elsewhere, cast.caseworker_b)

    log_in(page, live_server, "caseworker_a")
    badge = page.get_by_test_id("nav-pending-count")
    expect(badge).to_have_text("2")
    home = page.get_by_test_id("home-pending")
    expect(home.get_by_role("heading", name="Mis pendientes")).to_be_visible()
    expect(pending_rows(home)).to_have_count(2)
    expect(home.get_by_test_id("pending-overdue-count")).to_have_attribute("data-count", "1")
    expect(home.get_by_test_id("pending-today-count")).to_have_attribute("data-count", "1")
    late = home.locator("[data-testid='pending-item'][data-kind='complaint']")
    expect(late).to_have_attribute("data-overdue", "true")
    expect(late.locator("[data-field='case']")).to_have_text(case.code)
    today = home.locator("[data-testid='pending-item'][data-kind='follow_up']")
    expect(today).to_have_attribute("data-overdue", "false")
    expect(today.locator("[data-field='state']")).to_have_text("Vence hoy")
    assert "Rosa Quispe" not in page.content()

    # The overdue item opens the case at the complaint, on screen.
    late.get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/cases/{case.code}/#complaint-{complaint.pk}")
    on_case = page.get_by_test_id(f"complaint-{complaint.pk}")
    expect(on_case).to_be_in_viewport()
    expect(on_case).to_have_attribute("data-clock-state", "overdue")
    expect(page.get_by_test_id("overdue-count")).to_be_visible()

    # The judge granted a measure 20 hours after the complaint: she records it.
    page.get_by_test_id(f"add-measure-{complaint.pk}").click()
    page.wait_for_url(f"**/cases/{case.code}/complaints/{complaint.pk}/measures/new/")
    decided = complaint.filed_at + timedelta(hours=20)
    page.locator("#id_measure_type").select_option("RETIRO_AGRESOR")
    page.locator("#id_state").select_option("granted")
    page.locator("#id_decided_at").fill(local_input(decided))
    page.locator("#id_executed_by").select_option("police")
    page.get_by_role("button", name="Guardar").click()

    page.wait_for_url(f"{live_server.url}/cases/{case.code}/#complaint-{complaint.pk}")
    expect(page.get_by_text("Medida de protección registrada.")).to_be_visible()
    expect(on_case).to_have_attribute("data-clock-state", "decided")
    expect(page.get_by_test_id(f"complaint-state-{complaint.pk}")).to_contain_text(
        "dentro del plazo"
    )
    measure = complaint.measures.get()
    expect(page.get_by_test_id(f"measure-state-{measure.pk}")).to_have_text("Otorgada")
    expect(page.get_by_test_id("overdue-count")).to_have_count(0)
    expect(badge).to_have_text("1")
    complaint.refresh_from_db()
    assert complaint.settled_at == decided  # read on Lima's clock, stored as the same moment
    case.refresh_from_db()
    assert case.protective_measures

    # Her pending list keeps only today's follow-up.
    page.goto(f"{live_server.url}/pending/")
    expect(pending_rows(page)).to_have_count(1)
    expect(pending_rows(page)).to_have_attribute("data-kind", "follow_up")
    expect(pending_rows(page).get_by_role("link")).to_have_attribute(
        "href", f"/cases/{case.code}/#follow_up-{follow_up.pk}"
    )
    expect(page.get_by_test_id("pending-overdue-count")).to_have_attribute("data-count", "0")
    expect(badge).to_have_text("1")


def test_intake_with_complaint_follow_up_done_and_closing(page, live_server, cast):
    """A case registered with the complaint the person filed two days ago and a visit for
    today: the visit is done and the next scheduled; the case closes only once nothing is
    pending on it, due or not (the complaint set aside, the next call cancelled, each with the
    reason)."""
    filed = hours_ago(50)
    log_in(page, live_server, "caseworker_a")
    page.goto(f"{live_server.url}/cases/new/")
    fill_intake(page)
    # The legal clock's section: the complaint and today's visit.
    page.locator("#id_complaint_filed_at").fill(local_input(filed))
    page.locator("#id_complaint_place").select_option("police")
    page.locator("#id_complaint_place_name").fill("Comisaría PNP de Urcos")
    page.locator("#id_complaint_filed_by").select_option("victim")
    page.locator("#id_follow_up_kind").select_option("home_visit")
    page.locator("#id_follow_up_due_on").fill(clock.today().isoformat())
    page.get_by_role("button", name="Registrar el caso").click()

    page.wait_for_url(f"{live_server.url}/cases/SAR-081201-*/")
    case = Case.objects.get()
    complaint = case.complaints.get()
    visit = case.follow_ups.get()
    assert complaint.filed_at == filed  # typed on Lima's clock
    assert (visit.kind, visit.due_on) == ("home_visit", clock.today())
    expect(page.get_by_test_id(f"complaint-{complaint.pk}")).to_have_attribute(
        "data-clock-state", "overdue"
    )
    expect(page.get_by_test_id(f"complaint-{complaint.pk}")).to_contain_text(
        "Comisaría PNP de Urcos"
    )
    expect(page.get_by_test_id(f"follow-up-state-{visit.pk}")).to_contain_text("Vence hoy")

    # The visit is done...
    page.get_by_test_id(f"follow-up-done-{visit.pk}").click()
    page.locator("#id_notes").fill("Visita realizada en el domicilio.")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"**/cases/{case.code}/#follow_up-{visit.pk}")
    expect(page.get_by_test_id(f"follow-up-{visit.pk}")).to_have_attribute(
        "data-clock-state", "done"
    )
    # ...and the next one is for tomorrow.
    page.get_by_test_id("schedule-follow-up").click()
    page.locator("#id_kind").select_option("call")
    page.locator("#id_due_on").fill((clock.today() + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"**/cases/{case.code}/#follow_up-*")
    call = case.follow_ups.get(closed_at__isnull=True)
    expect(page.get_by_test_id(f"follow-up-{call.pk}")).to_have_attribute(
        "data-clock-state", "pending"
    )
    expect(page.get_by_test_id(f"follow-up-state-{call.pk}")).to_have_text("Pendiente")

    # Today's list: the overdue complaint only, not tomorrow's call.
    page.goto(f"{live_server.url}/pending/")
    expect(pending_rows(page)).to_have_count(1)
    expect(pending_rows(page)).to_have_attribute("data-kind", "complaint")
    expect(page.get_by_test_id("nav-pending-count")).to_have_text("1")

    # Closing is refused while the complaint waits for measures; she is told which.
    page.goto(f"{live_server.url}/cases/{case.code}/")
    page.get_by_role("link", name="Cerrar", exact=True).click()
    listed = page.get_by_test_id("pending-items")
    expect(listed.get_by_role("listitem")).to_have_count(2)  # the complaint and the call
    expect(listed.get_by_role("link").first).to_have_attribute(
        "href", f"/cases/{case.code}/#complaint-{complaint.pk}"
    )
    page.get_by_label("Motivo de cierre").select_option("completed")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("El caso no puede cerrarse mientras haya pendientes.")).to_be_visible()
    expect(listed).to_contain_text("Vencido")
    assert Case.objects.get().status != Case.Status.CLOSED

    # She sets the complaint aside with the reason, cancels the call, then closes the case.
    listed.get_by_role("link").first.click()
    page.wait_for_url(f"**/cases/{case.code}/#complaint-{complaint.pk}")
    page.get_by_test_id(f"set-aside-{complaint.pk}").click()
    page.get_by_label("Por qué no requiere medida de protección").fill(
        "La usuaria desistió de la denuncia ante la fiscalía."
    )
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_test_id(f"complaint-{complaint.pk}")).to_have_attribute(
        "data-clock-state", "set_aside"
    )
    page.get_by_test_id(f"follow-up-cancel-{call.pk}").click()
    page.locator("#id_reason").fill("Se traslada a otra región.")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_test_id(f"follow-up-{call.pk}")).to_have_attribute(
        "data-clock-state", "cancelled"
    )
    page.get_by_role("link", name="Cerrar", exact=True).click()
    expect(page.get_by_test_id("pending-items")).to_have_count(0)
    page.get_by_label("Motivo de cierre").select_option("completed")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Caso cerrado.")).to_be_visible()
    assert Case.objects.get().status == Case.Status.CLOSED
    assert not FollowUp.objects.filter(closed_at__isnull=True).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_regional_manager_filters_her_pending_list_by_service(page, live_server, cast):
    """Her region's services only, one at a time if she asks; case codes, never a name."""
    yesterday = clock.today() - timedelta(days=1)
    cem = CareServiceFactory(
        code="CEM-081201",
        kind=CareService.Kind.CEM,
        name="CEM Urcos",
        district=cast.service_a.district,
    )
    names = ["Rosa Quispe", "Juana Mamani", "Lucía Condori"]
    cases = {}
    for service, worker, name in (
        (cast.service_a, cast.caseworker_a, names[0]),
        (cem, cast.caseworker_a, names[1]),
        (cast.service_b, cast.caseworker_b, names[2]),  # another region
    ):
        cases[service.code] = case = CaseFactory(
            service=service, intake_date=yesterday, victim_name=name
        )
        overdue_complaint(case, worker)

    log_in(page, live_server, "regional_manager")
    expect(page.get_by_test_id("home-scope-pending-link")).to_contain_text("2")
    page.get_by_test_id("home-scope-pending-link").click()
    page.wait_for_url(f"{live_server.url}/pending/")
    expect(pending_rows(page)).to_have_count(2)
    shown = page.locator("[data-testid='pending-item'] [data-field='case']").all_inner_texts()
    assert sorted(shown) == sorted([cases["SAR-081201"].code, cases["CEM-081201"].code])
    # The list may be on a screen others see: no victim's name, from any service.
    assert not [name for name in names if name in page.content()]

    filter_form = page.get_by_test_id("pending-filter")
    filter_form.get_by_label("Servicio").select_option("CEM-081201")
    filter_form.get_by_role("button", name="Filtrar").click()
    page.wait_for_url(f"{live_server.url}/pending/?service=CEM-081201")
    expect(pending_rows(page)).to_have_count(1)
    expect(pending_rows(page).locator("[data-field='case']")).to_have_text(cases["CEM-081201"].code)
    expect(pending_rows(page).locator("[data-field='service']")).to_have_text("CEM Urcos")
    expect(page.get_by_test_id("pending-overdue-count")).to_have_attribute("data-count", "1")
    assert not [name for name in names if name in page.content()]
    # Her badge still counts her whole region.
    expect(page.get_by_test_id("nav-pending-count")).to_have_text("2")
