"""Names that a spreadsheet would run as a formula are refused where they come in.

Names of services, shelters, communities and places reach the reports' CSV and XLSX and the
open-data file. A name beginning with =, +, -, @, a tab or a carriage return is refused by the
one rule (`services.rules.spreadsheet_safe_problems`) in the administration, the shelter page,
the intake form's new community, the action that adds a community and the services import.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models import Case
from services.actions import add_community, get_or_add_community
from services.csvimport import run_import
from services.models import CareService, Community, District, Province, Region
from services.rules import spreadsheet_safe_problems
from shelters.models import Shelter
from tests.csvfiles import errors_of, write_csv
from tests.factories import ShelterFactory, intake_post_data

FORMULAS = [
    '=HYPERLINK("http://example.com/x","Ver")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
PLAIN = ["Santa Rosa", "Ccollpa Alta", "San Juan - Bajo", "Km. 40", "O'Higgins", "1 de Mayo"]


def formula_message() -> str:
    """The rule's message, in the language of the pages (es-PE)."""
    return str(spreadsheet_safe_problems("name", "=")[0][1])


def form_errors(response, field: str, form: str = "form") -> list[str]:
    return list(response.context[form].errors.get(field, []))


@pytest.mark.parametrize("name", FORMULAS)
def test_the_rule_refuses_what_begins_a_formula(name):
    assert [field for field, _message in spreadsheet_safe_problems("name", name)] == ["name"]


@pytest.mark.parametrize("name", PLAIN)
def test_the_rule_accepts_ordinary_names(name):
    assert spreadsheet_safe_problems("name", name) == []


# The administration -----------------------------------------------------------------------------


def admin_add(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def admin_change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.mark.parametrize("name", FORMULAS)
def test_the_admin_refuses_a_service_named_like_a_formula(cast, as_user, name):
    response = as_user(cast.admin).post(
        admin_add(CareService),
        {
            "code": "CEM-NEW",
            "kind": "CEM",
            "name": name,
            "district": cast.service_a.district_id,
            "opened_on": "2020-01-01",
        },
    )

    assert response.status_code == 200
    assert form_errors(response, "name", "adminform") == [formula_message()]
    assert not CareService.objects.filter(code="CEM-NEW").exists()


def test_the_admin_still_adds_a_service_with_an_ordinary_name(cast, as_user):
    response = as_user(cast.admin).post(
        admin_add(CareService),
        {
            "code": "CEM-NEW",
            "kind": "CEM",
            "name": "CEM Urcos - Anexo",
            "district": cast.service_a.district_id,
            "opened_on": "2020-01-01",
        },
    )

    assert response.status_code == 302
    assert CareService.objects.get(code="CEM-NEW").name == "CEM Urcos - Anexo"


def test_the_admin_refuses_a_community_named_like_a_formula(cast, as_user):
    response = as_user(cast.admin).post(
        admin_add(Community),
        {"district": cast.service_a.district_id, "code": "", "name": "@SUM(1+1)", "kind": "CP"},
    )

    assert form_errors(response, "name", "adminform") == [formula_message()]
    assert not Community.objects.exists()


def test_the_admin_refuses_a_shelter_named_like_a_formula(cast, as_user):
    response = as_user(cast.admin).post(
        admin_add(Shelter),
        {
            "code": "HRT-NEW",
            "name": "=1+1",
            "district": cast.service_a.district_id,
            "address": "Jr. Uno 1",
            "capacity": "8",
            "opened_on": "2020-01-01",
        },
    )

    assert form_errors(response, "name", "adminform") == [formula_message()]
    assert not Shelter.objects.exists()


@pytest.mark.parametrize("model", [Region, Province, District])
def test_the_admin_refuses_renaming_a_place_like_a_formula(cast, as_user, model):
    place = model.objects.order_by("pk").first()
    data = {"code": place.pk, "name": "+1"}
    if model is Province:
        data["region"] = place.region_id
    if model is District:
        data["province"] = place.province_id

    response = as_user(cast.admin).post(admin_change(place), data)

    assert form_errors(response, "name", "adminform") == [formula_message()]
    place.refresh_from_db()
    assert place.name != "+1"


# The pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["=1+1", "  @SUM(A1)", "\t+cmd"])
def test_the_intake_refuses_a_new_community_named_like_a_formula(cast, as_user, name):
    data = intake_post_data(cast.service_a, new_community=name)

    response = as_user(cast.caseworker_a).post(reverse("case_create"), data)

    assert response.status_code == 200
    assert form_errors(response, "new_community") == [formula_message()]
    assert not Case.objects.exists() and not Community.objects.exists()


def test_the_shelter_page_refuses_a_name_like_a_formula(cast, as_user):
    shelter = ShelterFactory(code="HRT-081201", district=cast.service_a.district)

    response = as_user(cast.shelter_staff).post(
        reverse("shelter_edit", args=[shelter.code]),
        {"name": "-1+1", "address": shelter.address, "capacity": "10", "closed_on": ""},
    )

    assert response.status_code == 200
    assert form_errors(response, "name") == [formula_message()]
    shelter.refresh_from_db()
    assert shelter.name != "-1+1"


@pytest.mark.parametrize("add", [add_community, get_or_add_community])
def test_the_action_refuses_a_community_named_like_a_formula(cast, add):
    """What every path that adds a community goes through (the field sync, activities)."""
    with pytest.raises(ValidationError) as refused:
        add(district=cast.service_a.district, name="  =HYPERLINK(1)")

    assert refused.value.messages == [formula_message()]
    assert not Community.objects.exists()


# The import -------------------------------------------------------------------------------------


def service_row(**overrides) -> dict:
    row = {
        "CODIGO": "CEM-081201",
        "TIPO": "CEM",
        "NOMBRE": "CEM Urcos",
        "UBIGEO": "081201",
        "FECHA_APERTURA": "2015-03-08",
        "FECHA_CIERRE": "",
        "CAPACIDAD": "",
    }
    return {**row, **overrides}


@pytest.mark.parametrize("name", FORMULAS)
def test_the_import_refuses_a_service_named_like_a_formula(cast, tmp_path, name):
    path = write_csv(
        tmp_path / "servicios.csv",
        [service_row(), service_row(CODIGO="CEM-2", NOMBRE=name)],
    )

    report = run_import("services", path)

    assert errors_of(report) == {(3, "NOMBRE")}
    assert [error.reason for error in report.errors] == [formula_message()]
    assert not CareService.objects.filter(code__in=["CEM-081201", "CEM-2"]).exists()


def test_the_import_refuses_a_shelter_named_like_a_formula(cast, tmp_path):
    path = write_csv(
        tmp_path / "servicios.csv",
        [service_row(CODIGO="HRT-1", TIPO="HRT", NOMBRE="@SUM(1+1)", CAPACIDAD="8")],
    )

    report = run_import("services", path)

    assert errors_of(report) == {(2, "NOMBRE")}
    assert not Shelter.objects.exists()
