"""Reads of the identity history ledger."""
from django.http import Http404

from momentry.core.parsing import parse_uuid

from .models import HistoryAction, IdentityHistory


def history_entries(identity_uuid):
    """The entries recorded on one identity (a UUID), newest first; a deleted identity keeps them."""
    return IdentityHistory.objects.filter(identity_uuid=identity_uuid).order_by("-id")


def history_entry_get(history_id):
    """The entry for a path parameter (dashed or hex), or 404."""
    parsed = parse_uuid(history_id)
    entry = IdentityHistory.objects.filter(history_id=parsed).first() if parsed is not None else None
    if entry is None:
        raise Http404(f"No history entry {history_id}.")
    return entry


def history_stack_heads(entries):
    """The entries of one identity's stack that the rule allows next: `(next_undo, next_redo)`.

    Undo takes the newest entry not undone; redo the most recently undone one not superseded. The
    record of a merge's undo is neither: the merge entry it undid is what redo would take.
    """
    entries = [entry for entry in entries if entry.action != HistoryAction.MERGE_UNDO]
    next_undo = max((entry for entry in entries if entry.undone_at is None), key=lambda entry: entry.pk, default=None)
    next_redo = min(
        (entry for entry in entries if entry.undone_at is not None and entry.superseded_at is None),
        key=lambda entry: entry.pk,
        default=None,
    )
    return next_undo, next_redo
