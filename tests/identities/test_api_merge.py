"""mergeinto, merge undo and redo, and the merge history, through the API.

Real commits (transaction=True): identity.json is written by on_commit callbacks, and the crash
tests in test_merge_crash.py depend on what a commit makes visible.
"""
import json
import uuid
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest

from faces.models import FaceDetection
from identities.models import Identity
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory, make_trace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merge_store")]

T0 = datetime(2026, 5, 27, 10, 0, tzinfo=timezone.utc)


def merge(api, source, target, **body):
    return api.post(
        f"/api/v1/identity/{source.identity_uuid.hex}/mergeinto",
        {"into_uuid": target.identity_uuid.hex, **body},
        format="json",
    )


def undo(api, merge_id):
    return api.post(f"/api/v1/identity/merge/{merge_id}/undo")


def redo(api, merge_id):
    return api.post(f"/api/v1/identity/merge/{merge_id}/redo")


def owners():
    return dict(FaceDetection.objects.values_list("pk", "identity_id"))


def identity_json_on_disk(settings, identity_uuid):
    path = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity_uuid.hex / "identity.json"
    return json.loads(path.read_text()) if path.exists() else None


def assert_disk_matches(api, settings, *identity_uuids):
    for identity_uuid in identity_uuids:
        response = api.get(f"/api/v1/identity/{identity_uuid.hex}/json")
        if response.status_code == 404:
            assert identity_json_on_disk(settings, identity_uuid) is None
        else:
            assert identity_json_on_disk(settings, identity_uuid) == response.json()


def row(identity):
    """What a user can see of an identity row, timestamps of the write aside."""
    values = Identity.objects.filter(pk=identity.pk).values().first()
    if values is not None:
        values.pop("updated_at")
    return values


@pytest.fixture
def cast():
    """A known identity with faces of its own, and a stranger with faces in two files."""
    film, other_film = MediaFileFactory(), MediaFileFactory()
    target = IdentityFactory(
        name="Louis Viret",
        source="tmdb",
        metadata={"tmdb": {"biography": "Actor."}, "aliases": [{"locale": "fr", "name": "Louis Viret"}]},
    )
    make_trace(media_file=film, trace_id=1, size=3, identity=target, first_frame=100)
    source = StrangerFactory(
        name="stranger_13894",
        metadata={
            "tmdb": {"birthday": "1904-01-18", "biography": "Someone else."},
            "cast_order": 4,
            "aliases": [{"locale": "fr", "name": "Louis Viret"}, {"locale": "ja", "name": "ルイ・ヴィレ"}],
        },
    )
    faces = make_trace(media_file=film, trace_id=2, size=4, identity=source, first_frame=10)
    faces.append(FaceFactory(media_file=film, frame_number=11, index=1, trace_id=3, identity=source))
    faces.append(FaceFactory(media_file=other_film, frame_number=7, index=0, trace_id=1, identity=source))
    unrelated = FaceFactory(media_file=film, frame_number=12, index=2, trace_id=4)
    return {"target": target, "source": source, "source_faces": faces, "unrelated": unrelated, "film": film}


# --- mergeinto -----------------------------------------------------------------------------------


