from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from services.models import CareService, Community, StaffAssignment
from services.scopes import scope_for


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    return "demo-password-for-tests"


def snapshot():
    services = list(
        CareService.objects.values_list("code", "kind", "name", "opened_on", "closed_on")
    )
    communities = list(Community.objects.values_list("code", "name", "kind").order_by("code"))
    return sorted(services), communities


def test_one_demo_login_per_role_with_the_printed_password(db, demo_password, rf):
    output = seed()

    assert "demo-password-for-tests" in output
    User = get_user_model()
    for username in ("caseworker", "manager", "shelter", "national", "admin"):
        assert username in output
        assert authenticate(rf.get("/"), username=username, password=demo_password)
    assert scope_for(User.objects.get(username="caseworker")).is_caseworker
    assert scope_for(User.objects.get(username="manager")).manager_regions == {"08"}
    assert scope_for(User.objects.get(username="shelter")).shelter_regions == {"08"}
    assert scope_for(User.objects.get(username="national")).national
    assert scope_for(User.objects.get(username="admin")).is_admin


def test_network_has_every_kind_and_sars_with_coverage(db, demo_password):
    seed()
    kinds = set(CareService.objects.values_list("kind", flat=True))
    assert kinds == {"SAR", "CEM", "CAI"}
    for sar in CareService.objects.filter(kind="SAR"):
        assert sar.covered_districts.filter(pk=sar.district_id).exists()
        assert sar.covered_communities.exists()
        assert not sar.covered_communities.exclude(
            district__in=sar.covered_districts.all()
        ).exists()


def test_the_same_seed_gives_the_same_network_and_a_rerun_adds_nothing(db, demo_password):
    seed(seed=7)
    first = snapshot()
    users = get_user_model().objects.count()
    assignments = StaffAssignment.objects.count()

    seed(seed=7)

    assert snapshot() == first
    assert get_user_model().objects.count() == users
    assert StaffAssignment.objects.count() == assignments


def test_refuses_default_password_when_debug_is_off(db, monkeypatch, settings):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        seed()
