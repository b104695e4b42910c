"""The identity read endpoints: files, faces, traces, chunks, status and json."""
import pytest

from identities.selectors import identity_document
from identities.storage import identity_dir
from tests.factories import ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory

pytestmark = pytest.mark.django_db

READ_ENDPOINTS = ["files", "faces", "traces", "chunks", "status", "json"]
PAGINATED_ENDPOINTS = ["faces", "traces", "chunks"]


def make_trace(media_file, trace_id, frames, *, identity=None, confidence=0.9):
    """Faces of one trace at the given frames, bound to `identity` (or to none)."""
    return [
        FaceFactory(media_file=media_file, trace_id=trace_id, frame_number=frame, identity=identity, confidence=confidence)
        for frame in frames
    ]


def url(identity, endpoint, query=""):
    return f"/api/v1/identity/{identity.identity_uuid.hex}/{endpoint}{query}"


@pytest.fixture
def identity():
    return IdentityFactory(
        name="Cary Grant",
        metadata={"aliases": [{"locale": "zh-TW", "name": "加里·格兰特"}, {"locale": "ja", "name": "ケーリー・グラント"}]},
    )


# --- errors shared by every endpoint ---------------------------------------------------------


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
@pytest.mark.parametrize(
    "bad_uuid",
    ["0" * 32, "a9a90105-6d6b-46ff-92da-0c3c1a57dff4", "a9a90105-6d6b-46ff-92da-0c3c1a57dff", "zz" * 16, "face_100"],
)
def test_unknown_or_malformed_identity_is_404(api, endpoint, bad_uuid):
    IdentityFactory()
    response = api.get(f"/api/v1/identity/{bad_uuid}/{endpoint}")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "not_found" and body["error"]["message"]


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_dashed_uuid_is_accepted(api, identity, endpoint):
    response = api.get(f"/api/v1/identity/{identity.identity_uuid}/{endpoint}")
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_needs_a_key_with_identity_scope(make_client, anonymous_api, identity, endpoint):
    assert anonymous_api.get(url(identity, endpoint)).status_code == 401
    response = make_client(scopes=["file"]).get(url(identity, endpoint))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert make_client(scopes=["identity"], read_only=True).get(url(identity, endpoint)).status_code == 200


@pytest.mark.parametrize("endpoint", PAGINATED_ENDPOINTS)
@pytest.mark.parametrize("query", ["?page=0", "?page=abc", "?page_size=0", "?page_size=201", "?page_size=1.5"])
def test_malformed_paging_is_400(api, identity, endpoint, query):
    response = api.get(url(identity, endpoint, query))
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"].startswith("page")


# --- files -----------------------------------------------------------------------------------


def test_files_lists_each_file_with_counts_and_appearance_seconds(api, identity):
    first = MediaFileFactory(file_name="video1.mp4", fps=24.0)
    second = MediaFileFactory(file_name="video2.mp4", fps=25.0)
    make_trace(first, 1, [100, 200], identity=identity, confidence=0.8)
    make_trace(first, 2, [5000], identity=identity, confidence=0.6)
    make_trace(second, 1, [50], identity=identity, confidence=1.0)
    make_trace(second, 2, [10, 9000])  # not bound: does not count
    MediaFileFactory()  # a file without the identity

    response = api.get(url(identity, "files"))

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["identity_uuid"] == identity.identity_uuid.hex
    assert body["total"] == 2
    assert body["files"] == [
        {
            "file_uuid": first.file_uuid.hex,
            "file_name": "video1.mp4",
            "face_count": 3,
            "first_appearance": pytest.approx(100 / 24),
            "last_appearance": pytest.approx(5000 / 24),
            "avg_confidence": pytest.approx((0.8 + 0.8 + 0.6) / 3),
        },
        {
            "file_uuid": second.file_uuid.hex,
            "file_name": "video2.mp4",
            "face_count": 1,
            "first_appearance": 2.0,
            "last_appearance": 2.0,
            "avg_confidence": 1.0,
        },
    ]


def test_files_of_an_identity_without_faces_is_empty(api, identity):
    response = api.get(url(identity, "files"))
    assert response.json() == {"success": True, "identity_uuid": identity.identity_uuid.hex, "total": 0, "files": []}