def test_merge_stranger_into_known_identity_keeps_history(api, settings, cast, merge_store):
    source, target = cast["source"], cast["target"]
    before = owners()
    response = merge(api, source, target)

    assert response.status_code == 200, response.json()
    body = response.json()
    merge_id = body["data"]["merge_id"]
    assert str(uuid.UUID(merge_id)) == merge_id
    assert body == {
        "success": True,
        "message": "Merged 'stranger_13894' into 'Louis Viret' (6 faces transferred, history kept)",
        "data": {"merge_id": merge_id, "faces_transferred": 6, "aliases_added": 1, "metadata_fields_added": 2},
    }
    after = owners()
    assert {pk for pk, owner in after.items() if owner == target.pk} == {
        pk for pk, owner in before.items() if owner in (target.pk, source.pk)
    }
    assert after[cast["unrelated"].pk] is None

    target.refresh_from_db()
    assert target.metadata == {
        "tmdb": {"biography": "Actor.", "birthday": "1904-01-18"},
        "cast_order": 4,
        "aliases": [
            {"locale": "fr", "name": "Louis Viret"},
            {"locale": "ja", "name": "ルイ・ヴィレ", "source": "merge"},
        ],
    }
    source.refresh_from_db()
    assert source.status == "merged"
    merged_into = source.metadata["merged_into"]
    assert merged_into["uuid"] == target.identity_uuid.hex and merged_into["merge_id"] == merge_id
    assert datetime.fromisoformat(merged_into["at"].replace("Z", "+00:00")) <= datetime.now(timezone.utc)
    assert source.metadata["tmdb"] == {"birthday": "1904-01-18", "biography": "Someone else."}
    assert_disk_matches(api, settings, source.identity_uuid, target.identity_uuid)
    assert identity_json_on_disk(settings, source.identity_uuid)["status"] == "merged"

    record = merge_store.find_one({"_id": merge_id})
    assert record["state"] == "applied" and record["undone"] is False and record["pending"] is None
    assert record["source_uuid"] == source.identity_uuid.hex and record["target_uuid"] == target.identity_uuid.hex
    assert record["faces_transferred"] == 6 and record["keep_history"] is True
    assert sorted(record["metadata_fields_added_paths"]) == ["cast_order", "tmdb.birthday"]
    assert record["metadata_fields_added"] == 2
    assert record["aliases_added"] == [{"locale": "ja", "name": "ルイ・ヴィレ", "source": "merge"}]
    assert sorted(group["keys"] for group in record["faces"]) == ["10-13_0,11_1", "7_0"]
    assert record["actor"] == f"key:{api.api_key.name}"


def test_merge_of_two_known_identities_without_history_deletes_the_source(api, settings, cast, merge_store):
    source, target = cast["source"], cast["target"]
    source.source, source.status, source.name = "tmdb", "confirmed", "Louis Viret (duplicate)"
    source.save()
    response = merge(api, source, target, keep_history=False)

    assert response.status_code == 200, response.json()
    assert response.json()["message"] == (
        "Merged 'Louis Viret (duplicate)' into 'Louis Viret' (6 faces transferred, source deleted)"
    )
    assert not Identity.objects.filter(pk=source.pk).exists()
    assert FaceDetection.objects.filter(identity=target).count() == 9
    assert identity_json_on_disk(settings, source.identity_uuid) is None
    assert_disk_matches(api, settings, target.identity_uuid)
    record = merge_store.find_one({"_id": response.json()["data"]["merge_id"]})
    assert record["keep_history"] is False
    assert json.loads(record["source_snapshot"])["identity_uuid"] == source.identity_uuid.hex


def test_merge_of_an_identity_without_faces_or_metadata(api):
    source, target = IdentityFactory(metadata={}), IdentityFactory(metadata={"a": 1})
    response = merge(api, source, target)
    assert response.status_code == 200
    assert response.json()["data"] == {
        "merge_id": response.json()["data"]["merge_id"],
        "faces_transferred": 0,
        "aliases_added": 0,
        "metadata_fields_added": 0,
    }
    target.refresh_from_db()
    assert target.metadata == {"a": 1}


@pytest.mark.parametrize(
    ("body", "status", "message_part"),
    [
        ({"into_uuid": "nope"}, 400, "into_uuid"),
        ({"into_uuid": "MISSING"}, 400, "into_uuid"),
        ({"into_uuid": None}, 400, "into_uuid"),
        ({"keep_history": "yes"}, 400, "keep_history"),
        ({"keep_history": 1}, 400, "keep_history"),
        ({"keep_history": None}, 400, "keep_history"),
        ({"into_uuid": uuid.uuid4().hex}, 404, "to merge into"),
    ],
)
def test_mergeinto_bad_body_changes_nothing(api, cast, world_state, body, status, message_part):
    before = world_state()
    body = {"into_uuid": cast["target"].identity_uuid.hex, **body}
    body = {key: value for key, value in body.items() if value != "MISSING"}
    response = api.post(f"/api/v1/identity/{cast['source'].identity_uuid.hex}/mergeinto", body, format="json")
    assert response.status_code == status, response.json()
    assert response.json()["success"] is False and message_part in response.json()["error"]["message"]
    assert world_state() == before


