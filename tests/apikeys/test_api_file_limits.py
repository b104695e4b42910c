"""A key's file limit holds on every endpoint under /api/v1 (contract.md, "Auth and scopes").

Every endpoint is crossed with every kind of key. A key limited to the allowed file must never
get a row of the other file: lists and aggregates are filtered to its files, and a request that
names the other file, or a write that would change faces of it, is a 403 that changes nothing.
"""
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

import pytest

from apikeys.services import api_key_revoke
from faces.models import FaceDetection
from faces.segments import segments_rebuild
from history import mongo
from history.models import IdentityHistory
from identities.services import binding, images, merging, replay
from identities.services.pending import pending_person_create
from tests.conftest import client_for
from tests.factories import (
    ApiKeyFactory,
    ChunkFactory,
    IdentityFactory,
    MediaFileFactory,
    StrangerFactory,
    image_upload,
    make_trace,
)

pytestmark = pytest.mark.django_db

SETUP = "key:setup"
A_FACES, B_FACES = 3, 4  # faces of the identity "Both Files" in the allowed and in the other file


@pytest.fixture
def world(request, settings, django_capture_on_commit_callbacks):
    """Two files: `a`, the one the limited keys may see, and `b`. Built through the services, so
    the history entries, merge records, identity.json files and the profile image are real.
    The merges (slow to record) only for the endpoints of merges."""
    settings.MOMENTRY_MONGO_URL = ""
    w = SimpleNamespace(a=MediaFileFactory(file_name="allowed.mp4"), b=MediaFileFactory(file_name="other.mp4"))
    w.output = settings.MOMENTRY_OUTPUT_DIR
    w.with_merges = CASES[request.node.callspec.params["endpoint"]].merges
    with django_capture_on_commit_callbacks(execute=True):
        _build(w)
    yield w
    mongo.close_clients()


def _trace_bind(identity, media_file, trace_id):
    change = binding.trace_bind(
        identity_uuid=identity.identity_uuid, file_uuid=media_file.file_uuid, trace_id=trace_id, actor=SETUP
    )
    return change.history


def _stranger_merged(media_file, trace_id, *, undone):
    stranger, target = StrangerFactory(), IdentityFactory()
    make_trace(media_file=media_file, trace_id=trace_id, size=2, identity=stranger, first_frame=1000 + 10 * trace_id)
    merge = merging.identity_merge(identity_uuid=stranger.identity_uuid, into_uuid=target.identity_uuid, actor=SETUP)
    if undone:
        merging.merge_undo(merge_id=merge.merge_id, actor=SETUP)
    return merge.merge_id


def _history_entry(media_file, trace_id, *, undone):
    identity = IdentityFactory()
    make_trace(media_file=media_file, trace_id=trace_id, size=2, first_frame=2000 + 10 * trace_id)
    entry = _trace_bind(identity, media_file, trace_id)
    if undone:
        replay.history_undo(history_id=entry.history_id, actor=SETUP)
    return entry.history_id


def _build(w):
    a, b = w.a, w.b
    # "Both Files": trace 1 of each file (the same trace id on purpose), a chunk in each file
    # during it, embeddings only on the other file's faces, a profile image.
    w.both = IdentityFactory(name="Both Files")
    make_trace(media_file=a, trace_id=1, size=A_FACES)
    for face in make_trace(media_file=b, trace_id=1, size=B_FACES):
        FaceDetection.objects.filter(pk=face.pk).update(embedding=[0.1, 0.2])
    segments_rebuild({(b.pk, 1)})  # as ingest builds them, with the embeddings
    _trace_bind(w.both, a, 1)
    _trace_bind(w.both, b, 1)
    ChunkFactory(media_file=a, start_time=0.0, end_time=2.0, text="Said in the allowed file.")
    ChunkFactory(media_file=b, start_time=0.0, end_time=2.0, text="Said in the other file.")
    images.identity_profile_image_set(identity_uuid=w.both.identity_uuid, upload=image_upload(), actor=SETUP)

    w.only_a = IdentityFactory(name="Only Allowed")
    make_trace(media_file=a, trace_id=3, size=2, identity=w.only_a, first_frame=200)
    # Unbound faces to bind.
    w.free_a = make_trace(media_file=a, trace_id=2, size=2, first_frame=100)[0]
    w.free_b = make_trace(media_file=b, trace_id=2, size=2, first_frame=100)[0]

    if w.with_merges:
        w.merge_a, w.merge_b = _stranger_merged(a, 10, undone=False), _stranger_merged(b, 10, undone=False)
        w.undone_merge_a = _stranger_merged(a, 11, undone=True)
        w.undone_merge_b = _stranger_merged(b, 11, undone=True)
    w.entry_a, w.entry_b = _history_entry(a, 20, undone=False), _history_entry(b, 20, undone=False)
    w.undone_entry_a, w.undone_entry_b = _history_entry(a, 21, undone=True), _history_entry(b, 21, undone=True)

    make_trace(media_file=a, trace_id=30, size=1, first_frame=3000)
    pending_person_create(file_uuid=a.file_uuid, actor=SETUP, name="Pending Allowed", trace_ids=[30])
    # Its record names the file it was created for: a key limited to `a` must not learn `b` from it.
    make_trace(media_file=b, trace_id=30, size=1, first_frame=3000)
    pending_person_create(file_uuid=b.file_uuid, actor=SETUP, name="Pending Other", trace_ids=[30])


