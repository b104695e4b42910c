""""Not this person": a curator's rejection of a suggested identity, the trace an unbind remembers,
and what undo, redo, merges, deletes and re-ingest do with them."""
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faces.services import media_file_ingest
from history.models import IdentityHistory
from identities.models import IdentityRejection, TraceRejection
from identities.selectors import rejected_candidates, trace_rejections
from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, make_trace

# Real commits: identity.json and the merge records follow the database through on_commit callbacks.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merge_store")]


def rejected_candidate_uuids(identity_uuid):
    parsed = uuid.UUID(str(identity_uuid))
    return rejected_candidates([parsed])[parsed]


def reject(client, identity, candidate):
    return client.post(f"/api/v1/identity/{hexof(identity)}/suggestions/{hexof(candidate)}/reject")


def rejected(client, identity, candidate):
    response = reject(client, identity, candidate)
    assert response.status_code == 200, response.json()
    return response.json()["history_id"]


def hexof(identity):
    return identity.identity_uuid.hex if hasattr(identity, "identity_uuid") else identity


def undo(client, history_id):
    return client.post(f"/api/v1/identity/history/{history_id}/undo")


def redo(client, history_id):
    return client.post(f"/api/v1/identity/history/{history_id}/redo")


def merge(client, source, target, **body):
    response = client.post(
        f"/api/v1/identity/{hexof(source)}/mergeinto", {"into_uuid": hexof(target), **body}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()["data"]["merge_id"]


def bind_trace(client, identity, media_file, trace_id):
    response = client.post(
        f"/api/v1/identity/{hexof(identity)}/bind/trace",
        {"file_uuid": media_file.file_uuid.hex, "trace_id": trace_id},
        format="json",
    )
    assert response.status_code == 200, response.json()


def unbind_trace(client, identity, media_file, trace_id):
    response = client.post(
        f"/api/v1/identity/{hexof(identity)}/unbind",
        {"file_uuid": media_file.file_uuid.hex, "trace_id": trace_id},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()["data"]["history_id"]


def pairs():
    """Every identity rejection as (identity, candidate, carried by merge id or None)."""
    return {
        (row.identity_uuid, row.candidate_uuid, str(row.merge_id) if row.merge_id else None)
        for row in IdentityRejection.objects.all()
    }


def traces():
    """Every trace rejection as (file, trace, identity, carried by merge id or None)."""
    return {
        (row.file_uuid, row.trace_id, row.identity_uuid, str(row.merge_id) if row.merge_id else None)
        for row in TraceRejection.objects.all()
    }


def uuids(*identities):
    return tuple(identity.identity_uuid for identity in identities)


def test_reject_records_the_rejection_and_one_history_entry(api):
    stranger, cary = StrangerFactory(), IdentityFactory(name="Cary Grant")
    response = reject(api, stranger, cary)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "identity_uuid", "candidate_uuid", "history_id", "message"}
    assert body["success"] is True
    assert (body["identity_uuid"], body["candidate_uuid"]) == (stranger.identity_uuid.hex, cary.identity_uuid.hex)
    history_id = body["history_id"]
    assert str(uuid.UUID(history_id)) == history_id  # dashed
    assert "Cary Grant" in body["message"]
    row = IdentityRejection.objects.get()
    assert (row.identity_uuid, row.candidate_uuid, row.merge_id) == (*uuids(stranger, cary), None)
    assert row.actor == f"key:{api.api_key.name}"

    listed = api.get(f"/api/v1/identity/{hexof(stranger)}/history").json()
    assert listed["total"] == 1
    (entry,) = listed["history"]
    assert (entry["history_id"], entry["action"]) == (history_id, "reject")
    assert entry["before_snapshot"]["rejections"] == {"candidates": [], "traces": []}
    assert entry["after_snapshot"]["rejections"] == {"candidates": [cary.identity_uuid.hex], "traces": []}
    assert entry["after_snapshot"]["faces"] == []
    assert not IdentityHistory.objects.filter(identity_uuid=cary.identity_uuid).exists()


def test_rejection_is_symmetric_for_suggestions(api, django_assert_num_queries):
    stranger, cary, claude, other = StrangerFactory(), IdentityFactory(), IdentityFactory(), IdentityFactory()
    rejected(api, stranger, cary)
    rejected(api, claude, stranger)
    with django_assert_num_queries(1):
        assert rejected_candidate_uuids(stranger.identity_uuid) == {cary.identity_uuid, claude.identity_uuid}
    assert rejected_candidate_uuids(cary.identity_uuid.hex) == {stranger.identity_uuid}
    assert rejected_candidate_uuids(other.identity_uuid) == set()


def test_undo_removes_the_rejection_and_redo_restores_it(api):
    stranger, cary = StrangerFactory(), IdentityFactory()
    history_id = rejected(api, stranger, cary)

    response = undo(api, history_id)
    assert response.status_code == 200
    assert response.json()["data"] == {
        "history_id": history_id,
        "identity_uuid": stranger.identity_uuid.hex,
        "action": "reject",
        "faces_moved": 0,
    }
    assert pairs() == set()
    assert rejected_candidate_uuids(stranger.identity_uuid) == set()

    assert redo(api, history_id).status_code == 200
    assert pairs() == {(*uuids(stranger, cary), None)}
    assert undo(api, history_id).status_code == 200
    assert pairs() == set()
    # Undone, the pair can be rejected anew (which drops the undone entry from the redo stack).
    rejected(api, stranger, cary)
    assert redo(api, history_id).status_code == 409


@pytest.mark.parametrize(
    ("identity", "candidate", "status", "code"),
    [
        ("unknown", "cary", 404, "not_found"),
        ("stranger", "unknown", 404, "not_found"),
        ("stranger", "0" * 31 + "g", 404, "not_found"),
        ("stranger", "stranger", 400, "candidate_is_identity"),
        ("stranger", "cary", 400, "already_rejected"),  # the same pair again
        ("cary", "stranger", 400, "already_rejected"),  # the other way round: the same pair
    ],
)
def test_refusals_change_nothing(api, identity, candidate, status, code):
    people = {"stranger": StrangerFactory(), "cary": IdentityFactory(), "unknown": uuid.uuid4().hex}
    rejected(api, people["stranger"], people["cary"])
    before = pairs(), IdentityHistory.objects.count()

    response = reject(api, people.get(identity, identity), people.get(candidate, candidate))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert (pairs(), IdentityHistory.objects.count()) == before


def test_dashed_uuids_are_taken_and_answered_in_hex(api):
    stranger, cary = StrangerFactory(), IdentityFactory()
    response = api.post(f"/api/v1/identity/{stranger.identity_uuid}/suggestions/{cary.identity_uuid}/reject")
    assert response.status_code == 200
    assert response.json()["candidate_uuid"] == cary.identity_uuid.hex


def test_reject_is_a_write_of_the_identity_scope(make_client):
    stranger, cary = StrangerFactory(), IdentityFactory()
    for key in ({"scopes": ["global"], "read_only": True}, {"scopes": ["file"]}):
        assert reject(make_client(**key), stranger, cary).status_code == 403
    assert pairs() == set()
    media_file = MediaFileFactory()
    # It moves no face: a key limited to some files may say it, as it may PATCH.
    assert reject(make_client(scopes=["identity"], files=[media_file.file_uuid.hex]), stranger, cary).status_code == 200


# --- traces ------------------------------------------------------------------------------------


def test_unbinding_a_whole_trace_remembers_it_is_not_that_identity_in_the_same_entry(api):
    cary = IdentityFactory()
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=4, size=3, identity=cary)
    make_trace(media_file=media_file, trace_id=5, size=2, identity=cary, first_frame=50)

    history_id = unbind_trace(api, cary, media_file, 4)
    rejection = (media_file.file_uuid, 4, cary.identity_uuid, None)
    assert traces() == {rejection}
    assert trace_rejections(media_file.file_uuid, [4, 5, 6]) == {4: {cary.identity_uuid}, 5: set(), 6: set()}
    (entry,) = api.get(f"/api/v1/identity/{hexof(cary)}/history").json()["history"]
    assert entry["history_id"] == history_id
    assert entry["after_snapshot"]["rejections"] == {
        "candidates": [],
        "traces": [{"file_uuid": media_file.file_uuid.hex, "trace_id": 4}],
    }

    assert undo(api, history_id).json()["data"]["faces_moved"] == 3
    assert traces() == set()
    assert redo(api, history_id).json()["data"]["faces_moved"] == 3
    assert traces() == {rejection}
    assert undo(api, history_id).status_code == 200
    assert traces() == set()


