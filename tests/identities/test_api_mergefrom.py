"""mergefrom: several identities merged into one, each its own merge, through the API.

Real commits (transaction=True), as in test_api_merge.py: every merge is a durable transaction,
and its record and files are completed once the response is sent.
"""
import json
import uuid
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faces.models import FaceDetection
from history.models import IdentityHistory
from identities.models import Identity
from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, make_trace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merge_store")]


def merge_from(api, target, sources, **body):
    return api.post(
        f"/api/v1/identity/{target.identity_uuid.hex}/mergefrom",
        {"source_uuids": [source.identity_uuid.hex for source in sources], **body},
        format="json",
    )


def owners():
    return dict(FaceDetection.objects.values_list("pk", "identity_id"))


def face_pks(identity):
    return set(FaceDetection.objects.filter(identity=identity).values_list("pk", flat=True))


def identity_json_on_disk(settings, identity):
    path = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex / "identity.json"
    return json.loads(path.read_text()) if path.exists() else None


@pytest.fixture
def film():
    return MediaFileFactory()


@pytest.fixture
def target(film):
    known = IdentityFactory(name="Louis Viret", metadata={"aliases": [{"locale": "fr", "name": "Louis Viret"}]})
    make_trace(media_file=film, trace_id=1, size=2, identity=known)
    return known


@pytest.fixture
def strangers(film):
    """Three strangers with two faces each in their own trace, and an alias each."""
    made = []
    for number in range(3):
        stranger = StrangerFactory(metadata={"aliases": [{"locale": "ja", "name": f"名前{number}"}]})
        make_trace(media_file=film, trace_id=10 + number, size=2, identity=stranger, first_frame=100 * (number + 1))
        made.append(stranger)
    return made


@pytest.fixture
def everything(world_state, merge_store):
    """What a mergefrom can change: identities, bindings, files on disk, history and merge records."""

    def capture():
        return {
            **world_state(),
            "history": list(IdentityHistory.objects.order_by("pk").values()),
            "merges": sorted(merge_store.find({}), key=lambda record: record["_id"]),
        }

    return capture


# --- merges ----------------------------------------------------------------------------------------


def test_three_strangers_merge_into_the_target_each_its_own_undoable_merge(api, settings, target, strangers):
    faces_of = {stranger.pk: face_pks(stranger) for stranger in strangers}
    target_faces = face_pks(target)

    response = merge_from(api, target, strangers)

    assert response.status_code == 200, response.json()
    body = response.json()
    merge_ids = [result["merge_id"] for result in body["results"]]
    assert len(set(merge_ids)) == 3 and all(str(uuid.UUID(merge_id)) == merge_id for merge_id in merge_ids)
    assert body == {
        "success": True,
        "target_uuid": target.identity_uuid.hex,
        "merged": 3,
        "failed": 0,
        "results": [
            {
                "source_uuid": stranger.identity_uuid.hex,
                "status": "merged",
                "merge_id": merge_id,
                "faces_transferred": 2,
                "aliases_added": 1,
                "metadata_fields_added": 0,
            }
            for stranger, merge_id in zip(strangers, merge_ids)
        ],
    }
    assert face_pks(target) == target_faces.union(*faces_of.values())
    assert set(Identity.objects.filter(pk__in=[s.pk for s in strangers]).values_list("status", flat=True)) == {
        "merged"
    }
    history = api.get(f"/api/v1/identity/merge/history?target_uuid={target.identity_uuid.hex}").json()
    assert sorted(row["merge_id"] for row in history["results"]) == sorted(merge_ids)

    undone = api.post(f"/api/v1/identity/merge/{merge_ids[1]}/undo")

    assert undone.status_code == 200, undone.json()
    assert face_pks(strangers[1]) == faces_of[strangers[1].pk]
    assert face_pks(target) == target_faces | faces_of[strangers[0].pk] | faces_of[strangers[2].pk]
    rows = {row["merge_id"]: row for row in api.get("/api/v1/identity/merge/history").json()["results"]}
    assert [rows[merge_id]["undone"] for merge_id in merge_ids] == [False, True, False]
    assert Identity.objects.get(pk=strangers[1].pk).status == "pending"
    aliases = Identity.objects.get(pk=target.pk).metadata["aliases"]
    assert [alias["name"] for alias in aliases] == ["Louis Viret", "名前0", "名前2"]
    for merge_id in (merge_ids[0], merge_ids[2]):
        assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert face_pks(target) == target_faces