# --- the keys -----------------------------------------------------------------------------------

KEYS = {
    "global": {"scopes": ["global"]},
    "global_listing_files": {"scopes": ["global"], "files": "a"},  # global sees everything anyway
    "identity": {"scopes": ["identity"]},
    "identity_limited": {"scopes": ["identity"], "files": "a"},
    "file": {"scopes": ["file"]},
    "file_limited": {"scopes": ["file"], "files": "a"},
    "read_only": {"scopes": ["global"], "read_only": True},
    "read_only_limited": {"scopes": ["identity", "file"], "files": "a", "read_only": True},
    "revoked": {"scopes": ["global"], "revoked": True},
}


def is_limited(spec):
    return "files" in spec and "global" not in spec["scopes"]


# --- the endpoints ------------------------------------------------------------------------------


def hexof(identity):
    return identity.identity_uuid.hex


@dataclass(frozen=True)
class Case:
    method: str
    path: Callable
    body: Callable = None
    scopes: tuple = ("identity",)
    limited_status: int = 200  # for a file-limited key with the scope (and, for writes, not read-only)
    names_other_file: bool = False  # the request itself names the other file
    rows: bool = False  # lists rows by file: the unlimited keys see both files, the limited ones only `a`
    totals: Callable = None  # (world) -> ({field: value} unlimited, {field: value} limited)
    multipart: bool = False
    merges: bool = False  # needs the world's merge records

    @property
    def writes(self):
        return self.method != "get"


def _id(path):
    return lambda w: f"/api/v1/identity/{hexof(getattr(w, path))}"


def _of(name, endpoint):
    return lambda w: f"/api/v1/identity/{hexof(getattr(w, name))}/{endpoint}"