def test_files_query_count_does_not_grow_with_files(api, identity, django_assert_max_num_queries):
    for _ in range(3):
        make_trace(MediaFileFactory(), 1, [1], identity=identity)
    with django_assert_max_num_queries(4):
        assert api.get(url(identity, "files")).json()["total"] == 3
    for _ in range(20):
        make_trace(MediaFileFactory(), 1, [1], identity=identity)
    with django_assert_max_num_queries(4):
        assert api.get(url(identity, "files")).json()["total"] == 23


# --- faces -----------------------------------------------------------------------------------


def test_faces_shape(api, identity):
    media_file = MediaFileFactory(fps=24.0)
    FaceFactory(media_file=media_file, frame_number=1200, index=0, trace_id=7)
    face = FaceFactory(
        media_file=media_file, frame_number=1200, index=1, trace_id=2, identity=identity,
        bbox=[100, 50, 300, 400], confidence=0.95, embedding=[0.1] * 4,
    )

    response = api.get(url(identity, "faces"))

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "identity_uuid": identity.identity_uuid.hex,
        "total": 1,
        "page": 1,
        "page_size": 50,
        "faces": [
            {
                "face_id": "1200_1",
                "file_uuid": face.media_file.file_uuid.hex,
                "frame_number": 1200,
                "timestamp": 50.0,
                "bbox": [100.0, 50.0, 300.0, 400.0],
                "confidence": 0.95,
                "trace_id": 2,
                "image_url": f"http://testserver/api/v1/file/{face.media_file.file_uuid.hex}/face/1200_1/image",
            }
        ],
    }


def test_faces_are_paginated_by_file_frame_and_index_default_50(api, identity):
    first, second = MediaFileFactory(), MediaFileFactory()
    make_trace(second, 1, range(0, 30), identity=identity)
    make_trace(first, 1, range(30, 0, -1), identity=identity)

    default_page = api.get(url(identity, "faces")).json()
    assert default_page["total"] == 60 and default_page["page_size"] == 50 and len(default_page["faces"]) == 50
    keys = [(face["file_uuid"], face["frame_number"]) for face in default_page["faces"]]
    assert keys[:30] == [(first.file_uuid.hex, frame) for frame in range(1, 31)]
    assert keys[30:] == [(second.file_uuid.hex, frame) for frame in range(0, 20)]

    last_page = api.get(url(identity, "faces", "?page=4&page_size=16")).json()
    assert last_page["page"] == 4 and last_page["page_size"] == 16
    assert [face["frame_number"] for face in last_page["faces"]] == list(range(18, 30))

    past_the_end = api.get(url(identity, "faces", "?page=99&page_size=10")).json()
    assert past_the_end["faces"] == [] and past_the_end["total"] == 60


def test_faces_query_count_does_not_grow_with_page_size(api, identity, django_assert_max_num_queries):
    for trace_id in range(4):
        make_trace(MediaFileFactory(), trace_id, range(60), identity=identity)
    for page_size in (5, 200):
        with django_assert_max_num_queries(5):
            body = api.get(url(identity, "faces", f"?page_size={page_size}")).json()
        assert len(body["faces"]) == page_size


# --- traces ----------------------------------------------------------------------------------


def test_traces_describe_whole_traces_with_identity_wide_totals(api, identity):
    media_file = MediaFileFactory(fps=25.0)
    other_file = MediaFileFactory(fps=10.0)
    # Trace 906: frames 37974..38127, only two of its faces bound; the row covers the whole trace.
    make_trace(media_file, 906, [37974, 38000], identity=identity, confidence=0.8)
    make_trace(media_file, 906, [38050, 38127], confidence=0.6)
    make_trace(media_file, 12, [10, 20, 30], identity=identity, confidence=0.9)
    make_trace(other_file, 3, [5], identity=identity, confidence=0.5)
    make_trace(media_file, 13, [40, 50])  # another trace, nothing bound

    response = api.get(url(identity, "traces", "?page=1&page_size=2"))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "success": True,
        "identity_uuid": identity.identity_uuid.hex,
        "name": "Cary Grant",
        "total": 3,
        "page": 1,
        "page_size": 2,
        "total_faces": 8,
        "traces": [
            {
                "file_uuid": media_file.file_uuid.hex,
                "trace_id": 12,
                "frame_count": 3,
                "first_frame": 10,
                "last_frame": 30,
                "first_sec": 0.4,
                "last_sec": 1.2,
                "avg_confidence": pytest.approx(0.9),
            },
            {
                "file_uuid": media_file.file_uuid.hex,
                "trace_id": 906,
                "frame_count": 4,
                "first_frame": 37974,
                "last_frame": 38127,
                "first_sec": pytest.approx(1518.96),
                "last_sec": pytest.approx(1525.08),
                "avg_confidence": pytest.approx(0.7),
            },
        ],
    }
    second_page = api.get(url(identity, "traces", "?page=2&page_size=2")).json()
    assert [(t["file_uuid"], t["trace_id"], t["first_sec"]) for t in second_page["traces"]] == [
        (other_file.file_uuid.hex, 3, 0.5)
    ]
    assert second_page["total"] == 3 and second_page["total_faces"] == 8
    past_the_end = api.get(url(identity, "traces", "?page=3&page_size=2")).json()
    assert past_the_end["traces"] == [] and past_the_end["total"] == 3 and past_the_end["total_faces"] == 8