def test_a_single_face_unbind_and_an_unbind_that_moves_nothing_reject_no_trace(api):
    cary, claude = IdentityFactory(), IdentityFactory()
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=4, size=3, identity=cary)
    body = {"file_uuid": media_file.file_uuid.hex, "face_id": "0_0"}
    response = api.post(f"/api/v1/identity/{hexof(cary)}/unbind", body, format="json")
    assert response.status_code == 200 and response.json()["data"]["rows_affected"] == 1
    assert unbind_trace(api, claude, media_file, 4) is None  # none of its faces is claude's
    assert traces() == set()


def test_unbinding_a_trace_again_records_no_second_rejection(api):
    cary = IdentityFactory()
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=4, size=2, identity=cary)
    unbind_trace(api, cary, media_file, 4)
    bind_trace(api, cary, media_file, 4)
    second = unbind_trace(api, cary, media_file, 4)
    assert len(traces()) == 1
    entry = IdentityHistory.objects.get(history_id=second)
    assert "rejections" not in entry.after_snapshot
    assert undo(api, second).status_code == 200
    assert len(traces()) == 1  # the first unbind's, which its own entry takes back


def test_trace_rejections_is_one_query(api, django_assert_num_queries):
    cary, claude = IdentityFactory(), IdentityFactory()
    media_file, other_file = MediaFileFactory(), MediaFileFactory()
    make_trace(media_file=media_file, trace_id=1, size=2, identity=cary)
    make_trace(media_file=media_file, trace_id=2, size=2, identity=claude, first_frame=20)
    make_trace(media_file=other_file, trace_id=1, size=2, identity=claude)
    unbind_trace(api, cary, media_file, 1)
    unbind_trace(api, claude, media_file, 2)
    unbind_trace(api, claude, other_file, 1)
    with django_assert_num_queries(1):
        found = trace_rejections(media_file.file_uuid.hex, [1, 2])
    assert found == {1: {cary.identity_uuid}, 2: {claude.identity_uuid}}


