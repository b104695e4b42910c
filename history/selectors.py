"""Reads of the identity history."""
from django.http import Http404

from identities.models import Identity
from momentry.api.params import uuid_from_path

from .models import IdentityHistory


def identity_history(identity_uuid):
    """The identity's entries, newest first; works for a deleted identity as long as it has history.

    404 when the uuid is malformed or names neither an identity nor any history.
    """
    parsed = uuid_from_path(identity_uuid, what="identity")
    entries = IdentityHistory.objects.filter(identity_uuid=parsed).order_by("-id")
    if not entries.exists() and not Identity.objects.filter(identity_uuid=parsed).exists():
        raise Http404(f"No identity with uuid {parsed.hex}.")
    return parsed, entries


def history_stack_heads(entries):
    """The entries of one identity's stack that the rule allows next: `(next_undo, next_redo)`.

    Undo takes the newest entry not undone; redo the most recently undone one not superseded.
    """
    entries = list(entries)
    next_undo = max((entry for entry in entries if entry.undone_at is None), key=lambda entry: entry.pk, default=None)
    next_redo = min(
        (entry for entry in entries if entry.undone_at is not None and entry.superseded_at is None),
        key=lambda entry: entry.pk,
        default=None,
    )
    return next_undo, next_redo
