"""A SAR caseworker registers a community activity in Chromium and finds it in her list."""

import pytest

from activities.models import Activity
from tests.browser.steps import axe_violations, log_in
from tests.factories import CommunityFactory, DistrictFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_caseworker_registers_an_activity_and_sees_it_in_her_list(
    page, live_server, cast, axe_script
):
    CommunityFactory(district=cast.service_a.district, name="Ccatca")
    neighbour = DistrictFactory(code="081202", name="Andahuaylillas")
    CommunityFactory(district=neighbour, name="Huaro")
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    log_in(page, live_server, "caseworker_a")

    page.goto(f"{live_server.url}/activities/")
    page.get_by_test_id("activity-create").click()
    page.wait_for_url(f"{live_server.url}/activities/new/")
    assert axe_violations(page, axe_script) == []
    page.locator("#id_type").select_option("VIGILANCIA_COMUNAL")
    page.locator("#id_duration_hours").fill("3")
    page.locator("#id_topic").fill("Vigilancia comunal y ruta de atención")
    page.locator("#id_partners").fill("Centro de salud, DEMUNA")
    # The place: the next list is loaded from the server as each one is chosen.
    page.locator("#id_district").select_option("081202")
    page.locator("#id_community").select_option(label="Huaro")
    page.locator("#id_women").fill("18")
    page.locator("#id_men").fill("7")
    page.locator("#id_girls").fill("2")
    page.get_by_test_id("activity-submit").click()

    page.wait_for_url(f"{live_server.url}/activities/SAR-081201-*/")
    activity = Activity.objects.get()
    assert activity.code in page.locator("h1").inner_text()
    assert axe_violations(page, axe_script) == []
    assert (activity.district_id, activity.community.name) == ("081202", "Huaro")
    assert (activity.type, activity.participants) == ("VIGILANCIA_COMUNAL", 27)
    assert activity.created_by == cast.caseworker_a

    # She finds it in her list, as a card on her phone.
    page.goto(f"{live_server.url}/activities/")
    assert axe_violations(page, axe_script) == []
    card = page.locator("#activity-cards .list-card")
    assert card.count() == 1
    assert "Vigilancia comunal y ruta de atención" in card.inner_text()
    assert "Huaro / Andahuaylillas" in card.inner_text()
    card.click()
    page.wait_for_url(f"{live_server.url}/activities/{activity.code}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert problems == []
