"""With debug off, 400, 403, 404 and 500 are Spanish pages in the layout that give nothing away."""

import re

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.template.defaultfilters import escape
from django.templatetags.static import StaticNode

from tests.error_urls import SECRET_DETAIL

pytestmark = pytest.mark.urls("tests.error_urls")

MARKER = "zz-marker-9q"


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


@pytest.fixture
def visitor(client):
    client.raise_request_exception = False
    return client


def visible_text(page: str) -> str:
    """The page without its tags (the language switch keeps the address in a hidden field)."""
    return re.sub(r"<[^>]+>", " ", page)


def assert_gives_nothing_away(page: str) -> None:
    for clue in (SECRET_DETAIL, MARKER, "Traceback", "Django", "Exception", "None"):
        assert clue not in visible_text(page), clue
    assert escape(SECRET_DETAIL) not in page


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/test-errors/400/", 400, "Solicitud no válida"),
        ("/test-errors/403/", 403, "Acceso denegado"),
        (f"/no-such-page/{MARKER}/?q={MARKER}", 404, "Página no encontrada"),
        ("/test-errors/500/", 500, "Algo salió mal"),
    ],
)
def test_error_pages_are_spanish_in_the_layout(db, visitor, url, status, heading):
    response = visitor.get(url)

    assert response.status_code == status
    page = response.content.decode()
    assert f'<h1 class="h3">{heading}</h1>' in page
    assert '<html lang="es-pe">' in page
    assert "Warmi Ñan" in page and 'class="navbar' in page  # base.html's layout
    assert_gives_nothing_away(page)


def test_a_logged_in_person_keeps_the_menu_on_a_404(cast, as_user):
    client = as_user(cast.caseworker_a)
    page = client.get(f"/cases/{MARKER}/").content.decode()
    assert "Página no encontrada" in page
    assert "Cerrar sesión" in page
    assert_gives_nothing_away(page)


def test_a_case_outside_the_scope_gets_the_same_404_as_nothing(cast, as_user):
    from tests.factories import CaseFactory

    case = CaseFactory(service=cast.service_b)
    client = as_user(cast.caseworker_a)
    outside = client.get(f"/cases/{case.code}/")
    missing = client.get(f"/cases/{case.code}9/")
    assert outside.status_code == missing.status_code == 404
    strip = re.compile(r'<input [^>]*name="(csrfmiddlewaretoken|next)"[^>]*>')
    assert strip.sub("", outside.content.decode()) == strip.sub("", missing.content.decode())


def test_a_form_without_its_security_token_gets_the_spanish_403(cast, client):
    client.force_login(cast.caseworker_a)
    client.handler.enforce_csrf_checks = True
    response = client.post("/cases/new/", {"victim_name": MARKER})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Acceso denegado" in page
    assert "CSRF" not in page
    assert_gives_nothing_away(page)


def test_the_500_page_renders_when_the_database_is_down(cast, client, monkeypatch):
    client.force_login(cast.caseworker_a)
    client.raise_request_exception = False

    def database_down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    with monkeypatch.context() as patch:  # undone before the test database rolls back
        patch.setattr(CursorWrapper, "execute", database_down)
        patch.setattr(CursorWrapper, "executemany", database_down)
        response = client.get("/test-errors/500/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Algo salió mal" in page
    assert "could not connect" not in page


def test_the_500_page_renders_when_a_context_processor_fails(db, visitor, settings):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                "context_processors": [
                    *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                    "tests.test_error_pages.broken_context_processor",
                ]
            },
        }
    ]
    response = visitor.get("/test-errors/500/")
    assert response.status_code == 500
    assert "Algo salió mal" in response.content.decode()


def broken_context_processor(request):
    raise RuntimeError(SECRET_DETAIL)


def test_a_bare_spanish_500_when_even_the_layout_fails(db, visitor, monkeypatch):
    def manifest_missing(cls, path):
        raise ValueError(f"Missing staticfiles manifest entry for '{path}'")

    monkeypatch.setattr(StaticNode, "handle_simple", classmethod(manifest_missing))
    response = visitor.get("/test-errors/500/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Algo salió mal" in page
    assert "manifest" not in page
