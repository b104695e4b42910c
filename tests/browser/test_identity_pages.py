"""The identity pages in a real browser, on a desktop and a phone: an identity's face crops, a
merge confirmed and then undone from its message, an alias edited, and an edit undone from the
history's diff; nothing sticks out sideways at 390 px."""

import pytest

from identities.models import Identity
from tests.browser.helpers import assert_no_horizontal_overflow, each_viewport
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory, write_crop


@pytest.fixture
def library(transactional_db):
    film = MediaFileFactory(file_name="Casablanca (1942) restored edition, reel one.mp4")
    bogart = IdentityFactory(
        name="Humphrey Bogart",
        source="tmdb",
        tmdb_id=4110,
        metadata={"aliases": [{"locale": "ja", "name": "ハンフリー・ボガート"}]},
    )
    stranger = StrangerFactory(name="stranger_10002")
    for trace_id, first in ((3, 100), (5, 400)):
        for frame in range(first, first + 6):
            face = FaceFactory(media_file=film, frame_number=frame, trace_id=trace_id, identity=bogart)
            write_crop(face)
    for frame in range(900, 904):
        FaceFactory(media_file=film, frame_number=frame, trace_id=8, identity=stranger)
    return {"film": film, "bogart": bogart, "stranger": stranger}


@pytest.fixture
def curator_page(signed_in_page):
    """The signed-in page; when the test ends, the crops it is still loading arrive before the
    database is flushed (a request in flight holds SQLite's shared in-memory tables)."""
    yield signed_in_page
    signed_in_page.wait_for_load_state("networkidle")


def open_identity(page, identity):
    page.goto(f"/identities/{identity.identity_uuid.hex}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith(identity.name)


def success_message(page):
    return page.locator(".messages li.success")


@each_viewport
def test_an_identity_shows_its_best_faces(curator_page, library):
    page = curator_page
    open_identity(page, library["bogart"])
    crops = page.locator(".face-strip img")
    assert crops.count() == 2  # one a trace
    for position in range(2):
        crop = crops.nth(position)
        crop.scroll_into_view_if_needed()
        assert "/faces/" in crop.get_attribute("src")
        page.wait_for_function("(image) => image.complete && image.naturalWidth > 0", arg=crop.element_handle())
    assert "12 in 1 file, 2 traces" in page.locator("dl.facts").inner_text()
    assert_no_horizontal_overflow(page)


@each_viewport
def test_merge_a_stranger_after_confirming_then_undo_it_from_the_message(curator_page, library):
    page, bogart, stranger = curator_page, library["bogart"], library["stranger"]
    open_identity(page, stranger)
    page.get_by_label("Find the target").fill("Bogart")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Merge into Humphrey Bogart…").click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Merge stranger_10002 (4 faces in 1 trace) into Humphrey Bogart?"
    assert_no_horizontal_overflow(page)
    assert bogart.faces.count() == 12  # asking changed nothing

    page.get_by_role("button", name="Confirm: merge into Humphrey Bogart").click()
    page.wait_for_url(f"**/identities/{bogart.identity_uuid.hex}/")
    assert "Merged 'stranger_10002' into 'Humphrey Bogart' (4 faces)." in success_message(page).inner_text()
    assert bogart.faces.count() == 16
    assert_no_horizontal_overflow(page)

    success_message(page).get_by_role("button", name="Undo").click()
    page.wait_for_url(f"**/identities/{bogart.identity_uuid.hex}/")
    assert "Undid the merge" in success_message(page).inner_text()
    assert bogart.faces.count() == 12 and stranger.faces.count() == 4


@each_viewport
def test_edit_an_alias(curator_page, library):
    page, bogart = curator_page, library["bogart"]
    open_identity(page, bogart)
    page.get_by_label("Name of alias 1").fill("ボギー")
    page.locator("#aliases li").first.get_by_role("button", name="Change").click()
    assert "Changed the alias 'ハンフリー・ボガート' (ja) to 'ボギー' (ja)." in success_message(page).inner_text()
    assert page.get_by_label("Name of alias 1").input_value() == "ボギー"

    page.get_by_label("Locale of the new alias").fill("fr")
    page.get_by_label("Name of the new alias").fill("Bogie")
    page.get_by_role("button", name="Add alias").click()
    assert "Added the alias 'Bogie' (fr)." in success_message(page).inner_text()
    bogart.refresh_from_db()
    assert bogart.metadata["aliases"] == [{"locale": "ja", "name": "ボギー"}, {"locale": "fr", "name": "Bogie"}]
    assert_no_horizontal_overflow(page)


@each_viewport
def test_undo_an_edit_from_the_history_diff(curator_page, library):
    page, bogart = curator_page, library["bogart"]
    open_identity(page, bogart)
    page.get_by_label("Name", exact=True).fill("Bogie")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Bogie")

    entry = page.locator(".history-entry").first
    assert "name Humphrey Bogart → Bogie" in " ".join(entry.locator("ul.diff").inner_text().split())
    assert_no_horizontal_overflow(page)
    entry.get_by_role("button", name="Undo").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Humphrey Bogart")
    assert Identity.objects.get(pk=bogart.pk).name == "Humphrey Bogart"
    assert page.locator(".history-entry").first.get_by_role("button", name="Redo").is_visible()
    assert_no_horizontal_overflow(page)
