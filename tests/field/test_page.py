"""GET /field/: the page the service worker caches, with the forms and URLs, and no case data."""

import json

from django.urls import resolve, reverse

from cases.forms import CaseActionForm, CaseForm
from services.models import CareService
from tests.factories import AssignmentFactory, CareServiceFactory


def test_the_page_carries_her_services_forms_and_urls(cast, as_user, case_a):
    response = as_user(cast.caseworker_a).get("/field/")

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "field/field.html"
    context = response.context
    assert context["services"] == [cast.service_a]
    assert json.loads(context["services_json"]) == [{"code": "SAR-081201", "name": "SAR Urcos"}]
    assert context["user_id"] == cast.caseworker_a.pk
    assert list(context["action_form"].fields) == list(CaseActionForm.base_fields)
    assert not context["action_form"].is_bound
    edit = context["edit_form"]
    assert list(edit.fields) == ["risk_level"]
    assert edit.fields["risk_level"].label == CaseForm.base_fields["risk_level"].label
    assert list(edit.fields["risk_level"].choices) == list(
        CaseForm.base_fields["risk_level"].choices
    )
    assert edit.fields["risk_level"] is not CaseForm.base_fields["risk_level"]  # a copy
    names = {key: resolve(url).url_name for key, url in context["urls"].items()}
    assert names == {
        "csrf": "field_csrf",
        "open_cases": "field_open_cases",
        "package": "field_package",
        "geography": "field_geography",
        "sync": "field_sync",
        "openapi": "field_openapi",
        "manifest": "field_manifest",
        "sw": "field_sw",
        "intake": "case_create",
        "login": "login",
        "logout": "logout",
    }


def test_the_page_may_be_cached_but_is_revalidated(cast, as_user):
    response = as_user(cast.caseworker_a).get("/field/")
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "no-cache" in directives
    assert "no-store" not in directives


def test_the_page_holds_no_case_data(cast, as_user, case_a):
    page = as_user(cast.caseworker_a).get("/field/").content.decode()
    assert case_a.victim_name not in page
    assert case_a.code not in page


def test_only_her_open_sar_and_cem_services_are_offered(cast, as_user):
    closed = CareServiceFactory(
        code="SAR-081299", kind=CareService.Kind.SAR, district=cast.service_a.district
    )
    closed.closed_on = closed.opened_on
    closed.save()
    cai = CareServiceFactory(code="CAI-081201", kind=CareService.Kind.CAI)
    for service in (closed, cai):
        AssignmentFactory(user=cast.caseworker_a, role="caseworker", service=service)

    response = as_user(cast.caseworker_a).get("/field/")

    assert response.context["services"] == [cast.service_a]


def test_a_caseworker_of_no_field_service_gets_404(cast, as_user):
    cai = CareServiceFactory(code="CAI-081201", kind=CareService.Kind.CAI)
    person = AssignmentFactory(role="caseworker", service=cai).user
    assert as_user(person).get("/field/").status_code == 404


def test_the_menu_offers_field_mode_to_caseworkers_only(cast, as_user):
    field_url = reverse("field")
    assert f'href="{field_url}"' in as_user(cast.caseworker_a).get("/").content.decode()
    for member in (cast.regional_manager, cast.shelter_staff, cast.national_manager):
        assert f'href="{field_url}"' not in as_user(member).get("/").content.decode()
