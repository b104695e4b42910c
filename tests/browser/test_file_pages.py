"""The file pages in a real browser, on a desktop and a phone: a file's timeline, a click on a bar
opening that trace with its face crops, and binding someone else's trace after the confirmation
that says whose it is, then undoing it from the message; nothing sticks out sideways at 390 px and
no file a page loads fails (the page fixture's check, the favicon included)."""
import pytest

from faces.models import FaceDetection
from tests.browser.helpers import assert_images_loaded, assert_no_horizontal_overflow, each_viewport
from tests.factories import ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory, write_crop


@pytest.fixture
def library(transactional_db):
    film = MediaFileFactory(file_name="Charade (1963) restored edition, reel one.mp4", fps=25.0, duration=6780.0)
    cary = IdentityFactory(name="Cary Grant", source="tmdb", tmdb_id=2638)
    stranger = StrangerFactory(name="stranger_10001")
    for trace_id, first, owner in ((3, 2500, cary), (4, 90000, stranger), (7, 160000, None)):
        for frame in range(first, first + 150, 25):
            write_crop(FaceFactory(media_file=film, frame_number=frame, trace_id=trace_id, identity=owner))
    ChunkFactory(media_file=film, start_time=3600.0, end_time=3604.0, text="Do you know what's wrong with you?")
    return {"film": film, "cary": cary, "stranger": stranger}


@each_viewport
def test_a_bar_of_the_timeline_opens_its_trace_with_its_crops(signed_in_page, library):
    page, film = signed_in_page, library["film"]
    page.goto(f"/files/{film.file_uuid.hex}/")
    timeline = page.locator("svg.timeline-svg")
    assert timeline.is_visible()
    lanes = timeline.locator("g.lane")
    assert [lanes.nth(n).locator("text").first.text_content() for n in range(lanes.count())] == [
        "Cary Grant",
        "stranger_10001",
        "Unbound",
    ]
    assert timeline.locator("g.transcript rect").count() == 1
    assert page.locator("table.file-traces img.thumb").count() == 3
    assert_images_loaded(page)
    assert_no_horizontal_overflow(page)

    timeline.locator('a[data-trace="4"]').click()
    page.wait_for_url(f"**/files/{film.file_uuid.hex}/traces/4/")
    assert page.get_by_role("heading", level=1).inner_text() == "Trace 4"
    assert "stranger_10001" in page.locator("section.owners").inner_text()
    assert page.locator(".face-grid img").count() == 6
    assert_images_loaded(page)
    assert_no_horizontal_overflow(page)


@each_viewport
def test_binding_someone_elses_trace_is_confirmed_first_and_undone_from_the_message(signed_in_page, library):
    page, film, cary = signed_in_page, library["film"], library["cary"]
    page.goto(f"/files/{film.file_uuid.hex}/")
    page.get_by_label("Bind traces to…").fill("Cary")
    page.get_by_role("button", name="Find").click()
    page.locator("#trace-4").get_by_role("button", name="Bind").click()

    question = page.locator(".question").inner_text()
    assert question == "Trace 4 belongs to stranger_10001 (6 faces). Bind it to Cary Grant?"
    assert FaceDetection.objects.filter(trace_id=4, identity=cary).count() == 0
    assert_no_horizontal_overflow(page)
    page.get_by_role("button", name="Bind it to Cary Grant").click()

    page.wait_for_url(f"**/files/{film.file_uuid.hex}/?q=Cary#trace-4")
    message = page.locator(".messages li.success")
    assert message.inner_text().startswith("Bound trace 4 to Cary Grant: 6 faces, taken from stranger_10001 (6 faces).")
    assert "Cary Grant" in page.locator("#trace-4 td.owners").inner_text()
    assert page.locator('svg.timeline-svg g.lane a[data-trace="4"]').count() == 1  # one lane, Cary's, holds it now
    assert FaceDetection.objects.filter(trace_id=4, identity=cary).count() == 6
    assert_no_horizontal_overflow(page)

    message.get_by_role("button", name="Undo").click()
    page.wait_for_url(f"**/files/{film.file_uuid.hex}/?q=Cary#trace-4")
    assert page.locator(".messages li.success").inner_text().startswith("Undid bind_trace")
    assert "stranger_10001" in page.locator("#trace-4 td.owners").inner_text()
    assert FaceDetection.objects.filter(trace_id=4, identity=library["stranger"]).count() == 6
    assert_no_horizontal_overflow(page)
    assert_images_loaded(page)  # and no crop is still on its way when the test's database is flushed


@each_viewport
def test_a_free_trace_is_bound_from_its_page_without_a_confirmation(signed_in_page, library):
    page, film = signed_in_page, library["film"]
    page.goto(f"/files/{film.file_uuid.hex}/traces/7/")
    assert "Nobody: its faces are unbound." in page.locator("section.owners").inner_text()
    page.get_by_label("Bind it to…").fill("Cary")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Bind").click()
    page.wait_for_url(f"**/files/{film.file_uuid.hex}/traces/7/?q=Cary")
    assert page.locator(".messages li.success").inner_text().startswith("Bound trace 7 to Cary Grant: 6 faces.")
    assert "Cary Grant" in page.locator("section.owners").inner_text()
    assert_no_horizontal_overflow(page)
    assert_images_loaded(page)
