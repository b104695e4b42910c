"""Undo and redo of identity history entries (the stack rule is the ledger's: `history.stack`).

Undo takes the identity from the entry's `after_snapshot` back to its `before_snapshot`, redo the
other way. Only what the entry changed is written: the columns it changed, the faces it moved
(one UPDATE), the rejections it added (`rejections`) and the profile image (put back from the
entry's stash); every identity involved gets its `identity.json` rewritten. And only while they
still hold the entry's values: a column or a face that a later write changed (a merge, the TMDb
probe, an upload, another entry, an ingest) makes the replay a 409 naming that write, so an undo
never overwrites what it did not write.
"""
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from faces.keys import face_id
from faces.moves import faces_locked_owners, faces_move_each, file_ids_by_uuid
from faces.statistics import planner_statistics_refresh_after_large_move
from history import stack as history_stack
from history.models import MERGE_ACTIONS, HistoryAction, IdentityHistory
from history.recording import AFTER, BEFORE, changed_fields, stash_path
from history.selectors import history_entry_get
from momentry.core.errors import Conflict

from ..models import Identity
from .files import identity_sync_files_on_commit
from .images import profile_image_sync_on_commit
from .rejections import rejection_candidates, rejections_ensure_replayable, rejections_replay
from .rows import identities_locked, identity_row, identity_row_restore


@dataclass(frozen=True)
class HistoryReplay:
    entry: IdentityHistory
    faces_moved: int


def history_undo(*, history_id, actor):
    """Put back what the entry's write changed, as it was before."""
    with transaction.atomic(durable=True):
        entry = history_entry_get(history_id)
        faces_moved = _replay(entry, target=entry.before_snapshot, source=entry.after_snapshot, undo=True)
        history_stack.entry_mark_undone(entry, actor=actor)
    return HistoryReplay(entry=entry, faces_moved=faces_moved)


def history_redo(*, history_id, actor):
    """Make the entry's write again, exactly as it was recorded."""
    with transaction.atomic(durable=True):
        entry = history_entry_get(history_id)
        faces_moved = _replay(entry, target=entry.after_snapshot, source=entry.before_snapshot, undo=False)
        history_stack.entry_mark_redone(entry, actor=actor)
    return HistoryReplay(entry=entry, faces_moved=faces_moved)


def _replay(entry, *, target, source, undo):
    """Check the stack rule and that the entry's changes still hold, then move the identity from the
    `source` state to the `target` state.

    Locks in the order every writer uses: identities by pk, then the identity's history entries,
    then the faces by key (a bind holds its identity before its faces and those before the entries
    it supersedes), so a replay and a concurrent write wait for each other instead of deadlocking.
    """
    moves = _face_moves(source["faces"], target["faces"])
    involved = {entry.identity_uuid} | {owner for move in moves for owner in move[3:] if owner is not None}
    locked = identities_locked(involved | rejection_candidates(source, target))
    stack = history_stack.stack_lock(entry)
    if undo:
        history_stack.ensure_undoable(entry, stack)
    else:
        history_stack.ensure_redoable(entry, stack)
    current = locked.get(entry.identity_uuid)
    _ensure_row_holds(entry, source=source["identity"], target=target["identity"], current=current)
    face_moves = _ensure_faces_hold(entry, moves, {owner: identity.pk for owner, identity in locked.items()})
    rejections_ensure_replayable(entry, source=source, target=target)
    stash_state = BEFORE if undo else AFTER
    faces_moved = _apply(entry, target=target, source=source, face_moves=face_moves, locked=locked)
    rejections_replay(entry, source=source, target=target)
    planner_statistics_refresh_after_large_move(faces_moved)
    if "profile_image" in target:
        _ensure_stashed(entry.history_id, stash_state, target["profile_image"])
        profile_image_sync_on_commit(identity_uuid=entry.identity_uuid, history_id=entry.history_id, state=stash_state)
    identity_sync_files_on_commit(*involved)
    return faces_moved


def _ensure_row_holds(entry, *, source, target, current):
    """The identity is as the entry left it: it exists (or not) as in `source`, and every column the
    entry changed still has the value it wrote."""
    identity_uuid = entry.identity_uuid
    if source is None:
        if current is not None:
            raise Conflict(
                f"Identity {identity_uuid.hex} exists again; it cannot be recreated.", code="history_conflict"
            )
        return
    if current is None:
        raise Conflict(
            f"Identity {identity_uuid.hex} no longer exists: {_latest_write(entry, identity_uuid)} deleted it.",
            code="history_conflict",
        )
    now = identity_row(current)
    for field in changed_fields(source, target):
        if now.get(field) != source.get(field):
            writer = _field_writer(entry, field)
            raise Conflict(
                f"History entry {entry.history_id} cannot be replayed: {field} of identity {identity_uuid.hex} "
                f"was changed since by {writer}.",
                code="history_conflict",
            )


