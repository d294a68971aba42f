"""Security headers: Content-Security-Policy, Permissions-Policy, no-store on logged-in pages.

The CSP forbids inline script and style, so no page may carry any: every template is read,
and the key pages and every admin list and form are rendered and parsed. The browser side
(zero violations reported by Chromium) is tests/browser/test_csp.py.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

from django.contrib import admin
from django.urls import reverse

from tests.browser.steps import build_world

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
    "worker-src": {"'self'"},
    "manifest-src": {"'self'"},
}
DENIED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth"]


def policy(response) -> dict[str, set[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


class InlineFinder(HTMLParser):
    """Collect what a CSP without 'unsafe-inline' would block in a page."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if "style" in names:
            self.found.append(f"<{tag} style={names['style']!r}>")
        self.found.extend(f"<{tag} {name}=...>" for name in names if name.startswith("on"))
        if tag == "style":
            self.found.append("<style> element")
        data_only = names.get("type") in {"application/json", "application/ld+json"}
        self._in_script = tag == "script" and "src" not in names and not data_only
        for name in ("href", "src", "action", "formaction"):
            if (names.get(name) or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")


INLINE_SAMPLE = (
    '<div style="width: 5%"></div><button onclick="go()">x</button><style>p{}</style>'
    "<script>alert(1)</script><script src='/s.js'></script><a href='javascript:go()'>y</a>"
    '<script type="application/json">{}</script>'
)
PEOPLE = ("caseworker_a", "shelter_staff", "national_manager", "admin")


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


# --- the policy ---------------------------------------------------------------------------------


def test_every_page_carries_the_policy(cast, as_user, client):
    for response in (
        client.get(reverse("login")),
        as_user(cast.caseworker_a).get(reverse("home")),
        as_user(cast.caseworker_a).get(reverse("field_sw")),
    ):
        directives = policy(response)
        for name, sources in REQUIRED.items():
            assert directives.get(name) == sources, name


def test_the_policy_allows_nothing_inline_nothing_evaluated_and_no_other_site(client, db):
    header = client.get(reverse("login"))["Content-Security-Policy"]
    for unsafe in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "nonce-", "sha256-", "*"):
        assert unsafe not in header
    assert not re.search(r"https?:", header)


def test_the_admin_and_the_error_pages_carry_it_too(cast, as_user, client):
    assert "Content-Security-Policy" in as_user(cast.admin).get(reverse("admin:index"))
    assert "Content-Security-Policy" in client.get("/no-such-page/")


def test_permissions_policy_denies_every_powerful_feature(client, db):
    header = client.get(reverse("login"))["Permissions-Policy"]
    features = dict(item.strip().split("=", 1) for item in header.split(","))
    for feature in DENIED_FEATURES:
        assert features[feature] == "()", feature
    assert all(allowed == "()" for allowed in features.values())


# --- no inline code anywhere --------------------------------------------------------------------


def template_findings(text: str) -> list[str]:
    """Inline style, handlers and scripts in a template's text (its {% comment %}s aside)."""
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)
    found = re.findall(r"\sstyle\s*=|<style\b|\son[a-z]+\s*=", text)
    found += [
        f"<script{attributes}>"
        for attributes in re.findall(r"<script\b([^>]*)>", text)
        if "src=" not in attributes and "application/json" not in attributes
    ]
    return found


def test_no_template_holds_inline_script_or_style():
    assert len(template_findings(INLINE_SAMPLE)) == 4  # style, onclick, <style>, <script>
    found = {str(path.relative_to(ROOT)): template_findings(path.read_text()) for path in TEMPLATES}
    assert {path: items for path, items in found.items() if items} == {}


def key_pages(cast) -> list[tuple[str | None, str]]:
    case, shelter = build_world(cast)
    return [
        (None, reverse("login")),
        ("caseworker_a", reverse("home")),
        ("caseworker_a", reverse("case_list")),
        ("caseworker_a", reverse("case_create")),
        ("caseworker_a", reverse("case_detail", args=[case.code])),
        ("caseworker_a", reverse("case_edit", args=[case.code])),
        ("caseworker_a", reverse("case_add_action", args=[case.code])),
        ("caseworker_a", reverse("case_refer", args=[case.code])),
        ("caseworker_a", reverse("service_list")),
        ("caseworker_a", reverse("field")),
        ("caseworker_a", reverse("password_change")),
        ("shelter_staff", reverse("shelter_board")),
        ("shelter_staff", reverse("shelter_detail", args=[shelter.code])),
        ("shelter_staff", reverse("shelter_admit", args=[shelter.code])),
        ("national_manager", reverse("shelter_national")),
        ("national_manager", reverse("reports:index")),
        ("national_manager", reverse("reports:rural_coverage")),
        ("national_manager", reverse("reports:shelters")),
        ("national_manager", reverse("reports:network")),
        ("national_manager", reverse("reports:cases") + "?by=month"),
        ("national_manager", reverse("reports:cases") + "?by=service"),
        ("admin", reverse("home")),
        ("admin", reverse("admin:index")),
        ("admin", reverse("admin:password_change")),
    ]


def admin_pages() -> list[tuple[str, str]]:
    """Every list and add form of the admin, and a change form per model with a row."""
    pages = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return [("admin", path) for path in pages]


def test_no_page_holds_inline_script_or_style(cast, client):
    """The key pages of every role, and every list and form of the admin (Django's change list
    adds a <style> element when a model has no actions: none may)."""
    assert len(inline_code(INLINE_SAMPLE)) == 5  # style, onclick, <style>, <script>, javascript:
    people = {name: getattr(cast, name) for name in PEOPLE}
    found = {}
    for username, path in key_pages(cast) + admin_pages():
        client.logout()
        if username:
            client.force_login(people[username])
        response = client.get(path)
        if response.status_code == 403 and path.endswith("/add/"):
            continue  # a model nobody adds by hand (axes' logs, the audit trail)
        assert response.status_code == 200, path
        found[path] = inline_code(response.content.decode())
    assert len(found) > 40
    assert {path: items for path, items in found.items() if items} == {}


# --- never stored by the browser ----------------------------------------------------------------


def test_home_services_and_geography_are_never_stored(cast, as_user):
    client = as_user(cast.regional_manager)
    district = cast.service_a.district
    for path in (
        reverse("home"),
        reverse("service_list"),
        reverse("service_detail", args=[cast.service_a.code]),
        reverse("geo_provinces") + f"?parent={district.province.region_id}",
        reverse("geo_districts") + f"?parent={district.province_id}",
        reverse("geo_communities") + f"?parent={district.code}",
        reverse("password_change"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, path