def test_mergeinto_body_that_is_not_an_object_is_400(api, cast):
    response = api.post(f"/api/v1/identity/{cast['source'].identity_uuid.hex}/mergeinto", [1], format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("path_uuid", ["8e4b0109499f4a7a8fb1eed662d51ae9", "0" * 31 + "g"])  # fixed ids: test_api_history.py
def test_mergeinto_unknown_or_malformed_source_is_404(api, cast, path_uuid):
    response = api.post(
        f"/api/v1/identity/{path_uuid}/mergeinto", {"into_uuid": cast["target"].identity_uuid.hex}, format="json"
    )
    assert response.status_code == 404


def test_merge_into_itself_into_a_merged_identity_or_of_a_merged_identity_is_400(api, cast, world_state):
    source, target = cast["source"], cast["target"]
    third = IdentityFactory()
    response = merge(api, source, source)
    assert response.status_code == 400 and response.json()["error"]["code"] == "merge_into_itself"
    assert merge(api, source, target).status_code == 200
    before = world_state()
    into_merged = merge(api, third, source)
    assert into_merged.status_code == 400 and "merged into another" in into_merged.json()["error"]["message"]
    again = merge(api, source, third)
    assert again.status_code == 400 and "already merged" in again.json()["error"]["message"]
    assert world_state() == before


def test_read_only_or_file_key_cannot_merge(make_client, cast):
    for client in (make_client(scopes=["identity"], read_only=True), make_client(scopes=["file"])):
        response = merge(client, cast["source"], cast["target"])
        assert response.status_code == 403
    assert cast["source"].faces.count() == 6


# --- undo and redo -------------------------------------------------------------------------------


@pytest.mark.parametrize("keep_history", [True, False])
def test_undo_restores_exactly_and_keeps_later_edits_then_redo_merges_again(api, settings, cast, keep_history):
    source, target = cast["source"], cast["target"]
    faces_before, source_before, target_before = owners(), row(source), row(target)
    merge_id = merge(api, source, target, keep_history=keep_history).json()["data"]["merge_id"]

    # Hand edits after the merge: a new key, a new alias, and a merge-added value changed.
    edit = api.patch(
        f"/api/v1/identity/{target.identity_uuid.hex}",
        {
            "metadata": {
                "imdb_id": "nm0001",
                "cast_order": 1,
                "aliases": [
                    *Identity.objects.get(pk=target.pk).metadata["aliases"],
                    {"locale": "de", "name": "Ludwig Viret"},
                ],
            }
        },
        format="json",
    )
    assert edit.status_code == 200, edit.json()

    response = undo(api, merge_id)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert response.json()["message"] == "Undo merge completed: 'stranger_13894' restored, 6 faces reverted"
    assert data["source_identity_restored"] == {
        "uuid": source.identity_uuid.hex,
        "name": "stranger_13894",
        "status": "pending",
    }
    assert data["merge_id"] == merge_id
    assert (data["faces_reverted"], data["faces_not_reverted"], data["faces_moved_away"]) == (6, 0, [])
    assert data["aliases_removed_from_target"] == 1
    assert data["metadata_fields_removed_from_target"] == 1  # tmdb.birthday; cast_order was edited by hand

    assert owners() == faces_before
    assert row(source) == source_before
    target.refresh_from_db()
    assert target.metadata == {
        **target_before["metadata"],
        "imdb_id": "nm0001",
        "cast_order": 1,
        "aliases": [*target_before["metadata"]["aliases"], {"locale": "de", "name": "Ludwig Viret"}],
    }
    assert_disk_matches(api, settings, source.identity_uuid, target.identity_uuid)

    again = redo(api, merge_id)
    assert again.status_code == 200, again.json()
    outcome = "history kept" if keep_history else "source deleted"
    assert again.json()["message"] == (
        f"Redo merge completed: 'stranger_13894' merged into 'Louis Viret' again (6 faces transferred, {outcome})"
    )
    assert again.json()["data"]["merge_id"] == merge_id
    assert FaceDetection.objects.filter(identity=target).count() == 9
    assert Identity.objects.filter(pk=source.pk).exists() is keep_history
    assert_disk_matches(api, settings, source.identity_uuid, target.identity_uuid)

    # And the redone merge undoes the same way.
    assert undo(api, merge_id).status_code == 200
    assert owners() == faces_before
    assert row(source) == source_before


def test_faces_moved_away_after_the_merge_are_reported_and_left_alone(api, cast):
    source, target = cast["source"], cast["target"]
    third = IdentityFactory(name="Someone else")
    merge_id = merge(api, source, target).json()["data"]["merge_id"]
    moved = api.post(
        f"/api/v1/identity/{third.identity_uuid.hex}/bind/trace",
        {"file_uuid": cast["film"].file_uuid.hex, "trace_id": 2},
        format="json",
    )
    assert moved.status_code == 200, moved.json()

    response = undo(api, merge_id)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["faces_reverted"], data["faces_not_reverted"]) == (2, 4)
    assert "4 faces had left 'Louis Viret'" in response.json()["message"]
    assert data["faces_moved_away"] == [
        {"file_uuid": cast["film"].file_uuid.hex, "face_id": f"{frame}_0", "identity_uuid": third.identity_uuid.hex}
        for frame in (10, 11, 12, 13)
    ]
    assert FaceDetection.objects.filter(identity=third).count() == 4
    assert FaceDetection.objects.filter(identity=source).count() == 2


