import csv
from datetime import date
from pathlib import Path

import pytest

from tests.browser.steps import log_in, open_menu
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_regional_manager_reads_charts_changes_the_period_and_downloads_csv(
    page, live_server, cast
):
    for month in (1, 1, 3):
        CaseFactory(service=cast.service_a, intake_date=date(2023, month, 15), victim_age=30)
    CaseFactory(service=cast.service_a, intake_date=date(2022, 6, 1))
    CaseFactory(service=cast.service_b, intake_date=date(2023, 2, 1))  # another region
    log_in(page, live_server, "regional_manager")

    # The menu opens with an animation: click its link once it has finished opening, and wait
    # for the reports' page before looking for its links (under load, a click in it missed).
    open_menu(page)
    page.get_by_role("link", name="Reportes").click()
    page.wait_for_url("**/reports/")
    page.get_by_role("link", name="Casos por mes").click()

    page.locator("#id_year").fill("2023")
    page.get_by_role("button", name="Aplicar").click()
    page.wait_for_url("**year=2023**")
    assert page.get_by_text("Periodo: 01/01/2023 a 31/12/2023").is_visible()
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    assert chart.locator("rect").count() == 12
    assert page.locator('td[data-key="total"]').inner_text() == "3"

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    path = Path(download.value.path())
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:2] == ["Desde", "Hasta"]
    # Desde, Hasta, then the key, its label and the count
    assert {tuple(row[:2]) for row in rows[1:]} == {("2023-01-01", "2023-12-31")}
    # The file leaves the system: its small counts are hidden alike (docs/disclosure.md), and
    # so are enough others that none can be worked out; the page above shows them exactly.
    counts = {key: count for _from, _to, key, _label, count in rows[1:]}
    assert counts["2023-01"] == counts["2023-03"] == "X"
    assert len(counts) == 12 and not any(count in {"1", "2", "3", "4"} for count in counts.values())
