"""What browser tests share besides fixtures: the two viewports, signing in through the login form,
the layout checks and the screenshots written under docs/screenshots/."""
import io
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# `@each_viewport` runs a test at 1280x800 and at 390x844: it parametrizes the `viewport` fixture
# that `page` opens its browser context with (test ids end in -1280 and -390).
each_viewport = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=lambda size: str(size["width"]))

PASSWORD = "the-right-password"  # tests.factories.UserFactory's
SCREENSHOTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOT_MAX_HEIGHT = 2400  # px: the top of a long page shows what it holds
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def is_local(url):
    """True for URLs the live server answers (and data:/blob: URLs that need no network)."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname in LOCAL_HOSTS


def sign_in(page, user, *, password=PASSWORD):
    """Sign `user` in through the real login form (templates/registration/login.html) and wait for
    the console's identity list, where a sign-in lands. The password is right, so the sign-in
    throttle (django-axes) counts no failure; a right sign-in resets the count besides."""
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/identities/")
    assert page.get_by_role("button", name=f"Sign out {user.get_username()}").is_visible()
    assert_styled(page)


def assert_styled(page):
    """Every stylesheet the page links arrived and holds rules: the console's CSS is served for
    real (by the live server's static files handler), not a 404 that leaves the page unstyled."""
    sheets = page.evaluate(
        """() => Array.from(document.styleSheets).map((sheet) => {
            let rules = -1;
            try { rules = sheet.cssRules.length; } catch (error) { rules = -1; }
            return {href: sheet.href, rules: rules};
        })"""
    )
    assert sheets, "the page links no stylesheet"
    empty = [sheet["href"] for sheet in sheets if sheet["rules"] <= 0]
    assert not empty, f"stylesheets with no rules (not served?): {empty}"


def assert_images_loaded(page):
    """Every image on the page arrives and decodes (a broken face is a 404 or a bad JPEG); lazy
    images are loaded too, wherever they are on the page."""
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach((image) => { image.loading = 'eager'; })")
    page.wait_for_function("Array.from(document.images).every((image) => image.complete)")
    broken = page.evaluate("Array.from(document.images).filter((image) => image.naturalWidth === 0).map((image) => image.src)")
    assert not broken, f"images that did not load: {broken}"


def assert_no_horizontal_overflow(page):
    """Nothing sticks out sideways (document.documentElement.scrollWidth <= window.innerWidth), so
    a phone user never scrolls left and right to read a page. Names what sticks out when it fails.

    Measured once the page has loaded: right after a form's redirect its text can be there before
    its stylesheet is, and an unstyled page is as wide as its widest table."""
    page.wait_for_load_state("load")
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width <= inner_width:
        return
    culprits = page.evaluate(
        """(limit) => Array.from(document.querySelectorAll('body *'))
            .filter((element) => element.getBoundingClientRect().right > limit + 0.5)
            .slice(0, 8)
            .map((element) => element.tagName.toLowerCase()
                + (element.id ? '#' + element.id : '')
                + (element.classList.length ? '.' + Array.from(element.classList).join('.') : '')
                + ' right=' + Math.round(element.getBoundingClientRect().right))""",
        inner_width,
    )
    path = page.evaluate("location.pathname + location.search")
    raise AssertionError(f"{path} is {scroll_width}px wide in a {inner_width}px viewport: {culprits}")


def screenshots_enabled():
    return os.environ.get("MOMENTRY_SCREENSHOTS") == "1"


def save_screenshot(page, name, *, full_page=False):
    """With MOMENTRY_SCREENSHOTS=1, write docs/screenshots/<name>-<width>.png; without it do
    nothing, so a CI run never rewrites the committed screenshots. A full page is cut at
    SCREENSHOT_MAX_HEIGHT, and the picture is kept small: 256 colours (no dithering, so text and
    flat colours stay crisp) and an optimized PNG. Returns the path or None."""
    if not screenshots_enabled():
        return None
    width = page.viewport_size["width"]
    path = SCREENSHOTS_DIR / f"{name}-{width}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot(full_page=full_page, animations="disabled"))).convert("RGB")
    image = image.crop((0, 0, image.width, min(image.height, SCREENSHOT_MAX_HEIGHT)))
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, format="PNG", optimize=True)
    return path