def test_undo_window_is_24_hours_on_a_controllable_clock(api, cast):
    with mock.patch("django.utils.timezone.now", return_value=T0):
        merge_id = merge(api, cast["source"], cast["target"]).json()["data"]["merge_id"]
    with mock.patch("django.utils.timezone.now", return_value=T0 + timedelta(hours=24, seconds=1)):
        history = api.get("/api/v1/identity/merge/history").json()["results"][0]
        assert history["merged_at"] == "2026-05-27T10:00:00Z"
        assert history["undo_deadline"] == "2026-05-28T10:00:00Z"
        assert history["undo_expired"] is True
        expired = undo(api, merge_id)
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == "merge_undo_expired" and "deadline" in expired.json()["error"]["message"]
    assert cast["source"].faces.count() == 0
    with mock.patch("django.utils.timezone.now", return_value=T0 + timedelta(hours=24)):
        assert api.get("/api/v1/identity/merge/history").json()["results"][0]["undo_expired"] is False
        assert undo(api, merge_id).status_code == 200


def test_redo_starts_a_new_undo_window(api, cast):
    with mock.patch("django.utils.timezone.now", return_value=T0):
        merge_id = merge(api, cast["source"], cast["target"]).json()["data"]["merge_id"]
        assert undo(api, merge_id).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=T0 + timedelta(hours=30)):
        assert redo(api, merge_id).status_code == 200
        row = api.get("/api/v1/identity/merge/history").json()["results"][0]
    assert row["merged_at"] == "2026-05-27T10:00:00Z"
    assert row["undo_deadline"] == "2026-05-29T16:00:00Z"
    with mock.patch("django.utils.timezone.now", return_value=T0 + timedelta(hours=53)):
        assert undo(api, merge_id).status_code == 200