def test_traces_default_page_size_is_20(api, identity):
    media_file = MediaFileFactory()
    for trace_id in range(21):
        make_trace(media_file, trace_id, [trace_id], identity=identity)
    body = api.get(url(identity, "traces")).json()
    assert body["page_size"] == 20 and len(body["traces"]) == 20 and body["total"] == 21


def test_traces_of_an_identity_without_faces(api, identity):
    body = api.get(url(identity, "traces")).json()
    assert body["total"] == 0 and body["total_faces"] == 0 and body["traces"] == []


def test_traces_display_name_follows_locale(api, identity):
    assert "display_name" not in api.get(url(identity, "traces")).json()
    assert api.get(url(identity, "traces", "?locale=zh-TW")).json()["display_name"] == "加里·格兰特"


def test_traces_query_count_does_not_grow_with_page_size(api, identity, django_assert_max_num_queries):
    media_file = MediaFileFactory()
    for trace_id in range(210):
        make_trace(media_file, trace_id, [trace_id], identity=identity)
    for page_size in (5, 200):
        with django_assert_max_num_queries(5):
            body = api.get(url(identity, "traces", f"?page_size={page_size}")).json()
        assert len(body["traces"]) == page_size


# --- chunks ----------------------------------------------------------------------------------


@pytest.fixture
def film():
    return MediaFileFactory(fps=25.0)


def chunk_ids(body):
    return [chunk["chunk_id"] for chunk in body["chunks"]]


def test_chunks_overlap_rule(api, identity, film):
    # The trace spans frames 100..200 = [4.0 s, 8.0 s]; only its first face is bound.
    make_trace(film, 1, [100], identity=identity)
    make_trace(film, 1, [150, 200])
    ChunkFactory(media_file=film, chunk_id="before", start_time=1.0, end_time=3.96)
    ChunkFactory(media_file=film, chunk_id="touches_start", start_time=2.0, end_time=4.0)
    ChunkFactory(media_file=film, chunk_id="inside", start_time=5.0, end_time=6.0)
    ChunkFactory(media_file=film, chunk_id="touches_end", start_time=8.0, end_time=9.0)
    ChunkFactory(media_file=film, chunk_id="after", start_time=8.04, end_time=10.0)
    ChunkFactory(media_file=film, chunk_id="story", chunk_type="story_child", start_time=0.0, end_time=300.0)
    ChunkFactory(media_file=MediaFileFactory(fps=25.0), chunk_id="other_file_same_time", start_time=5.0, end_time=6.0)

    body = api.get(url(identity, "chunks")).json()

    assert chunk_ids(body) == ["story", "touches_start", "inside", "touches_end"]
    assert body["total"] == 4


def test_chunk_overlapping_two_traces_is_listed_once(api, identity, film):
    make_trace(film, 1, [100, 125], identity=identity)  # [4.0, 5.0]
    make_trace(film, 2, [150, 175], identity=identity)  # [6.0, 7.0]
    ChunkFactory(media_file=film, chunk_id="both", start_time=4.5, end_time=6.5)
    ChunkFactory(media_file=film, chunk_id="gap", start_time=5.2, end_time=5.8)

    body = api.get(url(identity, "chunks")).json()

    assert chunk_ids(body) == ["both"]
    assert body["total"] == 1


