"""The merge records in `merge_history` and their crash-safe states, beside the relational markers.

A merge, an undo and a redo each touch two stores. Each one:
1. inside its database transaction, after locking both identities, inserts its `MergeOperation`
   row (`committed=True`), makes its changes with set-based statements, then writes the merge
   record in `merge_history` as pending (a new record `state: "pending"`, or `pending: {operation}`
   on the existing one, holding the fields to set once it has committed);
2. commits;
3. completes the record (`state: "applied"`, or the operation's fields set and `pending` cleared),
   once the response is sent (`momentry.core.deferred`): a reader settles a pending record anyway.

A process that dies before the commit leaves a pending record whose operation has no committed
row; one that dies after it leaves a pending record whose row is committed. Whoever reads a
pending record settles it (`_settle`): it inserts the operation's row with `committed=False`
unless the row exists; the unique key makes that insert wait for a transaction still in flight, so
the outcome read is final. Every write to an existing record holds the lock of the merge's own
row (`operation_id == merge_id`), so montydb's read-modify-write updates never interleave.
"""
import logging
from datetime import timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from momentry.core.deferred import after_response
from momentry.core.paging import Page
from momentry.core.parsing import parse_uuid

from .models import MergeOperation
from .mongo import merge_history_collection

logger = logging.getLogger(__name__)

PENDING, APPLIED, ABORTED = "pending", "applied", "aborted"
MERGE, UNDO, REDO = MergeOperation.Kind.MERGE, MergeOperation.Kind.UNDO, MergeOperation.Kind.REDO