def test_undo_and_redo_refusals(api, cast, world_state):
    source, target = cast["source"], cast["target"]
    merge_id = merge(api, source, target).json()["data"]["merge_id"]
    not_undone = redo(api, merge_id)
    assert not_undone.status_code == 400 and not_undone.json()["error"]["code"] == "merge_not_undone"
    assert undo(api, merge_id).status_code == 200
    before = world_state()
    twice = undo(api, merge_id)
    assert twice.status_code == 400 and twice.json()["error"]["code"] == "merge_already_undone"
    for bad in (str(uuid.uuid4()), uuid.uuid4().hex, "not-a-merge", "1"):
        assert undo(api, bad).status_code == 404
        assert redo(api, bad).status_code == 404
    assert world_state() == before
    # Redo needs the target to be mergeable still.
    Identity.objects.filter(pk=target.pk).update(status="merged")
    refused = redo(api, merge_id)
    assert refused.status_code == 400 and "merged into another" in refused.json()["error"]["message"]


def test_undo_refused_when_the_target_is_gone_or_the_deleted_source_exists_again(api, cast):
    source, target = cast["source"], cast["target"]
    merge_id = merge(api, source, target, keep_history=False).json()["data"]["merge_id"]
    IdentityFactory(identity_uuid=source.identity_uuid, name="uploaded again")
    refused = undo(api, merge_id)
    assert refused.status_code == 400 and "exists again" in refused.json()["error"]["message"]

    other_source, other_target = IdentityFactory(), IdentityFactory()
    other_id = merge(api, other_source, other_target).json()["data"]["merge_id"]
    assert api.delete(f"/api/v1/identity/{other_target.identity_uuid.hex}").status_code == 200
    gone = undo(api, other_id)
    assert gone.status_code == 400 and "no longer exists" in gone.json()["error"]["message"]


def test_undo_keeps_an_alias_readded_by_hand_and_a_value_changed_in_a_merged_subtree(api, cast):
    source, target = cast["source"], IdentityFactory(metadata={})
    merge_id = merge(api, source, target).json()["data"]["merge_id"]
    target.refresh_from_db()
    assert target.metadata["tmdb"] == {"birthday": "1904-01-18", "biography": "Someone else."}
    assert api.get("/api/v1/identity/merge/history").json()["results"][0]["metadata_fields_added_paths"] == [
        "tmdb",
        "cast_order",
    ]
    edited = {**target.metadata, "tmdb": {**target.metadata["tmdb"], "birthday": "1904-01-19"}}
    Identity.objects.filter(pk=target.pk).update(metadata=edited)

    data = undo(api, merge_id).json()["data"]
    assert data["metadata_fields_removed_from_target"] == 1
    assert data["aliases_removed_from_target"] == 2
    target.refresh_from_db()
    assert target.metadata == {"tmdb": {"birthday": "1904-01-19", "biography": "Someone else."}}


# --- history -------------------------------------------------------------------------------------


