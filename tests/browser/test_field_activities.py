"""Community activities in field mode, in a real Chromium: registered without signal, kept
encrypted and counted as pending, sent once when the signal returns, refused with the server's
reasons next to the fields, corrected, and found in her list (docs/field-mode.md).

Pages are opened at `localhost` (a secure context: service workers and Web Crypto need one). The
tests find things by `data-testid` and by field names, not by the words of the page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from activities.models import Activity, AuditEntry
from services.models import Submission
from tests.browser.steps import axe_violations, log_in
from tests.browser.test_field_mode import (
    READ_DEVICE,
    KilledSync,
    base_url,
    idle_sync_button,
    pending_count,
    prepare_trip,
    unlock,
    wait_for,
)
from tests.factories import CommunityFactory, DistrictFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOPIC = "Vigilancia comunal y ruta de atención"
REFUSED_TOPIC = "Feria de la familia en la plaza"


def open_activity_form(page):
    page.get_by_test_id("field-activity-new").click()
    form = page.get_by_test_id("field-activity-form")
    expect(form).to_have_attribute("data-ready", "1")
    return form


def fill_activity(form, *, topic: str, women: str, men: str, girls: str, community: str = ""):
    form.locator("[name='type']").select_option("VIGILANCIA_COMUNAL")
    form.locator("[name='duration_hours']").fill("3")
    form.locator("[name='topic']").fill(topic)
    form.locator("[name='partners']").fill("Centro de salud, DEMUNA")
    if community:
        form.locator("[name='community']").select_option(label=community)
    form.locator("[name='women']").fill(women)
    form.locator("[name='men']").fill(men)
    form.locator("[name='girls']").fill(girls)
    form.get_by_test_id("field-activity-save").click()


def activity_items(page, status: str):
    return page.locator(f"li[data-type='activity'][data-status='{status}']")


def test_an_activity_registered_offline_is_stored_once_and_listed(
    persistent_context, live_server, cast, axe_script
):
    CommunityFactory(district=cast.service_a.district, name="Ccatca")
    neighbour = DistrictFactory(
        code="081202", name="Andahuaylillas", province=cast.service_a.district.province
    )
    CommunityFactory(district=neighbour, name="Huaro")
    problems = []
    base = base_url(live_server)
    page = persistent_context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [])  # a trip to run a workshop: no case taken along

    # No signal: the page reopens from the device, she unlocks it and opens the activity form.
    persistent_context.set_offline(True)
    page.reload()
    unlock(page)
    form = open_activity_form(page)
    # Her only service is chosen for her; the places start at its seat, from the trip's geography.
    expect(form.locator("[name='service']")).to_be_hidden()
    expect(form.locator("[name='province']")).to_have_value("0812")
    expect(form.locator("[name='district']")).to_have_value("081201")
    expect(form.locator("[name='community'] option")).to_have_text(
        ["Sin comunidad / no se sabe", "Ccatca"]
    )
    # The types are the trip's (the data file's), the date today's.
    expect(form.locator("[name='type'] option[value='VIGILANCIA_COMUNAL']")).to_have_text(
        "Capacitación a la vigilancia comunal"
    )
    today = page.evaluate(
        "(() => { const n = new Date(); return new Date(n.getTime() - "
        "n.getTimezoneOffset() * 60000).toISOString().slice(0, 10); })()"
    )
    expect(form.locator("[name='date']")).to_have_value(today)
    assert axe_violations(page, axe_script) == []
    # The district chosen brings its communities.
    form.locator("[name='district']").select_option("081202")
    expect(form.locator("[name='community'] option")).to_have_text(
        ["Sin comunidad / no se sabe", "Huaro"]
    )

    fill_activity(form, topic=TOPIC, women="18", men="7", girls="2", community="Huaro")
    expect(pending_count(page)).to_have_text("1")
    expect(activity_items(page, "pending")).to_have_count(1)
    # The form is ready for the next one, back at the service's seat.
    form = open_activity_form(page)
    expect(form.locator("[name='district']")).to_have_value("081201")
    expect(form.locator("[name='topic']")).to_have_value("")
    # Nobody counted: the device keeps it; the server's rule answers when it arrives.
    fill_activity(form, topic=REFUSED_TOPIC, women="0", men="0", girls="0")
    expect(pending_count(page)).to_have_text("2")

    # Reopened without signal: still there, still encrypted.
    page.reload()
    expect(pending_count(page)).to_have_text("2")
    device = page.evaluate(READ_DEVICE)
    assert len([r for r in device["records"] if r["kind"] == "item"]) == 2
    for secret in (TOPIC, REFUSED_TOPIC, "DEMUNA"):  # the places are public: the trip caches them
        assert secret not in device["text"]
    unlock(page)
    assert not Activity.objects.exists()

    # The signal returns: the first sync stores the items but its answer is lost.
    killer = KilledSync(page, times=1)
    persistent_context.set_offline(False)
    wait_for(page, lambda: killer.killed == 1)
    idle_sync_button(page)
    expect(pending_count(page)).to_have_text("2")
    assert Activity.objects.count() == 1  # stored; the device does not know yet

    page.get_by_test_id("field-sync").click()
    expect(activity_items(page, "sent")).to_have_count(1)
    refused = activity_items(page, "refused")
    expect(refused).to_have_count(1)
    expect(pending_count(page)).to_have_text("1")
    activity = Activity.objects.get()
    assert (activity.topic, activity.district_id, activity.community.name) == (
        TOPIC,
        "081202",
        "Huaro",
    )
    assert (activity.type, activity.participants) == ("VIGILANCIA_COMUNAL", 27)
    assert activity.created_by == cast.caseworker_a
    expect(activity_items(page, "sent").get_by_role("link")).to_contain_text(activity.code)

    # The refusal, next to its field; corrected and sent again with the same id.
    correct = refused.get_by_test_id("field-activity-correct")
    expect(correct.locator("[name='women'].is-invalid")).to_be_visible()
    expect(correct.locator("#field-error-women")).not_to_be_empty()
    expect(correct.locator("[name='topic']")).to_have_value(REFUSED_TOPIC)
    correct.locator("[name='women']").fill("40")
    correct.locator("button[type=submit]").click()
    expect(pending_count(page)).to_have_text("0")
    expect(activity_items(page, "sent")).to_have_count(2)

    # Nothing twice, each from the field, with the device's ids as keys.
    assert Activity.objects.count() == 2
    assert Activity.objects.get(topic=REFUSED_TOPIC).women == 40
    assert AuditEntry.objects.filter(action="create", changes__via="field").count() == 2
    assert set(Activity.objects.values_list("client_key", flat=True)) == set(
        Submission.objects.values_list("key", flat=True)
    )
    page.get_by_test_id("field-sync").click()
    idle_sync_button(page)
    assert Activity.objects.count() == 2

    # Both are in her list.
    page.goto(f"{base}/activities/")
    for topic in (TOPIC, REFUSED_TOPIC):
        expect(page.get_by_text(topic).first).to_be_visible()
    # No script error and nothing refused by the Content-Security-Policy (the requests cut on
    # purpose, or made without signal, are the only failures).
    assert [p for p in problems if not p.startswith("Failed to load resource")] == []


def test_with_two_services_she_chooses_where_the_activity_belongs(
    persistent_context, live_server, cast
):
    """A caseworker of a SAR and a CEM in two regions: the places follow the service chosen."""
    from services.models import StaffAssignment
    from tests.factories import AssignmentFactory

    AssignmentFactory(
        user=cast.caseworker_a, role=StaffAssignment.Role.CASEWORKER, service=cast.service_b
    )
    CommunityFactory(district=cast.service_b.district, name="Chucuito")
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [])
    persistent_context.set_offline(True)

    form = open_activity_form(page)
    service = form.locator("[name='service']")
    expect(service).to_be_visible()
    service.select_option(cast.service_b.code)
    expect(form.locator("[name='province']")).to_have_value("2101")
    expect(form.locator("[name='district']")).to_have_value("210101")
    fill_activity(
        form, topic="Campaña en el mercado", women="30", men="12", girls="0", community="Chucuito"
    )
    expect(pending_count(page)).to_have_text("1")

    persistent_context.set_offline(False)
    expect(pending_count(page)).to_have_text("0")
    activity = Activity.objects.get()
    assert (activity.service, activity.district_id, activity.community.name) == (
        cast.service_b,
        "210101",
        "Chucuito",
    )