# --- re-ingest ---------------------------------------------------------------------------------


def document(media_file, *, frames):
    return {
        "file_uuid": media_file.file_uuid.hex,
        "file_name": media_file.file_name,
        "fps": media_file.fps,
        "duration": media_file.duration,
        "faces": [
            {"frame_number": frame, "index": 0, "bbox": [10.0, 10.0, 90.0, 90.0], "confidence": 0.9, "trace_id": 7}
            for frame in frames
        ],
        "chunks": [],
    }


def test_rejections_survive_a_reingest_of_the_file(api):
    stranger, cary = StrangerFactory(), IdentityFactory()
    media_file = MediaFileFactory()
    media_file_ingest(document=document(media_file, frames=[0, 1, 2]), replace=True)
    bind_trace(api, cary, media_file, 7)
    unbound = unbind_trace(api, cary, media_file, 7)
    rejection = rejected(api, stranger, cary)
    before = pairs(), traces()

    media_file_ingest(document=document(media_file, frames=[0, 1, 2, 3]), replace=True)
    assert (pairs(), traces()) == before
    assert trace_rejections(media_file.file_uuid, [7]) == {7: {cary.identity_uuid}}
    assert rejected_candidate_uuids(cary.identity_uuid) == {stranger.identity_uuid}

    # Undone after the re-ingest: the unbind's faces still exist, and its rejection goes with it.
    assert undo(api, rejection).status_code == 200
    assert undo(api, unbound).status_code == 200
    assert (pairs(), traces()) == (set(), set())


# --- merges ------------------------------------------------------------------------------------


@pytest.fixture
def cast(api):
    """A stranger about to be merged into Cary, each with rejections, and the identities they name."""
    people = {
        "stranger": StrangerFactory(),
        "cary": IdentityFactory(name="Cary Grant"),
        "claude": IdentityFactory(name="Claude Rains"),
        "audrey": IdentityFactory(name="Audrey Hepburn"),
        "walter": IdentityFactory(name="Walter Matthau"),
    }
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=1, size=2, identity=people["stranger"])
    make_trace(media_file=media_file, trace_id=2, size=2, identity=people["stranger"], first_frame=20)
    make_trace(media_file=media_file, trace_id=3, size=2, identity=people["cary"], first_frame=40)
    people["file"] = media_file
    return people