CASES = {
    # Identity records are identity-level: every identity key lists them whatever its files.
    "identities_list": Case("get", lambda w: "/api/v1/identities"),
    "identity_search": Case("get", lambda w: "/api/v1/identity/search?q=both"),
    "identity_detail": Case("get", _id("both")),
    "identities_search": Case(
        "get", lambda w: "/api/v1/identities/search?q=both", scopes=("identity", "file"), rows=True,
        totals=lambda w: ({"total": 2}, {"total": 1}),
    ),
    "identities_search_allowed_file": Case(
        "get", lambda w: f"/api/v1/identities/search?q=both&file_uuid={w.a.file_uuid.hex}", scopes=("identity", "file"),
        totals=lambda w: ({"total": 1}, {"total": 1}),
    ),
    "identities_search_other_file": Case(
        "get", lambda w: f"/api/v1/identities/search?q=both&file_uuid={w.b.file_uuid}", scopes=("identity", "file"),
        limited_status=403, names_other_file=True,
    ),
    "files": Case("get", _of("both", "files"), rows=True, totals=lambda w: ({"total": 2}, {"total": 1})),
    "faces": Case(
        "get", _of("both", "faces"), rows=True, totals=lambda w: ({"total": A_FACES + B_FACES}, {"total": A_FACES})
    ),
    "traces": Case(
        "get", _of("both", "traces"), rows=True,
        totals=lambda w: ({"total": 2, "total_faces": A_FACES + B_FACES}, {"total": 1, "total_faces": A_FACES}),
    ),
    "chunks": Case("get", _of("both", "chunks"), rows=True, totals=lambda w: ({"total": 2}, {"total": 1})),
    "status": Case(
        "get", _of("both", "status"),
        totals=lambda w: (
            {"face_count": A_FACES + B_FACES, "file_count": 2, "has_embedding": True, "has_profile_image": True},
            {"face_count": A_FACES, "file_count": 1, "has_embedding": False, "has_profile_image": True},
        ),
    ),
    "json": Case("get", _of("both", "json"), rows=True),
    "history": Case("get", _of("both", "history"), rows=True, totals=lambda w: ({"total": 3}, {"total": 3})),
    "profile_image_get": Case("get", _of("both", "profile-image")),
    "merge_history": Case(
        "get", lambda w: "/api/v1/identity/merge/history", totals=lambda w: ({"total": 4}, {"total": 4}), merges=True
    ),
    "pending_persons_allowed_file": Case(
        "get", lambda w: f"/api/v1/file/{w.a.file_uuid.hex}/pending-persons", scopes=("file",)
    ),
    "pending_persons_other_file": Case(
        "get", lambda w: f"/api/v1/file/{w.b.file_uuid.hex}/pending-persons", scopes=("file",),
        limited_status=403, names_other_file=True,
    ),
    # Writes of the identity's own fields touch no face: allowed whatever the identity's files.
    "patch": Case("patch", _id("both"), body=lambda w: {"status": "inactive"}),
    "upload": Case(
        "post", lambda w: "/api/v1/identity/upload",
        body=lambda w: {"identity_uuid": hexof(w.both), "name": "Both Files", "metadata": {"k": 1}},
    ),
    "profile_image_post": Case(
        "post", _of("both", "profile-image"), body=lambda w: {"image": image_upload()}, multipart=True
    ),
    # DELETE unbinds every face of the identity; a limited key may not when some are elsewhere.
    "delete_with_faces_elsewhere": Case("delete", _id("both"), limited_status=403),
    "delete_with_faces_in_allowed_file": Case("delete", _id("only_a")),
    "bind_face_allowed_file": Case(
        "post", _of("only_a", "bind"), body=lambda w: {"file_uuid": w.a.file_uuid.hex, "face_id": w.free_a.face_id}
    ),
    "bind_face_other_file": Case(
        "post", _of("only_a", "bind"), body=lambda w: {"file_uuid": w.b.file_uuid.hex, "face_id": w.free_b.face_id},
        limited_status=403, names_other_file=True,
    ),
    "bind_trace_allowed_file": Case(
        "post", _of("only_a", "bind/trace"), body=lambda w: {"file_uuid": w.a.file_uuid.hex, "trace_id": 2}
    ),
    "bind_trace_other_file": Case(
        "post", _of("only_a", "bind/trace"), body=lambda w: {"file_uuid": str(w.b.file_uuid), "trace_id": 2},
        limited_status=403, names_other_file=True,
    ),
    "unbind_allowed_file": Case(
        "post", _of("both", "unbind"), body=lambda w: {"file_uuid": w.a.file_uuid.hex, "trace_id": 1}
    ),
    "unbind_other_file": Case(
        "post", _of("both", "unbind"), body=lambda w: {"file_uuid": w.b.file_uuid.hex, "face_id": "0_0"},
        limited_status=403, names_other_file=True,
    ),
    # mergeinto moves every face of the source; the target's own faces stay where they are.
    "merge_source_with_faces_elsewhere": Case(
        "post", _of("both", "mergeinto"), body=lambda w: {"into_uuid": hexof(w.only_a)}, limited_status=403
    ),
    "merge_source_in_allowed_file": Case(
        "post", _of("only_a", "mergeinto"), body=lambda w: {"into_uuid": hexof(w.both)}
    ),
    "merge_undo_allowed_file": Case("post", lambda w: f"/api/v1/identity/merge/{w.merge_a}/undo", merges=True),
    "merge_undo_other_file": Case(
        "post", lambda w: f"/api/v1/identity/merge/{w.merge_b}/undo", limited_status=403, merges=True
    ),
    "merge_redo_allowed_file": Case("post", lambda w: f"/api/v1/identity/merge/{w.undone_merge_a}/redo", merges=True),
    "merge_redo_other_file": Case(
        "post", lambda w: f"/api/v1/identity/merge/{w.undone_merge_b}/redo", limited_status=403, merges=True
    ),
    "history_undo_allowed_file": Case("post", lambda w: f"/api/v1/identity/history/{w.entry_a}/undo"),
    "history_undo_other_file": Case(
        "post", lambda w: f"/api/v1/identity/history/{w.entry_b}/undo", limited_status=403
    ),
    "history_redo_allowed_file": Case("post", lambda w: f"/api/v1/identity/history/{w.undone_entry_a}/redo"),
    "history_redo_other_file": Case(
        "post", lambda w: f"/api/v1/identity/history/{w.undone_entry_b}/redo", limited_status=403
    ),
    "pending_person_allowed_file": Case(
        "post", lambda w: f"/api/v1/file/{w.a.file_uuid.hex}/pending-person", body=lambda w: {"trace_ids": [2]},
        scopes=("file",),
    ),
    "pending_person_other_file": Case(
        "post", lambda w: f"/api/v1/file/{w.b.file_uuid.hex}/pending-person", body=lambda w: {"trace_ids": [2]},
        scopes=("file",), limited_status=403, names_other_file=True,
    ),
}


