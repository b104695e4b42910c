"""The console in a real browser: sign in, find an identity, open it, on a desktop and a phone; and
the API docs page, which must work offline."""
import re

import pytest

from tests.browser.helpers import assert_no_horizontal_overflow, assert_styled, each_viewport
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory


@pytest.fixture
def library(transactional_db):
    film = MediaFileFactory(file_name="Charade (1963).mp4")
    audrey = IdentityFactory(name="Audrey Hepburn", source="tmdb", tmdb_id=1932)
    IdentityFactory(name="Cary Grant", source="tmdb", tmdb_id=2638)
    IdentityFactory(name="三船敏郎", metadata={"aliases": [{"locale": "en", "name": "Toshiro Mifune"}]})
    StrangerFactory()
    for frame in range(100, 112):
        FaceFactory(media_file=film, frame_number=frame, trace_id=4, identity=audrey)
    return {"film": film, "audrey": audrey}


def search(page, text):
    page.get_by_label("Search").fill(text)
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(re.compile(r"/identities/\?(.*&)?q="))


@each_viewport
def test_a_curator_signs_in_finds_an_identity_and_opens_it(signed_in_page, library):
    page = signed_in_page
    assert_no_horizontal_overflow(page)

    search(page, "hepburn")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert_no_horizontal_overflow(page)

    rows.get_by_role("link", name="Audrey Hepburn").click()
    audrey = library["audrey"].identity_uuid.hex
    page.wait_for_url(f"**/identities/{audrey}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Audrey Hepburn")
    assert audrey in page.locator("dl.facts").inner_text()
    assert_styled(page)
    assert_no_horizontal_overflow(page)


@each_viewport
def test_a_cjk_name_is_found_by_its_alias_and_shown(signed_in_page, library):
    page = signed_in_page
    search(page, "Mifune")
    page.get_by_role("link", name="三船敏郎").click()
    page.wait_for_url(re.compile(r"/identities/[0-9a-f]{32}/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("三船敏郎")
    assert_no_horizontal_overflow(page)


def test_the_api_docs_render_swagger_ui_without_the_network(page):
    response = page.goto("/api/v1/docs/")
    assert response.status == 200
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "Momentry Identities API" in title.inner_text()
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert page.external_requests == []
