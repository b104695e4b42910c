"""Merges at the same time, on PostgreSQL (SQLite serialises every write, so there is nothing to race)."""
import threading
from unittest import mock

import pytest
from django.db import connection
from django.http import Http404

from faces.models import FaceDetection
from history import merge_records
from history.models import MergeOperation
from identities.models import Identity
from identities.services.merging import identity_merge, merge_undo
from momentry.core.errors import ApplicationError
from tests.factories import IdentityFactory, MediaFileFactory, make_trace

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.usefixtures("merge_store"),
]


def in_thread(call, outcomes, key):
    def run():
        try:
            outcomes[key] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            outcomes[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def pair():
    film = MediaFileFactory()
    source, target = IdentityFactory(name="Anna"), IdentityFactory(name="Anna (duplicate)")
    make_trace(media_file=film, trace_id=1, size=20, identity=source)
    make_trace(media_file=film, trace_id=2, size=10, identity=target, first_frame=100)
    return source, target


@pytest.mark.parametrize("transaction_ends", ["committed", "rolled back"])
def test_a_reader_of_a_pending_record_waits_for_the_transaction_in_flight(pair, merge_store, transaction_ends):
    source, target = pair
    written, release = threading.Event(), threading.Event()

    def write_then_wait(document):
        merge_store.insert_one(document)
        written.set()
        release.wait(timeout=30)
        if transaction_ends == "rolled back":
            raise RuntimeError("the merge fails after its pending record was written")

    outcomes = {}
    with mock.patch("history.merge_records.record_insert_pending", side_effect=write_then_wait):
        merging = in_thread(
            lambda: identity_merge(identity_uuid=source.identity_uuid, into_uuid=target.identity_uuid, actor="key:a"),
            outcomes,
            "merge",
        )
        assert written.wait(timeout=30)
        merge_id = merge_store.find_one({"state": "pending"})["_id"]
        reading = in_thread(lambda: merge_records.merge_record_get(merge_id), outcomes, "read")
        reading.join(timeout=0.5)
        release.set()
        merging.join()
        reading.join()

    if transaction_ends == "committed":
        assert outcomes["read"]["state"] == "applied"
        assert outcomes["merge"].faces_transferred == 20
        assert FaceDetection.objects.filter(identity=target).count() == 30
    else:
        assert isinstance(outcomes["read"], Http404) and isinstance(outcomes["merge"], RuntimeError)
        assert FaceDetection.objects.filter(identity=source).count() == 20
        assert MergeOperation.objects.get(operation_id=merge_id).committed is False
    assert merge_store.find_one({"_id": merge_id})["state"] == (
        "applied" if transaction_ends == "committed" else "aborted"
    )


@pytest.mark.parametrize("round_number", range(3))
def test_merging_two_identities_into_each_other_at_once_merges_one_way(pair, round_number):
    source, target = pair
    outcomes = {}
    def merging(one, other):
        return lambda: identity_merge(identity_uuid=one.identity_uuid, into_uuid=other.identity_uuid, actor="key:a")

    threads = [in_thread(merging(source, target), outcomes, "a"), in_thread(merging(target, source), outcomes, "b")]
    for thread in threads:
        thread.join()

    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, ApplicationError)]
    merged = [outcome for outcome in outcomes.values() if not isinstance(outcome, Exception)]
    assert len(refused) == 1 and len(merged) == 1, outcomes
    assert Identity.objects.filter(status="merged").count() == 1
    survivor = Identity.objects.exclude(status="merged").get()
    assert FaceDetection.objects.filter(identity=survivor).count() == 30


def test_two_undos_of_one_merge_at_once_undo_it_once(pair):
    source, target = pair
    merge_id = identity_merge(identity_uuid=source.identity_uuid, into_uuid=target.identity_uuid, actor="a").merge_id
    outcomes = {}
    threads = [in_thread(lambda: merge_undo(merge_id=str(merge_id), actor=name), outcomes, name) for name in ("a", "b")]
    for thread in threads:
        thread.join()

    done = [outcome for outcome in outcomes.values() if not isinstance(outcome, Exception)]
    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, ApplicationError)]
    assert len(done) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "merge_already_undone"
    assert done[0].undone.faces_reverted == 20
    assert FaceDetection.objects.filter(identity=source).count() == 20
    assert FaceDetection.objects.filter(identity=target).count() == 10