def test_a_merge_carries_rejections_both_ways_and_its_undo_takes_back_exactly_those(api, cast):
    stranger, cary, claude, audrey, walter = (cast[name] for name in ("stranger", "cary", "claude", "audrey", "walter"))
    media_file = cast["file"]
    rejected(api, stranger, claude)  # "S is not C"
    rejected(api, audrey, stranger)  # "C is not S"
    rejected(api, stranger, walter)  # Cary says so already: not carried
    rejected(api, cary, walter)
    rejected(api, cary, stranger)  # would say "Cary is not Cary"
    unbind_trace(api, stranger, media_file, 1)
    unbind_trace(api, stranger, media_file, 2)
    unbind_trace(api, cary, media_file, 3)
    bind_trace(api, cary, media_file, 2)
    unbind_trace(api, cary, media_file, 2)  # Cary says trace 2 is not Cary already: not carried
    before = pairs(), traces()

    merge_id = merge(api, stranger, cary)
    carried_pairs = {
        (cary.identity_uuid, claude.identity_uuid, merge_id),
        (audrey.identity_uuid, cary.identity_uuid, merge_id),
    }
    carried_traces = {(media_file.file_uuid, 1, cary.identity_uuid, merge_id)}
    assert pairs() == before[0] | carried_pairs
    assert traces() == before[1] | carried_traces
    assert rejected_candidate_uuids(cary.identity_uuid) >= {claude.identity_uuid, audrey.identity_uuid}
    assert trace_rejections(media_file.file_uuid, [1])[1] == {stranger.identity_uuid, cary.identity_uuid}

    assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert (pairs(), traces()) == before  # Cary's own rejections stay, the stranger's never moved
    assert api.post(f"/api/v1/identity/merge/{merge_id}/redo").status_code == 200
    assert pairs() == before[0] | carried_pairs
    assert traces() == before[1] | carried_traces


def test_a_merge_without_history_carries_them_and_its_undo_finds_the_sources_own_again(api, cast):
    stranger, cary, claude = cast["stranger"], cast["cary"], cast["claude"]
    rejected(api, stranger, claude)
    merge_id = merge(api, stranger, cary, keep_history=False)
    assert (cary.identity_uuid, claude.identity_uuid, merge_id) in pairs()
    assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert pairs() == {(*uuids(stranger, claude), None)}


def test_copies_carried_by_two_merges_are_taken_back_one_merge_at_a_time(api, cast):
    """A copy another merge carried is carried again: that merge's undo may take its own away."""
    cary, claude = cast["cary"], cast["claude"]
    first, second = StrangerFactory(), StrangerFactory()
    rejected(api, first, claude)
    rejected(api, second, claude)
    first_merge = merge(api, first, cary)
    second_merge = merge(api, second, cary)
    assert api.post(f"/api/v1/identity/merge/{first_merge}/undo").status_code == 200
    assert (cary.identity_uuid, claude.identity_uuid, second_merge) in pairs()
    assert claude.identity_uuid in rejected_candidate_uuids(cary.identity_uuid)


def test_merge_and_undo_touch_the_rejections_with_set_statements(api, cast):
    """However many rejections the source has, the merge reads each table once and writes it once."""
    stranger, cary = cast["stranger"], cast["cary"]
    IdentityRejection.objects.bulk_create(
        IdentityRejection(identity_uuid=stranger.identity_uuid, candidate_uuid=uuid.uuid4(), actor="key:test")
        for _ in range(50)
    )
    merge_id = merge(api, stranger, cary)
    assert IdentityRejection.objects.filter(merge_id=merge_id).count() == 50

    with CaptureQueriesContext(connection) as queries:
        assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert rejection_statements(queries) == ["DELETE", "DELETE"]
    with CaptureQueriesContext(connection) as queries:
        assert api.post(f"/api/v1/identity/merge/{merge_id}/redo").status_code == 200
    assert rejection_statements(queries) == ["SELECT", "INSERT", "SELECT"]  # no trace rejection to carry


