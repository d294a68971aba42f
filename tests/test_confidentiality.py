"""The confidential things stay where they belong, checked across every page and export.

A shelter's address reaches only its region's shelter staff and administrators; a victim's name
and document number never reach a URL, a log line, or a page of someone outside her case's scope.
"""

import logging
from datetime import date

import pytest
from django.urls import reverse

from tests.factories import CaseFactory, ShelterFactory, StayFactory, repeat_check_post_data

ADDRESS = "Jr. Secreto 742, Urcos"
NAME = "Florencia Huillca Quispe"
DOCUMENT = "47110815"


@pytest.fixture
def secrets(cast):
    shelter = ShelterFactory(district=cast.service_a.district, code="HRT-081201", address=ADDRESS)
    case = CaseFactory(
        service=cast.service_a,
        victim_name=NAME,
        victim_document_type="DNI",
        victim_document_number=DOCUMENT,
        intake_date=date(2023, 5, 2),
    )
    StayFactory(
        shelter=shelter, admitted_on=date(2023, 6, 1), case=case, referring_service=cast.service_a
    )
    return shelter, case


def everything_but_the_shelter_pages(case):
    """Every list, report and export of the application, and the case's own pages."""
    return [
        reverse("home"),
        reverse("service_list"),
        reverse("case_list"),
        reverse("case_detail", args=[case.code]),
        reverse("shelter_national"),
        "/reports/",
        *[
            f"/reports/{name}/?year=2023&format={fmt}"
            for name in ("rural-coverage", "shelters", "network", "protection")
            for fmt in ("", "json", "csv")
        ],
        *[
            f"/reports/cases/?by={by}&year=2023&format={fmt}"
            for by in ("service", "region", "month")
            for fmt in ("", "json", "csv", "xlsx")
        ],
        "/reports/open-data/?year=2023",
    ]


@pytest.mark.parametrize(
    "member",
    [
        "caseworker_a",
        "caseworker_b",
        "regional_manager",
        "national_manager",
        "shelter_staff",
        "admin",
        "outsider",
    ],
)
def test_the_address_is_in_no_list_report_or_export(cast, secrets, as_user, member):
    client = as_user(getattr(cast, member))
    for url in everything_but_the_shelter_pages(secrets[1]):
        body = client.get(url).content
        assert ADDRESS.encode() not in body, url


def test_the_address_is_on_its_shelter_page_for_its_regions_staff_only(cast, secrets, as_user):
    page = reverse("shelter_detail", args=[secrets[0].code])
    assert ADDRESS in as_user(cast.shelter_staff).get(page).content.decode()
    assert ADDRESS in as_user(cast.admin).get(page).content.decode()
    for member in ("regional_manager", "national_manager", "caseworker_a", "outsider"):
        client = as_user(getattr(cast, member))
        assert client.get(page).status_code == 404
        assert ADDRESS not in client.get(reverse("shelter_board")).content.decode()
    # the board is a list: no address there, even for the region's staff
    assert ADDRESS not in as_user(cast.shelter_staff).get(reverse("shelter_board")).content.decode()


@pytest.mark.parametrize("member", ["caseworker_b", "shelter_staff", "outsider"])
def test_outside_the_scope_no_page_or_export_shows_the_name(cast, secrets, as_user, member):
    client = as_user(getattr(cast, member))
    for url in everything_but_the_shelter_pages(secrets[1]):
        body = client.get(url).content
        assert NAME.encode() not in body and DOCUMENT.encode() not in body, url


def test_names_and_documents_never_reach_the_logs_or_urls(cast, as_user, caplog):
    """Register, edit and view a case, with errors on the way; nothing identifying is logged."""
    caplog.set_level(logging.DEBUG)
    client = as_user(cast.caseworker_a)
    district = cast.service_a.district
    data = {
        "service": cast.service_a.code,
        "intake_date": "2023-05-02",
        "condition": "1",
        "entry_route": "1",
        "victim_name": NAME,
        "victim_document_type": "DNI",
        "victim_document_number": DOCUMENT,
        "victim_age": "130",
        "victim_sex": "0",
        "victim_peruvian": "on",
        "region": "08",
        "province": district.province_id,
        "district": district.code,
        "aggressor_sex": "1",
        "relationship": "1",
        "partner_relationship": "3",
        "violence_type": "1",
        "risk_level": "2",
        "daughters_0_17": "0",
        "sons_0_17": "0",
        "daughters_18_plus": "0",
        "sons_18_plus": "0",
    }
    refused = client.post(reverse("case_create"), data)
    assert refused.status_code == 200
    data["victim_age"] = "30"
    created = client.post(reverse("case_create"), data)
    assert created.status_code == 302
    client.get(created["Location"])
    check = client.post(
        reverse("case_repeat_check"),
        repeat_check_post_data(cast.caseworker_a, cast.service_a, DOCUMENT),
    )
    assert check.json()["earlier"] is True

    assert NAME not in created["Location"] and DOCUMENT not in created["Location"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert NAME not in logged and DOCUMENT not in logged


def test_odd_characters_in_codes_and_parameters_are_404_or_empty_not_errors(cast, as_user):
    client = as_user(cast.national_manager)
    for url in ("/cases/%00/", "/services/a%22b/", "/shelters/%00/", "/cases/a'b/edit/"):
        assert client.get(url).status_code == 404, url
    worker = as_user(cast.caseworker_a)
    assert worker.get(reverse("geo_provinces"), {"parent": "0\x008"}).json() == {"options": []}
    assert worker.get(reverse("case_create"), {"service": "SAR\x00"}).status_code == 404
