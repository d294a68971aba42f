import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AuditEntry, Case
from services.models import Community
from tests.factories import (
    CaseFactory,
    CommunityFactory,
    DistrictFactory,
    repeat_check_post_data,
)

CREATE = reverse("case_create")


def post(as_user, member, data):
    return as_user(member).post(CREATE, data)


def errors(response, field):
    return response.context["form"].errors.get(field, [])


def test_intake_form_is_in_spanish_in_sections(cast, as_user):
    page = as_user(cast.caseworker_a).get(CREATE).content.decode()
    for text in (
        "Registrar un caso",
        "Persona usuaria",
        "Residencia",
        "Presunta persona agresora",
        "Violencia y riesgo",
        "Riesgo Severo",
        "Bofetadas",
    ):
        assert text in page


def test_a_valid_intake_registers_the_case_with_its_code_and_audit(cast, as_user, intake):
    response = post(as_user, cast.caseworker_a, intake)

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", args=[case.code])
    year = (
        timezone.localdate().year
        if intake["intake_date"][:4] == str(timezone.localdate().year)
        else int(intake["intake_date"][:4])
    )
    assert re.fullmatch(rf"SAR-081201-{year}-00001", case.code)
    assert case.service == cast.service_a
    assert case.status == Case.Status.OPEN
    assert case.violence_acts == ["BOFETADAS", "EMPUJONES"]
    assert case.partner_relationship == 3
    assert case.complaint_filed is False and case.wants_to_file is True
    assert case.protective_measures is None
    assert case.created_by == cast.caseworker_a
    assert AuditEntry.objects.filter(case=case, action="create", user=cast.caseworker_a).exists()
    # the name never travels in the URL
    assert "Rosa" not in response["Location"] and "41234567" not in response["Location"]


def test_codes_follow_each_other(cast, as_user, intake):
    post(as_user, cast.caseworker_a, intake)
    intake["victim_document_number"] = "41234568"
    post(as_user, cast.caseworker_a, intake)
    codes = sorted(Case.objects.values_list("code", flat=True))
    assert [code[-5:] for code in codes] == ["00001", "00002"]


def test_a_caseworker_cannot_register_in_a_service_that_is_not_hers(cast, as_user, intake):
    intake["service"] = cast.service_b.code
    response = post(as_user, cast.caseworker_a, intake)
    assert response.status_code == 404
    assert not Case.objects.exists()


def test_birth_date_gives_the_age(cast, as_user, intake):
    intake["victim_age"] = ""
    intake_day = date.fromisoformat(intake["intake_date"])
    intake["victim_birth_date"] = intake_day.replace(year=intake_day.year - 40).isoformat()
    post(as_user, cast.caseworker_a, intake)
    assert Case.objects.get().victim_age == 40


def test_a_new_community_is_added_to_the_district(cast, as_user, intake):
    intake["new_community"] = "  Ccollpa   Alta "
    post(as_user, cast.caseworker_a, intake)
    case = Case.objects.select_related("community").get()
    assert case.community.name == "Ccollpa Alta"
    assert case.community.district == cast.service_a.district


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"victim_age": "121"}, "victim_age", "120"),
        ({"victim_age": "", "victim_birth_date": ""}, "victim_age", "edad o la fecha"),
        ({"intake_date": "2999-01-01"}, "intake_date", "futuro"),
        ({"intake_date": "2019-12-31"}, "intake_date", "anterior a la apertura"),
        ({"victim_document_number": "4123456"}, "victim_document_number", "8 dígitos"),
        ({"victim_document_type": ""}, "victim_document_type", "tipo"),
        ({"victim_sex": "1", "victim_pregnant": "true"}, "victim_pregnant", "mujer"),
        ({"victim_peruvian": ""}, "victim_country", "país"),
        ({"violence_acts": ["GRITOS_INSULTOS"]}, "violence_acts", "no corresponde"),
        ({"partner_relationship": ""}, "partner_relationship", "tipo de vínculo"),
        ({"risk_level": "4"}, "risk_level", "opción válida"),
        ({"condition": "9"}, "condition", "opción válida"),
    ],
)
def test_bad_input_gets_a_message_at_the_field(cast, as_user, intake, changes, field, message):
    intake.update(changes)
    response = post(as_user, cast.caseworker_a, intake)
    assert response.status_code == 200
    assert any(message in error for error in errors(response, field)), errors(response, field)
    assert not Case.objects.exists()


