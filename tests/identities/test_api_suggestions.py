"""Who is this stranger: suggestions, a file's traces with their likeliest identity, the review queue."""
import numpy as np
import pytest

from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory

pytestmark = pytest.mark.django_db

DIMENSIONS = 8


def direction(seed, *, near=None, spread=0.0):
    """A unit vector; `near` another's direction blurred by `spread`."""
    rng = np.random.default_rng(seed)
    vector = rng.normal(size=DIMENSIONS) if near is None else np.asarray(near) + spread * rng.normal(size=DIMENSIONS)
    return list(vector / np.linalg.norm(vector))


CARY, INGRID, CLAUDE = direction(1), direction(2), direction(3)


def faces(media_file, trace_id, centre, *, identity=None, frames=range(0, 30, 10), seed=0):
    return [
        FaceFactory(
            media_file=media_file,
            trace_id=trace_id,
            frame_number=frame,
            index=trace_id,  # one face per trace in a frame
            embedding=direction(seed * 1000 + frame, near=centre, spread=0.1),
            identity=identity,
        )
        for frame in frames
    ]


@pytest.fixture
def library():
    """Three known people in two films, and a stranger who is Claude in the second."""
    film, other = MediaFileFactory(), MediaFileFactory()
    cary = IdentityFactory(name="Cary Grant", metadata={"aliases": [{"locale": "zh-TW", "name": "卡萊·葛倫"}]})
    ingrid, claude = IdentityFactory(name="Ingrid Bergman"), IdentityFactory(name="Claude Rains")
    stranger = StrangerFactory()
    faces(film, 1, CARY, identity=cary, seed=1)
    faces(film, 2, INGRID, identity=ingrid, seed=2)
    faces(film, 3, CLAUDE, identity=claude, seed=3, frames=range(100, 130, 10))
    faces(other, 1, CLAUDE, identity=stranger, seed=4)
    return {"film": film, "other": other, "cary": cary, "ingrid": ingrid, "claude": claude, "stranger": stranger}


def suggestions(api, identity, **params):
    return api.get(f"/api/v1/identity/{identity.identity_uuid.hex}/suggestions", params)


def test_the_stranger_is_most_probably_claude_with_the_evidence(api, library):
    response = suggestions(api, library["stranger"], locale="zh-TW")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["identity_uuid"] == library["stranger"].identity_uuid.hex
    assert body["reason"] is None
    first = body["suggestions"][0]
    assert first["identity"]["name"] == "Claude Rains"
    assert first["similarity"] > 0.9
    assert first | {"identity": None, "similarity": None} == {
        "identity": None,
        "similarity": None,
        "shared_frames": 0,
        "files_in_common": 0,
        "faces": 3,
        "screen_time_sec": 0.84,  # 21 frames at 25 fps
        "suggested": True,
        "reason": None,
    }
    assert [item["identity"]["name"] for item in body["suggestions"]][1:] != []
    assert all(item["similarity"] < 0.5 for item in body["suggestions"][1:])
    names = {item["identity"]["name"]: item["identity"]["display_name"] for item in body["suggestions"]}
    assert names["Cary Grant"] == "卡萊·葛倫"


def test_a_candidate_that_shares_a_frame_is_never_suggested_and_explained_only_when_asked(api, library):
    # A second stranger on screen with Cary at frames 0 and 10, whose faces look like Cary's.
    look_alike = StrangerFactory()
    faces(library["film"], 9, CARY, identity=look_alike, seed=9, frames=[0, 10])

    plain = suggestions(api, look_alike, limit=5).json()["suggestions"]
    assert "Cary Grant" not in [item["identity"]["name"] for item in plain]

    explained = suggestions(api, look_alike, explain="true").json()["suggestions"]
    cary = next(item for item in explained if item["identity"]["name"] == "Cary Grant")
    assert cary | {"identity": None} == {
        "identity": None,
        "similarity": cary["similarity"],
        "shared_frames": 2,
        "files_in_common": 1,
        "faces": 3,
        "screen_time_sec": 0.84,
        "suggested": False,
        "reason": "shared_frames",
    }
    assert [item["suggested"] for item in explained] == sorted((item["suggested"] for item in explained), reverse=True)


def test_a_rejected_candidate_is_left_out_both_ways(api, library):
    stranger, claude = library["stranger"], library["claude"]
    rejected = api.post(f"/api/v1/identity/{stranger.identity_uuid.hex}/suggestions/{claude.identity_uuid.hex}/reject")
    assert rejected.status_code == 200

    names = [item["identity"]["name"] for item in suggestions(api, stranger).json()["suggestions"]]
    assert "Claude Rains" not in names
    explained = suggestions(api, stranger, explain="true").json()["suggestions"]
    assert {"name": "Claude Rains", "reason": "rejected"} in [
        {"name": item["identity"]["name"], "reason": item["reason"]} for item in explained
    ]
    # "The stranger is not Claude" is also "Claude is not the stranger".
    others = suggestions(api, claude, include="all").json()["suggestions"]
    assert stranger.identity_uuid.hex not in [item["identity"]["identity_uuid"] for item in others]

    api.post(f"/api/v1/identity/history/{rejected.json()['history_id']}/undo")
    assert suggestions(api, stranger).json()["suggestions"][0]["identity"]["name"] == "Claude Rains"