def test_history_filters_and_pagination(api, cast):
    source, target = cast["source"], cast["target"]
    others = [IdentityFactory(name=f"Dup {n}") for n in range(3)]
    ids = []
    for offset, identity in enumerate([source, *others]):
        with mock.patch("django.utils.timezone.now", return_value=T0 + timedelta(minutes=offset)):
            ids.append(merge(api, identity, target).json()["data"]["merge_id"])
    with mock.patch("django.utils.timezone.now", return_value=T0 + timedelta(minutes=10)):
        assert undo(api, ids[1]).status_code == 200
        history = api.get("/api/v1/identity/merge/history?page=1&page_size=3").json()
        assert (history["total"], history["page"], history["page_size"]) == (4, 1, 3)
        assert [row["merge_id"] for row in history["results"]] == ids[::-1][:3]
        second = api.get("/api/v1/identity/merge/history?page=2&page_size=3").json()
        assert [row["merge_id"] for row in second["results"]] == [ids[0]]
        past = api.get("/api/v1/identity/merge/history?page=9").json()
        assert (past["total"], past["results"]) == (4, [])

        first = second["results"][0]
        assert first == {
            "merge_id": ids[0],
            "source_uuid": source.identity_uuid.hex,
            "source_name": "stranger_13894",
            "target_uuid": target.identity_uuid.hex,
            "target_name": "Louis Viret",
            "keep_history": True,
            "faces_transferred": 6,
            "aliases_added": 1,
            "metadata_fields_added": 2,
            "metadata_fields_added_paths": first["metadata_fields_added_paths"],
            "merged_at": "2026-05-27T10:00:00Z",
            "undo_deadline": "2026-05-28T10:00:00Z",
            "undone": False,
            "undone_at": None,
            "undo_expired": False,
            "actor": f"key:{api.api_key.name}",
        }

        def merge_ids(query):
            response = api.get(f"/api/v1/identity/merge/history?{query}")
            assert response.status_code == 200, response.json()
            return [row["merge_id"] for row in response.json()["results"]]

        assert merge_ids(f"source_uuid={source.identity_uuid.hex}") == [ids[0]]
        assert merge_ids(f"source_uuid={others[0].identity_uuid}") == [ids[1]]
        assert merge_ids(f"target_uuid={target.identity_uuid.hex}") == ids[::-1]
        assert merge_ids(f"target_uuid={source.identity_uuid.hex}") == []
        assert merge_ids(f"merge_id={ids[2]}") == [ids[2]]
        assert merge_ids("undone=true") == [ids[1]]
        assert merge_ids("undone=false") == [ids[3], ids[2], ids[0]]
        undone_row = api.get(f"/api/v1/identity/merge/history?merge_id={ids[1]}").json()["results"][0]
        assert undone_row["undone"] is True and undone_row["undone_at"] == "2026-05-27T10:10:00Z"


@pytest.mark.parametrize(
    "query", ["source_uuid=xyz", "target_uuid=1", "merge_id=abc", "undone=maybe", "page=0", "page_size=201", "page=x"]
)
def test_history_malformed_parameters_are_400(api, query):
    response = api.get(f"/api/v1/identity/merge/history?{query}")
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_history_needs_the_identity_scope(make_client):
    assert make_client(scopes=["file"]).get("/api/v1/identity/merge/history").status_code == 403
    assert make_client(scopes=["identity"], read_only=True).get("/api/v1/identity/merge/history").status_code == 200


