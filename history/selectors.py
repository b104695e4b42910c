"""Reads of the identity history ledger, and what an entry changed (its snapshots as a diff)."""
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.http import Http404

from momentry.core.parsing import parse_uuid

from .models import HistoryAction, IdentityHistory
from .recording import METADATA, UNTRACKED_COLUMNS, changed_fields

# Columns of the identity row a diff shows as "before → after"; metadata is shown by alias locale and key.
DIFF_SKIPPED_COLUMNS = (*UNTRACKED_COLUMNS, "identity_uuid", "reference_data", METADATA)
ALIASES = "aliases"


def history_entries(identity_uuid):
    """The entries recorded on one identity (a UUID), newest first; a deleted identity keeps them."""
    return IdentityHistory.objects.filter(identity_uuid=identity_uuid).order_by("-id")


def history_entries_involving(identity_uuid):
    """The entries that involve one identity (a UUID), newest first: its own, and those of other
    identities whose faces it lost or gained (`HistoryInvolvement`); one indexed query."""
    return IdentityHistory.objects.filter(involvements__identity_uuid=identity_uuid).order_by("-id")


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


@dataclass(frozen=True)
class FaceMove:
    """Faces of one file that went from one owner to another (None: unbound) in an entry's write;
    `sample` is one of them as `(frame, index)`, to find their trace by."""

    file_uuid: uuid.UUID
    from_uuid: uuid.UUID | None
    to_uuid: uuid.UUID | None
    faces: int
    sample: tuple


@dataclass(frozen=True)
class EntryDiff:
    """What an entry's write changed. `fields`: `(column, before, after)`; `aliases`: `(locale,
    names before, names after)` for each locale whose aliases changed; `metadata_added`,
    `metadata_removed`, `metadata_changed`: the top-level keys (aliases aside); `moves`: FaceMove;
    `created`/`deleted`: the identity row appeared or went; `rejected`: candidate uuids and
    `(file uuid, trace id)` pairs the write recorded as "not this person"."""

    created: bool = False
    deleted: bool = False
    fields: list = field(default_factory=list)
    aliases: list = field(default_factory=list)
    metadata_added: list = field(default_factory=list)
    metadata_removed: list = field(default_factory=list)
    metadata_changed: list = field(default_factory=list)
    moves: list = field(default_factory=list)
    profile_image: tuple | None = None
    rejected_candidates: list = field(default_factory=list)
    rejected_traces: list = field(default_factory=list)


def _aliases_by_locale(metadata):
    aliases = metadata.get(ALIASES) if isinstance(metadata, dict) else None
    by_locale = {}
    for alias in aliases if isinstance(aliases, list) else ():
        if isinstance(alias, dict):
            by_locale.setdefault(str(alias.get("locale")), []).append(str(alias.get("name")))
    return by_locale


def _metadata_diff(before_row, after_row):
    """`(aliases, added, removed, changed)` between two rows that both hold metadata."""
    if METADATA not in (before_row or {}) and METADATA not in (after_row or {}):
        return [], [], [], []
    before = (before_row or {}).get(METADATA)
    after = (after_row or {}).get(METADATA)
    before, after = (value if isinstance(value, dict) else {} for value in (before, after))
    before_aliases, after_aliases = _aliases_by_locale(before), _aliases_by_locale(after)
    aliases = [
        (locale, before_aliases.get(locale, []), after_aliases.get(locale, []))
        for locale in sorted(before_aliases.keys() | after_aliases.keys())
        if before_aliases.get(locale) != after_aliases.get(locale)
    ]
    keys = (before.keys() | after.keys()) - {ALIASES}
    added = sorted(key for key in keys if key not in before)
    removed = sorted(key for key in keys if key not in after)
    changed = sorted(key for key in keys if key in before and key in after and before[key] != after[key])
    return aliases, added, removed, changed


def _owners_of(groups):
    owners = {}
    for group in groups or ():
        owner = uuid.UUID(group["identity_uuid"]) if group.get("identity_uuid") else None
        for frame, index in group["keys"]:
            owners[(group["file_uuid"], frame, index)] = owner
    return owners


def _face_moves(before, after):
    """The snapshots list the same faces grouped by owner before and after: count them by move."""
    owners_before, owners_after = _owners_of(before.get("faces")), _owners_of(after.get("faces"))
    moves, samples = Counter(), {}
    for key, owner_after in owners_after.items():
        owner_before = owners_before.get(key)
        if owner_before != owner_after:
            move = (key[0], owner_before, owner_after)
            moves[move] += 1
            samples.setdefault(move, key[1:])
    return [
        FaceMove(file_uuid=uuid.UUID(file_hex), from_uuid=from_uuid, to_uuid=to_uuid, faces=faces, sample=samples[move])
        for move, faces in sorted(moves.items(), key=lambda item: -item[1])
        for file_hex, from_uuid, to_uuid in [move]
    ]


def _rejections_added(before, after):
    had, has = before.get("rejections") or {}, after.get("rejections") or {}
    candidates = [
        uuid.UUID(str(value)) for value in has.get("candidates", []) if value not in had.get("candidates", [])
    ]
    traces = [
        (uuid.UUID(trace["file_uuid"]), trace["trace_id"])
        for trace in has.get("traces", [])
        if trace not in had.get("traces", [])
    ]
    return candidates, traces


def entry_diff(entry):
    """What the entry's write changed, read from its snapshots alone (no query)."""
    before, after = entry.before_snapshot or {}, entry.after_snapshot or {}
    before_row, after_row = before.get("identity"), after.get("identity")
    fields = []
    if before_row is not None and after_row is not None:
        fields = [
            (column, before_row[column], after_row[column])
            for column in sorted(changed_fields(before_row, after_row))
            if column not in DIFF_SKIPPED_COLUMNS
        ]
    aliases, added, removed, changed = _metadata_diff(before_row, after_row)
    profile_image = None
    if "profile_image" in before or "profile_image" in after:
        if before.get("profile_image") != after.get("profile_image"):
            profile_image = (before.get("profile_image"), after.get("profile_image"))
    rejected_candidates, rejected_traces = _rejections_added(before, after)
    return EntryDiff(
        created=before_row is None and after_row is not None,
        deleted=before_row is not None and after_row is None,
        fields=fields,
        aliases=aliases,
        metadata_added=added,
        metadata_removed=removed,
        metadata_changed=changed,
        moves=_face_moves(before, after),
        profile_image=profile_image,
        rejected_candidates=rejected_candidates,
        rejected_traces=rejected_traces,
    )
