"""Pages travel gzipped when the browser asks and the request is our own; BREACH stays shut out.

See config/middleware.py for the choice: answers to requests another site started are never
compressed, and the CSRF token is masked afresh in every answer besides.
"""

import gzip
import re

import pytest
from django.urls import reverse

OWN = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br", "HTTP_SEC_FETCH_SITE": "same-origin"}


def intake_form(client, **headers):
    return client.get(reverse("case_create"), **headers)


def test_the_intake_form_is_gzipped_when_asked(cast, as_user):
    client = as_user(cast.caseworker_a)
    plain = intake_form(client, HTTP_SEC_FETCH_SITE="same-origin")
    packed = intake_form(client, **OWN)

    assert packed.status_code == plain.status_code == 200
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert "<form" in html and "</html>" in html
    assert len(packed.content) < len(plain.content) / 3
    assert int(packed["Content-Length"]) == len(packed.content)


def test_not_gzipped_when_not_asked(cast, as_user):
    response = intake_form(as_user(cast.caseworker_a), HTTP_SEC_FETCH_SITE="same-origin")
    assert not response.has_header("Content-Encoding")
    assert "<form" in response.content.decode()
    assert "Accept-Encoding" in response["Vary"]  # a cache must not hand it to a gzip asker


@pytest.mark.parametrize("site", ["cross-site", "same-site", None])
def test_not_gzipped_when_another_site_may_have_started_the_request(cast, as_user, site):
    """BREACH needs the attacker's site to make the browser send chosen text: never compress it.

    Browsers too old to say where a request comes from (no header) are treated the same way.
    """
    headers = {"HTTP_ACCEPT_ENCODING": "gzip"}
    if site:
        headers["HTTP_SEC_FETCH_SITE"] = site
    response = intake_form(as_user(cast.caseworker_a), **headers)
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert "Sec-Fetch-Site" in response["Vary"]


def test_typed_addresses_and_bookmarks_are_gzipped(cast, as_user):
    response = intake_form(
        as_user(cast.caseworker_a), HTTP_ACCEPT_ENCODING="gzip", HTTP_SEC_FETCH_SITE="none"
    )
    assert response["Content-Encoding"] == "gzip"


def test_json_answers_are_gzipped_too(cast, as_user):
    response = as_user(cast.national_manager).get(
        reverse("reports:cases"), {"format": "json", "by": "month"}, **OWN
    )
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"


def test_the_csrf_token_is_masked_afresh_in_every_answer(cast, as_user):
    """The secret behind the token lives in a cookie (a header, never compressed); the forms
    carry it masked with a new random pad each time, so no two answers repeat it."""
    client = as_user(cast.caseworker_a)
    tokens = []
    for _ in range(2):
        html = gzip.decompress(intake_form(client, **OWN).content).decode()
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1))
    secret = client.cookies["csrftoken"].value
    assert tokens[0] != tokens[1]
    assert all(len(token) == 64 for token in tokens)
    assert secret not in html
    assert client.cookies["csrftoken"]["httponly"]