def test_chunks_of_a_trace_bound_to_someone_else_are_not_listed(api, identity, film):
    make_trace(film, 1, [100, 125], identity=IdentityFactory())
    ChunkFactory(media_file=film, start_time=4.0, end_time=5.0)
    body = api.get(url(identity, "chunks")).json()
    assert body["total"] == 0 and body["chunks"] == [] and body["data"] == []


def test_chunks_shape_carries_both_documents_fields(api, identity, film):
    make_trace(film, 1, [5103, 5127], identity=identity)
    chunk = ChunkFactory(
        media_file=film, chunk_id="bd80_2", chunk_type="sentence", start_time=204.12, end_time=205.08,
        start_frame=5103, end_frame=5127, text='[204s-205s] Cary Grant: "Olá!"',
    )

    body = api.get(url(identity, "chunks")).json()

    expected_chunk = {
        "id": chunk.pk,
        "chunk_id": "bd80_2",
        "file_uuid": film.file_uuid.hex,
        "chunk_type": "sentence",
        "start_frame": 5103,
        "end_frame": 5127,
        "fps": 25.0,
        "start_time": 204.12,
        "end_time": 205.08,
        "text": '[204s-205s] Cary Grant: "Olá!"',
        "text_content": '[204s-205s] Cary Grant: "Olá!"',
    }
    assert body == {
        "success": True,
        "identity_uuid": identity.identity_uuid.hex,
        "total": 1,
        "page": 1,
        "page_size": 20,
        "chunks": [expected_chunk],
        "data": [expected_chunk],
    }


def test_chunks_are_paged_by_file_start_time_and_id(api, identity, film):
    later_file = MediaFileFactory(fps=25.0)
    make_trace(film, 1, [0, 2500], identity=identity)  # [0, 100 s]
    make_trace(later_file, 1, [0, 2500], identity=identity)
    for start in (30, 10, 20):
        ChunkFactory(media_file=later_file, chunk_id=f"later_{start}", start_time=start, end_time=start + 1)
        ChunkFactory(media_file=film, chunk_id=f"first_{start}", start_time=start, end_time=start + 1)
    ChunkFactory(media_file=film, chunk_id="first_10_again", start_time=10, end_time=12)

    pages = [api.get(url(identity, "chunks", f"?page={page}&page_size=3")).json() for page in (1, 2, 3, 4)]

    assert [chunk_ids(page) for page in pages] == [
        ["first_10", "first_10_again", "first_20"],
        ["first_30", "later_10", "later_20"],
        ["later_30"],
        [],
    ]
    assert {page["total"] for page in pages} == {7}
    assert all(page["data"] == page["chunks"] for page in pages)


def test_chunks_query_count_does_not_grow_with_page_size(api, identity, film, django_assert_max_num_queries):
    make_trace(film, 1, [0, 25 * 1000], identity=identity)
    for second in range(210):
        ChunkFactory(media_file=film, start_time=second, end_time=second + 0.5)
    for page_size in (5, 200):
        with django_assert_max_num_queries(6):
            body = api.get(url(identity, "chunks", f"?page_size={page_size}")).json()
        assert len(body["chunks"]) == page_size


# --- status and json -------------------------------------------------------------------------


def test_status_counts_faces_files_embeddings_and_profile_image(api, identity):
    first, second = MediaFileFactory(), MediaFileFactory()
    make_trace(first, 1, [1, 2, 3], identity=identity)
    make_trace(second, 1, [1], identity=identity)

    body = api.get(url(identity, "status")).json()
    assert body == {
        "success": True,
        "identity_uuid": identity.identity_uuid.hex,
        "name": "Cary Grant",
        "status": "confirmed",
        "face_count": 4,
        "file_count": 2,
        "has_embedding": False,
        "has_profile_image": False,
    }

    FaceFactory(media_file=second, frame_number=9, identity=identity, embedding=[0.1, 0.2])
    profile = identity_dir(identity.identity_uuid) / "profile.png"
    profile.parent.mkdir(parents=True)
    profile.write_bytes(b"\x89PNG")
    body = api.get(url(identity, "status", "?locale=ja")).json()
    assert body["face_count"] == 5 and body["has_embedding"] is True and body["has_profile_image"] is True
    assert body["display_name"] == "ケーリー・グラント"


