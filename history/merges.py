"""Merges of identities: the relational changes, the merge record, and its crash-safe states.

A merge, an undo and a redo each touch two stores. Each one:
1. inside its database transaction, after locking both identities, inserts its `MergeOperation`
   row (`committed=True`), makes its changes with set-based statements, then writes the merge
   record in `merge_history` as pending (a new record `state: "pending"`, or `pending: {operation}`
   on the existing one, holding the fields to set once it has committed);
2. commits;
3. completes the record (`state: "applied"`, or the operation's fields set and `pending` cleared).

A process that dies before the commit leaves a pending record whose operation has no committed
row; one that dies after it leaves a pending record whose row is committed. Whoever reads a
pending record settles it (`_settle`): it inserts the operation's row with `committed=False`
unless the row exists; the unique key makes that insert wait for a transaction still in flight, so
the outcome read is final. Every write to an existing record holds the lock of the merge's own
row (`operation_id == merge_id`), so montydb's read-modify-write updates never interleave.

What undo keeps (decided here): faces return only if the merge (or the last redo) moved them and
they are still on the target; the aliases the merge added (tagged `source: "merge"`) are removed
one for one; a metadata path the merge added is removed only while its value is still the one the
merge put there, so a value edited by hand stays. The merge adds
only what the target lacks (the target's values win), recording the highest path it added, so
`metadata_fields_added_paths` lists `tmdb.birthday` when the target had `tmdb`, and `tmdb` when
it had none.
"""
import copy
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from datetime import timezone as dt_timezone
from itertools import groupby

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from faces.models import FaceDetection, MediaFile
from identities.models import Identity, IdentityStatus
from momentry.api.pagination import Page, page_params
from momentry.api.params import parse_uuid

from .models import MergeOperation
from .mongo import merge_history_collection
from .recording import identity_row

logger = logging.getLogger(__name__)

PENDING, APPLIED, ABORTED = "pending", "applied", "aborted"
MERGE, UNDO, REDO = MergeOperation.Kind.MERGE, MergeOperation.Kind.UNDO, MergeOperation.Kind.REDO
MERGED_INTO = "merged_into"
ALIASES = "aliases"
# Keys of the source's metadata that are not deep-merged: aliases are merged on their own, and
# `merged_into` belongs to the identity it marks.
NOT_MERGED_KEYS = (ALIASES, MERGED_INTO)
FACES_MOVED_AWAY_LISTED = 100


