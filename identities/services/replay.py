"""Undo and redo of identity history entries (the stack rule is the ledger's: `history.stack`).

Undo puts the identity back to the entry's `before_snapshot`, redo to its `after_snapshot`: the
row is restored exactly (same pk, same timestamps), the faces that changed move back in one
UPDATE, the profile image is put back from the entry's stash, and every identity involved gets
its `identity.json` rewritten. A face moves only if it is still where the entry left it, so an
undo never takes a face away from an identity that got it later; a face whose owner in the target
state no longer exists becomes unbound.
"""
import uuid
from dataclasses import dataclass

from django.db import transaction

from faces.moves import faces_move_each, file_ids_by_uuid
from history import stack as history_stack
from history.models import IdentityHistory
from history.recording import AFTER, BEFORE, stash_path
from history.selectors import history_entry_get
from momentry.core.errors import Conflict

from .files import identity_sync_files_on_commit
from .images import profile_image_sync_on_commit
from .rows import identities_locked, identity_row_restore


@dataclass(frozen=True)
class HistoryReplay:
    entry: IdentityHistory
    faces_moved: int


def history_undo(*, history_id, actor):
    """Put the identity back as it was before the entry's write."""
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
    """Check the stack rule and move the identity from the `source` state to the `target` state.

    Locks in the order every writer uses: identities by pk, then the identity's history entries,
    then the faces by key (a bind holds its identity before its faces and those before the entries
    it supersedes), so a replay and a concurrent write wait for each other instead of deadlocking.
    """
    moves = _face_moves(source["faces"], target["faces"])
    involved = {entry.identity_uuid} | {owner for move in moves for owner in move[3:] if owner is not None}
    locked = identities_locked(involved)
    stack = history_stack.stack_lock(entry)
    if undo:
        history_stack.ensure_undoable(entry, stack)
    else:
        history_stack.ensure_redoable(entry, stack)
    stash_state = BEFORE if undo else AFTER
    faces_moved = _apply(entry, target=target, source=source, moves=moves, locked=locked, stash_state=stash_state)
    identity_sync_files_on_commit(*involved)
    return faces_moved


def _apply(entry, *, target, source, moves, locked, stash_state):
    """Write the target state: the identity row, the faces (one UPDATE), the profile image."""
    identity_uuid = entry.identity_uuid
    current = locked.get(identity_uuid)
    if source["identity"] is None and current is not None:
        raise Conflict(f"Identity {identity_uuid.hex} exists again; it cannot be recreated.", code="history_conflict")
    if source["identity"] is not None and current is None:
        raise Conflict(f"Identity {identity_uuid.hex} no longer exists.", code="history_conflict")
    if target["identity"] is not None:
        locked[identity_uuid] = identity_row_restore(target["identity"], current=current)
    faces_moved = _move_faces(moves, {owner: identity.pk for owner, identity in locked.items()})
    if target["identity"] is None:
        current.delete()
    if "profile_image" in target:
        _ensure_stashed(entry.history_id, stash_state, target["profile_image"])
        profile_image_sync_on_commit(identity_uuid=identity_uuid, history_id=entry.history_id, state=stash_state)
    return faces_moved


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


def _move_faces(moves, identity_pks):
    """Move the faces whose owner is still the one the source state recorded; an owner that no
    longer exists counts as "unbound" on both sides."""
    file_pks = file_ids_by_uuid({file_hex for file_hex, *_ in moves})
    return faces_move_each(
        [
            [file_pks[file_hex], frame_number, index, identity_pks.get(from_owner), identity_pks.get(to_owner)]
            for file_hex, frame_number, index, from_owner, to_owner in moves
            if file_hex in file_pks
        ]
    )


def _ensure_stashed(history_id, stash_state, file_name):
    """Refuse the replay, rather than lose the image, when the image it needs is gone."""
    if file_name is None:
        return
    stashed = stash_path(history_id, stash_state, file_name)
    if not stashed.is_file():
        raise Conflict(f"The profile image kept for history entry {history_id} is missing from {stashed.parent}.")
