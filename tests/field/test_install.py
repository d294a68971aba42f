"""The web app manifest and the service worker, served from the root."""

import pytest

from field import views


def test_the_manifest_names_the_app_in_spanish_and_starts_at_the_field_page(client, db):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Warmi Ñan · Salida de campo"
    assert manifest["short_name"]
    assert manifest["start_url"] == "/field/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0a58ca"
    assert manifest["lang"] == "es-pe"
    assert manifest["icons"] == [
        {"src": "/static/favicon.svg", "type": "image/svg+xml", "sizes": "any", "purpose": "any"}
    ]
    assert b"Salida de campo" in response.content  # UTF-8, not \\u escapes


def test_the_manifest_needs_no_session(client, db):
    """Browsers fetch the manifest without cookies: it must not be behind the login."""
    assert client.get("/manifest.webmanifest").status_code == 200


def test_the_navbar_colour_is_the_theme_colour():
    # Bootstrap 5.3's primary (#0d6efd) darkened for contrast in app.css, or its own.
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    assert views.THEME_COLOR in css


@pytest.fixture
def static_dirs(settings, tmp_path):
    source, collected = tmp_path / "static", tmp_path / "collected"
    source.mkdir()
    collected.mkdir()
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = collected
    return source, collected


def test_the_service_worker_is_served_from_the_root_with_its_scope(client, db, static_dirs):
    source, _collected = static_dirs
    (source / "js" / "field").mkdir(parents=True)
    (source / "js" / "field" / "sw.js").write_text('"use strict"; // worker\n')

    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert response.content == b'"use strict"; // worker\n'


def test_the_collected_service_worker_is_served_when_the_source_is_not_there(
    client, db, static_dirs
):
    _source, collected = static_dirs
    (collected / "js" / "field").mkdir(parents=True)
    (collected / "js" / "field" / "sw.js").write_text("// collected\n")
    assert client.get("/sw.js").content == b"// collected\n"


def test_no_service_worker_file_is_a_404(client, db, static_dirs):
    assert client.get("/sw.js").status_code == 404


def test_the_real_service_worker_when_it_exists(client, db):
    from django.contrib.staticfiles import finders

    if not finders.find(views.SERVICE_WORKER):
        pytest.skip("static/js/field/sw.js not written yet")
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Service-Worker-Allowed"] == "/"
