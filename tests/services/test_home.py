from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CareServiceFactory, ShelterFactory


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_outsider_is_told_she_has_no_role_and_sees_no_service(cast, as_user):
    response = as_user(cast.outsider).get(reverse("home"))
    assert response.status_code == 200
    assert "no tiene un rol" in response.content.decode()
    assert cast.service_a.name not in response.content.decode()
    assert reverse("service_list") not in response.content.decode()


def test_caseworker_sees_her_own_service_only(cast, as_user):
    page = as_user(cast.caseworker_a).get(reverse("home")).content.decode()
    assert "Mis servicios" in page
    assert cast.service_a.name in page
    assert cast.service_b.name not in page


def test_regional_manager_sees_counts_of_her_region(cast, as_user):
    CareServiceFactory(district=cast.service_a.district, kind="CEM")
    response = as_user(cast.regional_manager).get(reverse("home"))
    assert response.context["service_counts"] == {"CEM": 1, "SAR": 1, "CAI": 0, "HRT": 0}
    assert "Cusco" in response.content.decode()


def test_national_manager_sees_national_counts(cast, as_user):
    response = as_user(cast.national_manager).get(reverse("home"))
    assert response.context["service_counts"] == {"CEM": 1, "SAR": 1, "CAI": 0, "HRT": 0}
    assert "red nacional" in response.content.decode()


def test_the_network_counts_include_the_shelters_open_today_in_scope(cast, as_user):
    today = timezone.localdate()
    home, other = cast.service_a.district, cast.service_b.district
    ShelterFactory(district=home, opened_on=date(2020, 1, 1))
    ShelterFactory(district=home, opened_on=date(2020, 1, 1), closed_on=today)  # closes today
    ShelterFactory(district=home, opened_on=date(2020, 1, 1), closed_on=today - timedelta(1))
    ShelterFactory(district=home, opened_on=today + timedelta(1))  # not open yet
    ShelterFactory(district=other, opened_on=date(2020, 1, 1))  # another region

    response = as_user(cast.regional_manager).get(reverse("home"))
    assert response.context["service_counts"]["HRT"] == 2
    page = " ".join(response.content.decode().split())
    assert '<div class="stat">2</div> <div class="small text-body-secondary">HRT</div>' in page

    national = as_user(cast.national_manager).get(reverse("home"))
    assert national.context["service_counts"]["HRT"] == 3


def test_shelter_staff_sees_her_region_and_no_services_link(cast, as_user):
    page = as_user(cast.shelter_staff).get(reverse("home")).content.decode()
    assert "Hogares de refugio temporal" in page
    assert "Cusco" in page
    assert reverse("service_list") not in page


def test_admin_gets_the_admin_link(cast, as_user):
    page = as_user(cast.admin).get(reverse("home")).content.decode()
    assert reverse("admin:index") in page


@pytest.mark.parametrize("extra_services", [0, 10])
def test_home_queries_do_not_grow_with_services(
    cast, as_user, django_assert_num_queries, extra_services
):
    for _ in range(extra_services):
        CareServiceFactory(district=cast.service_a.district)
        ShelterFactory(district=cast.service_a.district)
    client = as_user(cast.national_manager)
    # session, user, assignments, services and shelters counted by kind (one query); then the
    # session's new expiry (savepoint, update, release: idle sessions expire, so every request
    # saves it)
    with django_assert_num_queries(8):
        client.get(reverse("home"))
