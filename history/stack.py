"""The stack rule of identity history, and the marks undo and redo leave on an entry.

Per identity the entries form a stack: only the newest entry not undone can be undone, only the
most recently undone entry can be redone, and a new change drops the undone entries from the
redo stack (`history_record` marks them `superseded_at`, kept for the record). Anything else is a
conflict naming the entry that must go first.
"""
from django.utils import timezone

from momentry.core.errors import Conflict

from .models import IdentityHistory
from .selectors import history_stack_heads


def stack_lock(entry):
    """Lock the identity's entries (in id order) and refresh `entry`'s replay state from them."""
    stack = list(
        IdentityHistory.objects.select_for_update()
        .filter(identity_uuid=entry.identity_uuid)
        .order_by("id")
        .only("id", "history_id", "undone_at", "superseded_at")
    )
    entry.undone_at, entry.superseded_at = next(
        (item.undone_at, item.superseded_at) for item in stack if item.pk == entry.pk
    )
    return stack


def ensure_undoable(entry, stack):
    if entry.undone_at is not None:
        raise Conflict(f"History entry {entry.history_id} is already undone; redo it first.", code="history_conflict")
    newest, _next_redo = history_stack_heads(stack)
    if newest.pk != entry.pk:
        raise Conflict(
            f"History entry {newest.history_id} is newer and must be undone first.", code="history_conflict"
        )


def ensure_redoable(entry, stack):
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
            f"History entry {next_redo.history_id} was undone more recently and must be redone first.",
            code="history_conflict",
        )


def entry_mark_undone(entry, *, actor):
    entry.undone_at = timezone.now()
    entry.undone_by = actor
    entry.save(update_fields=["undone_at", "undone_by"])


def entry_mark_redone(entry, *, actor):
    entry.undone_at = None
    entry.redone_by = actor
    entry.save(update_fields=["undone_at", "redone_by"])