def merge_clock():
    """Now, in UTC, to the millisecond that BSON keeps; tests patch `django.utils.timezone.now`."""
    now = timezone.now().astimezone(dt_timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def undo_window():
    return timedelta(hours=settings.MOMENTRY_MERGE_UNDO_WINDOW_HOURS)


def _canonical(value):
    return json.dumps(value, sort_keys=True)


# --- face keys -----------------------------------------------------------------------------------
# A merge records the faces it moved by their stable key (file, frame, index), which outlives a
# re-ingest with --replace, as one string per file of runs: "37974-38127_0,38200_1" is frames
# 37974 to 38127 at index 0 and frame 38200 at index 1. 100,000 scattered faces take under 1 MB.


def face_key_groups(rows):
    """`[{"file_uuid", "keys"}]` and the count, from `(media_file_id, frame_number, index)` rows."""
    rows = sorted(rows, key=lambda row: (row[0], row[2], row[1]))
    file_uuids = dict(MediaFile.objects.filter(pk__in={row[0] for row in rows}).values_list("pk", "file_uuid"))
    groups = []
    for file_id, file_rows in groupby(rows, key=lambda row: row[0]):
        runs = []
        for _, frame_number, index in file_rows:
            if runs and runs[-1][2] == index and runs[-1][1] == frame_number - 1:
                runs[-1][1] = frame_number
            else:
                runs.append([frame_number, frame_number, index])
        tokens = (f"{first}_{index}" if first == last else f"{first}-{last}_{index}" for first, last, index in runs)
        groups.append({"file_uuid": file_uuids[file_id].hex, "keys": ",".join(tokens)})
    return groups, len(rows)


def face_key_ranges(groups):
    """`[[media_file_id, first_frame, last_frame, index], ...]` for the files that still exist."""
    file_ids = dict(
        MediaFile.objects.filter(file_uuid__in=[group["file_uuid"] for group in groups]).values_list("file_uuid", "pk")
    )
    ranges = []
    for group in groups:
        file_id = file_ids.get(parse_uuid(group["file_uuid"]))
        if file_id is None or not group["keys"]:
            continue
        for token in group["keys"].split(","):
            frames, index = token.split("_")
            first, _, last = frames.partition("-")
            ranges.append([file_id, int(first), int(last or first), int(index)])
    return ranges


def _expand(ranges):
    return {(file_id, frame, index) for file_id, first, last, index in ranges for frame in range(first, last + 1)}


def _faces_table():
    return connection.ops.quote_name(FaceDetection._meta.db_table)


_RETURNING = 'RETURNING media_file_id, frame_number, "index"'

_MOVE_RANGES_SQL = {
    "postgresql": """
        UPDATE {faces} AS f SET identity_id = %s
        FROM (
            SELECT (e->>0)::bigint AS file_id, (e->>1)::integer AS first_frame,
                   (e->>2)::integer AS last_frame, (e->>3)::integer AS idx
            FROM jsonb_array_elements(%s::jsonb) AS e
        ) AS r
        WHERE f.media_file_id = r.file_id AND f.frame_number BETWEEN r.first_frame AND r.last_frame
          AND f."index" = r.idx AND f.identity_id = %s
        RETURNING f.media_file_id, f.frame_number, f."index"
    """,
    "sqlite": """
        UPDATE {faces} AS f SET identity_id = %s
        FROM (
            SELECT json_extract(value, '$[0]') AS file_id, json_extract(value, '$[1]') AS first_frame,
                   json_extract(value, '$[2]') AS last_frame, json_extract(value, '$[3]') AS idx
            FROM json_each(%s)
        ) AS r
        WHERE f.media_file_id = r.file_id AND f.frame_number BETWEEN r.first_frame AND r.last_frame
          AND f."index" = r.idx AND f.identity_id = %s
        RETURNING media_file_id, frame_number, "index"
    """,
}


def faces_move_all(*, from_id, to_id):
    """Re-point every face of one identity with one UPDATE; returns the keys of the faces moved."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_faces_table()} SET identity_id = %s WHERE identity_id = %s {_RETURNING}", [to_id, from_id]
        )
        return cursor.fetchall()


def faces_move_ranges(ranges, *, from_id, to_id):
    """Re-point, with one UPDATE, the faces within `ranges` that are bound to `from_id`."""
    if not ranges:
        return []
    with connection.cursor() as cursor:
        sql = _MOVE_RANGES_SQL[connection.vendor].format(faces=_faces_table())
        cursor.execute(sql, [to_id, json.dumps(ranges), from_id])
        return cursor.fetchall()


def faces_described(keys):
    """`{file_uuid, face_id, identity_uuid}` of the faces with these keys (one query); a face that no
    longer exists is listed with `identity_uuid` null."""
    keys = sorted(keys)
    if not keys:
        return []
    condition = Q()
    for file_id, frame_number, index in keys:
        condition |= Q(media_file_id=file_id, frame_number=frame_number, index=index)
    owners = {
        (file_id, frame_number, index): owner.hex if owner else None
        for file_id, frame_number, index, owner in FaceDetection.objects.filter(condition).values_list(
            "media_file_id", "frame_number", "index", "identity__identity_uuid"
        )
    }
    file_uuids = dict(MediaFile.objects.filter(pk__in={key[0] for key in keys}).values_list("pk", "file_uuid"))
    return [
        {"file_uuid": file_uuids[key[0]].hex, "face_id": f"{key[1]}_{key[2]}", "identity_uuid": owners.get(key)}
        for key in keys
        if key[0] in file_uuids
    ]


# --- metadata and aliases ------------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataMerge:
    metadata: object
    aliases_added: list
    aliases_key_created: bool
    added: list  # [(path as a list of keys, value)]


def _add_missing(target, source, path):
    """Deep merge: copy into `target` what `source` has and `target` lacks; returns what was added."""
    added = []
    for key, value in source.items():
        if not path and key in NOT_MERGED_KEYS:
            continue
        if key not in target:
            target[key] = copy.deepcopy(value)
            added.append(([*path, key], value))
        elif isinstance(target[key], dict) and isinstance(value, dict):
            added.extend(_add_missing(target[key], value, [*path, key]))
    return added


def metadata_merge(target_metadata, source_metadata):
    """The target's metadata with the source's aliases and missing metadata added.

    A target whose metadata is not an object is left alone (there is nowhere to add to).
    """
    if not isinstance(target_metadata, dict):
        return MetadataMerge(target_metadata, [], False, [])
    source = source_metadata if isinstance(source_metadata, dict) else {}
    merged = copy.deepcopy(target_metadata)
    added = _add_missing(merged, source, [])
    aliases_added, aliases_key_created = [], False
    source_aliases = source.get(ALIASES)
    target_aliases = merged.get(ALIASES, [])
    if isinstance(source_aliases, list) and isinstance(target_aliases, list):
        known = {(alias.get("locale"), alias.get("name")) for alias in target_aliases if isinstance(alias, dict)}
        for alias in source_aliases:
            if not isinstance(alias, dict) or not all(isinstance(alias.get(key), str) for key in ("locale", "name")):
                continue
            if (alias["locale"], alias["name"]) in known:
                continue
            known.add((alias["locale"], alias["name"]))
            aliases_added.append({"locale": alias["locale"], "name": alias["name"], "source": "merge"})
        if aliases_added:
            aliases_key_created = ALIASES not in merged
            merged[ALIASES] = [*target_aliases, *aliases_added]
    return MetadataMerge(merged, aliases_added, aliases_key_created, added)


def metadata_unmerge(metadata, *, aliases_added, aliases_key_created, added):
    """Take out what a merge added and nothing else; returns `(metadata, aliases removed, paths removed)`."""
    if not isinstance(metadata, dict):
        return metadata, 0, 0
    metadata = copy.deepcopy(metadata)
    aliases_removed = 0
    aliases = metadata.get(ALIASES)
    if isinstance(aliases, list):
        for alias in aliases_added:
            if alias in aliases:
                aliases.remove(alias)
                aliases_removed += 1
        if aliases_key_created and not aliases:
            del metadata[ALIASES]
    paths_removed = 0
    for path, value in added:
        parent = metadata
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent and _canonical(parent[path[-1]]) == _canonical(value):
            del parent[path[-1]]
            paths_removed += 1
    return metadata, aliases_removed, paths_removed


# --- the relational side -------------------------------------------------------------------------


def operation_begin(*, operation_id, merge_id, kind):
    """The committed-row half of step 1; fails if a reader already declared the operation dead."""
    MergeOperation.objects.create(operation_id=operation_id, merge_id=merge_id, kind=kind, committed=True)


@dataclass(frozen=True)
class MergeApplied:
    """The counts for the response and the record fields a merge (or redo) sets."""

    faces_transferred: int
    aliases_added: int
    metadata_fields_added: int
    fields: dict


def merge_apply(*, source, target, keep_history, merge_id, now):
    """Move the faces, merge aliases and metadata, then mark or delete the source (both locked)."""
    source_snapshot = identity_row(source)
    moved = faces_move_all(from_id=source.pk, to_id=target.pk)
    face_groups, faces_transferred = face_key_groups(moved)
    merge = metadata_merge(target.metadata, source.metadata)
    target.metadata = merge.metadata
    target.updated_at = now
    target.save(update_fields=["metadata", "updated_at"])
    if keep_history:
        source_metadata = source.metadata if isinstance(source.metadata, dict) else {}
        source.metadata = {
            **source_metadata,
            MERGED_INTO: {
                "uuid": target.identity_uuid.hex,
                "at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "merge_id": str(merge_id),
            },
        }
        source.status = IdentityStatus.MERGED
        source.updated_at = now
        source.save(update_fields=["metadata", "status", "updated_at"])
    else:
        Identity.objects.filter(pk=source.pk).delete()
    paths = [".".join(str(key) for key in path) for path, _ in merge.added]
    fields = {
        "source_name": source.name,
        "target_name": target.name,
        "applied_at": now,
        "undo_deadline": now + undo_window(),
        "faces_transferred": faces_transferred,
        "faces": face_groups,
        "aliases_added": merge.aliases_added,
        "aliases_key_created": merge.aliases_key_created,
        "metadata_fields_added": len(merge.added),
        "metadata_fields_added_paths": paths,
        # Values as JSON text: user keys may hold "." or "$", which BSON field names may not.
        "metadata_added": json.dumps(merge.added),
        "source_snapshot": json.dumps(source_snapshot),
    }
    return MergeApplied(faces_transferred, len(merge.aliases_added), len(merge.added), fields)


def identity_recreate(row):
    """Insert a deleted identity from its snapshot row: same uuid, same pk when still free, same
    timestamps (`created_at` is auto_now_add, so it is written back with an UPDATE)."""
    values = {
        field.attname: field.to_python(row[field.attname])
        for field in Identity._meta.concrete_fields
        if field.attname in row and not field.primary_key
    }
    pk = row.get("id")
    identity = Identity(pk=None if Identity.objects.filter(pk=pk).exists() else pk, **values)
    identity.save(force_insert=True)
    Identity.objects.filter(pk=identity.pk).update(created_at=values["created_at"])
    identity.created_at = values["created_at"]
    return identity


@dataclass(frozen=True)
class MergeUndone:
    source: Identity
    faces_reverted: int
    faces_not_reverted: int
    faces_moved_away: list
    aliases_removed: int
    metadata_fields_removed: int


def undo_apply(*, record, source, target, now):
    """Take the merge out of the target and put the source back (source and target locked)."""
    snapshot = json.loads(record["source_snapshot"])
    if record["keep_history"]:
        if isinstance(snapshot["metadata"], dict) and isinstance(source.metadata, dict):
            source.metadata = {key: value for key, value in source.metadata.items() if key != MERGED_INTO}
        else:
            source.metadata = snapshot["metadata"]
        source.status = snapshot["status"]
        source.updated_at = now
        source.save(update_fields=["metadata", "status", "updated_at"])
    else:
        source = identity_recreate(snapshot)
    ranges = face_key_ranges(record["faces"])
    reverted = faces_move_ranges(ranges, from_id=target.pk, to_id=source.pk)
    not_reverted = _expand(ranges) - set(reverted) if len(reverted) < record["faces_transferred"] else set()
    faces_missing = record["faces_transferred"] - len(reverted) - len(not_reverted)
    listed = sorted(not_reverted)[:FACES_MOVED_AWAY_LISTED]
    target.metadata, aliases_removed, fields_removed = metadata_unmerge(
        target.metadata,
        aliases_added=record["aliases_added"],
        aliases_key_created=record["aliases_key_created"],
        added=json.loads(record["metadata_added"]),
    )
    target.updated_at = now
    target.save(update_fields=["metadata", "updated_at"])
    return MergeUndone(
        source=source,
        faces_reverted=len(reverted),
        faces_not_reverted=len(not_reverted) + faces_missing,
        faces_moved_away=faces_described(listed),
        aliases_removed=aliases_removed,
        metadata_fields_removed=fields_removed,
    )


# --- the record ----------------------------------------------------------------------------------


def new_record(*, merge_id, source, target, keep_history, actor, now, applied):
    """A merge record as step 1 writes it: pending."""
    return {
        "_id": str(merge_id),
        "merge_id": str(merge_id),
        "state": PENDING,
        "source_uuid": source.identity_uuid.hex,
        "target_uuid": target.identity_uuid.hex,
        "keep_history": keep_history,
        "actor": actor,
        "merged_at": now,
        **applied.fields,
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
    """Step 3, after the commit. If it fails the record stays pending and its next reader settles it,
    so the caller still reports success: the operation did happen."""
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
    """The record, re-read and settled under the merge's lock (the caller's transaction holds it)."""
    lock_merge(merge_id)
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


def merge_history_page(params, *, source_uuid=None, target_uuid=None, merge_id=None, undone=None, default_size=20):
    """Committed merges, newest first, filtered; pending records are settled before counting."""
    page, page_size = page_params(params, default_size=default_size)
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