def merge_clock():
    """Now, in UTC, to the millisecond that BSON keeps; tests patch `django.utils.timezone.now`."""
    now = timezone.now().astimezone(dt_timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def undo_window():
    return timedelta(hours=settings.MOMENTRY_MERGE_UNDO_WINDOW_HOURS)


def operation_begin(*, operation_id, merge_id, kind):
    """The committed-row half of step 1; fails if a reader already declared the operation dead."""
    MergeOperation.objects.create(operation_id=operation_id, merge_id=merge_id, kind=kind, committed=True)


# --- the record ----------------------------------------------------------------------------------


def new_record(*, merge_id, source_uuid, target_uuid, keep_history, actor, now, fields):
    """A merge record as step 1 writes it: pending, with the `fields` the merge itself sets."""
    return {
        "_id": str(merge_id),
        "merge_id": str(merge_id),
        "state": PENDING,
        "source_uuid": source_uuid.hex,
        "target_uuid": target_uuid.hex,
        "keep_history": keep_history,
        "actor": actor,
        "merged_at": now,
        **fields,
        "undone": False,
        "undone_at": None,
        "undone_by": None,
        "faces_reverted": None,
        "faces_not_reverted": None,
        "redone_at": None,
        "redone_by": None,
        "pending": None,
    }


def record_insert_pending(document):
    merge_history_collection().insert_one(document)


def record_begin_operation(*, merge_id, operation_id, kind, undone, changes):
    """Step 1 of an undo or redo: the operation and the fields it sets, on a record in the expected
    state. The caller holds the merge's lock, so the record cannot have changed since it was read."""
    result = merge_history_collection().update_one(
        {"_id": str(merge_id), "state": APPLIED, "undone": undone, "pending": None},
        {"$set": {"pending": {"operation_id": str(operation_id), "kind": kind, "changes": changes}}},
    )
    if result.matched_count != 1:
        raise RuntimeError(f"Merge record {merge_id} changed while it was locked.")


def lock_merge(merge_id):
    """Lock the merge's own operation row until the transaction ends (serialises record writes)."""
    MergeOperation.objects.select_for_update().filter(operation_id=merge_id).first()


def _pending_operation(record):
    if record["state"] == PENDING:
        return record["merge_id"], MERGE
    if record.get("pending"):
        return record["pending"]["operation_id"], record["pending"]["kind"]
    return None


def _finish(collection, record, operation_id, *, committed):
    """Set the record's outcome for one operation, if it is still the pending one."""
    if _pending_operation(record) is None or _pending_operation(record)[0] != str(operation_id):
        return
    if record["state"] == PENDING:
        collection.update_one({"_id": record["_id"]}, {"$set": {"state": APPLIED if committed else ABORTED}})
    elif committed:
        collection.update_one({"_id": record["_id"]}, {"$set": {**record["pending"]["changes"], "pending": None}})
    else:
        collection.update_one({"_id": record["_id"]}, {"$set": {"pending": None}})


def operation_complete(*, merge_id, operation_id):
    """Step 3, after the commit, once the response is sent: nothing needs it sooner, since the next
    reader of a record still pending settles it the same way. If it fails the record stays pending
    until read, so the caller still reports success: the operation did happen."""
    after_response(lambda: _complete(merge_id, operation_id))


def _complete(merge_id, operation_id):
    try:
        with transaction.atomic():
            lock_merge(merge_id)
            collection = merge_history_collection()
            record = collection.find_one({"_id": str(merge_id)})
            if record is not None:
                _finish(collection, record, operation_id, committed=True)
    except Exception:
        logger.exception(
            "Merge %s: operation %s committed; its record stays pending until read.", merge_id, operation_id
        )


def _settle(collection, record):
    """Resolve a pending record against the database (see the module docstring); returns it settled."""
    pending = _pending_operation(record)
    if pending is None:
        return record
    operation_id, kind = pending
    with transaction.atomic():
        marker, _ = MergeOperation.objects.get_or_create(
            operation_id=operation_id,
            defaults={"merge_id": record["merge_id"], "kind": kind, "committed": False},
        )
        lock_merge(record["merge_id"])
        fresh = collection.find_one({"_id": record["_id"]})
        _finish(collection, fresh, operation_id, committed=marker.committed)
    return collection.find_one({"_id": record["_id"]})


def merge_record_get(merge_id):
    """The settled record for a path parameter, or 404 (malformed, unknown, or never committed)."""
    parsed = parse_uuid(merge_id)
    collection = merge_history_collection()
    record = collection.find_one({"_id": str(parsed)}) if parsed is not None else None
    if record is not None:
        record = _settle(collection, record)
    if record is None or record["state"] != APPLIED:
        raise Http404(f"No merge {merge_id}.")
    return _with_utc_datetimes(record)


def merge_record_locked(merge_id):
    """The settled record for a path parameter, read under the merge's lock (the caller's
    transaction holds it), or 404."""
    parsed = parse_uuid(merge_id)
    if parsed is not None:
        lock_merge(parsed)
    return merge_record_get(merge_id)


def _with_utc_datetimes(record):
    """Datetimes as aware UTC whichever engine read them (montydb gives its own UTC offset type)."""
    return {
        key: value.astimezone(dt_timezone.utc) if hasattr(value, "astimezone") else value
        for key, value in record.items()
    }


def merge_is_expired(record, now):
    return now > record["undo_deadline"]


HISTORY_PROJECTION = {"faces": 0, "metadata_added": 0, "source_snapshot": 0, "pending": 0}


def merge_history_page(*, page, page_size, source_uuid=None, target_uuid=None, merge_id=None, undone=None):
    """Committed merges, newest first, filtered; pending records are settled before counting."""
    collection = merge_history_collection()
    for record in list(collection.find({"$or": [{"state": PENDING}, {"pending": {"$ne": None}}]})):
        _settle(collection, record)
    query = {"state": APPLIED}
    if source_uuid is not None:
        query["source_uuid"] = source_uuid.hex
    if target_uuid is not None:
        query["target_uuid"] = target_uuid.hex
    if merge_id is not None:
        query["_id"] = str(merge_id)
    if undone is not None:
        query["undone"] = undone
    total = collection.count_documents(query)
    cursor = (
        collection.find(query, HISTORY_PROJECTION)
        .sort([("merged_at", -1), ("_id", -1)])
        .skip((page - 1) * page_size)
        .limit(page_size)
    )
    return Page(items=[_with_utc_datetimes(record) for record in cursor], total=total, page=page, page_size=page_size)


def merge_records_of(merge_ids):
    """`{merge_id: record}` of the committed merges among `merge_ids` (the merges a page of history
    names), in one query; a record still pending is left out until a merge list settles it."""
    ids = sorted({str(merge_id) for merge_id in merge_ids})
    if not ids:
        return {}
    cursor = merge_history_collection().find({"_id": {"$in": ids}, "state": APPLIED}, HISTORY_PROJECTION)
    return {record["_id"]: _with_utc_datetimes(record) for record in cursor}
