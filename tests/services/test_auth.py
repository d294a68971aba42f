from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

LOGIN = reverse("login")


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_page_is_in_spanish(client, db):
    page = client.get(LOGIN).content.decode()
    assert "Iniciar sesión" in page
    assert "Nombre de usuario" in page
    assert 'lang="es-pe"' in page


def test_good_credentials_log_in_and_land_on_home(client, cast):
    response = attempt(client, "caseworker_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_is_refused_with_a_message(client, cast):
    response = attempt(client, "caseworker_a", "wrong-password")
    assert response.status_code == 200
    assert (
        "Por favor, introduzca un nombre de usuario y clave correctos" in response.content.decode()
    )


def test_five_failures_lock_the_account_even_for_the_right_password(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "caseworker_a", "wrong-password")

    response = attempt(client, "caseworker_a", PASSWORD)

    assert response.status_code == 429
    assert "Cuenta bloqueada" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "caseworker_a", "wrong-password")
    assert attempt(client, "caseworker_a", PASSWORD).status_code == 302


def test_lockout_is_per_account_not_per_office(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "caseworker_a", "wrong-password")
    # A colleague behind the same address still gets in.
    assert attempt(client, "caseworker_b", PASSWORD).status_code == 302


def test_session_lasts_30_minutes_from_the_last_request(client, cast):
    attempt(client, "caseworker_a", PASSWORD)
    client.get(reverse("home"))
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_an_idle_session_is_over(client, cast):
    attempt(client, "caseworker_a", PASSWORD)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_logout_is_a_post_and_ends_the_session(client, cast):
    attempt(client, "caseworker_a", PASSWORD)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_weak_passwords_are_refused(db):
    import pytest
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678901", "password123", "corta"):
        with pytest.raises(ValidationError):
            validate_password(weak)
