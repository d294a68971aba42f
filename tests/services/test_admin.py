import pytest
from django.urls import reverse

from services.models import CareService, Community, District, Province, Region, StaffAssignment
from tests.factories import CommunityFactory

MODELS = [Region, Province, District, Community, CareService, StaffAssignment]


def admin_url(model, action="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelists_and_add_forms_work_in_spanish(cast, as_user, model):
    client = as_user(cast.admin)
    response = client.get(admin_url(model), {"q": "a"})
    assert response.status_code == 200
    assert "Buscar" in response.content.decode()
    assert client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("member", ["outsider", "caseworker_a", "national_manager"])
def test_admin_is_closed_to_everyone_but_administrators(cast, as_user, member):
    response = as_user(getattr(cast, member)).get(admin_url(CareService))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_refuses_coverage_outside_the_sars_districts(cast, as_user):
    elsewhere = CommunityFactory(district=cast.service_b.district)
    service = cast.service_a
    response = as_user(cast.admin).post(
        admin_url(CareService, "change", service.pk),
        {
            "code": service.code,
            "kind": "SAR",
            "name": service.name,
            "district": service.district_id,
            "opened_on": "2020-01-01",
            "covered_districts": [service.district_id],
            "covered_communities": [elsewhere.pk],
        },
    )
    assert response.status_code == 200
    assert "fuera de los distritos cubiertos" in response.content.decode()
    assert not service.covered_communities.exists()


def test_staff_with_model_permissions_but_not_superuser_stay_out(cast, as_user):
    from django.contrib.auth.models import Permission

    from tests.factories import CaseFactory

    case = CaseFactory(service=cast.service_b)
    manager = cast.regional_manager
    manager.is_staff = True
    manager.save()
    manager.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client = as_user(manager)
    for url in ("/admin/", f"/admin/cases/case/{case.pk}/change/", "/admin/shelters/shelter/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"]
