"""Undo and redo of identity history entries.

Per identity the entries form a stack: only the newest entry not undone can be undone, only the
most recently undone entry can be redone, and a new change drops the undone entries from the
redo stack (they are marked `superseded_at`, kept for the record). Anything else is a 409 naming
the entry that must go first.

Undo puts the identity back to the entry's `before_snapshot`, redo to its `after_snapshot`: the
row is restored exactly (same pk, same timestamps), the faces that changed move back in one
UPDATE, the profile image is put back from the entry's stash, and every identity involved gets
its `identity.json` rewritten. A face moves only if it is still where the entry left it, so an
undo never takes a face away from an identity that got it later; a face whose owner in the target
state no longer exists becomes unbound.
"""
import json
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from faces.models import FaceDetection, MediaFile
from identities.models import Identity
from identities.services import identity_sync_files_on_commit, profile_image_sync_on_commit
from momentry.api.exceptions import Conflict
from momentry.api.params import parse_uuid

from .models import IdentityHistory
from .recording import AFTER, BEFORE, stash_path
from .selectors import history_stack_heads


@dataclass(frozen=True)
class HistoryReplay:
    entry: IdentityHistory
    faces_moved: int


def history_entry_get(history_id):
    """The entry for a path parameter (dashed or hex), or 404."""
    parsed = parse_uuid(history_id)
    entry = IdentityHistory.objects.filter(history_id=parsed).first() if parsed is not None else None
    if entry is None:
        raise Http404(f"No history entry {history_id}.")
    return entry


def history_undo(*, history_id, actor):
    """Put the identity back as it was before the entry's write."""
    with transaction.atomic(durable=True):
        entry = history_entry_get(history_id)
        faces_moved = _replay(entry, target=entry.before_snapshot, source=entry.after_snapshot, undo=True)
        entry.undone_at = timezone.now()
        entry.undone_by = actor
        entry.save(update_fields=["undone_at", "undone_by"])
    return HistoryReplay(entry=entry, faces_moved=faces_moved)


def history_redo(*, history_id, actor):
    """Make the entry's write again, exactly as it was recorded."""
    with transaction.atomic(durable=True):
        entry = history_entry_get(history_id)
        faces_moved = _replay(entry, target=entry.after_snapshot, source=entry.before_snapshot, undo=False)
        entry.undone_at = None
        entry.redone_by = actor
        entry.save(update_fields=["undone_at", "redone_by"])
    return HistoryReplay(entry=entry, faces_moved=faces_moved)


def _replay(entry, *, target, source, undo):
    """Check the stack rule and move the identity from the `source` state to the `target` state.

    Locks in the order every writer uses: identities by pk, then the identity's history entries,
    then the faces by key (a bind holds its identity before its faces and those before the entries
    it supersedes), so a replay and a concurrent write wait for each other instead of deadlocking.
    """
    moves = _face_moves(source["faces"], target["faces"])
    involved = {entry.identity_uuid} | {owner for move in moves for owner in move[3:] if owner is not None}
    locked = {
        identity.identity_uuid: identity
        for identity in Identity.objects.select_for_update().filter(identity_uuid__in=involved).order_by("pk")
    }
    stack = list(
        IdentityHistory.objects.select_for_update()
        .filter(identity_uuid=entry.identity_uuid)
        .order_by("id")
        .only("id", "history_id", "undone_at", "superseded_at")
    )
    entry.undone_at, entry.superseded_at = next(
        (item.undone_at, item.superseded_at) for item in stack if item.pk == entry.pk
    )
    if undo:
        _ensure_undoable(entry, stack)
    else:
        _ensure_redoable(entry, stack)
    stash_state = BEFORE if undo else AFTER
    faces_moved = _apply(entry, target=target, source=source, moves=moves, locked=locked, stash_state=stash_state)
    identity_sync_files_on_commit(*involved)
    return faces_moved


def _ensure_undoable(entry, stack):
    if entry.undone_at is not None:
        raise Conflict(f"History entry {entry.history_id} is already undone; redo it first.", code="history_conflict")
    newest, _next_redo = history_stack_heads(stack)
    if newest.pk != entry.pk:
        raise Conflict(
            f"History entry {newest.history_id} is newer and must be undone first.", code="history_conflict"
        )


def _ensure_redoable(entry, stack):
    if entry.undone_at is None:
        raise Conflict(f"History entry {entry.history_id} is not undone; there is nothing to redo.", code="history_conflict")
    if entry.superseded_at is not None:
        later = next((item for item in stack if item.pk > entry.pk and item.undone_at is None), None)
        after = f"by change {later.history_id}" if later else "by a later change"
        raise Conflict(
            f"History entry {entry.history_id} can no longer be redone: it was superseded {after}.",
            code="history_conflict",
        )
    _next_undo, next_redo = history_stack_heads(stack)
    if next_redo.pk != entry.pk:
        raise Conflict(
            f"History entry {next_redo.history_id} was undone more recently and must be redone first.",
            code="history_conflict",
        )


