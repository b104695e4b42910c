"""PATCH, DELETE, upload, bind and unbind of identities, through the API."""
import json
import uuid

import pytest

from faces.models import FaceDetection
from history.models import IdentityHistory
from identities.models import Identity
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, image_bytes, image_upload, make_trace

# Real commits: identity.json and profile images are written by on_commit callbacks.
pytestmark = pytest.mark.django_db(transaction=True)


def identity_json_on_disk(settings, identity_uuid):
    path = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity_uuid.hex / "identity.json"
    return json.loads(path.read_text()) if path.exists() else None


def assert_disk_matches_api(api, settings, identity):
    response = api.get(f"/api/v1/identity/{identity.identity_uuid.hex}/json")
    assert response.status_code == 200
    assert identity_json_on_disk(settings, identity.identity_uuid) == response.json()


# --- PATCH ---------------------------------------------------------------------------------------


def test_patch_sets_fields_and_merges_metadata_shallowly(api, settings):
    identity = IdentityFactory(name="J. Smith", metadata={"tmdb_rating": 8.5, "aliases": [{"locale": "en", "name": "J"}]})
    response = api.patch(
        f"/api/v1/identity/{identity.identity_uuid}",
        {
            "name": "John Smith",
            "metadata": {"aliases": [{"locale": "zh-TW", "name": "約翰·史密斯"}], "cast_order": 2},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["success"] is True
    assert body["identity_uuid"] == identity.identity_uuid.hex
    assert body["updated_fields"] == ["name", "metadata"]
    identity.refresh_from_db()
    assert identity.name == "John Smith"
    assert identity.metadata == {
        "tmdb_rating": 8.5,
        "aliases": [{"locale": "zh-TW", "name": "約翰·史密斯"}],
        "cast_order": 2,
    }
    assert identity.updated_at is not None
    assert_disk_matches_api(api, settings, identity)


def test_patch_status_and_type_and_records_the_actor(make_client):
    client = make_client(scopes=["identity"], name="curator-anna")
    identity = IdentityFactory(status="pending")
    response = client.patch(
        f"/api/v1/identity/{identity.identity_uuid.hex}", {"status": "skipped", "identity_type": "brand"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["updated_fields"] == ["identity_type", "status"]
    identity.refresh_from_db()
    assert (identity.status, identity.identity_type) == ("skipped", "brand")
    entry = IdentityHistory.objects.get(identity_uuid=identity.identity_uuid)
    assert str(entry.history_id) == response.json()["history_id"]
    assert entry.action == "update"
    assert entry.actor == "key:curator-anna"
    assert entry.before_snapshot["identity"]["status"] == "pending"
    assert entry.after_snapshot["identity"]["status"] == "skipped"


@pytest.mark.parametrize("metadata", ["text", [1, 2], 3, None, True])
def test_patch_non_object_metadata_is_400_and_changes_nothing(api, world_state, metadata):
    identity = IdentityFactory(metadata={"keep": 1})
    before = world_state()
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid}", {"metadata": metadata}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": {"code": "validation_error", "message": "metadata must be a JSON object"},
    }
    assert world_state() == before
    assert not IdentityHistory.objects.exists()


@pytest.mark.parametrize(
    "body, message_part",
    [
        ({}, "Nothing to update"),
        ({"nmae": "typo"}, "Unknown field(s): nmae"),
        ({"status": "merged"}, "only by mergeinto"),
        ({"status": "deleted"}, "status must be one of"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": 12}, "name must be a non-empty string"),
        ({"identity_type": ["people"]}, "identity_type must be a string"),
        ({"metadata": {"aliases": [{"locale": "not a tag!", "name": "X"}]}}, "BCP 47"),
        ({"metadata": {"aliases": "John"}}, "metadata.aliases must be a list"),
        ({"metadata": {"note": "a\u0000b"}}, "NUL"),
        ({"metadata": {"a\u0000": 1}}, "NUL"),
        ({"name": "x\u0000y"}, "NUL"),
        ({"name": "x" * 256}, "at most 255"),
        ({"identity_type": "t" * 65}, "at most 64"),
    ],
)
def test_patch_bad_body_is_400(api, world_state, body, message_part):
    identity = IdentityFactory()
    before = world_state()
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid}", body, format="json")
    assert response.status_code == 400
    assert message_part in response.json()["error"]["message"]
    assert world_state() == before


def test_patch_body_that_is_not_an_object_is_400(api):
    identity = IdentityFactory()
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid}", [1, 2], format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "bad", ["b5053f8f01154b8cbe4e8fac988c134b", "not-a-uuid-at-all-not-a-uuid-at-all"]  # fixed ids: test_api_history.py
)
def test_patch_and_delete_unknown_identity_is_404(api, bad):
    assert api.patch(f"/api/v1/identity/{bad}", {"name": "X"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/identity/{bad}").status_code == 404


def test_read_only_key_cannot_patch_or_delete(make_client):
    client = make_client(scopes=["identity"], read_only=True)
    identity = IdentityFactory()
    assert client.patch(f"/api/v1/identity/{identity.identity_uuid}", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/identity/{identity.identity_uuid}").status_code == 403
    assert Identity.objects.filter(pk=identity.pk, name=identity.name).exists()


# --- DELETE --------------------------------------------------------------------------------------


def test_delete_unbinds_faces_removes_files_and_keeps_what_undo_needs(api, settings):
    identity = IdentityFactory(name="Gone")
    media_file = MediaFileFactory()
    faces = make_trace(media_file=media_file, trace_id=7, size=4, identity=identity)
    other = IdentityFactory()
    kept = FaceFactory(media_file=media_file, trace_id=8, identity=other)
    api.patch(f"/api/v1/identity/{identity.identity_uuid}", {"metadata": {"a": 1}}, format="json")
    api.post(f"/api/v1/identity/{identity.identity_uuid}/profile-image", {"image": image_upload()}, format="multipart")
    directory = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex
    assert (directory / "identity.json").exists() and (directory / "profile.png").exists()

    response = api.delete(f"/api/v1/identity/{identity.identity_uuid}")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["faces_unbound"] == 4
    assert not Identity.objects.filter(pk=identity.pk).exists()
    assert not FaceDetection.objects.filter(pk__in=[f.pk for f in faces], identity__isnull=False).exists()
    assert FaceDetection.objects.get(pk=kept.pk).identity_id == other.pk
    assert not directory.exists()
    entry = IdentityHistory.objects.get(history_id=body["history_id"])
    assert entry.action == "delete"
    assert entry.before_snapshot["identity"]["metadata"] == {"a": 1}
    assert entry.before_snapshot["faces"] == [
        {
            "file_uuid": media_file.file_uuid.hex,
            "identity_uuid": identity.identity_uuid.hex,
            "keys": [[f.frame_number, 0] for f in faces],
        }
    ]
    assert entry.after_snapshot["identity"] is None
    stashed = settings.MOMENTRY_OUTPUT_DIR / ".history" / body["history_id"] / "before" / "profile.png"
    assert stashed.read_bytes() == image_bytes()
    assert api.get(f"/api/v1/identity/{identity.identity_uuid}").status_code == 404


# --- upload --------------------------------------------------------------------------------------


def upload_document(identity_uuid, **overrides):
    return {
        "version": 1,
        "identity_uuid": identity_uuid,
        "name": "Cary Grant",
        "identity_type": "people",
        "source": ".json",
        "status": "confirmed",
        "metadata": {"cast_order": 1},
        "file_bindings": [],
        **overrides,
    }


def test_upload_creates_then_updates_with_metadata_overwritten(api, settings):
    identity_uuid = uuid.uuid4()
    response = api.post("/api/v1/identity/upload", upload_document(str(identity_uuid)), format="json")
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "identity_uuid": identity_uuid.hex,
        "name": "Cary Grant",
        "message": "Identity uploaded successfully",
        "created": True,
    }
    identity = Identity.objects.get(identity_uuid=identity_uuid)
    assert_disk_matches_api(api, settings, identity)
    assert not IdentityHistory.objects.exists()

    response = api.post(
        "/api/v1/identity/upload",
        upload_document(identity_uuid.hex, name="Archibald Leach", metadata={"born": 1904}, source=None),
        format="json",
    )
    assert response.status_code == 200 and response.json()["created"] is False
    identity.refresh_from_db()
    assert (identity.name, identity.metadata, identity.source) == ("Archibald Leach", {"born": 1904}, ".json")
    assert_disk_matches_api(api, settings, identity)
    entry = IdentityHistory.objects.get(identity_uuid=identity_uuid)
    assert entry.action == "upload"
    assert entry.before_snapshot["identity"]["metadata"] == {"cast_order": 1}


@pytest.mark.parametrize(
    "overrides",
    [
        {"identity_uuid": "nope"},
        {"name": ""},
        {"name": "n" * 256},
        {"status": "gone"},
        {"tmdb_id": "12"},
        {"tmdb_id": 2**40},
        {"metadata": {"aliases": 3}},
        {"metadata": {"x": ["\u0000"]}},
    ],
)
def test_upload_invalid_document_is_400_and_changes_nothing(api, world_state, overrides):
    existing = IdentityFactory(name="Before")
    before = world_state()
    document = {**upload_document(existing.identity_uuid.hex), **overrides}
    response = api.post("/api/v1/identity/upload", document, format="json")
    assert response.status_code == 400
    assert world_state() == before
    assert not IdentityHistory.objects.exists()


# --- bind, bind/trace, unbind --------------------------------------------------------------------


@pytest.mark.parametrize("face_id", ["40_1", "face_40"])
def test_bind_one_face_by_either_face_id_form(api, settings, face_id):
    identity = IdentityFactory(name="Cary Grant")
    media_file = MediaFileFactory()
    index = 1 if face_id == "40_1" else 0
    face = FaceFactory(media_file=media_file, frame_number=40, index=index)
    FaceFactory(media_file=media_file, frame_number=40, index=1 - index)
    response = api.post(
        f"/api/v1/identity/{identity.identity_uuid}/bind",
        {"file_uuid": str(media_file.file_uuid), "face_id": face_id},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["rows_affected"] == 1
    assert list(FaceDetection.objects.filter(identity=identity)) == [face]
    assert_disk_matches_api(api, settings, identity)


def test_bind_face_already_bound_to_the_identity_changes_nothing(api):
    identity = IdentityFactory()
    face = FaceFactory(identity=identity)
    response = api.post(
        f"/api/v1/identity/{identity.identity_uuid}/bind",
        {"file_uuid": face.media_file.file_uuid.hex, "face_id": face.face_id},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"rows_affected": 0, "history_id": None}
    assert response.json()["message"].startswith("Nothing changed: bound face")
    assert not IdentityHistory.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"face_id": "1_0"},
        {"file_uuid": "xyz", "face_id": "1_0"},
        {"file_uuid": "FILE"},
        {"file_uuid": "FILE", "face_id": "1-0"},
        {"file_uuid": "FILE", "face_id": "face_x"},
        {"file_uuid": "FILE", "face_id": 10},
        {"file_uuid": "FILE", "face_id": "99999999999999999999_0"},
        {"file_uuid": "FILE", "face_id": "1_99999"},
    ],
)
def test_bind_malformed_body_is_400(api, world_state, body):
    identity = IdentityFactory()
    face = FaceFactory(frame_number=1)
    body = {k: face.media_file.file_uuid.hex if v == "FILE" else v for k, v in body.items()}
    before = world_state()
    response = api.post(f"/api/v1/identity/{identity.identity_uuid}/bind", body, format="json")
    assert response.status_code == 400
    assert world_state() == before