def _apply(entry, *, target, source, face_moves, locked):
    """Write the target state: the changed columns (or the whole row), then the faces (one UPDATE)."""
    identity_uuid = entry.identity_uuid
    current = locked.get(identity_uuid)
    if target["identity"] is None:
        faces_moved = faces_move_each(face_moves)
        current.delete()
        return faces_moved
    if source["identity"] is None:
        locked[identity_uuid] = identity_row_restore(target["identity"])
    else:
        changed = changed_fields(source["identity"], target["identity"])
        if changed:
            restored = {field: target["identity"][field] for field in changed}
            restored["updated_at"] = (
                target["identity"]["updated_at"]
                if identity_row(current)["updated_at"] == source["identity"].get("updated_at")
                else timezone.now().isoformat()
            )
            locked[identity_uuid] = identity_row_restore(restored, current=current)
    identity_pk = locked[identity_uuid].pk
    return faces_move_each([[*move[:4], identity_pk if move[4] is _ENTRY_IDENTITY else move[4]] for move in face_moves])


# A face move whose owner is the entry's identity, which an undo of a delete recreates: its pk is
# known only once the row is back.
_ENTRY_IDENTITY = object()


def _face_keys(groups):
    """{(file_uuid hex, frame, index): owner uuid or None} for snapshot face groups (each owner's
    uuid parsed once a group: 100,000 keys are mostly one group)."""
    keys = {}
    for group in groups:
        owner, file_uuid = uuid.UUID(group["identity_uuid"]) if group["identity_uuid"] else None, group["file_uuid"]
        keys.update(((file_uuid, frame_number, index), owner) for frame_number, index in group["keys"])
    return keys


def _face_moves(source_groups, target_groups):
    """(file_uuid hex, frame, index, owner now, owner wanted) for each face of the entry."""
    source_owners = _face_keys(source_groups)
    return [(*key, source_owners.get(key), owner) for key, owner in _face_keys(target_groups).items()]


def _ensure_faces_hold(entry, moves, identity_pks):
    """Lock the entry's faces and check that each is still where the entry left it (an owner that no
    longer exists counts as unbound); returns the moves as `[file_id, frame, index, from, to]`.

    A face that no longer exists (its file was re-ingested without it) has nothing to put back.
    """
    file_pks = file_ids_by_uuid({file_hex for file_hex, *_ in moves})
    keyed = [
        ((file_pks[file_hex], frame_number, index), file_hex, from_owner, to_owner)
        for file_hex, frame_number, index, from_owner, to_owner in moves
        if file_hex in file_pks
    ]
    owners = faces_locked_owners([key for key, *_ in keyed])
    face_moves = []
    for key, file_hex, from_owner, to_owner in keyed:
        if key not in owners:
            continue
        if owners[key] != identity_pks.get(from_owner):
            writer = _face_writer(entry, file_hex, key, owners[key])
            raise Conflict(
                f"History entry {entry.history_id} cannot be replayed: face {face_id(*key[1:])} of file {file_hex} "
                f"was moved since by {writer}.",
                code="history_conflict",
            )
        to_pk = _ENTRY_IDENTITY if to_owner == entry.identity_uuid else identity_pks.get(to_owner)
        face_moves.append([*key, owners[key], to_pk])
    return face_moves


def _later_entries(entry, identity_uuids):
    return IdentityHistory.objects.filter(identity_uuid__in=identity_uuids, id__gt=entry.id).order_by("-id")


def _described(write):
    if write.action in MERGE_ACTIONS or write.action == HistoryAction.MERGE_UNDO:
        return f"{write.get_action_display()} {write.merge_id} (history entry {write.history_id})"
    return f"{write.get_action_display()} {write.history_id}"


def _latest_write(entry, identity_uuid):
    later = _later_entries(entry, [identity_uuid]).first()
    return _described(later) if later else "a later write"


def _field_writer(entry, field):
    """The newest later entry on the identity whose write changed `field`."""
    for later in _later_entries(entry, [entry.identity_uuid]).iterator():
        rows = (later.before_snapshot or {}).get("identity"), (later.after_snapshot or {}).get("identity")
        if field in changed_fields(*rows):
            return _described(later)
    return "a write not recorded in this identity's history"


def _face_writer(entry, file_hex, key, owner_pk):
    """The newest later entry that moved the face (a bind or a merge onto its owner now)."""
    owner_uuid = Identity.objects.filter(pk=owner_pk).values_list("identity_uuid", flat=True).first()
    pair = [key[1], key[2]]
    for later in _later_entries(entry, {entry.identity_uuid, owner_uuid} - {None}).iterator():
        if later.action in MERGE_ACTIONS and later.identity_uuid == owner_uuid and later.undone_at is None:
            return _described(later)
        groups = (later.after_snapshot or {}).get("faces", [])
        if any(group["file_uuid"] == file_hex and pair in group["keys"] for group in groups):
            return _described(later)
    return "a write not recorded in the history (an ingest)"


def _ensure_stashed(history_id, stash_state, file_name):
    """Refuse the replay, rather than lose the image, when the image it needs is gone."""
    if file_name is None:
        return
    stashed = stash_path(history_id, stash_state, file_name)
    if not stashed.is_file():
        raise Conflict(f"The profile image kept for history entry {history_id} is missing from {stashed.parent}.")
