"""Every asset is served by the application itself: no CDN, nothing fetched from elsewhere."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

TEMPLATES = Path(settings.BASE_DIR) / "templates"
EXTERNAL = re.compile(r"""(src|href)=["'](https?:)?//""", re.IGNORECASE)


def test_no_template_loads_anything_from_another_host():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in EXTERNAL.finditer(path.read_text())
    ]
    assert offenders == []


def test_bootstrap_is_installed_and_found_by_staticfiles():
    assert finders.find("bootstrap/css/bootstrap.min.css")
    assert finders.find("bootstrap/js/bootstrap.bundle.min.js")


def test_pages_link_bootstrap_from_our_static_url(client, cast):
    client.force_login(cast.caseworker_a)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{settings.STATIC_URL}bootstrap/css/bootstrap.min.css"' in page.replace(
        'href="/static/', f'href="{settings.STATIC_URL}'
    )
    assert not EXTERNAL.search(page)