def test_json_is_the_identity_document_without_success(api, identity):
    media_file = MediaFileFactory()
    make_trace(media_file, 4, [1, 2], identity=identity)
    make_trace(media_file, 1, [3], identity=identity)

    response = api.get(url(identity, "json"))

    assert response.status_code == 200
    body = response.json()
    assert "success" not in body
    assert body == identity_document(identity)
    assert body["version"] == 1
    assert body["identity_uuid"] == identity.identity_uuid.hex
    assert body["file_bindings"] == [{"file_uuid": media_file.file_uuid.hex, "trace_ids": [1, 4], "face_count": 3}]


# --- chunks over merged spans ----------------------------------------------------------------


def test_chunks_of_overlapping_and_separate_traces_page_across_them(api, identity, film):
    # Traces 1 and 2 overlap ([4, 8] and [6, 12] s: one stretch on screen), trace 3 is apart
    # ([20, 21] s); a long chunk spans the gap and is listed once, in start order.
    make_trace(film, 1, [100, 200], identity=identity)
    make_trace(film, 2, [150, 300], identity=identity)
    make_trace(film, 3, [500, 525], identity=identity)
    starts = {"a": (3.0, 4.0), "b": (7.0, 7.5), "long": (11.0, 40.0), "c": (11.5, 12.0), "gap": (13.0, 19.9), "d": (20.5, 21.5)}
    for chunk_id, (start, end) in starts.items():
        ChunkFactory(media_file=film, chunk_id=chunk_id, start_time=start, end_time=end)

    pages = [api.get(url(identity, "chunks", f"?page={page}&page_size=2")).json() for page in (1, 2, 3, 4)]

    assert [chunk_ids(page) for page in pages] == [["a", "b"], ["long", "c"], ["d"], []]
    assert {page["total"] for page in pages} == {5}


def test_identities_search_names_the_lowest_trace_overlapping_each_chunk(api, identity, film):
    make_trace(film, 7, [100, 200], identity=identity)  # [4, 8] s
    make_trace(film, 3, [175, 300], identity=identity)  # [7, 12] s, the same stretch on screen
    ChunkFactory(media_file=film, chunk_id="only_7", start_time=4.0, end_time=5.0)
    ChunkFactory(media_file=film, chunk_id="both", start_time=7.5, end_time=8.5)
    ChunkFactory(media_file=film, chunk_id="only_3", start_time=11.0, end_time=13.0)

    body = api.get("/api/v1/identities/search", {"q": identity.name}).json()

    assert body["total"] == 3
    assert [(row["chunk_id"], row["trace_id"]) for row in body["results"]] == [("only_7", 7), ("both", 3), ("only_3", 3)]


# --- reads after writes: the segments answer as the faces would --------------------------------


@pytest.fixture
def shared_trace(identity, film):
    """Trace 5 of the film: 6 faces [4 s, 24 s], 5 bound to a stranger and the last to none;
    the identity has a trace of its own in another file. Chunks around trace 5."""
    stranger = IdentityFactory(name="stranger_5", source="auto", status="pending")
    for frame, confidence in zip([100, 200, 300, 400, 500], [0.9, 0.7, 0.5, 0.6, 0.8]):
        FaceFactory(media_file=film, trace_id=5, frame_number=frame, identity=stranger, confidence=confidence)
    FaceFactory(media_file=film, trace_id=5, frame_number=600, confidence=0.5)
    own_file = MediaFileFactory(fps=10.0)
    make_trace(own_file, 1, [10, 20, 30], identity=identity, confidence=1.0)
    for chunk_id, start, end in [("early", 3.0, 4.0), ("middle", 10.0, 11.0), ("late", 23.5, 30.0), ("after", 24.1, 25.0)]:
        ChunkFactory(media_file=film, chunk_id=chunk_id, start_time=start, end_time=end)
    return {"stranger": stranger, "own_file": own_file}


def bind_face(api, identity, media_file, face_id):
    body = {"file_uuid": media_file.file_uuid.hex, "face_id": face_id}
    response = api.post(f"/api/v1/identity/{identity.identity_uuid.hex}/bind", body, format="json")
    assert response.status_code == 200, response.json()


