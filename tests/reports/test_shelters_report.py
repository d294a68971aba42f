"""People sheltered: each person once, classed by sex and age at admission."""

from datetime import date

import pytest

from tests.factories import PersonFactory, ShelterFactory, StayFactory

URL = "/reports/shelters/"


def report(client, **params):
    """The exact figures, as the page shows them to a person in scope (files hide small ones)."""
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.context["data"]


@pytest.fixture
def shelter(cast):
    return ShelterFactory(district=cast.service_a.district, code="HRT-081201")


def test_a_person_with_two_stays_is_counted_once(cast, as_user, shelter):
    woman = PersonFactory(sex=0)
    StayFactory(
        shelter=shelter,
        person=woman,
        admitted_on=date(2023, 1, 10),
        discharged_on=date(2023, 2, 10),
    )
    StayFactory(shelter=shelter, person=woman, admitted_on=date(2023, 8, 1))
    figures = report(as_user(cast.national_manager), year=2023)
    assert figures["people_sheltered"] == 1
    assert figures["stays"] == 2
    assert figures["women"] == 1


def test_overlap_bounds_and_classes(cast, as_user, shelter):
    def stay(sex, age, admitted, discharged=None):
        return StayFactory(
            shelter=shelter,
            person=PersonFactory(sex=sex),
            age_at_admission=age,
            admitted_on=admitted,
            discharged_on=discharged,
        )

    stay(0, 18, date(2023, 12, 31))  # admitted on `to`: a woman
    stay(0, 17, date(2022, 5, 1), date(2023, 1, 1))  # discharged on `from`: a girl
    stay(1, 5, date(2022, 5, 1))  # still there: a boy
    stay(1, 18, date(2023, 6, 1), date(2023, 6, 2))  # a man
    stay(0, 30, date(2022, 5, 1), date(2022, 12, 31))  # left the day before: out
    stay(0, 30, date(2024, 1, 1))  # came the day after: out

    figures = report(as_user(cast.national_manager), year=2023)

    assert figures == {
        "period": {"from": "2023-01-01", "to": "2023-12-31"},
        "people_sheltered": 4,
        "women": 1,
        "girls": 1,
        "boys": 1,
        "men": 1,
        "stays": 4,
    }


def test_scope_limits_the_shelters(cast, as_user, shelter):
    StayFactory(shelter=shelter, admitted_on=date(2023, 3, 1))
    StayFactory(
        shelter=ShelterFactory(district=cast.service_b.district), admitted_on=date(2023, 3, 1)
    )
    assert report(as_user(cast.national_manager), year=2023)["people_sheltered"] == 2
    assert report(as_user(cast.regional_manager), year=2023)["people_sheltered"] == 1
    assert report(as_user(cast.shelter_staff), year=2023)["people_sheltered"] == 1
    assert report(as_user(cast.caseworker_b), year=2023)["people_sheltered"] == 0


def test_a_caseworker_sees_the_stays_her_services_referred(cast, as_user, shelter):
    StayFactory(shelter=shelter, referring_service=cast.service_b, admitted_on=date(2023, 3, 1))
    StayFactory(shelter=shelter, admitted_on=date(2023, 3, 1))
    assert report(as_user(cast.caseworker_b), year=2023)["people_sheltered"] == 1


def test_the_address_is_not_in_the_report(cast, as_user, shelter):
    StayFactory(shelter=shelter, admitted_on=date(2023, 3, 1))
    client = as_user(cast.national_manager)
    for fmt in ("", "json", "csv"):
        body = client.get(URL, {"year": 2023, "format": fmt}).content.decode("utf-8-sig")
        assert shelter.address not in body
