"""History undo and redo never overwrite what they did not write: merges stand on both identities'
stacks, a replay changes only its entry's columns and faces and only while they hold its values,
and snapshots store what changed."""
import json

import pytest

from faces.models import FaceDetection
from history.models import IdentityHistory
from history.mongo import merge_history_collection
from identities.models import Identity
from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, make_trace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merge_store")]


def patch(api, identity, body):
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["history_id"]


def merge(api, source, target, **body):
    response = api.post(
        f"/api/v1/identity/{source.identity_uuid.hex}/mergeinto",
        {"into_uuid": target.identity_uuid.hex, **body},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()["data"]["merge_id"]


def history_undo(api, history_id):
    return api.post(f"/api/v1/identity/history/{history_id}/undo")


def history_redo(api, history_id):
    return api.post(f"/api/v1/identity/history/{history_id}/redo")


def entries(api, identity):
    response = api.get(f"/api/v1/identity/{identity.identity_uuid.hex}/history")
    assert response.status_code == 200
    return response.json()["history"]


def merge_record(merge_id):
    return merge_history_collection().find_one({"_id": merge_id})


def test_undo_of_an_edit_older_than_a_standing_merge_is_a_409_naming_the_merge(api, world_state):
    """Reproducer: PATCH S, merge S into T, undo the PATCH answered 200 and left S pending, unmerged,
    while the merge record still stood, so S could be merged a second time."""
    source, target = StrangerFactory(), IdentityFactory()
    edit = patch(api, source, {"metadata": {"n": 1}})
    merge_id = merge(api, source, target)
    state = world_state()

    response = history_undo(api, edit)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "history_conflict"
    assert merge_id in response.json()["error"]["message"]
    assert world_state() == state
    assert Identity.objects.get(pk=source.pk).status == "merged"
    assert merge_record(merge_id)["undone"] is False
    again = api.post(
        f"/api/v1/identity/{source.identity_uuid.hex}/mergeinto", {"into_uuid": target.identity_uuid.hex}, format="json"
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "already_merged"

    assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert history_undo(api, edit).status_code == 200
    restored = Identity.objects.get(pk=source.pk)
    assert (restored.status, restored.metadata) == ("pending", source.metadata)


def test_undo_of_the_targets_edit_under_a_standing_merge_keeps_what_the_merge_added(api):
    """Reproducer: PATCH T, merge S into T, undo T's PATCH: the metadata the merge added was gone
    while the merge stood."""
    source = StrangerFactory(metadata={"born": "1904"})
    target = IdentityFactory(metadata={"known": True})
    edit = patch(api, target, {"metadata": {"note": "checked"}})
    merge_id = merge(api, source, target)

    response = history_undo(api, edit)

    assert response.status_code == 409
    assert merge_id in response.json()["error"]["message"]
    assert Identity.objects.get(pk=target.pk).metadata == {"known": True, "note": "checked", "born": "1904"}


def test_a_merge_its_undo_and_its_redo_are_entries_on_both_stacks(api):
    source, target = StrangerFactory(), IdentityFactory()
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=1, size=3, identity=source)
    merge_id = merge(api, source, target)
    assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert api.post(f"/api/v1/identity/merge/{merge_id}/redo").status_code == 200

    for identity in (source, target):
        listed = entries(api, identity)
        assert [(entry["action"], entry["merge_id"]) for entry in listed] == [
            ("merge_redo", merge_id),
            ("merge_undo", merge_id),
            ("merge", merge_id),
        ]
        assert listed[2]["undone_at"] is not None and listed[2]["undone_by"] == f"key:{api.api_key.name}"
        assert listed[0]["undone_at"] is None
    source_entry = entries(api, source)[2]
    assert source_entry["before_snapshot"]["identity"]["status"] == "pending"
    assert source_entry["after_snapshot"]["identity"]["status"] == "merged"


def test_merge_entries_are_undone_and_redone_only_as_a_merge(api):
    source, target = StrangerFactory(), IdentityFactory()
    merge_id = merge(api, source, target)
    merge_entry = entries(api, target)[0]

    response = history_undo(api, merge_entry["history_id"])

    assert response.status_code == 409
    assert merge_id in response.json()["error"]["message"]
    assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    undo_entry = entries(api, target)[0]
    assert undo_entry["action"] == "merge_undo"
    assert history_undo(api, undo_entry["history_id"]).status_code == 409
    assert history_redo(api, merge_entry["history_id"]).status_code == 409
    assert Identity.objects.get(pk=source.pk).status == "pending"


def test_an_edit_older_than_an_undone_merge_is_undone_and_redone_across_it(api):
    """An undone merge is no longer standing: the edit before it is undone and redone."""
    source, target = StrangerFactory(), IdentityFactory(name="Claude Rains")
    edit = patch(api, target, {"name": "Claude Rains (actor)"})
    merge_id = merge(api, source, target)
    assert api.post(f"/api/v1/identity/merge/{merge_id}/undo").status_code == 200
    assert history_undo(api, edit).status_code == 200
    assert Identity.objects.get(pk=target.pk).name == "Claude Rains"

    assert history_redo(api, edit).status_code == 200
    assert Identity.objects.get(pk=target.pk).name == "Claude Rains (actor)"


def test_undo_writes_only_the_columns_its_entry_changed(api):
    identity = IdentityFactory(name="Before", status="confirmed")
    edit = patch(api, identity, {"name": "After"})
    Identity.objects.filter(pk=identity.pk).update(identity_type="brand")

    assert history_undo(api, edit).status_code == 200

    restored = Identity.objects.get(pk=identity.pk)
    assert (restored.name, restored.identity_type) == ("Before", "brand")


def test_undo_of_a_column_changed_since_by_an_unrecorded_write_is_a_409_naming_the_column(api, world_state):
    identity = IdentityFactory(name="Before")
    edit = patch(api, identity, {"name": "After"})
    Identity.objects.filter(pk=identity.pk).update(name="By hand")
    state = world_state()

    response = history_undo(api, edit)

    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert "name" in message and "not recorded" in message
    assert world_state() == state


def test_redo_after_a_face_was_taken_since_is_a_409_naming_the_write(api, world_state):
    first, second = IdentityFactory(), IdentityFactory()
    media_file = MediaFileFactory()
    faces = make_trace(media_file=media_file, trace_id=1, size=2, identity=first)
    unbound = api.post(
        f"/api/v1/identity/{first.identity_uuid.hex}/unbind",
        {"file_uuid": media_file.file_uuid.hex, "trace_id": 1},
        format="json",
    ).json()["data"]["history_id"]
    assert history_undo(api, unbound).status_code == 200
    taken = api.post(
        f"/api/v1/identity/{second.identity_uuid.hex}/bind",
        {"file_uuid": media_file.file_uuid.hex, "face_id": faces[0].face_id},
        format="json",
    ).json()["data"]["history_id"]
    state = world_state()

    response = history_redo(api, unbound)

    assert response.status_code == 409
    assert taken in response.json()["error"]["message"]
    assert world_state() == state


def test_snapshots_leave_out_metadata_the_write_did_not_change(api):
    """Reproducer: a 5 MB metadata value made every later one-face bind store about 10 MB."""
    identity = IdentityFactory(metadata={"biography": "x" * 500_000})
    media_file = MediaFileFactory()
    face = make_trace(media_file=media_file, trace_id=1, size=1)[0]
    bound = api.post(
        f"/api/v1/identity/{identity.identity_uuid.hex}/bind",
        {"file_uuid": media_file.file_uuid.hex, "face_id": face.face_id},
        format="json",
    ).json()["data"]["history_id"]
    renamed = patch(api, identity, {"name": "Renamed"})
    described = patch(api, identity, {"metadata": {"born": "1889"}})

    stored = {entry.history_id.hex: entry for entry in IdentityHistory.objects.all()}
    for history_id in (bound, renamed):
        entry = stored[history_id.replace("-", "")]
        assert len(json.dumps([entry.before_snapshot, entry.after_snapshot])) < 5_000
        assert "metadata" not in entry.before_snapshot["identity"]
    assert stored[renamed.replace("-", "")].after_snapshot["identity"]["name"] == "Renamed"
    assert stored[described.replace("-", "")].after_snapshot["identity"]["metadata"]["born"] == "1889"

    for history_id in (described, renamed, bound):
        assert history_undo(api, history_id).status_code == 200
    restored = Identity.objects.get(pk=identity.pk)
    assert (restored.name, restored.metadata) == (identity.name, identity.metadata)
    assert not FaceDetection.objects.filter(identity=identity).exists()


def test_a_merged_identity_stays_merged_until_its_merge_is_undone(api, world_state):
    """Found by the property test: an upload without `status` (or a PATCH of status) turned a merged
    source back into a confirmed identity while its merge stood."""
    source, target = StrangerFactory(), IdentityFactory()
    merge_id = merge(api, source, target)
    merged = Identity.objects.get(pk=source.pk)
    state = world_state()

    patched = api.patch(f"/api/v1/identity/{source.identity_uuid.hex}", {"status": "confirmed"}, format="json")
    uploaded = api.post(
        "/api/v1/identity/upload", {"identity_uuid": source.identity_uuid.hex, "name": "Restored"}, format="json"
    )
    marked = api.patch(
        f"/api/v1/identity/{target.identity_uuid.hex}", {"metadata": {"merged_into": {"uuid": "x"}}}, format="json"
    )

    for response in (patched, uploaded):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "identity_merged"
        assert merge_id in response.json()["error"]["message"]
    assert marked.status_code == 400
    assert world_state() == state
    document = {
        "identity_uuid": source.identity_uuid.hex, "name": "Renamed", "status": "merged", "metadata": merged.metadata,
    }
    assert api.post("/api/v1/identity/upload", document, format="json").status_code == 200
    assert Identity.objects.get(pk=source.pk).name == "Renamed"
