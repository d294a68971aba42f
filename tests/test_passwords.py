"""Passwords: a strength validator (zxcvbn) that knows local words; a page to change one's own."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse, reverse_lazy

from shelters.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD
from tests.conftest import PASSWORD

STRONG = "ovillo-maleta-quinua-9"
STRONG_ONES = [STRONG, "río verde tejado azul 47", "Quispe-Lluvia-81-Tejado!"]
# Long enough for the length rule, absent from Django's common list, not all digits: each one
# passed before the strength validator. Spanish, local or published.
WEAK = [
    DEFAULT_DEMO_PASSWORD,  # published in README.md
    DEFAULT_DEMO_PASSWORD.title() + "!",
    PASSWORD,  # the tests' own
    "contraseña2024",
    "Contrasena.2025",
    "micontraseña",
    "warmiñan2025",
    "cusco-2025",
    "teamo123456",
    "qwertyuiop",
]
CHANGE = reverse_lazy("password_change")


def refused(password: str) -> bool:
    try:
        validate_password(password)
    except ValidationError:
        return True
    return False


def test_weak_and_published_passwords_are_refused_strong_ones_pass(db):
    assert [password for password in WEAK if not refused(password)] == []
    assert [password for password in STRONG_ONES if refused(password)] == []


def test_the_refusal_explains_itself_in_spanish(db):
    with pytest.raises(ValidationError) as refusal:
        validate_password(DEFAULT_DEMO_PASSWORD)
    assert "demasiado fácil de adivinar" in " ".join(refusal.value.messages)


# --- the form, without a browser or a request ---------------------------------------------------


def test_the_change_form_refuses_a_weak_new_password_and_accepts_a_strong_one(cast):
    def form(new):
        data = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
        return PasswordChangeForm(cast.caseworker_a, data)

    weak = form("contraseña2024")
    assert not weak.is_valid()
    assert list(weak.errors) == ["new_password2"]
    assert form(STRONG).is_valid()


# --- the page -----------------------------------------------------------------------------------


def change(client, old, new, again=None):
    return client.post(
        CHANGE, {"old_password": old, "new_password1": new, "new_password2": again or new}
    )


def test_a_logged_out_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(CHANGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={CHANGE}"


@pytest.mark.parametrize(
    "person", ["caseworker_a", "shelter_staff", "national_manager", "admin", "outsider"]
)
def test_every_logged_in_user_has_the_page_in_spanish_and_a_link_to_it(cast, as_user, person):
    client = as_user(getattr(cast, person))
    page = client.get(CHANGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cambie su contraseña" in html
    assert "Contraseña antigua" in html
    assert f'href="{CHANGE}"' in client.get(reverse("home")).content.decode()


def test_a_weak_new_password_is_refused_on_the_page(cast, as_user):
    client = as_user(cast.caseworker_a)
    response = change(client, PASSWORD, DEFAULT_DEMO_PASSWORD)

    assert response.status_code == 200
    assert "demasiado fácil de adivinar" in response.content.decode()
    cast.caseworker_a.refresh_from_db()
    assert cast.caseworker_a.check_password(PASSWORD)


def test_the_current_password_is_required(cast, as_user):
    response = change(as_user(cast.caseworker_a), "not-her-password", STRONG)
    assert response.status_code == 200
    cast.caseworker_a.refresh_from_db()
    assert cast.caseworker_a.check_password(PASSWORD)


def test_a_strong_new_password_is_saved_and_she_stays_logged_in(cast, as_user):
    client = as_user(cast.caseworker_a)
    response = change(client, PASSWORD, STRONG)

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    done = client.get(response["Location"])
    assert "Su contraseña fue cambiada" in done.content.decode()
    cast.caseworker_a.refresh_from_db()
    assert cast.caseworker_a.check_password(STRONG)
    assert client.get(reverse("home")).status_code == 200


def test_the_login_page_still_logs_in_with_the_new_password(cast, as_user, client):
    change(as_user(cast.caseworker_a), PASSWORD, STRONG)
    client.logout()
    response = client.post(reverse("login"), {"username": "caseworker_a", "password": STRONG})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


# --- the demo logins ----------------------------------------------------------------------------


@pytest.mark.parametrize("password", [None, DEFAULT_DEMO_PASSWORD, "contraseña2024"])
def test_without_debug_demo_logins_refuse_the_default_or_a_weak_password(
    db, monkeypatch, settings, password
):
    """Unset, DEMO_PASSWORD would fall back to the published default (refused, as before);
    set explicitly, it must pass the validators."""
    if password is None:
        monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("DEMO_PASSWORD", password)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()
