"""The console's file pages: a file's timeline (who is on screen when, and what is said), its
traces filtered by binding, a trace's own page with its faces and chunks, binding a trace (with a
confirmation naming whose it is), the undo in the message, and the favicon every page asks for."""
import html
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faces.models import FaceDetection
from history.models import IdentityHistory
from history.selectors import history_entries_involving
from tests.factories import ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory

pytestmark = pytest.mark.django_db


def trace_faces(media_file, trace_id, frames, *, identity=None, confidence=0.9, bbox=(100.0, 50.0, 300.0, 400.0)):
    return [
        FaceFactory(
            media_file=media_file,
            frame_number=frame,
            trace_id=trace_id,
            identity=identity,
            confidence=confidence,
            bbox=list(bbox),
        )
        for frame in frames
    ]


@pytest.fixture
def library():
    """Charade at 25 fps, 600 s: Cary's trace 3 at 4 s, a stranger's trace 9 at 20 s, an unbound
    trace 12 at 300 s, and three chunks (one said during Cary's trace)."""
    film = MediaFileFactory(file_name="Charade (1963).mp4", fps=25.0, duration=600.0)
    cary = IdentityFactory(name="Cary Grant")
    stranger = StrangerFactory(name="stranger_7")
    trace_faces(film, 3, range(100, 110), identity=cary)
    trace_faces(film, 9, range(500, 505), identity=stranger)
    trace_faces(film, 12, range(7500, 7525, 5))
    ChunkFactory(media_file=film, start_time=4.0, end_time=4.5, text="Does anyone know who I am?")
    ChunkFactory(media_file=film, start_time=60.0, end_time=61.0, text="Nobody on screen says this.")
    ChunkFactory(media_file=film, start_time=299.0, end_time=301.0, text="Said over the unbound face.")
    return {"film": film, "cary": cary, "stranger": stranger}