def test_a_community_of_another_district_is_refused(cast, as_user, intake):
    elsewhere = CommunityFactory(
        district=DistrictFactory(code="081202", province=cast.service_a.district.province)
    )
    intake["community"] = str(elsewhere.pk)
    response = post(as_user, cast.caseworker_a, intake)
    assert "no pertenece al distrito" in " ".join(errors(response, "community"))


def test_a_district_of_another_province_is_refused(cast, as_user, intake):
    intake["district"] = cast.service_b.district.code
    response = post(as_user, cast.caseworker_a, intake)
    assert "no pertenece a la provincia" in " ".join(errors(response, "district"))


def test_an_existing_community_name_is_not_added_twice(cast, as_user, intake):
    CommunityFactory(district=cast.service_a.district, name="Ccollpa")
    intake["new_community"] = "CCOLLPA"
    response = post(as_user, cast.caseworker_a, intake)
    assert "ya tiene una comunidad" in " ".join(errors(response, "new_community"))
    assert Community.objects.filter(name__iexact="ccollpa").count() == 1


def test_a_known_document_cannot_be_a_new_case(cast, as_user, intake):
    CaseFactory(
        service=cast.service_b, victim_document_type="DNI", victim_document_number="41234567"
    )

    response = post(as_user, cast.caseworker_a, intake)

    message = " ".join(errors(response, "condition"))
    assert "casos anteriores" in message and "Reingreso" in message
    # the other service's case is not shown to her
    assert "CEM-210101" not in response.content.decode()

    intake["condition"] = "2"
    assert post(as_user, cast.caseworker_a, intake).status_code == 302


def test_repeat_check_answers_yes_or_no_by_post_only(cast, as_user):
    CaseFactory(
        service=cast.service_b, victim_document_type="DNI", victim_document_number="41234567"
    )
    CaseFactory(
        service=cast.service_b, victim_document_type="DNI", victim_document_number="41234567"
    )
    client = as_user(cast.caseworker_a)

    def checking(document):
        return repeat_check_post_data(cast.caseworker_a, cast.service_a, document)

    assert client.get(reverse("case_repeat_check"), {"document": "41234567"}).status_code == 405
    answer = client.post(reverse("case_repeat_check"), checking("41234567")).json()
    assert answer["earlier"] is True
    assert "Reingreso" in answer["message"]
    # neither the other service's case nor how many there are
    assert "CEM-210101" not in answer["message"] and "2" not in answer["message"]
    assert client.post(reverse("case_repeat_check"), checking("99999999")).json() == {
        "earlier": False,
        "message": "",
    }


def test_repeat_checks_are_limited(cast, as_user):
    from django.core.cache import cache

    from cases.actions import REPEAT_CHECKS_PER_WINDOW

    cache.clear()
    client = as_user(cast.caseworker_a)

    def checking(member, service, document):
        return repeat_check_post_data(member, service, document)

    for _ in range(REPEAT_CHECKS_PER_WINDOW):
        answer = client.post(
            reverse("case_repeat_check"), checking(cast.caseworker_a, cast.service_a, "1")
        )
        assert answer.status_code == 200
    refused = client.post(
        reverse("case_repeat_check"), checking(cast.caseworker_a, cast.service_a, "41234567")
    )
    assert refused.status_code == 429
    assert "Demasiadas" in refused.json()["message"]
    # another caseworker is not held back
    other = as_user(cast.caseworker_b).post(
        reverse("case_repeat_check"), checking(cast.caseworker_b, cast.service_b, "1")
    )
    assert other.status_code == 200
    cache.clear()


def test_a_caseworker_of_two_services_chooses_one(cast, as_user):
    from services.models import StaffAssignment

    StaffAssignment.objects.create(
        user=cast.caseworker_a, role="caseworker", service=cast.service_b
    )
    page = as_user(cast.caseworker_a).get(CREATE).content.decode()
    assert "En cuál de sus servicios" in page
    assert f"?service={cast.service_b.code}" in page


def test_geography_options_follow_the_parent(cast, as_user):
    client = as_user(cast.caseworker_a)
    provinces = client.get(reverse("geo_provinces"), {"parent": "08"}).json()["options"]
    assert {"value": "0812", "label": cast.service_a.district.province.name} in provinces
    assert client.get(reverse("geo_districts"), {"parent": "2101"}).json()["options"] == [
        {"value": "210101", "label": "Puno"}
    ]


def test_geography_options_are_404_for_an_outsider(cast, as_user):
    assert as_user(cast.outsider).get(reverse("geo_provinces"), {"parent": "08"}).status_code == 404