def test_include_known_leaves_strangers_out_and_all_brings_them_in(api, library):
    twin = StrangerFactory()
    faces(library["other"], 2, CLAUDE, identity=twin, seed=5, frames=range(200, 230, 10))

    known = suggestions(api, library["stranger"]).json()
    assert known["include"] == "known"
    assert twin.identity_uuid.hex not in [item["identity"]["identity_uuid"] for item in known["suggestions"]]
    everyone = suggestions(api, library["stranger"], include="all").json()["suggestions"]
    assert twin.identity_uuid.hex in [item["identity"]["identity_uuid"] for item in everyone[:2]]


def test_a_merged_identity_is_never_a_candidate(api, library):
    merged = api.post(
        f"/api/v1/identity/{library['claude'].identity_uuid.hex}/mergeinto",
        {"into_uuid": library["cary"].identity_uuid.hex},
        format="json",
    )
    assert merged.status_code == 200
    names = [item["identity"]["name"] for item in suggestions(api, library["stranger"], include="all").json()["suggestions"]]
    assert "Claude Rains" not in names
    # Cary now has Claude's faces too, so he is the stranger's best match.
    assert names[0] == "Cary Grant"


def test_an_identity_without_embeddings_gets_an_empty_list_and_the_reason(api):
    nobody = IdentityFactory()
    FaceFactory(identity=nobody, embedding=None)
    body = suggestions(api, nobody).json()
    assert body["suggestions"] == [] and body["reason"] == "no_embeddings"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": "five"}, "limit"),
        ({"include": "friends"}, "include"),
        ({"explain": "maybe"}, "explain"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, library, params, field):
    response = suggestions(api, library["stranger"], **params)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and field in body["error"]["message"]


