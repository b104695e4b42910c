"""A merge, undo or redo that dies half-way: either all of it or none of it is visible, in both
stores, and a merge that happened can always be undone.

Step 1 writes the pending record inside the transaction, step 2 commits, step 3 completes the
record. `ProcessDied` (a BaseException nothing catches) stands for the process being killed: raised
inside the transaction, the database rolls back exactly as it does for a dropped connection.
"""
from unittest import mock

import pytest

from faces.models import FaceDetection
from history import merge_records
from history.models import MergeOperation
from identities.models import Identity
from momentry.core import deferred
from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, make_trace
from tests.identities.test_api_merge import merge, redo, undo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merge_store")]


class ProcessDied(BaseException):
    """The process is killed here."""


@pytest.fixture(autouse=True)
def deferred_work_dies_with_the_request():
    """A request killed by ProcessDied never sends `request_finished`: the work it deferred past its
    response dies with it, as it would with the process, and nothing after the test inherits it."""
    yield
    deferred._local.queue = None


def then_die(real):
    """Do the real step, then die: the worst moment, with the step's write already made."""

    def step(*args, **kwargs):
        real(*args, **kwargs)
        raise ProcessDied

    return step


@pytest.fixture
def pair():
    film = MediaFileFactory()
    target = IdentityFactory(name="Louis Viret", metadata={"tmdb": {"biography": "Actor."}})
    source = StrangerFactory(name="stranger_1", metadata={"tmdb": {"birthday": "1904-01-18"}})
    make_trace(media_file=film, trace_id=1, size=5, identity=source)
    return source, target


def raw(merge_store):
    return list(merge_store.find({}))


def history(api):
    response = api.get("/api/v1/identity/merge/history")
    assert response.status_code == 200
    return response.json()


def test_merge_dying_before_the_commit_leaves_nothing_visible(api, pair, merge_store, world_state):
    source, target = pair
    before = world_state()
    with mock.patch("history.merge_records.record_insert_pending", side_effect=then_die(merge_records.record_insert_pending)):
        with pytest.raises(ProcessDied):
            merge(api, source, target)

    assert world_state() == before
    (record,) = raw(merge_store)
    assert record["state"] == "pending"
    assert history(api)["total"] == 0
    assert merge_store.find_one({"_id": record["_id"]})["state"] == "aborted"
    assert MergeOperation.objects.get(operation_id=record["_id"]).committed is False
    assert undo(api, record["_id"]).status_code == 404
    # Nothing is in the way of merging for real.
    assert merge(api, source, target).status_code == 200
    assert history(api)["total"] == 1


def test_merge_failing_inside_the_transaction_writes_no_record(api, pair, merge_store, world_state):
    source, target = pair
    before = world_state()
    with mock.patch("identities.services.merge_rules.metadata_merge", side_effect=RuntimeError("disk full")):
        response = merge(api, source, target)
    assert response.status_code == 500
    assert response.json() == {"success": False, "error": {"code": "server_error", "message": "Internal server error."}}
    assert world_state() == before
    assert raw(merge_store) == []


def test_merge_dying_after_the_commit_is_whole_and_can_be_undone(api, pair, merge_store, world_state):
    source, target = pair
    before = world_state()
    with mock.patch("history.merge_records.operation_complete", side_effect=ProcessDied):
        with pytest.raises(ProcessDied):
            merge(api, source, target)

    assert FaceDetection.objects.filter(identity=target).count() == 5
    assert Identity.objects.get(pk=source.pk).status == "merged"
    (record,) = raw(merge_store)
    assert record["state"] == "pending"
    (row,) = history(api)["results"]
    assert row["merge_id"] == record["_id"] and row["faces_transferred"] == 5 and row["undone"] is False
    assert merge_store.find_one({"_id": record["_id"]})["state"] == "applied"

    assert undo(api, record["_id"]).status_code == 200
    assert world_state()["faces"] == before["faces"]
    assert Identity.objects.get(pk=source.pk).metadata == source.metadata


def test_merge_whose_record_cannot_be_completed_still_succeeds(api, pair, merge_store):
    source, target = pair
    with mock.patch("history.merge_records._finish", side_effect=ConnectionError("MongoDB went away")):
        response = merge(api, source, target)
    assert response.status_code == 200
    merge_id = response.json()["data"]["merge_id"]
    assert merge_store.find_one({"_id": merge_id})["state"] == "pending"
    assert undo(api, merge_id).status_code == 200
    assert merge_store.find_one({"_id": merge_id})["undone"] is True


def test_undo_dying_before_the_commit_leaves_the_merge_standing(api, pair, merge_store):
    source, target = pair
    merge_id = merge(api, source, target).json()["data"]["merge_id"]
    with mock.patch("history.merge_records.record_begin_operation", side_effect=then_die(merge_records.record_begin_operation)):
        with pytest.raises(ProcessDied):
            undo(api, merge_id)

    assert FaceDetection.objects.filter(identity=target).count() == 5
    assert Identity.objects.get(pk=source.pk).status == "merged"
    assert merge_store.find_one({"_id": merge_id})["pending"]["kind"] == "undo"
    assert history(api)["results"][0]["undone"] is False
    assert merge_store.find_one({"_id": merge_id})["pending"] is None
    assert undo(api, merge_id).status_code == 200
    assert FaceDetection.objects.filter(identity=source).count() == 5


def test_undo_dying_after_the_commit_is_whole_and_can_be_redone(api, pair, merge_store):
    source, target = pair
    merge_id = merge(api, source, target).json()["data"]["merge_id"]
    with mock.patch("history.merge_records.operation_complete", side_effect=ProcessDied):
        with pytest.raises(ProcessDied):
            undo(api, merge_id)

    assert FaceDetection.objects.filter(identity=source).count() == 5
    record = merge_store.find_one({"_id": merge_id})
    assert record["undone"] is False and record["pending"]["kind"] == "undo"
    # The next operation settles the record first: the merge is undone, so it can be redone.
    assert redo(api, merge_id).status_code == 200
    assert FaceDetection.objects.filter(identity=target).count() == 5
    row = history(api)["results"][0]
    assert row["undone"] is False


def test_redo_dying_before_the_commit_leaves_the_merge_undone(api, pair, merge_store):
    source, target = pair
    merge_id = merge(api, source, target).json()["data"]["merge_id"]
    assert undo(api, merge_id).status_code == 200
    with mock.patch("history.merge_records.record_begin_operation", side_effect=then_die(merge_records.record_begin_operation)):
        with pytest.raises(ProcessDied):
            redo(api, merge_id)

    assert FaceDetection.objects.filter(identity=source).count() == 5
    assert history(api)["results"][0]["undone"] is True
    assert redo(api, merge_id).status_code == 200
    assert FaceDetection.objects.filter(identity=target).count() == 5