def test_dashed_uuids_and_keep_history_false(api, target, strangers):
    body = {"source_uuids": [str(stranger.identity_uuid) for stranger in strangers[:2]], "keep_history": False}
    response = api.post(f"/api/v1/identity/{target.identity_uuid}/mergefrom", body, format="json")
    assert response.status_code == 200, response.json()
    assert [result["source_uuid"] for result in response.json()["results"]] == [
        stranger.identity_uuid.hex for stranger in strangers[:2]
    ]
    assert not Identity.objects.filter(pk__in=[strangers[0].pk, strangers[1].pk]).exists()
    assert Identity.objects.filter(pk=strangers[2].pk, status="pending").exists()


def test_the_work_after_the_response_runs_for_every_merge(api, settings, target, strangers, merge_store):
    """Each merge's record completion and file writes wait for the response, and all of them run."""
    from django.test.client import ClientHandler

    from history import merge_records

    events = []
    real_response, real_complete = ClientHandler.get_response, merge_records._complete

    def responded(handler, request):
        response = real_response(handler, request)
        events.append("response")
        return response

    def completed(merge_id, operation_id):
        events.append(str(merge_id))
        return real_complete(merge_id, operation_id)

    with (
        mock.patch.object(ClientHandler, "get_response", responded),
        mock.patch.object(merge_records, "_complete", completed),
    ):
        response = merge_from(api, target, strangers)
    merge_ids = [result["merge_id"] for result in response.json()["results"]]
    assert events == ["response", *merge_ids]
    assert [merge_store.find_one({"_id": merge_id})["state"] for merge_id in merge_ids] == ["applied"] * 3
    for identity in (target, *strangers):
        document = api.get(f"/api/v1/identity/{identity.identity_uuid}/json").json()
        assert identity_json_on_disk(settings, identity) == document


# --- per-item failures -----------------------------------------------------------------------------


def test_a_mixed_batch_is_207_with_a_code_per_failed_item_and_the_others_merged(api, target, strangers):
    first, merged_before, last = strangers
    other = IdentityFactory()
    assert merge_from(api, other, [merged_before]).status_code == 200
    unknown = uuid.uuid4()
    first_faces, last_faces = face_pks(first), face_pks(last)

    sources = [first.identity_uuid.hex, unknown.hex, merged_before.identity_uuid.hex, str(last.identity_uuid)]
    response = api.post(
        f"/api/v1/identity/{target.identity_uuid.hex}/mergefrom", {"source_uuids": sources}, format="json"
    )

    assert response.status_code == 207, response.json()
    body = response.json()
    assert (body["success"], body["target_uuid"], body["merged"], body["failed"]) == (
        False,
        target.identity_uuid.hex,
        2,
        2,
    )
    results = body["results"]
    assert [result["source_uuid"] for result in results] == [
        first.identity_uuid.hex,
        unknown.hex,
        merged_before.identity_uuid.hex,
        last.identity_uuid.hex,
    ]
    assert [result["status"] for result in results] == ["merged", "error", "error", "merged"]
    assert results[1] == {
        "source_uuid": unknown.hex,
        "status": "error",
        "error": {"code": "not_found", "message": f"No identity with uuid {unknown.hex}."},
    }
    assert results[2]["error"] == {
        "code": "already_merged",
        "message": f"Identity {merged_before.identity_uuid.hex} is already merged into another identity.",
    }
    assert face_pks(target) >= first_faces | last_faces
    assert face_pks(other) and not face_pks(merged_before)
    assert api.post(f"/api/v1/identity/merge/{results[0]['merge_id']}/undo").status_code == 200
    assert face_pks(first) == first_faces and face_pks(target) >= last_faces


def test_file_limited_key_merges_the_sources_within_its_files_and_reports_the_others(
    make_client, target, strangers, film
):
    """As mergeinto: a source with faces in a file the key may not change is refused (per item here,
    since each source is its own merge); the sources wholly in the key's files merge."""
    elsewhere = make_trace(media_file=MediaFileFactory(), trace_id=1, size=1, identity=strangers[1])
    client = make_client(scopes=["identity"], files=[film.file_uuid.hex])
    spread_faces = face_pks(strangers[1])

    response = merge_from(client, target, strangers)

    assert response.status_code == 207, response.json()
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["merged", "error", "merged"]
    assert results[1]["error"]["code"] == "permission_denied"
    assert "limited to some files" in results[1]["error"]["message"]
    assert face_pks(strangers[1]) == spread_faces and elsewhere[0].pk in spread_faces
    assert Identity.objects.get(pk=strangers[1].pk).status == "pending"
    assert not face_pks(strangers[0]) and not face_pks(strangers[2])


# --- whole-request refusals ------------------------------------------------------------------------


TARGET = "TARGET"


def _with_target(value, target):
    if value == TARGET:
        return target.identity_uuid.hex
    if isinstance(value, list):
        return [_with_target(item, target) for item in value]
    return value


