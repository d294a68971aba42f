"""The whole cast against every shelter URL: out of scope is 404, never a hint; addresses are
seen only by their region's shelter staff and by administrators."""

import re

import pytest
from django.urls import reverse

from shelters import actions
from tests.factories import CaseFactory

from .conftest import ADDRESS_A, ADDRESS_B, ADMITTED, child, woman


@pytest.fixture
def families(shelters):
    """One family staying in each shelter; returns their family groups (a, b)."""
    a = actions.admit_family(
        shelter=shelters.a,
        people=[woman("Rosa Quispe"), child("Luz")],
        admitted_on=ADMITTED,
        user=None,
    )
    b = actions.admit_family(
        shelter=shelters.b, people=[woman("Juana Mamani")], admitted_on=ADMITTED, user=None
    )
    return a[0].family_group, b[0].family_group


def shelter_urls(shelter, family):
    return [
        reverse("shelter_detail", args=[shelter.code]),
        reverse("shelter_edit", args=[shelter.code]),
        reverse("shelter_admit", args=[shelter.code]),
        reverse("shelter_discharge", args=[shelter.code, family]),
        reverse("shelter_transfer", args=[shelter.code, family]),
    ]


def test_anonymous_is_sent_to_login(client, shelters, families):
    urls = [reverse("shelter_board"), reverse("shelter_national")]
    for url in urls + shelter_urls(shelters.a, families[0]):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "member, keeps",
    [
        ("shelter_staff", {"a"}),
        ("staff_b", {"b"}),
        ("admin", {"a", "b"}),
        ("caseworker_a", set()),
        ("caseworker_b", set()),
        ("regional_manager", set()),
        ("national_manager", set()),
        ("outsider", set()),
    ],
)
def test_only_the_regions_shelter_staff_and_admins_open_shelter_pages(
    cast, shelters, families, as_user, member, keeps
):
    person = getattr(shelters, member, None) or getattr(cast, member)
    client = as_user(person)
    board = client.get(reverse("shelter_board"))
    assert board.status_code == (200 if keeps else 404)
    for key, family in zip(("a", "b"), families, strict=True):
        shelter = getattr(shelters, key)
        for url in shelter_urls(shelter, family):
            assert client.get(url).status_code == (200 if key in keeps else 404), url
        # Writes are refused the same way (and change nothing).
        response = client.post(reverse("shelter_discharge", args=[shelter.code, family]), {})
        assert response.status_code == (200 if key in keeps else 404)
    if keeps:
        shown = {shelter.code for shelter in board.context["shelters"]}
        assert shown == {getattr(shelters, key).code for key in keeps}


def test_a_family_of_another_shelter_is_404_even_in_my_region(shelters, families, as_user, cast):
    """The family UUID must belong to the shelter in the URL."""
    client = as_user(cast.admin)
    url = reverse("shelter_discharge", args=[shelters.a.code, families[1]])
    assert client.get(url).status_code == 404


def test_unknown_shelter_is_404(cast, as_user, shelters):
    assert as_user(cast.admin).get("/shelters/HRT-NOPE/").status_code == 404


@pytest.mark.parametrize(
    "member, regions",
    [
        ("national_manager", {"08", "21"}),
        ("regional_manager", {"08"}),
        ("admin", {"08", "21"}),
    ],
)
def test_managers_see_the_national_view_of_their_scope(
    cast, shelters, families, as_user, member, regions
):
    response = as_user(getattr(cast, member)).get(reverse("shelter_national"))
    assert response.status_code == 200
    assert {row.region.code for row in response.context["regions"]} == regions


@pytest.mark.parametrize("member", ["shelter_staff", "caseworker_a", "outsider"])
def test_others_get_404_on_the_national_view(cast, shelters, as_user, member):
    assert as_user(getattr(cast, member)).get(reverse("shelter_national")).status_code == 404


def test_the_national_view_shows_no_address_and_no_name(cast, shelters, families, as_user):
    page = as_user(cast.national_manager).get(reverse("shelter_national")).content.decode()
    assert shelters.a.code in page and shelters.b.code in page
    for secret in (ADDRESS_A, ADDRESS_B, "Rosa", "Quispe", "Luz", "Juana", "Mamani"):
        assert secret not in page


def test_addresses_appear_only_to_their_regions_staff(cast, shelters, families, as_user):
    def detail(member, shelter):
        page = as_user(member).get(reverse("shelter_detail", args=[shelter.code]))
        return page.content.decode()

    assert ADDRESS_A in detail(cast.shelter_staff, shelters.a)
    assert ADDRESS_A in detail(cast.admin, shelters.a)
    assert ADDRESS_B in detail(cast.admin, shelters.b)
    # The board is a list: it shows no address, not even to the region's staff.
    board_a = as_user(cast.shelter_staff).get(reverse("shelter_board")).content.decode()
    assert ADDRESS_A not in board_a and ADDRESS_B not in board_a
    assert "Juana" not in board_a  # nor another region's residents
    admin_board = as_user(cast.admin).get(reverse("shelter_board")).content.decode()
    assert ADDRESS_A not in admin_board and ADDRESS_B not in admin_board
    # Another region's staff: the pages of shelter A are 404, so nothing of it is shown.
    client = as_user(shelters.staff_b)
    response = client.get(reverse("shelter_detail", args=[shelters.a.code]))
    assert response.status_code == 404
    assert ADDRESS_A not in response.content.decode()
    assert ADDRESS_A not in client.get(reverse("shelter_board")).content.decode()


def test_case_pages_never_show_a_shelter_address(cast, shelters, as_user):
    case = CaseFactory(service=cast.service_a)
    actions.admit_family(
        shelter=shelters.a, people=[woman()], admitted_on=ADMITTED, user=None, case=case
    )
    for member in ("caseworker_a", "regional_manager", "national_manager"):
        client = as_user(getattr(cast, member))
        for url in (reverse("case_detail", args=[case.code]), reverse("case_list")):
            response = client.get(url)
            assert response.status_code == 200
            assert ADDRESS_A not in response.content.decode()


def test_shelter_pages_are_never_cached(cast, shelters, families, as_user):
    client = as_user(cast.shelter_staff)
    urls = [reverse("shelter_board")] + shelter_urls(shelters.a, families[0])
    for url in urls:
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
    national = as_user(cast.national_manager).get(reverse("shelter_national"))
    assert "no-store" in national["Cache-Control"]


def test_names_never_go_in_urls(cast, shelters, families, as_user):
    page = as_user(cast.shelter_staff).get(reverse("shelter_board")).content.decode()
    assert "Rosa Quispe" in page
    for href in re.findall(r'href="([^"]+)"', page):
        assert "Rosa" not in href and "Quispe" not in href