WHOLE_TRACE_5 = {"trace_id": 5, "frame_count": 6, "first_frame": 100, "last_frame": 600, "first_sec": 4.0, "last_sec": 24.0}


def trace_rows(body):
    return [{key: trace[key] for key in WHOLE_TRACE_5} for trace in body["traces"]]


def file_rows(body):
    return [(f["file_uuid"], f["face_count"], f["first_appearance"], f["last_appearance"]) for f in body["files"]]


def test_binding_some_faces_of_a_trace_gives_both_owners_the_whole_trace(api, identity, film, shared_trace):
    stranger, own_file = shared_trace["stranger"], shared_trace["own_file"]
    bind_face(api, identity, film, "100_0")
    bind_face(api, identity, film, "200_0")

    traces = api.get(url(identity, "traces")).json()
    assert traces["total"] == 2 and traces["total_faces"] == 6 + 3
    assert trace_rows(traces)[0] == WHOLE_TRACE_5
    assert traces["traces"][0]["avg_confidence"] == pytest.approx((0.9 + 0.7 + 0.5 + 0.6 + 0.8 + 0.5) / 6)
    stranger_traces = api.get(url(stranger, "traces")).json()
    assert trace_rows(stranger_traces) == [WHOLE_TRACE_5] and stranger_traces["total_faces"] == 6

    # Files and status count only each identity's own faces.
    assert file_rows(api.get(url(identity, "files")).json()) == [
        (film.file_uuid.hex, 2, 4.0, 8.0),
        (own_file.file_uuid.hex, 3, 1.0, 3.0),
    ]
    assert api.get(url(identity, "files")).json()["files"][0]["avg_confidence"] == pytest.approx(0.8)
    assert file_rows(api.get(url(stranger, "files")).json()) == [(film.file_uuid.hex, 3, 12.0, 20.0)]
    status = api.get(url(identity, "status")).json()
    assert (status["face_count"], status["file_count"]) == (5, 2)
    assert api.get(url(stranger, "status")).json()["face_count"] == 3
    assert api.get(url(identity, "json")).json()["file_bindings"] == sorted(
        [
            {"file_uuid": film.file_uuid.hex, "trace_ids": [5], "face_count": 2},
            {"file_uuid": own_file.file_uuid.hex, "trace_ids": [1], "face_count": 3},
        ],
        key=lambda binding: binding["file_uuid"],
    )

    # Chunks follow the whole trace's span, beyond the identity's own faces (4 s to 8 s).
    assert chunk_ids(api.get(url(identity, "chunks")).json()) == ["early", "middle", "late"]
    assert chunk_ids(api.get(url(stranger, "chunks")).json()) == ["early", "middle", "late"]


def test_unbind_then_bind_trace_moves_the_trace_between_owners(api, identity, film, shared_trace):
    stranger = shared_trace["stranger"]
    bind_face(api, identity, film, "100_0")
    unbind = {"file_uuid": film.file_uuid.hex, "trace_id": 5}
    assert api.post(f"/api/v1/identity/{identity.identity_uuid.hex}/unbind", unbind, format="json").status_code == 200

    traces = api.get(url(identity, "traces")).json()
    assert [trace["trace_id"] for trace in traces["traces"]] == [1] and traces["total_faces"] == 3
    assert api.get(url(identity, "chunks")).json()["total"] == 0
    assert file_rows(api.get(url(stranger, "files")).json()) == [(film.file_uuid.hex, 4, 8.0, 20.0)]

    bind_trace = {"file_uuid": film.file_uuid.hex, "trace_id": 5}
    response = api.post(f"/api/v1/identity/{identity.identity_uuid.hex}/bind/trace", bind_trace, format="json")
    assert response.status_code == 200

    assert trace_rows(api.get(url(identity, "traces")).json())[0] == WHOLE_TRACE_5
    assert file_rows(api.get(url(identity, "files")).json())[0] == (film.file_uuid.hex, 6, 4.0, 24.0)
    assert chunk_ids(api.get(url(identity, "chunks")).json()) == ["early", "middle", "late"]
    stranger_reads = [api.get(url(stranger, endpoint)).json() for endpoint in ("traces", "files", "chunks", "status")]
    assert [body["total"] for body in stranger_reads[:3]] == [0, 0, 0]
    assert (stranger_reads[3]["face_count"], stranger_reads[3]["file_count"]) == (0, 0)