def rejection_statements(queries):
    tables = (IdentityRejection._meta.db_table, TraceRejection._meta.db_table)
    return [
        query["sql"].split()[0] for query in queries.captured_queries if any(table in query["sql"] for table in tables)
    ]


# --- writes between a rejection and its undo ---------------------------------------------------


def test_undo_of_a_rejection_under_a_standing_merge_of_its_identity_is_a_409_naming_the_merge(api, cast):
    stranger, cary, claude = cast["stranger"], cast["cary"], cast["claude"]
    history_id = rejected(api, stranger, claude)
    merge_id = merge(api, stranger, cary)
    before = pairs()

    response = undo(api, history_id)
    assert response.status_code == 409
    assert merge_id in response.json()["error"]["message"]
    assert pairs() == before

    assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert undo(api, history_id).status_code == 200
    assert pairs() == set()


def test_undo_of_a_rejection_after_its_identity_was_deleted_is_a_409_until_the_delete_is_undone(api):
    stranger, cary = StrangerFactory(), IdentityFactory()
    history_id = rejected(api, stranger, cary)
    deleted = api.delete(f"/api/v1/identity/{hexof(stranger)}").json()["history_id"]
    assert pairs() == {(*uuids(stranger, cary), None)}  # kept by uuid: the delete's undo finds it

    response = undo(api, history_id)
    assert response.status_code == 409
    assert deleted in response.json()["error"]["message"]
    assert undo(api, deleted).status_code == 200
    assert rejected_candidate_uuids(stranger.identity_uuid) == {cary.identity_uuid}
    assert undo(api, history_id).status_code == 200
    assert pairs() == set()


def test_a_deleted_candidate_keeps_the_rejection_and_the_undo_still_takes_it_back(api):
    stranger, cary = StrangerFactory(), IdentityFactory()
    history_id = rejected(api, stranger, cary)
    deleted = api.delete(f"/api/v1/identity/{hexof(cary)}").json()["history_id"]
    assert undo(api, deleted).status_code == 200
    assert rejected_candidate_uuids(stranger.identity_uuid) == {cary.identity_uuid}
    api.delete(f"/api/v1/identity/{hexof(cary)}")
    assert undo(api, history_id).status_code == 200
    assert pairs() == set()
    assert redo(api, history_id).status_code == 200  # of a candidate that is gone: it may come back
    assert pairs() == {(*uuids(stranger, cary), None)}


def test_undo_of_a_rejection_whose_candidate_was_merged_since_leaves_the_merges_copy_to_the_merge(api, cast):
    """The merge carried "A is not B" to B's target as its own copy: the rejection's undo takes back
    only its own row, the merge's undo the copy."""
    stranger, cary, claude = cast["stranger"], cast["cary"], cast["claude"]
    history_id = rejected(api, claude, stranger)
    merge_id = merge(api, stranger, cary)
    assert undo(api, history_id).status_code == 200
    assert pairs() == {(*uuids(claude, cary), merge_id)}
    assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert pairs() == set()


def test_redo_of_a_rejection_the_candidate_has_made_since_is_a_409_naming_it(api):
    stranger, cary = StrangerFactory(), IdentityFactory()
    history_id = rejected(api, stranger, cary)
    assert undo(api, history_id).status_code == 200
    reverse = rejected(api, cary, stranger)  # on Cary's stack, so it does not supersede the undone entry

    response = redo(api, history_id)
    assert response.status_code == 409
    assert reverse in response.json()["error"]["message"]
    assert pairs() == {(*uuids(cary, stranger), None)}
    assert undo(api, reverse).status_code == 200
    assert redo(api, history_id).status_code == 200
    assert pairs() == {(*uuids(stranger, cary), None)}


def test_a_rejection_is_on_the_stack_of_its_identity(api):
    stranger, cary = StrangerFactory(), IdentityFactory()
    history_id = rejected(api, stranger, cary)
    patched = api.patch(f"/api/v1/identity/{hexof(stranger)}", {"name": "Someone"}, format="json").json()
    response = undo(api, history_id)
    assert response.status_code == 409
    assert patched["history_id"] in response.json()["error"]["message"]
    assert undo(api, patched["history_id"]).status_code == 200
    assert undo(api, history_id).status_code == 200
