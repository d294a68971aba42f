"""Where a family may be transferred: every open shelter in the country with room for them.

Region B (Puno) has one shelter: before, its staff found an empty list and "This field is
required". Transfers between regions are real.
"""

from datetime import date

import pytest
from django.urls import reverse

from shelters import actions
from shelters.models import Stay
from shelters.queries import transfer_destinations
from tests.factories import DistrictFactory, ProvinceFactory, RegionFactory, ShelterFactory

from .conftest import ADDRESS_A, ADMITTED, child, woman

MOVED_ON = "2024-04-02"


@pytest.fixture
def family_b(shelters):
    """A mother and two children in shelter B, the only shelter of region B."""
    return actions.admit_family(
        shelter=shelters.b,
        people=[woman(), child("Luz", age=1), child("Juan", sex=1)],
        admitted_on=ADMITTED,
        user=None,
    )


@pytest.fixture
def lima():
    region = RegionFactory(code="15", name="Lima")
    return DistrictFactory(code="150101", province=ProvinceFactory(code="1501", region=region))


def transfer_url(shelters, family):
    return reverse("shelter_transfer", args=[shelters.b.code, family[0].family_group])


def fill(shelter, beds):
    for n in range(beds):
        actions.admit_family(
            shelter=shelter, people=[woman(f"Ocupante {n}")], admitted_on=ADMITTED, user=None
        )


def test_staff_of_a_one_shelter_region_see_the_shelters_of_other_regions(
    shelters, family_b, lima, as_user
):
    ShelterFactory(name="Hogar Lima", district=lima, capacity=5, address="Av. Secreta 1")
    client = as_user(shelters.staff_b)

    response = client.get(transfer_url(shelters, family_b))

    assert response.status_code == 200
    offered = response.context["form"].fields["to_shelter"]
    # By region (Cusco, Lima), with name, region and free beds: never an address.
    assert [label for value, label in offered.choices if value] == [
        "Hogar Warmi Wasi · Cusco · 10 free beds",
        "Hogar Lima · Lima · 5 free beds",
    ]
    page = response.content.decode()
    assert "Hogar Warmi Wasi · Cusco · 10 free beds" in page
    assert ADDRESS_A not in page and "Av. Secreta 1" not in page
    assert "no-destination" not in page


def test_a_family_moves_to_another_region(shelters, family_b, as_user):
    response = as_user(shelters.staff_b).post(
        transfer_url(shelters, family_b),
        {
            "stays": [s.pk for s in family_b],
            "to_shelter": shelters.a.pk,
            "transferred_on": MOVED_ON,
        },
    )

    assert response.status_code == 302
    assert Stay.objects.open().filter(shelter=shelters.a).count() == 3
    assert not Stay.objects.open().filter(shelter=shelters.b).exists()


def test_shelters_without_room_closed_or_not_yet_open_are_not_offered(
    shelters, family_b, lima, as_user
):
    ShelterFactory(name="Hogar Chico", district=lima, capacity=2)  # 2 beds, 3 people move
    ShelterFactory(name="Hogar Cerrado", district=lima, closed_on=date(2024, 1, 1))
    ShelterFactory(name="Hogar Futuro", district=lima, opened_on=date(2099, 1, 1))
    fill(ShelterFactory(name="Hogar Casi Lleno", district=lima, capacity=4), beds=2)

    response = as_user(shelters.staff_b).get(transfer_url(shelters, family_b))

    offered = list(response.context["form"].fields["to_shelter"].queryset)
    assert offered == [shelters.a]


def test_fewer_people_moving_need_fewer_beds(shelters, family_b, lima, as_user):
    small = ShelterFactory(name="Hogar Chico", district=lima, capacity=2)
    client = as_user(shelters.staff_b)
    data = {"stays": [family_b[0].pk, family_b[1].pk], "transferred_on": MOVED_ON}

    form = client.post(transfer_url(shelters, family_b), data).context["form"]

    assert form.moving == 2
    assert list(form.fields["to_shelter"].queryset) == [shelters.a, small]
    response = client.post(transfer_url(shelters, family_b), {**data, "to_shelter": small.pk})
    assert response.status_code == 302
    assert Stay.objects.open().filter(shelter=small).count() == 2


def test_when_no_shelter_has_room_the_page_says_so_and_offers_no_list(
    shelters, family_b, lima, as_user
):
    fill(shelters.a, beds=8)  # 2 free beds in Cusco
    ShelterFactory(name="Hogar Chico", district=lima, capacity=1)

    response = as_user(shelters.staff_b).get(transfer_url(shelters, family_b))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="no-destination"' in page
    assert "No open shelter in the country has 3 free beds now" in page
    assert "to_shelter" not in page and "family-form" not in page
    assert "This field is required" not in page


def test_the_list_is_the_same_for_every_region_and_never_this_shelter(shelters, lima):
    lima_shelter = ShelterFactory(name="Hogar Lima", district=lima)
    assert list(transfer_destinations(shelters.b, people=3)) == [shelters.a, lima_shelter]
    assert list(transfer_destinations(shelters.a, people=3)) == [lima_shelter, shelters.b]
    assert list(transfer_destinations(shelters.a, people=7)) == [lima_shelter]


def test_the_destinations_are_read_in_one_query(
    shelters, family_b, lima, django_assert_num_queries
):
    for n in range(5):
        ShelterFactory(name=f"Hogar {n}", district=lima)
    # One query: shelters with region (joined) and their open stays counted by the database.
    with django_assert_num_queries(1):
        shelters_offered = list(transfer_destinations(shelters.b, people=3))
    assert len(shelters_offered) == 6
    assert [s.district.province.region.name for s in shelters_offered[:2]] == ["Cusco", "Lima"]