def expected_status(case, spec):
    if spec.get("revoked"):
        return 401
    if not any(scope in spec["scopes"] for scope in ("global", *case.scopes)):
        return 403
    if spec.get("read_only") and case.writes:
        return 403
    return case.limited_status if is_limited(spec) else 200


def everything(w):
    """All a write can change: identities, face bindings, the files on disk, history, merges."""
    from identities.models import Identity

    output = w.output / "identities"
    return {
        "identities": list(Identity.objects.order_by("pk").values()),
        "faces": list(FaceDetection.objects.order_by("pk").values_list("pk", "identity_id")),
        "history": list(IdentityHistory.objects.order_by("pk").values()),
        "merges": sorted(mongo.merge_history_collection().find({}), key=lambda record: record["_id"]),
        "files": {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()},
    }


def send(client, case, w):
    path = case.path(w)
    body = case.body(w) if case.body else None
    if case.multipart:
        return getattr(client, case.method)(path, body, format="multipart")
    return getattr(client, case.method)(path, body, format="json")


def response_text(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode()


def check(w, case, key):
    spec = dict(KEYS[key])
    revoked = spec.pop("revoked", False)
    if spec.get("files") == "a":
        spec["files"] = [w.a.file_uuid.hex]
    api_key = ApiKeyFactory(**spec)
    if revoked:
        api_key_revoke(api_key=api_key)
    spec["revoked"] = revoked
    client = client_for(api_key)
    limited = is_limited(spec)

    before = everything(w) if case.writes else None
    response = send(client, case, w)
    status = expected_status(case, spec)
    text = response_text(response)
    assert response.status_code == status, f"{key}: {text}"

    if status != 200:
        body = json.loads(text)
        assert body["success"] is False and body["error"]["code"] in ("permission_denied", "authentication_failed")
        if case.writes:
            assert everything(w) == before, f"{key}: a refused write changed something"
    if limited and not case.names_other_file:
        # Neither a row nor a mention of the other file, in any form.
        assert w.b.file_uuid.hex not in text and str(w.b.file_uuid) not in text, key
    if status == 200 and case.rows:
        assert w.a.file_uuid.hex in text, key
        if not limited:  # so the check above is not vacuous: the unlimited keys do see the other file
            assert w.b.file_uuid.hex in text, key
    if status == 200 and case.totals:
        unlimited_totals, limited_totals = case.totals(w)
        wanted = limited_totals if limited else unlimited_totals
        body = json.loads(text)
        assert {field: body[field] for field in wanted} == wanted, key


READS = [name for name, case in CASES.items() if not case.writes]
WRITES = [name for name, case in CASES.items() if case.writes]


def _answers(endpoint, key):
    spec = KEYS[key]
    return expected_status(CASES[endpoint], {**spec, "files": ["a"]} if "files" in spec else spec)


@pytest.mark.parametrize("endpoint", READS)
def test_every_read_keeps_to_the_keys_files(world, endpoint):
    """Reads change nothing, so every kind of key asks the same world."""
    for key in KEYS:
        check(world, CASES[endpoint], key)


@pytest.mark.parametrize("endpoint", WRITES)
def test_every_refused_write_changes_nothing(world, endpoint):
    for key in KEYS:
        if _answers(endpoint, key) != 200:
            check(world, CASES[endpoint], key)


@pytest.mark.parametrize(
    ("endpoint", "key"), [(endpoint, key) for endpoint in WRITES for key in KEYS if _answers(endpoint, key) == 200]
)
def test_every_allowed_write_keeps_to_the_keys_files(world, endpoint, key):
    """An allowed write changes the world: each gets its own."""
    check(world, CASES[endpoint], key)
