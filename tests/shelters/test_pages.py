"""The admission, discharge, transfer and edit pages: thin views over the actions."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.actions import refer_case
from cases.models import AuditEntry
from shelters import actions
from shelters.models import Person, Shelter, Stay
from tests.factories import CaseFactory, ShelterFactory

from .conftest import ADMITTED, child, woman


def admission_data(children=(), **overrides):
    data = {
        "admitted_on": ADMITTED.isoformat(),
        "planned_discharge_on": "",
        "case_code": "",
        "referring_service": "",
        "woman_name": "Rosa Quispe Huamán",
        "woman_birth_date": "",
        "woman_age": "31",
        "children-TOTAL_FORMS": str(len(children) + 1),  # one row left empty
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "15",
    }
    for index, (name, sex, age, born) in enumerate(children):
        data.update(
            {
                f"children-{index}-full_name": name,
                f"children-{index}-sex": str(sex),
                f"children-{index}-age": str(age) if age is not None else "",
                f"children-{index}-birth_date": born or "",
            }
        )
    data.update(overrides)
    return data


def test_staff_admit_a_mother_with_two_children(cast, shelters, as_user):
    client = as_user(cast.shelter_staff)
    url = reverse("shelter_admit", args=[shelters.a.code])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        admission_data(
            children=[("Luz Quispe", 0, 7, None), ("Juan Quispe", 1, None, "2021-02-01")],
            planned_discharge_on="2024-06-01",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("shelter_board")
    stays = list(Stay.objects.order_by("pk").select_related("person"))
    assert [(s.role, s.person.sex, s.age_at_admission) for s in stays] == [
        ("woman", 0, 31),
        ("child", 0, 7),
        ("child", 1, 3),
    ]
    assert len({s.family_group for s in stays}) == 1
    assert all(s.planned_discharge_on == date(2024, 6, 1) for s in stays)
    assert all(s.admitted_by == cast.shelter_staff for s in stays)
    board = client.get(reverse("shelter_board"))
    assert [str(m) for m in board.context["messages"]] == ["3 people admitted to Hogar Warmi Wasi."]
    assert 'id="occupied-HRT-081201">3<' in board.content.decode()


def test_a_refused_admission_says_how_many_beds_are_free_and_stores_nothing(
    cast, shelters, as_user
):
    shelters.a.capacity = 2
    shelters.a.save()
    actions.admit_family(shelter=shelters.a, people=[woman("Ana")], admitted_on=ADMITTED, user=None)
    response = as_user(cast.shelter_staff).post(
        reverse("shelter_admit", args=[shelters.a.code]),
        admission_data(children=[("Luz", 0, 7, None), ("Juan", 1, 3, None)], woman_name="Eva"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="admission-refused"' in page
    assert "1 free, 3 needed" in page
    assert Stay.objects.count() == 1
    assert not Person.objects.filter(full_name="Eva").exists()
    # What she typed is still there to try another shelter.
    assert 'value="Eva"' in page


def test_bad_rows_are_marked_and_nothing_is_stored(cast, shelters, as_user):
    response = as_user(cast.shelter_staff).post(
        reverse("shelter_admit", args=[shelters.a.code]),
        admission_data(children=[("Luz", 0, 9, "2021-02-01")], woman_age=""),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["woman_age"]
    assert response.context["children"].forms[0].errors["age"]
    assert not Stay.objects.exists()


def test_admission_from_a_referred_case_is_prefilled_and_linked(cast, shelters, as_user):
    case = CaseFactory(service=cast.service_a, victim_name="Rosa Quispe Huamán", victim_age=34)
    refer_case(
        case=case,
        user=cast.caseworker_a,
        destination="shelter",
        date=case.intake_date,
        consent=True,
    )
    client = as_user(cast.shelter_staff)
    url = reverse("shelter_admit", args=[shelters.a.code])
    response = client.get(url, {"case": case.code})
    assert response.context["form"].initial["woman_name"] == "Rosa Quispe Huamán"
    # Reading her data from the case is a read of the case: audited.
    assert AuditEntry.objects.filter(case=case, user=cast.shelter_staff, action="view").exists()
    assert response.context["form"].initial["woman_age"] == 34
    response = client.post(url, admission_data(case_code=case.code.lower(), woman_age="34"))
    assert response.status_code == 302
    stay = Stay.objects.get()
    assert stay.case == case and stay.person.victim_case == case
    assert stay.referring_service == cast.service_a


def test_a_case_not_referred_to_a_shelter_cannot_be_linked(cast, shelters, as_user):
    case = CaseFactory(service=cast.service_a, victim_name="Otra Persona")
    other_region = CaseFactory(service=cast.service_b, victim_name="Lejos")
    refer_case(
        case=other_region,
        user=cast.caseworker_b,
        destination="shelter",
        date=other_region.intake_date,
        consent=True,
    )
    client = as_user(cast.shelter_staff)
    url = reverse("shelter_admit", args=[shelters.a.code])
    for unseen in (case, other_region):
        # No prefill: the case's data stays out of the page.
        page = client.get(url, {"case": unseen.code}).content.decode()
        assert unseen.victim_name not in page
        assert not AuditEntry.objects.filter(case=unseen, action="view").exists()
        response = client.post(url, admission_data(case_code=unseen.code))
        assert response.context["form"].errors["case_code"]
    assert not Stay.objects.exists()


def test_a_closed_or_already_sheltered_case_cannot_be_read_by_guessing_its_code(
    cast, shelters, as_user
):
    from cases.actions import close_case

    closed, sheltered = (
        CaseFactory(service=cast.service_a, victim_name=name) for name in ("Cerrada", "Alojada")
    )
    for case in (closed, sheltered):
        refer_case(
            case=case,
            user=cast.caseworker_a,
            destination="shelter",
            date=case.intake_date,
            consent=True,
        )
    close_case(
        case=closed, user=cast.caseworker_a, closed_on=closed.intake_date, reason="completed"
    )
    client = as_user(cast.shelter_staff)
    url = reverse("shelter_admit", args=[shelters.a.code])
    client.post(url, admission_data(case_code=sheltered.code, woman_age="30"))
    assert Stay.objects.filter(case=sheltered).exists()

    for case in (closed, sheltered):
        page = client.get(url, {"case": case.code}).content.decode()
        assert case.victim_name not in page
    assert not AuditEntry.objects.filter(case=closed, action="view").exists()


@pytest.fixture
def family(shelters):
    return actions.admit_family(
        shelter=shelters.a,
        people=[woman("Rosa"), child("Luz"), child("Juan", sex=1)],
        admitted_on=ADMITTED,
        user=None,
    )


def test_staff_discharge_the_whole_family(cast, shelters, family, as_user):
    client = as_user(cast.shelter_staff)
    url = reverse("shelter_discharge", args=[shelters.a.code, family[0].family_group])
    form = client.get(url).context["form"]
    assert set(form.initial["stays"]) == {stay.pk for stay in family}
    response = client.post(
        url,
        {
            "stays": [stay.pk for stay in family],
            "discharged_on": "2024-04-02",
            "reason": "independent",
        },
    )
    assert response.status_code == 302
    assert not Stay.objects.open().exists()
    assert set(Stay.objects.values_list("discharged_by", flat=True)) == {cast.shelter_staff.pk}
    # The family is gone from the shelter: its discharge page is now 404.
    assert client.get(url).status_code == 404


def test_a_discharge_before_the_admission_is_marked(cast, shelters, family, as_user):
    response = as_user(cast.shelter_staff).post(
        reverse("shelter_discharge", args=[shelters.a.code, family[0].family_group]),
        {"stays": [family[0].pk], "discharged_on": "2024-02-01", "reason": "other"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["discharged_on"]
    assert Stay.objects.open().count() == 3


def test_the_discharge_form_offers_only_the_familys_stays(cast, shelters, family, as_user):
    (stranger,) = actions.admit_family(
        shelter=shelters.a, people=[woman("Otra")], admitted_on=ADMITTED, user=None
    )
    response = as_user(cast.shelter_staff).post(
        reverse("shelter_discharge", args=[shelters.a.code, family[0].family_group]),
        {"stays": [stranger.pk], "discharged_on": "2024-04-02", "reason": "other"},
    )
    assert response.context["form"].errors["stays"]
    assert Stay.objects.get(pk=stranger.pk).is_open


def test_staff_transfer_a_family_within_their_region(cast, shelters, family, as_user):
    other = ShelterFactory(district=shelters.a.district, capacity=3, name="Hogar Dos")
    client = as_user(cast.shelter_staff)
    url = reverse("shelter_transfer", args=[shelters.a.code, family[0].family_group])
    destinations = client.get(url).context["form"].fields["to_shelter"].queryset
    # Every open shelter of the country with room (Cusco, then Puno), never this one.
    assert list(destinations) == [other, shelters.b]
    response = client.post(
        url,
        {
            "stays": [stay.pk for stay in family],
            "to_shelter": other.pk,
            "transferred_on": "2024-04-02",
        },
    )
    assert response.status_code == 302
    assert Stay.objects.open().filter(shelter=other).count() == 3


def test_a_transfer_to_a_full_shelter_is_refused_on_the_page(cast, shelters, family, as_user):
    small = ShelterFactory(district=shelters.a.district, capacity=2)
    response = as_user(cast.shelter_staff).post(
        reverse("shelter_transfer", args=[shelters.a.code, family[0].family_group]),
        {"stays": [s.pk for s in family], "to_shelter": small.pk, "transferred_on": "2024-04-02"},
    )
    assert response.status_code == 200
    assert "2 free, 3 needed" in str(response.context["form"].non_field_errors())
    assert Stay.objects.open().filter(shelter=shelters.a).count() == 3


def test_the_edit_page_refuses_a_capacity_below_occupancy(cast, shelters, family, as_user):
    client = as_user(cast.shelter_staff)
    url = reverse("shelter_edit", args=[shelters.a.code])
    data = {"name": "Hogar Warmi Wasi", "address": "Jr. Nuevo 1", "capacity": "2", "closed_on": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["capacity"]
    assert Shelter.objects.get(pk=shelters.a.pk).capacity == 10
    response = client.post(url, {**data, "capacity": "3"})
    assert response.status_code == 302
    shelter = Shelter.objects.get(pk=shelters.a.pk)
    assert (shelter.capacity, shelter.address) == (3, "Jr. Nuevo 1")


def test_the_edit_page_refuses_closing_with_residents(cast, shelters, family, as_user):
    response = as_user(cast.shelter_staff).post(
        reverse("shelter_edit", args=[shelters.a.code]),
        {
            "name": "Hogar",
            "address": "",
            "capacity": "10",
            "closed_on": timezone.localdate().isoformat(),
        },
    )
    assert response.context["form"].errors["closed_on"]
    assert Shelter.objects.get(pk=shelters.a.pk).closed_on is None


def test_the_detail_page_shows_residents_and_address_to_the_keeper(cast, shelters, family, as_user):
    page = as_user(cast.shelter_staff).get(reverse("shelter_detail", args=[shelters.a.code]))
    content = page.content.decode()
    assert shelters.a.address in content
    assert "Rosa" in content and "Juan" in content
    assert page.context["shelter"].free == 7


def test_the_edit_page_refuses_closing_before_opening(cast, shelters, as_user):
    response = as_user(cast.shelter_staff).post(
        reverse("shelter_edit", args=[shelters.a.code]),
        {"name": "Hogar", "address": "", "capacity": "10", "closed_on": "2019-12-31"},
    )
    assert response.context["form"].errors["closed_on"]
    assert Shelter.objects.get(pk=shelters.a.pk).closed_on is None