@pytest.mark.parametrize(
    ("body", "code", "message_part"),
    [
        ([1], "body_not_an_object", "JSON object"),
        ("text", "body_not_an_object", "JSON object"),
        (None, "body_not_an_object", "JSON object"),
        ({}, "source_uuids_missing", "source_uuids is required"),
        ({"keep_history": False}, "source_uuids_missing", "source_uuids is required"),
        ({"source_uuids": "0" * 32}, "source_uuids_not_a_list", "must be a list"),
        ({"source_uuids": None}, "source_uuids_not_a_list", "must be a list"),
        ({"source_uuids": []}, "source_uuids_empty", "is empty"),
        ({"source_uuids": ["S0", "not-a-uuid"]}, "source_uuid_invalid", 'source_uuids[1] ("not-a-uuid")'),
        ({"source_uuids": ["S0", 7]}, "source_uuid_invalid", "source_uuids[1] (7)"),
        ({"source_uuids": ["S0", "S1", "S0-dashed"]}, "source_uuid_duplicate", "repeats source_uuids[0]"),
        ({"source_uuids": ["S0", TARGET]}, "merge_into_itself", "source_uuids[1] is the target"),
        ({"source_uuids": ["S0"], "keep_history": "yes"}, "validation_error", "keep_history"),
    ],
)
def test_a_malformed_body_is_400_with_its_own_code_and_changes_nothing(
    api, target, strangers, everything, body, code, message_part
):
    names = {f"S{n}": s.identity_uuid.hex for n, s in enumerate(strangers)}
    names.update({f"S{n}-dashed": str(s.identity_uuid) for n, s in enumerate(strangers)})
    if isinstance(body, dict) and isinstance(body.get("source_uuids"), list):
        entries = _with_target(body["source_uuids"], target)
        body = {**body, "source_uuids": [names.get(entry, entry) for entry in entries]}
    before = everything()

    response = api.post(
        f"/api/v1/identity/{target.identity_uuid.hex}/mergefrom", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400, response.json()
    error = response.json()
    assert error["success"] is False and error["error"]["code"] == code
    assert message_part in error["error"]["message"]
    assert everything() == before


def test_more_than_100_sources_is_400_and_merges_none(api, target, strangers, everything):
    sources = [s.identity_uuid.hex for s in strangers] + [uuid.uuid4().hex for _ in range(98)]
    before = everything()
    response = api.post(
        f"/api/v1/identity/{target.identity_uuid.hex}/mergefrom", {"source_uuids": sources}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "source_uuids_too_many",
        "message": "source_uuids has 101 entries; at most 100 merge in one request.",
    }
    assert everything() == before
    assert merge_from(api, target, strangers[:1]).status_code == 200  # 100 is the limit, not the count of known ones


def test_unknown_target_is_404_and_a_merged_target_400(api, target, strangers, everything):
    before = everything()
    unknown = api.post(
        f"/api/v1/identity/{uuid.uuid4().hex}/mergefrom",
        {"source_uuids": [strangers[0].identity_uuid.hex]},
        format="json",
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert everything() == before

    assert merge_from(api, IdentityFactory(), [target]).status_code == 200
    before = everything()
    response = merge_from(api, target, strangers)
    assert response.status_code == 400 and response.json()["error"]["code"] == "target_merged"
    assert everything() == before


def test_a_read_only_key_or_one_without_the_identity_scope_is_403(make_client, target, strangers, everything):
    before = everything()
    for client in (make_client(scopes=["identity"], read_only=True), make_client(scopes=["file"])):
        response = merge_from(client, target, strangers)
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert everything() == before


# --- cost ------------------------------------------------------------------------------------------


def _queries(api, target, sources):
    with CaptureQueriesContext(connection) as captured:
        response = merge_from(api, target, sources)
    assert response.status_code == 200, response.json()
    return len(captured)


def test_each_source_costs_one_merge_and_no_more(api, film):
    """The statements of a batch grow by those of one merge a source: no query per source beyond it."""

    def stranger(number):
        made = StrangerFactory()
        make_trace(media_file=film, trace_id=100 + number, size=3, identity=made, first_frame=10 * number)
        return made

    sources = [stranger(number) for number in range(7)]
    targets = [IdentityFactory() for _ in range(4)]
    with CaptureQueriesContext(connection) as captured:
        mergeinto = api.post(
            f"/api/v1/identity/{sources[0].identity_uuid.hex}/mergeinto",
            {"into_uuid": targets[0].identity_uuid.hex},
            format="json",
        )
    assert mergeinto.status_code == 200
    one, two, three = (
        _queries(api, target, batch) for target, batch in zip(targets[1:], ([sources[1]], sources[2:4], sources[4:]))
    )
    per_source = two - one
    assert three - two == per_source
    # A batch of one costs at most mergeinto and the target's check; each more source, one merge's statements.
    assert one <= len(captured) + 1 and per_source < len(captured)