def test_bind_unknown_identity_file_or_face_is_404(api):
    identity = IdentityFactory()
    face = FaceFactory(frame_number=1)
    file_hex = face.media_file.file_uuid.hex
    cases = [
        (uuid.uuid4().hex, {"file_uuid": file_hex, "face_id": "1_0"}),
        (identity.identity_uuid.hex, {"file_uuid": uuid.uuid4().hex, "face_id": "1_0"}),
        (identity.identity_uuid.hex, {"file_uuid": file_hex, "face_id": "1_3"}),
    ]
    for identity_hex, body in cases:
        response = api.post(f"/api/v1/identity/{identity_hex}/bind", body, format="json")
        assert response.status_code == 404, body
    assert FaceDetection.objects.get(pk=face.pk).identity_id is None


def test_bind_trace_binds_every_face_and_takes_them_from_their_owner(api, settings):
    target = IdentityFactory(name="Cary Grant")
    previous = IdentityFactory(name="stranger_1")
    media_file = MediaFileFactory()
    unbound = make_trace(media_file=media_file, trace_id=919, size=3)
    owned = make_trace(media_file=media_file, trace_id=919, size=2, identity=previous, first_frame=100)
    elsewhere = FaceFactory(media_file=media_file, trace_id=920, identity=previous)
    response = api.post(
        f"/api/v1/identity/{target.identity_uuid}/bind/trace",
        {"file_uuid": media_file.file_uuid.hex, "trace_id": 919},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == f"Bound trace 919 of {media_file.file_uuid.hex} to Cary Grant"
    assert body["data"]["rows_affected"] == 5
    assert set(FaceDetection.objects.filter(identity=target)) == set(unbound + owned)
    assert list(FaceDetection.objects.filter(identity=previous)) == [elsewhere]
    assert_disk_matches_api(api, settings, target)
    assert_disk_matches_api(api, settings, previous)


def test_bind_trace_is_one_update_whatever_the_number_of_faces(api, django_assert_max_num_queries):
    target = IdentityFactory()
    media_file = MediaFileFactory()
    for size, trace_id in ((2, 1), (60, 2)):
        make_trace(media_file=media_file, trace_id=trace_id, size=size, first_frame=trace_id * 1000)
        with django_assert_max_num_queries(23):
            response = api.post(
                f"/api/v1/identity/{target.identity_uuid}/bind/trace",
                {"file_uuid": media_file.file_uuid.hex, "trace_id": trace_id},
                format="json",
            )
        assert response.json()["data"]["rows_affected"] == size


@pytest.mark.parametrize(
    "body",
    [{"trace_id": 1}, {"file_uuid": "FILE"}, {"file_uuid": "FILE", "trace_id": "one"}, {"file_uuid": "FILE", "trace_id": 2**40}],
)
def test_bind_trace_malformed_is_400(api, body):
    identity = IdentityFactory()
    face = FaceFactory(trace_id=1)
    body = {k: face.media_file.file_uuid.hex if v == "FILE" else v for k, v in body.items()}
    assert api.post(f"/api/v1/identity/{identity.identity_uuid}/bind/trace", body, format="json").status_code == 400


def test_bind_trace_unknown_trace_or_file_is_404(api):
    identity = IdentityFactory()
    face = FaceFactory(trace_id=1)
    for body in ({"file_uuid": face.media_file.file_uuid.hex, "trace_id": 2}, {"file_uuid": uuid.uuid4().hex, "trace_id": 1}):
        assert api.post(f"/api/v1/identity/{identity.identity_uuid}/bind/trace", body, format="json").status_code == 404


def test_file_limited_key_may_bind_only_in_its_files(make_client):
    allowed, other = MediaFileFactory(), MediaFileFactory()
    client = make_client(scopes=["identity", "file"], files=[allowed.file_uuid.hex])
    identity = IdentityFactory()
    FaceFactory(media_file=allowed, trace_id=1)
    forbidden = FaceFactory(media_file=other, trace_id=1)
    url = f"/api/v1/identity/{identity.identity_uuid}/bind/trace"
    assert client.post(url, {"file_uuid": other.file_uuid.hex, "trace_id": 1}, format="json").status_code == 403
    assert FaceDetection.objects.get(pk=forbidden.pk).identity_id is None
    assert client.post(url, {"file_uuid": allowed.file_uuid.hex, "trace_id": 1}, format="json").status_code == 200


def test_unbind_one_face_or_a_trace_only_touches_this_identitys_faces(api, settings):
    identity, other = IdentityFactory(), IdentityFactory()
    media_file = MediaFileFactory()
    mine = make_trace(media_file=media_file, trace_id=3, size=3, identity=identity)
    theirs = FaceFactory(media_file=media_file, trace_id=3, frame_number=50, identity=other)
    url = f"/api/v1/identity/{identity.identity_uuid}/unbind"

    response = api.post(url, {"file_uuid": media_file.file_uuid.hex, "face_id": mine[0].face_id}, format="json")
    assert response.status_code == 200 and response.json()["data"]["rows_affected"] == 1
    assert FaceDetection.objects.get(pk=mine[0].pk).identity_id is None

    response = api.post(url, {"file_uuid": media_file.file_uuid.hex, "face_id": theirs.face_id}, format="json")
    assert response.json()["data"]["rows_affected"] == 0
    response = api.post(url, {"file_uuid": media_file.file_uuid.hex, "trace_id": 3}, format="json")
    assert response.json()["data"]["rows_affected"] == 2
    assert not FaceDetection.objects.filter(identity=identity).exists()
    assert FaceDetection.objects.get(pk=theirs.pk).identity_id == other.pk
    assert_disk_matches_api(api, settings, identity)
    assert [e.action for e in IdentityHistory.objects.order_by("id")] == ["unbind", "unbind_trace"]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"file_uuid": "FILE"}, 400),
        ({"file_uuid": "FILE", "face_id": "1_0", "trace_id": 3}, 400),
        ({"file_uuid": "FILE", "face_id": "bad"}, 400),
        ({"file_uuid": "FILE", "face_id": "999_0"}, 404),
        ({"file_uuid": "FILE", "trace_id": 99}, 404),
        ({"file_uuid": uuid.uuid4().hex, "trace_id": 3}, 404),
    ],
)
def test_unbind_errors(api, world_state, body, status):
    identity = IdentityFactory()
    face = FaceFactory(trace_id=3, frame_number=1, identity=identity)
    body = {k: face.media_file.file_uuid.hex if v == "FILE" else v for k, v in body.items()}
    before = world_state()
    response = api.post(f"/api/v1/identity/{identity.identity_uuid}/unbind", body, format="json")
    assert response.status_code == status
    assert world_state() == before