@pytest.mark.parametrize("face_count", [3, 120])
def test_merge_and_undo_take_the_same_statements_whatever_the_number_of_faces(
    api, face_count, django_assert_max_num_queries
):
    film = MediaFileFactory()
    source, target = StrangerFactory(), IdentityFactory()
    for trace_id in range(face_count // 3):
        make_trace(media_file=film, trace_id=trace_id, size=3, identity=source, first_frame=trace_id * 10)
    with django_assert_max_num_queries(29):
        merge_id = merge(api, source, target).json()["data"]["merge_id"]
    with django_assert_max_num_queries(29):
        assert undo(api, merge_id).json()["data"]["faces_reverted"] == face_count


def test_schema_describes_the_merge_endpoints(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    operations = {
        ("/api/v1/identity/{identity_uuid}/mergeinto", "post"): "identity_merge_into",
        ("/api/v1/identity/merge/{merge_id}/undo", "post"): "identity_merge_undo",
        ("/api/v1/identity/merge/{merge_id}/redo", "post"): "identity_merge_redo",
        ("/api/v1/identity/merge/history", "get"): "identity_merge_history",
    }
    for (path, method), operation_id in operations.items():
        assert schema["paths"][path][method]["operationId"] == operation_id
    components = schema["components"]["schemas"]
    request = components["MergeIntoRequest"]
    assert set(request["properties"]) == {"into_uuid", "keep_history"} and request["required"] == ["into_uuid"]
    history = schema["paths"]["/api/v1/identity/merge/history"]["get"]
    assert {"source_uuid", "target_uuid", "merge_id", "undone", "page", "page_size"} == {
        parameter["name"] for parameter in history["parameters"] if parameter["in"] == "query"
    }
    row = components["MergeHistoryRow"]["properties"]
    assert {"merge_id", "source_name", "target_name", "faces_transferred", "merged_at", "undo_deadline", "undone",
            "undo_expired"} <= set(row)
    undo_data = components["MergeUndoData"]["properties"]
    assert {"source_identity_restored", "faces_reverted", "faces_not_reverted", "aliases_removed_from_target",
            "metadata_fields_removed_from_target"} <= set(undo_data)


def test_undo_and_redo_move_exactly_the_merged_faces_in_a_merge_shaped_like_an_archive(api, merge_store):
    """Faces twelve frames apart (no runs: every key is its own run), traces across many files, the
    target already in some of the same traces, and a trace bound elsewhere between merge and undo."""
    from faces.segments import segments_differences, segments_rebuild_file

    files = [MediaFileFactory() for _ in range(12)]
    source, target, third = StrangerFactory(), IdentityFactory(), IdentityFactory()
    for number, film in enumerate(files):
        FaceDetection.objects.bulk_create(
            FaceDetection(
                media_file=film,
                frame_number=frame,
                index=frame % 2,
                bbox=[0.0, 0.0, 20.0, 20.0],
                confidence=0.9,
                trace_id=frame // 600,
                identity=target if number % 3 == 0 and frame % 600 == 0 else source,
            )
            for frame in range(0, 3000, 12)
        )
        segments_rebuild_file(film.pk)
    before = owners()
    merge_id = merge(api, source, target).json()["data"]["merge_id"]
    assert merge_store.find_one({"_id": merge_id})["faces_transferred"] == sum(
        owner == source.pk for owner in before.values()
    )
    taken = api.post(
        f"/api/v1/identity/{third.identity_uuid.hex}/bind/trace",
        {"file_uuid": files[4].file_uuid.hex, "trace_id": 2},
        format="json",
    )
    assert taken.status_code == 200, taken.json()
    taken_pks = set(FaceDetection.objects.filter(identity=third).values_list("pk", flat=True))

    data = undo(api, merge_id).json()["data"]

    assert data["faces_not_reverted"] == len(taken_pks) > 0
    expected = {pk: (third.pk if pk in taken_pks else owner) for pk, owner in before.items()}
    assert owners() == expected
    assert all(segments_differences(film.pk) == ([], []) for film in files)

    assert redo(api, merge_id).status_code == 200
    assert owners() == {pk: (third.pk if pk in taken_pks else target.pk) for pk in before}
    assert all(segments_differences(film.pk) == ([], []) for film in files)


def test_the_response_comes_before_the_records_completion_and_the_file_writes(api, cast, merge_store, settings):
    """Both are owed until done (the pending record is settled by its next reader, the files by the
    outbox), so a client waits for neither; by the time the test client returns they are done."""
    from django.test.client import ClientHandler

    from history import merge_records
    from identities.services import files

    events = []
    real_response, real_complete = ClientHandler.get_response, merge_records._complete
    real_sync = files.identity_sync_files

    def responded(handler, request):
        response = real_response(handler, request)
        events.append("response")
        return response

    def completed(*args):
        events.append("record completed")
        return real_complete(*args)

    def synced(*args, **kwargs):
        events.append("files written")
        return real_sync(*args, **kwargs)

    with (
        mock.patch.object(ClientHandler, "get_response", responded),
        mock.patch.object(merge_records, "_complete", completed),
        mock.patch.object(files, "identity_sync_files", synced),
    ):
        response = merge(api, cast["source"], cast["target"])
    assert response.status_code == 200
    assert events == ["response", "files written", "record completed"]
    assert merge_store.find_one({"_id": response.json()["data"]["merge_id"]})["state"] == "applied"
    assert_disk_matches(api, settings, cast["source"].identity_uuid, cast["target"].identity_uuid)
