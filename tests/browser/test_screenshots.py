"""The console on a small demo library (`manage.py demo --films 1 --scale 0.1`: one film and its
screen tests reel, known people with CJK aliases, strangers, drawn face crops, and the reel's crops
cut from its video by `manage.py extract_crops`), page by page at 1280 and 390 px: each page
answers, is styled, shows every image it links and sticks out nowhere.

With MOMENTRY_SCREENSHOTS=1 each page is also saved as docs/screenshots/<page>-<width>.png (the
README's pictures); without it nothing is written, so CI checks the pages and leaves the files alone:

    MOMENTRY_SCREENSHOTS=1 bin/test tests/browser/test_screenshots.py
"""
import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Count

from faces.models import FaceDetection, MediaFile
from identities.demo.catalogue import PEOPLE
from identities.demo.naming import film_uuid, person_uuid, selected_films
from identities.models import Identity
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_images_loaded,
    assert_no_horizontal_overflow,
    assert_styled,
    save_screenshot,
)


@pytest.fixture
def demo(transactional_db, tmp_path):
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("demo", "--films", "1", "--scale", "0.1", "--output-dir", str(tmp_path / "demo"), **quiet)
    call_command("extract_crops", **quiet)  # the screen tests reel's faces, cut from its video
    film = MediaFile.objects.get(file_uuid=film_uuid(selected_films(1)[0]))  # the film, not the reel
    star = Identity.objects.get(identity_uuid=person_uuid(PEOPLE["bergman"]))
    trace = (
        FaceDetection.objects.filter(media_file=film, identity=star)
        .values("trace_id")
        .annotate(face_count=Count("id"))
        .order_by("-face_count", "trace_id")
        .first()
    )
    return {"film": film, "star": star, "trace_id": trace["trace_id"]}


def show(page, path, name, *, full_page=False):
    """Open `path` at each width, check it, and save its screenshot (when they are enabled)."""
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        assert_styled(page)
        assert_images_loaded(page)
        assert_no_horizontal_overflow(page)
        save_screenshot(page, name, full_page=full_page)


def test_every_console_page_on_the_demo_library(signed_in_page, demo):
    page = signed_in_page
    film, star = demo["film"].file_uuid.hex, demo["star"].identity_uuid.hex

    show(page, "/identities/", "identity-list")
    show(page, f"/identities/{star}/", "identity-detail", full_page=True)
    show(page, f"/files/{film}/", "file-detail", full_page=True)
    show(page, f"/files/{film}/traces/{demo['trace_id']}/", "trace", full_page=True)
    show(page, "/review/", "review", full_page=True)

    # The curator accepts the review's first suggestion and gives the star an alias, so the
    # history has entries to show.
    page.locator("form[data-shortcut=a] button").click()
    page.wait_for_url(re.compile(r"/review/"))
    assert "Undo" in page.locator("ul.messages li").first.inner_text()
    page.goto(f"/identities/{star}/")
    page.get_by_label("Locale of the new alias").fill("zh-CN")
    page.get_by_label("Name of the new alias").fill("英格丽·褒曼")
    page.get_by_role("button", name="Add alias").click()
    page.wait_for_load_state()
    assert "英格丽·褒曼" in page.locator("dl.facts").inner_text()
    show(page, f"/identities/{star}/history/", "history", full_page=True)
    assert "英格丽·褒曼" in page.locator("main").inner_text()
