"""Shelter staff admit a mother with two children from the board, then discharge the family."""

import pytest

from shelters.models import Stay
from tests.browser.steps import log_in
from tests.factories import ShelterFactory, StayFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "HRT-081201"


def free_beds(page) -> int:
    return int(page.locator(f"#free-{CODE}").inner_text())


def test_staff_admit_a_family_and_discharge_it(page, live_server, cast):
    shelter = ShelterFactory(
        code=CODE, name="Hogar Warmi Wasi", district=cast.service_a.district, capacity=8
    )
    StayFactory(shelter=shelter)  # someone already staying: 7 beds free
    log_in(page, live_server, "shelter_staff")

    page.goto(f"{live_server.url}/shelters/")
    assert free_beds(page) == 7
    page.locator(f"#admit-{CODE}").click()
    page.wait_for_url(f"{live_server.url}/shelters/{CODE}/admit/")

    page.locator("#id_woman_name").fill("Rosa Quispe Huamán")
    page.locator("#id_woman_age").fill("29")
    # The children's formset: each "add a child" makes one more row, without reloading.
    page.locator("#add-child").click()
    page.locator("#add-child").click()
    page.locator("#id_children-0-full_name").fill("Luz Quispe")
    page.locator("#id_children-0-sex").select_option(value="0")
    page.locator("#id_children-0-age").fill("7")
    page.locator("#id_children-1-full_name").fill("Juan Quispe")
    page.locator("#id_children-1-sex").select_option(value="1")
    page.locator("#id_children-1-birth_date").fill("2021-02-01")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#admit-submit").click()

    page.wait_for_url(f"{live_server.url}/shelters/")
    assert free_beds(page) == 4
    assert page.locator(f"#occupied-{CODE}").inner_text() == "4"
    assert page.get_by_text("Luz Quispe").is_visible()
    family = Stay.objects.get(person__full_name="Rosa Quispe Huamán").family_group
    assert Stay.objects.open().filter(family_group=family).count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The whole family leaves: every member is ticked already.
    page.locator(f"#discharge-{family}").click()
    page.wait_for_url(f"{live_server.url}/shelters/{CODE}/families/{family}/discharge/")
    assert page.locator("input[name=stays]:checked").count() == 3
    page.locator("#id_reason").select_option(value="family")
    page.locator("#family-submit").click()

    page.wait_for_url(f"{live_server.url}/shelters/")
    assert free_beds(page) == 7
    assert page.get_by_text("Luz Quispe").count() == 0
    assert not Stay.objects.open().filter(family_group=family).exists()
    assert Stay.objects.filter(family_group=family).count() == 3  # kept, discharged