def get_page(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


def file_url(film):
    return f"/files/{film.file_uuid.hex}/"


def trace_url(film, trace_id):
    return f"/files/{film.file_uuid.hex}/traces/{trace_id}/"


def svg_of(page):
    return re.search(r"<svg .*?</svg>", page, re.S).group(0)


BAR = r'<a href="([^"]+)" data-trace="-?\d+"><rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>([^<]*)</title>'


def lanes_of(svg):
    """`{data-lane: (label, [(x, width, href, title), ...])}` of the timeline's lanes."""
    lanes = {}
    for key, body in re.findall(r'<g class="lane[^"]*" data-lane="([^"]+)">(.*?)</g>', svg, re.S):
        label = re.search(r"<text [^>]*>([^<]*)</text>", body).group(1)
        bars = [
            (float(x), float(width), href, html.unescape(title))
            for href, x, width, title in re.findall(BAR, body)
        ]
        lanes[key] = (label, bars)
    return lanes


def test_the_timeline_has_a_lane_per_identity_and_one_for_the_unbound_faces(curator, library):
    film, cary, stranger = library["film"], library["cary"], library["stranger"]
    svg = svg_of(get_page(curator, file_url(film)))
    lanes = lanes_of(svg)
    # Most faces first, the unbound faces last.
    assert list(lanes) == [cary.identity_uuid.hex, stranger.identity_uuid.hex, "unbound"]
    assert lanes[cary.identity_uuid.hex][0] == "Cary Grant"
    assert f'<a href="/identities/{cary.identity_uuid.hex}/"><text' in svg
    assert lanes["unbound"][0] == "Unbound"

    # 180 units of labels, then 810 for 600 s: Cary's trace 3 runs from 4.0 s to 4.36 s, drawn 3 units wide at least.
    ((x, width, href, title),) = lanes[cary.identity_uuid.hex][1]
    assert (x, width, href) == (185.4, 3.0, trace_url(film, 3))
    assert title == "Cary Grant · 0:00:04–0:00:04 · trace 3 (10 faces)"
    ((x, _width, href, title),) = lanes["unbound"][1]
    assert (x, href) == (585.0, trace_url(film, 12))
    assert title == "Unbound · 0:05:00–0:05:01 · trace 12 (5 faces)"
    assert [bar[2] for bar in lanes[stranger.identity_uuid.hex][1]] == [trace_url(film, 9)]


def test_traces_closer_than_a_bar_are_one_bar_opening_the_largest(curator, library):
    film, cary = library["film"], library["cary"]
    trace_faces(film, 4, range(112, 140), identity=cary)  # 0.1 s after trace 3 ends: one bar, trace 4 has more faces
    trace_faces(film, 5, range(2500, 2502), identity=cary)  # 100 s: a bar of its own
    (first, second) = lanes_of(svg_of(get_page(curator, file_url(film))))[cary.identity_uuid.hex][1]
    assert first[2] == trace_url(film, 4) and "2 traces: 4, 3 (38 faces)" in first[3]
    assert second[2] == trace_url(film, 5) and "trace 5 (2 faces)" in second[3]


def test_the_transcript_strip_holds_every_chunk_with_its_text(curator, library):
    svg = svg_of(get_page(curator, file_url(library["film"])))
    strip = re.search(r'<g class="transcript">(.*?)</g>', svg, re.S).group(1)
    titles = [html.unescape(title) for title in re.findall(r"<rect [^>]*><title>([^<]*)</title></rect>", strip)]
    assert titles == [
        "0:00:04–0:00:04 Does anyone know who I am?",
        "0:01:00–0:01:01 Nobody on screen says this.",
        "0:04:59–0:05:01 Said over the unbound face.",
    ]
    assert re.search(r'<rect x="261.0" y="[\d.]+" width="1.4"', strip)  # 60 s to 61 s


def test_the_trace_table_shows_crops_links_and_anchors(curator, library):
    film = library["film"]
    page = get_page(curator, file_url(film))
    row = re.search(r'<tr id="trace-9">.*?</tr>', page, re.S).group(0)
    crop = f"/files/{film.file_uuid.hex}/traces/9.jpg?size=64"
    assert f'<a href="{trace_url(film, 9)}"><img class="thumb" src="{crop}"' in row
    assert "stranger_7" in row


@pytest.mark.parametrize(
    ("bound", "traces"), [("false", [12]), ("true", [3, 9]), ("", [3, 9, 12]), ("maybe", [3, 9, 12])]
)
def test_the_trace_table_filters_by_binding(curator, library, bound, traces):
    page = get_page(curator, file_url(library["film"]), {"bound": bound})
    assert [int(trace_id) for trace_id in re.findall(r'<tr id="trace-(\d+)">', page)] == traces


def test_the_trace_page_shows_span_owners_faces_best_first_and_what_was_said(curator, library):
    film, cary = library["film"], library["cary"]
    # Its strongest face: the most confident and the largest.
    FaceFactory(media_file=film, frame_number=104, index=1, trace_id=3, confidence=0.99, bbox=[0, 0, 400, 400])
    page = get_page(curator, trace_url(film, 3))
    assert "<h1>Trace 3</h1>" in page
    assert "0:00:04–0:00:04" in page
    assert re.search(rf'<a href="/identities/{cary.identity_uuid.hex}/">Cary Grant</a>.*?10 of 11 faces', page, re.S)
    assert f'action="/identities/{cary.identity_uuid.hex}/unbind"' in page
    crops = re.findall(rf'<img src="/files/{film.file_uuid.hex}/faces/(\d+_\d+)\.jpg\?size=128"', page)
    assert crops[0] == "104_1" and sorted(crops) == sorted(["104_1", *(f"{frame}_0" for frame in range(100, 110))])
    assert "Does anyone know who I am?" in page
    assert "Nobody on screen says this." not in page
    assert f'href="{file_url(film)}#trace-3"' in page  # back to its row in the file's list


def test_the_trace_page_finds_a_long_chunk_begun_well_before_it(curator, library):
    film = library["film"]
    ChunkFactory(media_file=film, start_time=200.0, end_time=400.0, text="A long scene around the unbound face.")
    page = get_page(curator, trace_url(film, 12))
    said = re.search(r'<ol class="chunks">(.*?)</ol>', page, re.S).group(1)
    texts = re.findall(r"</span> ([^<]+)</li>", said)
    assert texts == ["A long scene around the unbound face.", "Said over the unbound face."]


def test_an_unknown_trace_is_a_404(curator, library):
    assert curator.get(trace_url(library["film"], 77)).status_code == 404


def test_a_trace_links_to_the_page_of_the_file_list_that_shows_it(curator):
    film = MediaFileFactory(fps=25.0)
    for trace_id in range(1, 61):  # 60 traces: the list shows 50 a page
        FaceFactory(media_file=film, frame_number=trace_id * 10, trace_id=trace_id)
    page = get_page(curator, trace_url(film, 55))
    list_url = f"{file_url(film)}?page=2#trace-55"
    assert f'href="{list_url}"' in page
    assert 'id="trace-55"' in get_page(curator, file_url(film), {"page": 2})
    assert f'href="{file_url(film)}#trace-50"' in get_page(curator, trace_url(film, 50))


def bind(client, film, identity, trace_id, **extra):
    return client.post(
        f"/files/{film.file_uuid.hex}/bind",
        {"identity_uuid": identity.identity_uuid.hex, "trace_id": trace_id, "next": file_url(film), **extra},
    )


def test_binding_someone_elses_trace_asks_first_saying_whose_it_is(curator, library):
    film, cary, stranger = library["film"], library["cary"], library["stranger"]
    response = bind(curator, film, cary, 9)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Trace 9 belongs to stranger_7 (5 faces). Bind it to Cary Grant?" in page
    assert FaceDetection.objects.filter(trace_id=9, identity=stranger).count() == 5
    assert not IdentityHistory.objects.exists()
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert form.group(1) == f"/files/{film.file_uuid.hex}/bind" and fields["confirm"] == "yes"
    assert f'href="{file_url(film)}">Cancel' in page

    response = curator.post(form.group(1), fields)
    assert response.status_code == 302 and response["Location"] == file_url(film)
    assert FaceDetection.objects.filter(trace_id=9, identity=cary).count() == 5
    entry = IdentityHistory.objects.get(identity_uuid=cary.identity_uuid, action="bind_trace")
    # The entry records whose faces they were, and is on the loser's history too.
    assert [group["identity_uuid"] for group in entry.before_snapshot["faces"]] == [stranger.identity_uuid.hex]
    assert entry in history_entries_involving(stranger.identity_uuid)


def test_a_trace_with_faces_of_several_others_names_them_all(curator, library):
    film, cary = library["film"], library["cary"]
    ingrid = IdentityFactory(name="Ingrid Bergman")
    FaceFactory(media_file=film, frame_number=501, index=1, trace_id=9, identity=ingrid)
    page = bind(curator, film, cary, 9).content.decode()
    assert "Trace 9 belongs to stranger_7 (5 faces) and Ingrid Bergman (1 faces). Bind it to Cary Grant?" in page


def test_binding_a_free_trace_needs_no_confirmation_and_its_message_undoes_it(curator, library):
    film, cary = library["film"], library["cary"]
    response = bind(curator, film, cary, 12)
    assert response.status_code == 302
    assert FaceDetection.objects.filter(trace_id=12, identity=cary).count() == 5
    page = curator.get(response["Location"]).content.decode()
    assert "Bound trace 12 to Cary Grant: 5 faces." in page
    entry = IdentityHistory.objects.get(identity_uuid=cary.identity_uuid, action="bind_trace")
    undo = re.search(r'<form method="post" action="([^"]+)" class="inline undo">(.*?)</form>', page, re.S)
    assert undo.group(1) == f"/history/{entry.history_id}/undo"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', undo.group(2)))
    response = curator.post(undo.group(1), fields)
    assert response.status_code == 302 and response["Location"] == file_url(film)
    assert not FaceDetection.objects.filter(trace_id=12, identity__isnull=False).exists()


def test_binding_a_trace_to_its_owner_again_changes_nothing(curator, library):
    film, cary = library["film"], library["cary"]
    page = curator.get(bind(curator, film, cary, 3)["Location"]).content.decode()
    assert "Trace 3 is already bound to Cary Grant." in page
    assert not IdentityHistory.objects.exists()


def test_binding_an_unknown_trace_or_identity_says_so(curator, library):
    film = library["film"]
    response = curator.post(f"/files/{film.file_uuid.hex}/bind", {"identity_uuid": "nope", "trace_id": 3}, follow=True)
    assert "Choose a trace of this file and an identity." in response.content.decode()
    response = bind(curator, film, library["cary"], 77)
    assert response.status_code == 302 and not IdentityHistory.objects.exists()


def test_the_trace_page_binds_and_comes_back(curator, library):
    film, cary = library["film"], library["cary"]
    page = get_page(curator, trace_url(film, 12), {"q": "Cary"})
    form = re.search(r'<form method="post" action="([^"]+)" class="inline bind-form">(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert fields["next"] == html.escape(f"{trace_url(film, 12)}?q=Cary")
    fields.update(next=html.unescape(fields["next"]), identity_uuid=cary.identity_uuid.hex)
    response = curator.post(form.group(1), fields)
    assert response["Location"] == f"{trace_url(film, 12)}?q=Cary"
    assert "Cary Grant</a>" in get_page(curator, trace_url(film, 12))


def test_the_favicon_is_linked_and_answered(curator, library):
    page = get_page(curator, file_url(library["film"]))
    assert '<link rel="icon" href="/static/console/favicon.svg" type="image/svg+xml">' in page
    response = curator.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/console/favicon.svg"
    assert Path(finders.find("console/favicon.svg")).read_text().startswith("<svg")


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_file_and_trace_pages_cost_the_same_queries_whatever_their_size(curator):
    small, big = MediaFileFactory(fps=25.0), MediaFileFactory(fps=25.0)
    FaceFactory(media_file=small, frame_number=10, trace_id=1, identity=IdentityFactory())
    FaceFactory(media_file=small, frame_number=20, trace_id=2)
    ChunkFactory(media_file=small)
    people = [IdentityFactory() for _ in range(6)]
    for trace_id in range(1, 41):
        owner = people[trace_id % 7] if trace_id % 7 < 6 else None
        trace_faces(big, trace_id, range(trace_id * 100, trace_id * 100 + 3), identity=owner)
        ChunkFactory(media_file=big, start_time=trace_id * 4.0, end_time=trace_id * 4.0 + 2)
    for url in (file_url, lambda film: trace_url(film, 1), lambda film: f"{file_url(film)}?bound=false&q=Person"):
        assert queries_for(curator, url(small)) == queries_for(curator, url(big))


def test_a_trace_id_past_32_bits_is_a_404_and_a_negative_one_has_its_page(curator, library):
    film = library["film"]
    assert curator.get(trace_url(film, 2**40)).status_code == 404
    trace_faces(film, -1, range(9000, 9003))
    assert "<h1>Trace -1</h1>" in get_page(curator, trace_url(film, -1))
    lanes = lanes_of(svg_of(get_page(curator, file_url(film))))
    assert trace_url(film, -1) in [bar[2] for bar in lanes["unbound"][1]]
