"""The stack rule of identity history, and the marks undo and redo leave on an entry.

Per identity the entries form a stack: only the newest entry not undone can be undone, only the
most recently undone entry can be redone, and a new change drops the undone entries from the
redo stack (`history_record` marks them `superseded_at`, kept for the record). Anything else is a
conflict naming the entry that must go first. A merge is on the stacks of both its identities:
its entries are undone and redone by the merge's own undo and redo, and an older entry waits for
them.
"""
from django.utils import timezone

from momentry.core.errors import Conflict

from .models import MERGE_ACTIONS, HistoryAction, IdentityHistory
from .selectors import history_stack_heads


def stack_lock(entry):
    """Lock the identity's entries (in id order) and refresh `entry`'s replay state from them."""
    stack = list(
        IdentityHistory.objects.select_for_update()
        .filter(identity_uuid=entry.identity_uuid)
        .order_by("id")
        .only("id", "history_id", "action", "merge_id", "undone_at", "superseded_at")
    )
    entry.undone_at, entry.superseded_at = next(
        (item.undone_at, item.superseded_at) for item in stack if item.pk == entry.pk
    )
    return stack


def _described(entry):
    if entry.action in MERGE_ACTIONS:
        return f"Merge {entry.merge_id} (history entry {entry.history_id})"
    return f"History entry {entry.history_id}"


def _ensure_not_merge_entry(entry, verb):
    if entry.action in MERGE_ACTIONS:
        raise Conflict(
            f"History entry {entry.history_id} is merge {entry.merge_id}: {verb} it as a merge.",
            code="history_conflict",
        )
    if entry.action == HistoryAction.MERGE_UNDO:
        raise Conflict(
            f"History entry {entry.history_id} records the undo of merge {entry.merge_id}: redo the merge instead.",
            code="history_conflict",
        )


def ensure_undoable(entry, stack):
    _ensure_not_merge_entry(entry, "undo")
    if entry.undone_at is not None:
        raise Conflict(f"History entry {entry.history_id} is already undone; redo it first.", code="history_conflict")
    newest, _next_redo = history_stack_heads(stack)
    if newest.pk != entry.pk:
        raise Conflict(f"{_described(newest)} is newer and must be undone first.", code="history_conflict")


def ensure_redoable(entry, stack):
    _ensure_not_merge_entry(entry, "redo")
    if entry.undone_at is None:
        raise Conflict(
            f"History entry {entry.history_id} is not undone; there is nothing to redo.", code="history_conflict"
        )
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
            f"{_described(next_redo)} was undone more recently and must be redone first.", code="history_conflict"
        )


def entry_mark_undone(entry, *, actor):
    entry.undone_at = timezone.now()
    entry.undone_by = actor
    entry.save(update_fields=["undone_at", "undone_by"])


def entry_mark_redone(entry, *, actor):
    entry.undone_at = None
    entry.redone_by = actor
    entry.save(update_fields=["undone_at", "redone_by"])


def merge_entries_mark_undone(merge_id, *, actor):
    """A merge's undo: its standing entries, on both identities, are undone (by the merge)."""
    IdentityHistory.objects.filter(merge_id=merge_id, action__in=MERGE_ACTIONS, undone_at__isnull=True).update(
        undone_at=timezone.now(), undone_by=actor
    )
