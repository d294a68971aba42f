"""Browsers ask for /favicon.ico on every first visit: answer an icon, not a 404."""


def test_favicon_is_served_and_cached(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age=604800" in response["Cache-Control"]


def test_favicon_needs_no_login_and_no_database(client):
    # No `db` fixture: any query would fail the test.
    assert client.get("/favicon.ico").status_code == 200
