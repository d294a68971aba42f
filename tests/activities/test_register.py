"""Registering an activity with the form: its code, its place, a community added on the way."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from activities.models import Activity, AuditEntry
from services.models import CareService, Community, StaffAssignment
from tests.activities.factories import activity_post_data
from tests.factories import (
    AssignmentFactory,
    CareServiceFactory,
    CommunityFactory,
    DistrictFactory,
)

CREATE = reverse("activity_create")


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def errors(response, field):
    return response.context["form"].errors.get(field, [])


def test_a_valid_activity_is_registered_with_its_code_and_audit(cast, as_user):
    community = CommunityFactory(district=cast.service_a.district, name="Ccatca")
    data = activity_post_data(cast.service_a, community=str(community.pk))

    response = as_user(cast.caseworker_a).post(CREATE, data)

    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("activity_detail", args=[activity.code])
    assert re.fullmatch(rf"SAR-081201-{activity.date.year}-A0001", activity.code)
    assert activity.service == cast.service_a
    assert activity.community == community
    assert activity.duration_hours == Decimal("2.5")
    assert (activity.women, activity.men, activity.girls, activity.boys) == (14, 6, 3, 1)
    assert activity.participants == 24
    assert activity.partners == "Centro de salud de Urcos"
    assert activity.created_by == cast.caseworker_a
    assert activity.version == 1 and not activity.is_cancelled
    assert AuditEntry.objects.get(activity=activity).action == "create"


def test_the_form_starts_in_the_services_district_and_offers_its_region_only(cast, as_user):
    other_province = DistrictFactory(code="081301")  # another province of region A
    elsewhere = DistrictFactory(code="150101")  # another region
    form = as_user(cast.caseworker_a).get(CREATE).context["form"]
    assert form["district"].value() == "081201"
    assert form["province"].value() == "0812"
    assert set(form.fields["province"].queryset.values_list("code", flat=True)) == {
        "0812",
        "0813",
    }
    assert list(form.fields["district"].queryset) == [cast.service_a.district]
    assert other_province.province_id == "0813" and elsewhere.code[:2] != "08"


def test_a_district_of_another_province_of_the_region_is_accepted(cast, as_user):
    district = DistrictFactory(code="081301")
    data = activity_post_data(cast.service_a, province="0813", district="081301")
    assert as_user(cast.caseworker_a).post(CREATE, data).status_code == 302
    assert Activity.objects.get().district == district


def test_a_district_outside_the_services_region_is_refused(cast, as_user):
    DistrictFactory(code="150101")
    data = activity_post_data(cast.service_a, province="1501", district="150101")
    response = as_user(cast.caseworker_a).post(CREATE, data)
    assert response.status_code == 200
    assert errors(response, "province") == ["The province is outside the region of the service."]
    assert not Activity.objects.exists()


def test_a_missing_community_is_added_to_the_district(cast, as_user):
    data = activity_post_data(cast.service_a, new_community="  Pampa   Alta ")
    assert as_user(cast.caseworker_a).post(CREATE, data).status_code == 302
    activity = Activity.objects.get()
    assert activity.community.name == "Pampa Alta"
    assert activity.community.district == cast.service_a.district


def test_a_community_of_that_name_is_chosen_not_added_twice(cast, as_user):
    CommunityFactory(district=cast.service_a.district, name="Ccatca")
    data = activity_post_data(cast.service_a, new_community="ccatca")
    response = as_user(cast.caseworker_a).post(CREATE, data)
    assert errors(response, "new_community") == [
        "This district already has a community with that name: choose it in the list."
    ]
    assert Community.objects.count() == 1 and not Activity.objects.exists()


def test_a_caseworker_of_two_services_chooses_one(cast, as_user):
    second = CareServiceFactory(
        code="CEM-081201", kind=CareService.Kind.CEM, district=cast.service_a.district
    )
    AssignmentFactory(user=cast.caseworker_a, role=StaffAssignment.Role.CASEWORKER, service=second)
    client = as_user(cast.caseworker_a)
    page = client.get(CREATE)
    assert {s.code for s in page.context["services"]} == {"CEM-081201", "SAR-081201"}
    assert f"{CREATE}?service=CEM-081201" in page.content.decode()
    assert client.get(f"{CREATE}?service=CEM-081201").context["service"] == second
    response = client.post(CREATE, activity_post_data(second))
    assert response.status_code == 302
    assert Activity.objects.get().code.startswith("CEM-081201-")


def test_codes_count_per_service_and_year(cast, as_user):
    client = as_user(cast.caseworker_a)
    for day in ("2024-03-01", "2024-04-01", "2025-01-10"):
        client.post(CREATE, activity_post_data(cast.service_a, date=day))
    assert sorted(Activity.objects.values_list("code", flat=True)) == [
        "SAR-081201-2024-A0001",
        "SAR-081201-2024-A0002",
        "SAR-081201-2025-A0001",
    ]


def test_the_form_has_no_inline_script_or_style(cast, as_user):
    page = as_user(cast.caseworker_a).get(CREATE).content.decode()
    assert "style=" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert 'src="/static/js/activities.js"' in page
    assert 'data-children-url="/geo/communities/"' in page