def _apply(entry, *, target, source, moves, locked, stash_state):
    """Write the target state: the identity row, the faces (one UPDATE), the profile image."""
    identity_uuid = entry.identity_uuid
    current = locked.get(identity_uuid)
    if source["identity"] is None and current is not None:
        raise Conflict(f"Identity {identity_uuid.hex} exists again; it cannot be recreated.", code="history_conflict")
    if source["identity"] is not None and current is None:
        raise Conflict(f"Identity {identity_uuid.hex} no longer exists.", code="history_conflict")
    if target["identity"] is not None:
        locked[identity_uuid] = _restore_row(current, target["identity"])
    faces_moved = _move_faces(moves, {owner: identity.pk for owner, identity in locked.items()})
    if target["identity"] is None:
        current.delete()
    if "profile_image" in target:
        _ensure_stashed(entry.history_id, stash_state, target["profile_image"])
        profile_image_sync_on_commit(identity_uuid=identity_uuid, history_id=entry.history_id, state=stash_state)
    return faces_moved


def _restore_row(current, row):
    """Write the snapshot row back: the same pk, uuid and timestamps (created_at included)."""
    values = {
        field.attname: field.to_python(row[field.attname])
        for field in Identity._meta.concrete_fields
        if field.attname in row and not field.primary_key
    }
    if current is None:
        pk = row.get("id")
        current = Identity(pk=None if Identity.objects.filter(pk=pk).exists() else pk, **values)
        current.save(force_insert=True)
    # `created_at` is auto_now_add, which save() overrides: one UPDATE writes every column as recorded.
    Identity.objects.filter(pk=current.pk).update(**values)
    for attname, value in values.items():
        setattr(current, attname, value)
    return current


def _face_keys(groups):
    """{(file_uuid hex, frame, index): owner uuid or None} for snapshot face groups."""
    return {
        (group["file_uuid"], frame_number, index): uuid.UUID(group["identity_uuid"]) if group["identity_uuid"] else None
        for group in groups
        for frame_number, index in group["keys"]
    }


def _face_moves(source_groups, target_groups):
    """(file_uuid hex, frame, index, owner now, owner wanted) for each face of the entry."""
    source_owners = _face_keys(source_groups)
    return [(*key, source_owners.get(key), owner) for key, owner in _face_keys(target_groups).items()]


# The moves travel as one JSON parameter: [[file_id, frame, index, from_identity_id, to_identity_id], ...].
_MOVES = {
    "postgresql": """
        SELECT (e->>0)::bigint AS file_id, (e->>1)::integer AS frame_number, (e->>2)::integer AS idx,
               (e->>3)::bigint AS from_id, (e->>4)::bigint AS to_id
        FROM jsonb_array_elements(%s::jsonb) AS e""",
    "sqlite": """
        SELECT json_extract(e.value, '$[0]') AS file_id, json_extract(e.value, '$[1]') AS frame_number,
               json_extract(e.value, '$[2]') AS idx, json_extract(e.value, '$[3]') AS from_id,
               json_extract(e.value, '$[4]') AS to_id
        FROM json_each(%s) AS e""",
}
_SAME_FACE = 'f.media_file_id = m.file_id AND f.frame_number = m.frame_number AND f."index" = m.idx'
_LOCK_SQL = f"""
    SELECT f.id FROM {{faces}} AS f JOIN ({{moves}}) AS m ON {_SAME_FACE}
    ORDER BY f.media_file_id, f.frame_number, f."index" FOR UPDATE OF f"""
_UPDATE_SQL = f"""
    UPDATE {{faces}} AS f SET identity_id = m.to_id FROM ({{moves}}) AS m
    WHERE {_SAME_FACE} AND f.identity_id {{is_same_owner}} m.from_id"""
_IS_SAME_OWNER = {"postgresql": "IS NOT DISTINCT FROM", "sqlite": "IS"}


def _move_faces(moves, identity_pks):
    """One UPDATE for all faces, whatever their number (on PostgreSQL preceded by locking them in
    key order, the order binds lock them in).

    A face moves only if its owner is still the one the source state recorded; an owner that no
    longer exists counts as "unbound" on both sides.
    """
    if not moves:
        return 0
    file_uuids = {uuid.UUID(file_hex) for file_hex, *_ in moves}
    file_pks = {
        file_uuid.hex: pk
        for pk, file_uuid in MediaFile.objects.filter(file_uuid__in=file_uuids).values_list("pk", "file_uuid")
    }
    rows = [
        [file_pks[file_hex], frame_number, index, identity_pks.get(from_owner), identity_pks.get(to_owner)]
        for file_hex, frame_number, index, from_owner, to_owner in moves
        if file_hex in file_pks
    ]
    parts = {
        "faces": FaceDetection._meta.db_table,
        "moves": _MOVES[connection.vendor],
        "is_same_owner": _IS_SAME_OWNER[connection.vendor],
    }
    with connection.cursor() as cursor:
        if connection.features.has_select_for_update:
            cursor.execute(_LOCK_SQL.format(**parts), [json.dumps(rows)])
        cursor.execute(_UPDATE_SQL.format(**parts), [json.dumps(rows)])
        return cursor.rowcount


def _ensure_stashed(history_id, stash_state, file_name):
    """Refuse the replay, rather than lose the image, when the image it needs is gone."""
    if file_name is None:
        return
    stashed = stash_path(history_id, stash_state, file_name)
    if not stashed.is_file():
        raise Conflict(f"The profile image kept for history entry {history_id} is missing from {stashed.parent}.")