# --- schema --------------------------------------------------------------------------------------

CURATION_OPERATIONS = {
    ("/api/v1/identity/{identity_uuid}", "patch"): "identity_partial_update",
    ("/api/v1/identity/{identity_uuid}", "delete"): "identity_destroy",
    ("/api/v1/identity/upload", "post"): "identity_upload",
    ("/api/v1/identity/{identity_uuid}/profile-image", "get"): "identity_profile_image_retrieve",
    ("/api/v1/identity/{identity_uuid}/profile-image", "post"): "identity_profile_image_upload",
    ("/api/v1/identity/{identity_uuid}/bind", "post"): "identity_bind_face",
    ("/api/v1/identity/{identity_uuid}/bind/trace", "post"): "identity_bind_trace",
    ("/api/v1/identity/{identity_uuid}/unbind", "post"): "identity_unbind",
    ("/api/v1/identity/{identity_uuid}/history", "get"): "identity_history_list",
    ("/api/v1/identity/history/{history_id}/undo", "post"): "identity_history_undo",
    ("/api/v1/identity/history/{history_id}/redo", "post"): "identity_history_redo",
    ("/api/v1/file/{file_uuid}/pending-person", "post"): "file_pending_person_create",
    ("/api/v1/file/{file_uuid}/pending-persons", "get"): "file_pending_persons_list",
}


def test_schema_describes_every_curation_endpoint(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    for (path, method), operation_id in CURATION_OPERATIONS.items():
        operation = schema["paths"][path][method]
        assert operation["operationId"] == operation_id
        assert "200" in operation["responses"]
    bind_body = schema["paths"]["/api/v1/identity/{identity_uuid}/bind/trace"]["post"]["requestBody"]
    assert bind_body["content"]["application/json"]["schema"]["$ref"].endswith("/TraceBindRequest")
    image_body = schema["paths"]["/api/v1/identity/{identity_uuid}/profile-image"]["post"]["requestBody"]
    assert "multipart/form-data" in image_body["content"]
