"""Recording identity history: snapshots, the entry itself, and the profile images undo needs.

A snapshot is `{"identity": <row or null>, "faces": [<group>...]}` and, for the writes that
touch the profile image, `"profile_image": "profile.jpg" | "profile.png" | null`; for those that
add rejections, `"rejections": {"candidates": [...], "traces": [...]}` (what the identity is not,
`identities.services.rejections`). A face group is
`{"file_uuid", "identity_uuid" (the owner in that state, or null), "keys": [[frame, index], ...]}`;
before and after list the same faces, grouped by their owner before and after the write. A row
holds every column, but `metadata` only where the write changed it. The
ledger stores what the writers give it: rows and groups are built by the layers that own them.
"""
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import HistoryInvolvement, IdentityHistory

BEFORE = "before"
AFTER = "after"
METADATA = "metadata"
# Columns every write moves on, or that a restore may not keep: not what an entry "changed".
UNTRACKED_COLUMNS = ("id", "created_at", "updated_at")


def snapshot(row, *, faces=(), **extra):
    """The state an entry records: the identity row (or None), face groups, extras such as profile_image."""
    return {"identity": row, "faces": list(faces), **extra}


def group_owner_uuids(groups):
    """The identities that own faces in the snapshot groups."""
    return [uuid.UUID(group["identity_uuid"]) for group in groups if group["identity_uuid"]]


def history_record(*, identity_uuid, action, before, after, actor, history_id=None, merge_id=None):
    """Record one write; a new change drops the identity's undone entries from the redo stack.

    A dropped entry stays undone for good, so the image kept for its redo (its `after` state)
    goes too, once the change has committed. Metadata the write left alone is not stored: a bind
    on an identity with megabytes of metadata records the faces, not the metadata twice.
    """
    (entry,) = history_records(
        [
            {
                "identity_uuid": identity_uuid,
                "action": action,
                "before": before,
                "after": after,
                "actor": actor,
                "history_id": history_id,
                "merge_id": merge_id,
            }
        ]
    )
    return entry


def history_records(writes):
    """`history_record` for several writes at once (a merge's entry on each of its identities):
    one SELECT, one UPDATE when entries are dropped, and one INSERT, whatever their number."""
    dropped = list(
        IdentityHistory.objects.filter(
            identity_uuid__in={write["identity_uuid"] for write in writes},
            undone_at__isnull=False,
            superseded_at__isnull=True,
        ).values_list("history_id", flat=True)
    )
    if dropped:
        IdentityHistory.objects.filter(history_id__in=dropped).update(superseded_at=timezone.now())
        transaction.on_commit(lambda: [discard_stash(dropped_id, state=AFTER) for dropped_id in dropped])
    entries = []
    for write in writes:
        before, after = _without_unchanged_metadata(write["before"], write["after"])
        entries.append(
            IdentityHistory(
                history_id=write.get("history_id") or uuid.uuid4(),
                identity_uuid=write["identity_uuid"],
                action=write["action"],
                before_snapshot=before,
                after_snapshot=after,
                actor=write["actor"],
                merge_id=write.get("merge_id"),
            )
        )
    entries = IdentityHistory.objects.bulk_create(entries)
    HistoryInvolvement.objects.bulk_create(
        HistoryInvolvement(entry=entry, identity_uuid=identity_uuid)
        for entry in entries
        for identity_uuid in entry_identity_uuids(entry)
    )
    return entries


def entry_identity_uuids(entry):
    """The identities an entry involves: its own and the owners of its faces before and after."""
    groups = [
        group
        for state in (entry.before_snapshot, entry.after_snapshot)
        if isinstance(state, dict)
        for group in state.get("faces") or ()
    ]
    return {uuid.UUID(str(entry.identity_uuid)), *group_owner_uuids(groups)}


def _without_unchanged_metadata(before, after):
    rows = before.get("identity"), after.get("identity")
    if None in rows or rows[0].get(METADATA) != rows[1].get(METADATA):
        return before, after
    return tuple(
        {**state, "identity": {key: value for key, value in state["identity"].items() if key != METADATA}}
        for state in (before, after)
    )


def changed_fields(before_row, after_row):
    """The columns an entry's write changed: those both rows hold with different values; every
    column but the timestamps and the key when the identity was created or deleted."""
    if before_row is None or after_row is None:
        row = before_row or after_row or {}
        return [key for key in row if key not in UNTRACKED_COLUMNS]
    return [
        key
        for key in before_row.keys() & after_row.keys()
        if key not in UNTRACKED_COLUMNS and before_row[key] != after_row[key]
    ]


def stash_dir(history_id):
    """Where an entry keeps the profile images its undo and redo put back."""
    return Path(settings.MOMENTRY_OUTPUT_DIR) / ".history" / str(history_id)


def stash_path(history_id, state, file_name):
    return stash_dir(history_id) / state / file_name


def stash_profile_image(history_id, state, *, source=None, file_name=None, data=None):
    """Keep a copy of a profile image (a file, or bytes with their name) for one state of an entry."""
    file_name = file_name or source.name
    target = stash_path(history_id, state, file_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if source is not None:
        shutil.copyfile(source, target)
    else:
        target.write_bytes(data)
    return file_name


def recorded_profile_image(identity_uuid):
    """`(True, file or None)` for the identity's profile image as the committed history has it;
    `(False, None)` when no recorded write changed it (the identity's directory has the truth).

    Read from the stash of the entry that set it rather than from `{output}`: the image of a write
    that has just committed is installed after its commit and may not be in place yet.
    """
    touching = IdentityHistory.objects.filter(identity_uuid=identity_uuid, after_snapshot__has_key="profile_image")
    applied = (
        touching.filter(undone_at__isnull=True)
        .order_by("-id")
        .values_list("history_id", "after_snapshot__profile_image")
        .first()
    )
    if applied is not None:
        return True, _stashed(*applied, state=AFTER)
    oldest = touching.order_by("id").values_list("history_id", "before_snapshot__profile_image").first()
    if oldest is not None:
        return True, _stashed(*oldest, state=BEFORE)
    return False, None


def profile_image_to_install(*, identity_uuid, history_id, state):
    """`(True, file name or None)` when entry `history_id` still has the last word on the identity's
    image in `state`; `(False, None)` when it was rolled back or replayed since, or a newer applied
    entry set the image (each of those installs its own)."""
    entry = (
        IdentityHistory.objects.filter(history_id=history_id)
        .values_list("id", "undone_at", f"{state}_snapshot__profile_image")
        .first()
    )
    if entry is None:
        return False, None
    entry_id, undone_at, file_name = entry
    if (undone_at is None) != (state == AFTER):
        return False, None
    newer_image = IdentityHistory.objects.filter(
        identity_uuid=identity_uuid, id__gt=entry_id, undone_at__isnull=True, after_snapshot__has_key="profile_image"
    )
    if newer_image.exists():
        return False, None
    return True, file_name


def _stashed(history_id, file_name, *, state):
    return stash_path(history_id, state, file_name) if file_name else None


def discard_stash(history_id, *, state=None):
    """Drop what an entry kept (for one state only, or all of it for an entry never committed)."""
    shutil.rmtree(stash_dir(history_id) / state if state else stash_dir(history_id), ignore_errors=True)


@contextmanager
def discard_stash_on_failure(history_id):
    """A write that stashes images before its transaction commits removes them if it fails."""
    try:
        yield
    except BaseException:
        discard_stash(history_id)
        raise
