"""Who may use field mode: caseworkers only. An expired session is told in JSON, not redirected."""

import pytest
from django.test import Client

from .conftest import PACKAGE, SYNC, post_json

API = [
    ("get", "/api/v1/csrf/"),
    ("get", "/api/v1/field/open-cases/"),
    ("post", PACKAGE),
    ("get", "/api/v1/field/geography/"),
    ("post", SYNC),
    ("get", "/api/v1/openapi.json"),
]
NOT_CASEWORKERS = ["outsider", "regional_manager", "national_manager", "shelter_staff", "admin"]
LOGIN_REQUIRED = {"error": "login_required", "login_url": "/accounts/login/?next=/field/"}


def call(client, method, url):
    if method == "get":
        return client.get(url)
    return post_json(client, url, {"cases": ["X"]} if url == PACKAGE else {"items": []})


@pytest.mark.parametrize(("method", "url"), API)
def test_an_anonymous_request_answers_401_json_not_a_redirect(cast, client, method, url):
    response = call(client, method, url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == LOGIN_REQUIRED


@pytest.mark.parametrize(("method", "url"), API)
def test_an_expired_session_with_a_stale_csrf_token_still_answers_401(cast, method, url):
    client = Client(enforce_csrf_checks=True)
    response = call(client, method, url)
    assert response.status_code == 401
    assert response.json() == LOGIN_REQUIRED


@pytest.mark.parametrize("role", NOT_CASEWORKERS)
@pytest.mark.parametrize(("method", "url"), API)
def test_anyone_but_a_caseworker_gets_404(cast, as_user, role, method, url):
    response = call(as_user(getattr(cast, role)), method, url)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}


@pytest.mark.parametrize(("method", "url"), API)
def test_a_caseworker_is_answered(cast, as_user, method, url):
    response = call(as_user(cast.caseworker_a), method, url)
    # The package of an unknown case is a 404 of its own (tested in test_package.py).
    assert response.status_code == (404 if url == PACKAGE else 200)
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("role", NOT_CASEWORKERS)
def test_the_field_page_is_404_for_anyone_but_a_caseworker(cast, as_user, role):
    assert as_user(getattr(cast, role)).get("/field/").status_code == 404


def test_the_field_page_sends_an_anonymous_visitor_to_the_login(cast, client):
    response = client.get("/field/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/field/"


def test_a_post_without_the_csrf_token_is_refused_in_json(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.caseworker_a)

    refused = post_json(client, SYNC, {"items": []})
    token = client.get("/api/v1/csrf/").json()["csrfToken"]
    accepted = post_json(client, SYNC, {"items": []}, headers={"X-CSRFToken": token})

    assert refused.status_code == 403
    assert refused.json() == {"error": "csrf_failed"}
    assert accepted.status_code == 200
    assert accepted.json() == {"items": []}


def test_api_answers_are_never_cached_by_the_browser(cast, as_user):
    response = as_user(cast.caseworker_a).get("/api/v1/field/open-cases/")
    assert "no-store" in response["Cache-Control"]