def test_an_unknown_identity_is_a_404(api):
    response = api.get("/api/v1/identity/0123456789abcdef0123456789abcdef/suggestions")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_queries_do_not_grow_with_the_limit(api, library, django_assert_max_num_queries):
    for number in range(12):
        person = IdentityFactory(name=f"Extra {number}")
        faces(library["film"], 20 + number, direction(100 + number), identity=person, seed=20 + number,
              frames=[500 + 10 * number])
    with django_assert_max_num_queries(14) as small:
        suggestions(api, library["stranger"], limit=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(suggestions(api, library["stranger"], limit=15).json()["suggestions"]) == 15


# --- a file's traces -------------------------------------------------------------------------


def test_a_files_traces_name_their_owners_and_suggest_for_the_anonymous_ones(api, library):
    other = library["other"]
    faces(other, 2, INGRID, seed=6, frames=range(300, 330, 10))  # unbound, looks like Ingrid

    response = api.get(f"/api/v1/file/{other.file_uuid.hex}/traces", {"locale": "en"})

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["file_uuid"] == other.file_uuid.hex
    stranger_trace, unbound_trace = body["traces"]
    assert stranger_trace["identities"] == [
        {
            "identity_uuid": library["stranger"].identity_uuid.hex,
            "name": library["stranger"].name,
            "status": "pending",
            "source": "auto",
        }
    ]
    assert stranger_trace["suggestion"]["identity"]["name"] == "Claude Rains"
    assert unbound_trace["identities"] == [] and unbound_trace["bound_count"] == 0
    assert unbound_trace["suggestion"]["identity"]["name"] == "Ingrid Bergman"
    assert unbound_trace["suggestion"]["similarity"] > 0.9

    unbound_only = api.get(f"/api/v1/file/{other.file_uuid.hex}/traces", {"bound": "false"}).json()
    assert [trace["trace_id"] for trace in unbound_only["traces"]] == [2] and unbound_only["total"] == 1
    bound_only = api.get(f"/api/v1/file/{other.file_uuid.hex}/traces", {"bound": "true"}).json()
    assert [trace["trace_id"] for trace in bound_only["traces"]] == [1]


def test_a_known_persons_trace_gets_no_suggestion_and_an_unbound_trace_not_one_in_its_frames(api, library):
    film = library["film"]
    # Unbound faces that look like Cary, in the frames where Cary is already on screen.
    faces(film, 7, CARY, seed=7, frames=[0, 10, 20])
    traces = {trace["trace_id"]: trace for trace in api.get(f"/api/v1/file/{film.file_uuid.hex}/traces").json()["traces"]}
    assert traces[1]["suggestion"] is None  # Cary's own trace
    assert traces[7]["suggestion"] is None or traces[7]["suggestion"]["identity"]["name"] != "Cary Grant"


def test_a_trace_unbound_from_someone_is_not_suggested_to_them_again(api, library):
    film, claude = library["film"], library["claude"]
    unbound = api.post(
        f"/api/v1/identity/{claude.identity_uuid.hex}/unbind",
        {"file_uuid": film.file_uuid.hex, "trace_id": 3},
        format="json",
    )
    assert unbound.status_code == 200
    traces = {trace["trace_id"]: trace for trace in api.get(f"/api/v1/file/{film.file_uuid.hex}/traces").json()["traces"]}
    assert traces[3]["suggestion"] is None or traces[3]["suggestion"]["identity"]["name"] != "Claude Rains"


def test_file_traces_errors(api, library):
    assert api.get("/api/v1/file/0123456789abcdef0123456789abcdef/traces").status_code == 404
    bad = api.get(f"/api/v1/file/{library['film'].file_uuid.hex}/traces", {"bound": "perhaps"})
    assert bad.status_code == 400 and "bound" in bad.json()["error"]["message"]


def test_file_traces_queries_do_not_grow_with_the_page(api, library, django_assert_max_num_queries):
    film = library["film"]
    for trace_id in range(40, 70):
        faces(film, trace_id, direction(trace_id), seed=trace_id, frames=[1000 + 10 * trace_id])
    with django_assert_max_num_queries(14) as small:
        api.get(f"/api/v1/file/{film.file_uuid.hex}/traces", {"page_size": 2, "bound": "false"})
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = api.get(f"/api/v1/file/{film.file_uuid.hex}/traces", {"page_size": 30, "bound": "false"}).json()
    assert len(page["traces"]) == 30 and all(trace["suggestion"] for trace in page["traces"])


# --- the review queue ------------------------------------------------------------------------


def test_the_review_queue_lists_strangers_with_their_top_suggestion(api, library):
    extra = StrangerFactory()
    faces(library["film"], 8, direction(50), identity=extra, seed=8, frames=range(400, 1000, 10))

    by_screen_time = api.get("/api/v1/review/strangers").json()
    assert by_screen_time["order"] == "screen_time" and by_screen_time["total"] == 2
    first, second = by_screen_time["strangers"]
    assert first["identity"]["identity_uuid"] == extra.identity_uuid.hex and first["faces"] == 60
    assert second["identity"]["identity_uuid"] == library["stranger"].identity_uuid.hex
    assert second | {"identity": None, "suggestion": None} == {
        "identity": None,
        "faces": 3,
        "screen_time_sec": 0.84,
        "files": 1,
        "suggestion": None,
    }
    assert second["suggestion"]["identity"]["name"] == "Claude Rains"

    by_similarity = api.get("/api/v1/review/strangers", {"order": "similarity"}).json()["strangers"]
    assert by_similarity[0]["identity"]["identity_uuid"] == library["stranger"].identity_uuid.hex

    in_other_file = api.get("/api/v1/review/strangers", {"file_uuid": library["other"].file_uuid.hex}).json()
    assert [item["identity"]["identity_uuid"] for item in in_other_file["strangers"]] == [
        library["stranger"].identity_uuid.hex
    ]


def test_review_queue_errors(api):
    assert api.get("/api/v1/review/strangers", {"order": "alphabet"}).status_code == 400
    assert api.get("/api/v1/review/strangers", {"file_uuid": "nope"}).status_code == 400
    assert api.get("/api/v1/review/strangers", {"file_uuid": "0123456789abcdef0123456789abcdef"}).status_code == 404


def test_review_queue_queries_do_not_grow_with_the_page(api, library, django_assert_max_num_queries):
    for number in range(10):
        faces(library["film"], 50 + number, direction(60 + number), identity=StrangerFactory(), seed=50 + number,
              frames=[2000 + 10 * number])
    with django_assert_max_num_queries(14) as small:
        api.get("/api/v1/review/strangers", {"page_size": 1})
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api.get("/api/v1/review/strangers", {"page_size": 11}).json()["strangers"]) == 11


def test_a_key_limited_to_one_file_sees_the_evidence_and_strangers_of_that_file_only(make_client, library):
    film, other = library["film"], library["other"]
    limited = make_client(scopes=["identity", "file"], files=[film.file_uuid.hex])

    assert limited.get(f"/api/v1/file/{other.file_uuid.hex}/traces").status_code == 403
    assert limited.get("/api/v1/review/strangers", {"file_uuid": other.file_uuid.hex}).status_code == 403
    # The stranger's faces are all in the other file: the key's queue has no one to review.
    assert limited.get("/api/v1/review/strangers").json()["total"] == 0
    body = limited.get(f"/api/v1/identity/{library['stranger'].identity_uuid.hex}/suggestions").json()
    claude = next(item for item in body["suggestions"] if item["identity"]["name"] == "Claude Rains")
    assert claude["faces"] == 3  # Claude's faces are in the film, which the key sees
    assert claude["files_in_common"] == 0
