"""Playwright driving Debian's Chromium (never a downloaded browser)."""

import os
import shutil
from pathlib import Path

import pytest

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
