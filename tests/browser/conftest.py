"""Browser tests: Debian's headless Chromium, driven by Playwright's sync API, against pytest-django's
live server (which serves the static files, so pages are styled as in production).

Every test in this directory is marked `browser` (`bin/test -m "not browser"` leaves them out). Without
/usr/bin/chromium they are skipped, except in CI (CI=true), where a missing browser is an error.

Fixtures: `browser` (one Chromium for the directory), `viewport` (1280x800 unless a test is decorated
with tests.browser.helpers.each_viewport), `page` (a fresh context at that viewport whose relative
URLs go to the live server), `staff_user`, and `signed_in_page` (`page` after signing `staff_user` in
through the login form). Helpers (sign_in, assert_no_horizontal_overflow, save_screenshot) are in
tests/browser/helpers.py.
"""
import os
from pathlib import Path

import pytest

from tests.browser.helpers import DESKTOP, is_local, sign_in
from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
BROWSER_DIR = Path(__file__).resolve().parent


def in_ci():
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark this directory's tests `browser` before `-m` selects (tryfirst), and skip them when
    Chromium is missing on a developer's machine. In CI they stay, and the `browser` fixture fails."""
    missing = not CHROMIUM.exists() and not in_ci()
    for item in items:
        if BROWSER_DIR not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt-get install chromium); CI=true makes this an error"))


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for every browser test.

    Playwright's sync API runs its own asyncio loop in the test thread (a greenlet switches into it
    for each call), so Django sees a running loop and refuses ORM calls from that thread
    (SynchronousOnlyOperation, "You cannot call this from an async context"), though the loop
    serves nothing else and is paused while the test's own code runs. DJANGO_ALLOW_ASYNC_UNSAFE
    lifts that check while the browser is up (this package's tests only: the loop stops with
    Playwright, and the variable goes with it). The live server answers from its own thread.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: CI runs the browser tests (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def viewport():
    """The page's size; `@each_viewport` (tests.browser.helpers) parametrizes it."""
    return DESKTOP


@pytest.fixture
def page(browser, live_server, viewport):
    """A page in a fresh browser context (no cookies) at `viewport`; `page.goto("/identities/")`
    goes to the live server. The context never reaches the network: every request to another host
    is aborted and kept in `page.external_requests`. A test fails if its page made one, if a script
    on it raised (`page.errors`) or if a file a page loads (style, script, image; not the page
    itself, which a test may expect to be a 404) answered an error (`page.failed_loads`)."""
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    external_requests = []

    def keep_local(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            external_requests.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", keep_local)
    browser_page = context.new_page()
    browser_page.external_requests = external_requests
    browser_page.errors = []
    browser_page.failed_loads = []
    browser_page.on("pageerror", lambda error: browser_page.errors.append(str(error)))
    browser_page.on("response", lambda response: record_failed_load(browser_page.failed_loads, response))
    yield browser_page
    context.close()
    assert not external_requests, f"the page requested other hosts: {external_requests}"
    assert not browser_page.errors, f"scripts on the page raised: {browser_page.errors}"
    assert not browser_page.failed_loads, f"files the pages loaded answered errors: {browser_page.failed_loads}"


def record_failed_load(failed_loads, response):
    if response.status >= 400 and response.request.resource_type != "document":
        failed_loads.append(f"{response.status} {response.url}")


@pytest.fixture
def staff_user(transactional_db):
    return UserFactory(is_staff=True)


@pytest.fixture
def signed_in_page(page, staff_user):
    """`page`, signed in as `staff_user` through the login form, on the identity list."""
    sign_in(page, staff_user)
    return page
