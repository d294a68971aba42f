"""Playwright driving Debian's Chromium (never a downloaded browser)."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test import testcases

CHROMIUM = Path("/usr/bin/chromium")
# axe-core from npm (package-lock.json, installed by `make install`): read by the tests only.
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
# are plain synchronous code, so Django's async-safety guard does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class OneRequestAtATimeOnSQLite(ThreadedWSGIServer):
    """The live server, serving one request at a time when the test database is SQLite's.

    That database is in memory. Either the live server's threads all use the test's connection
    (`connections_override`, when the database was set up before the server started), or each
    opens its own to the same shared-cache memory. Two requests at once (the browser fetches
    `/sw.js` or the manifest while a sync runs; each saves the session) then interleave their
    transactions: one commits or releases the other's savepoint ("no such savepoint"), or finds
    a table locked, and a request fails that never fails on a database of its own, as on
    PostgreSQL, where requests stay concurrent. Django's documentation warns of this sharing.
    Each request runs whole, its response read, before the next begins; the connections stay
    concurrent, so the browser still sees a keep-alive HTTP/1.1 server.
    """

    serializes = False

    def set_app(self, app):
        self.serializes = connection.vendor == "sqlite"
        if self.serializes:
            app = _one_at_a_time(app)
        super().set_app(app)


def _one_at_a_time(app):
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            response = app(environ, start_response)
            try:
                return list(response)
            finally:
                if hasattr(response, "close"):
                    response.close()

    return serialized


@pytest.fixture(scope="session", autouse=True)
def _live_server_one_request_at_a_time():
    """Installed before the session's `live_server` starts (autouse fixtures come first)."""
    original = testcases.LiveServerThread.server_class
    testcases.LiveServerThread.server_class = OneRequestAtATimeOnSQLite
    yield
    testcases.LiveServerThread.server_class = original


@pytest.fixture(scope="session")
def playwright_driver():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run browser tests: install Debian's chromium (see .ci/run).")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def persistent_context(playwright_driver, tmp_path):
    """A browser profile on disk (tmp_path/profile), so that a test can read its raw bytes."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        viewport={"width": 360, "height": 740},
        locale="es-PE",
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-PE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """The axe-core script to inject into pages; like chromium, required in CI, else a skip."""
    if not AXE_SCRIPT.exists():
        if shutil.which("npm") is None:
            reason = "npm is not installed (apt-get install npm), so axe-core is missing"
        else:
            reason = "axe-core is not installed: run `make install` (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the accessibility tests: {reason} (see .ci/run).")
        pytest.skip(reason)
    return AXE_SCRIPT
