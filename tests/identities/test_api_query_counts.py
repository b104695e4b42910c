"""Queries per request of every list endpoint and console list page: one bound for a page of 20
and a page of 200 (with more than 200 rows there), so the cost of a page never grows a query per
row. The bounds include the key's lookup and last-use stamp (API), or the session and user
(console)."""
import pytest

from faces.models import Chunk
from momentry import console
from tests.factories import ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory, create_faces

pytestmark = pytest.mark.django_db

PAGE_SIZES = [20, 200]
MORE_THAN_A_PAGE = 210


def bound_trace(media_file, trace_id, identity, *, first_frame, size=2):
    """`size` unsaved faces of one trace, 25 frames apart, bound to `identity` (or to none); the
    tests write a library's faces with one `create_faces`."""
    return [
        FaceFactory.build(
            media_file=media_file, trace_id=trace_id, frame_number=first_frame + 25 * k, identity=identity
        )
        for k in range(size)
    ]


def identity_url(identity, endpoint):
    return f"/api/v1/identity/{identity.identity_uuid.hex}/{endpoint}"


@pytest.fixture
def cary():
    return IdentityFactory(name="Cary Grant")


@pytest.fixture
def crowded_film(cary):
    """A film with 210 traces of Cary, 4 s apart (every third shared with another identity), and
    a chunk during each."""
    film = MediaFileFactory(fps=25.0)
    others = IdentityFactory.create_batch(3)
    faces, chunks = [], []
    for trace_id in range(MORE_THAN_A_PAGE):
        start = trace_id * 100  # [4t s, 4t + 1 s]
        faces += bound_trace(film, trace_id, cary, first_frame=start)
        if trace_id % 3 == 0:
            other = others[trace_id % 2]
            faces.append(FaceFactory.build(media_file=film, trace_id=trace_id, frame_number=start + 10, identity=other))
        chunks.append(ChunkFactory.build(media_file=film, start_time=trace_id * 4.0, end_time=trace_id * 4.0 + 0.5))
    create_faces(faces)
    Chunk.objects.bulk_create(chunks)
    return film


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_identity_traces(api, cary, crowded_film, page_size, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        body = api.get(identity_url(cary, "traces"), {"page_size": page_size}).json()
    assert len(body["traces"]) == page_size and body["total"] == MORE_THAN_A_PAGE


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_identity_chunks(api, cary, crowded_film, page_size, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        body = api.get(identity_url(cary, "chunks"), {"page_size": page_size, "page": 1}).json()
    assert len(body["chunks"]) == page_size and body["total"] == MORE_THAN_A_PAGE


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_identity_chunks_past_the_end(api, cary, crowded_film, page_size, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        body = api.get(identity_url(cary, "chunks"), {"page_size": page_size, "page": 99}).json()
    assert body["chunks"] == [] and body["total"] == MORE_THAN_A_PAGE


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_identity_faces(api, cary, crowded_film, page_size, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # the key and its first use, the identity, the page with its total
        body = api.get(identity_url(cary, "faces"), {"page_size": page_size}).json()
    assert len(body["faces"]) == page_size and body["total"] == 2 * MORE_THAN_A_PAGE


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_identity_faces_past_the_end(api, cary, crowded_film, page_size, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):  # no row carries the total: it is summed apart
        body = api.get(identity_url(cary, "faces"), {"page_size": page_size, "page": 99}).json()
    assert body["faces"] == [] and body["total"] == 2 * MORE_THAN_A_PAGE


@pytest.mark.parametrize("file_count", [3, MORE_THAN_A_PAGE])
def test_identity_files(api, cary, file_count, django_assert_max_num_queries):
    create_faces(bound_trace(MediaFileFactory(), 1, cary, first_frame=0, size=1)[0] for _ in range(file_count))
    with django_assert_max_num_queries(4):
        body = api.get(identity_url(cary, "files")).json()
    assert body["total"] == file_count


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_identities_list(api, page_size, django_assert_max_num_queries):
    IdentityFactory.create_batch(MORE_THAN_A_PAGE)
    with django_assert_max_num_queries(4):
        body = api.get("/api/v1/identities", {"page_size": page_size, "locale": "ja"}).json()
    assert len(body["identities"]) == page_size and body["count"] == MORE_THAN_A_PAGE


@pytest.mark.parametrize("limit", PAGE_SIZES)
def test_identities_search_rows(api, cary, crowded_film, limit, django_assert_max_num_queries):
    namesake = IdentityFactory(name="Cary Elwes")
    create_faces(bound_trace(crowded_film, 1000, namesake, first_frame=1, size=3))  # [0.04 s, 2.04 s]
    with django_assert_max_num_queries(5):
        body = api.get("/api/v1/identities/search", {"q": "cary", "limit": limit, "locale": "en"}).json()
    assert len(body["results"]) == limit and body["total"] == MORE_THAN_A_PAGE + 1


@pytest.mark.parametrize("person_count", [3, MORE_THAN_A_PAGE])
def test_file_pending_persons(api, person_count, django_assert_max_num_queries):
    film = MediaFileFactory()
    faces = []
    for number in range(person_count):
        person = IdentityFactory(name=f"Person {number + 1}", status="pending", source="manual")
        faces += bound_trace(film, number, person, first_frame=number * 10, size=1)
    create_faces(faces)
    with django_assert_max_num_queries(5):
        body = api.get(f"/api/v1/file/{film.file_uuid.hex}/pending-persons", {"locale": "en"}).json()
    assert len(body["data"]) == person_count
    assert all(row["trace_count"] == 1 for row in body["data"])


# --- the console -----------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_console_identity_page(curator, cary, crowded_film, page_size, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr("identities.views.identities.TRACES_PER_PAGE", page_size)
    monkeypatch.setattr("identities.views.identities.CHUNKS_PER_PAGE", page_size)
    with django_assert_max_num_queries(13):
        response = curator.get(f"/identities/{cary.identity_uuid.hex}/")
    assert len(response.context["traces"].rows) == page_size
    assert len(response.context["chunks"].chunks) == page_size


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_console_file_page(curator, crowded_film, page_size, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr("identities.views.files.CONSOLE_PAGE_SIZE", page_size)
    with django_assert_max_num_queries(9):  # the page's 7, and the timeline's segments and chunks
        response = curator.get(f"/files/{crowded_film.file_uuid.hex}/", {"q": "Cary"})
    traces = response.context["traces"].rows
    assert len(traces) == page_size
    assert [identity.name for identity in traces[0]["identities"]][0] == "Cary Grant"
    assert len(traces[0]["identities"]) == 2 and len(traces[1]["identities"]) == 1


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_console_file_list(curator, page_size, monkeypatch, django_assert_max_num_queries):
    create_faces(bound_trace(MediaFileFactory(), 1, None, first_frame=0, size=1)[0] for _ in range(MORE_THAN_A_PAGE))
    monkeypatch.setitem(console.page_of.__kwdefaults__, "page_size", page_size)
    with django_assert_max_num_queries(4):
        response = curator.get("/files/")
    files = response.context["files"]
    assert len(files) == page_size
    assert all((file.face_count, file.trace_count) == (1, 1) for file in files)
