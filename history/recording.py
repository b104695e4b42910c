"""Recording identity history: snapshots, the entry itself, and the profile images undo needs.

A snapshot is `{"identity": <whole row or null>, "faces": [<group>...]}` and, for the writes that
touch the profile image, `"profile_image": "profile.jpg" | "profile.png" | null`. A face group is
`{"file_uuid", "identity_uuid" (the owner in that state, or null), "keys": [[frame, index], ...]}`;
before and after list the same faces, grouped by their owner before and after the write.

Kept apart from `history.services` (undo and redo) so that `identities.services` can record
entries without an import cycle.
"""
import shutil
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from faces.models import MediaFile
from identities import storage
from identities.models import Identity

from .models import IdentityHistory

BEFORE = "before"
AFTER = "after"
_CURRENT_OWNER = object()


def identity_row(identity):
    """Every concrete column of the identity, JSON-ready (uuids as hex, datetimes ISO 8601)."""
    row = {}
    for field in Identity._meta.concrete_fields:
        value = field.value_from_object(identity)
        if isinstance(value, uuid.UUID):
            value = value.hex
        elif isinstance(value, datetime):
            value = value.isoformat()
        row[field.attname] = value
    return row


def locked_face_rows(faces):
    """Lock the faces about to change and return `(media_file_id, frame, index, identity_id)` rows.

    Ordered by the unique key, so concurrent writers lock faces in the same order.
    """
    return list(
        faces.select_for_update()
        .order_by("media_file_id", "frame_number", "index")
        .values_list("media_file_id", "frame_number", "index", "identity_id")
    )


def face_groups(rows, *, owner=_CURRENT_OWNER):
    """Group face rows for a snapshot, by their current owner or all under `owner` (uuid or None)."""
    file_uuids = dict(MediaFile.objects.filter(pk__in={row[0] for row in rows}).values_list("pk", "file_uuid"))
    if owner is _CURRENT_OWNER:
        owner_ids = {row[3] for row in rows if row[3] is not None}
        owner_uuids = dict(Identity.objects.filter(pk__in=owner_ids).values_list("pk", "identity_uuid"))
    groups = {}
    for file_id, frame_number, index, identity_id in rows:
        face_owner = owner_uuids.get(identity_id) if owner is _CURRENT_OWNER else owner
        key = (file_uuids[file_id].hex, face_owner.hex if face_owner else None)
        groups.setdefault(key, []).append([frame_number, index])
    return [
        {"file_uuid": file_uuid, "identity_uuid": owner_uuid, "keys": keys}
        for (file_uuid, owner_uuid), keys in groups.items()
    ]


def group_owner_uuids(groups):
    """The identities that own faces in the snapshot groups."""
    return [uuid.UUID(group["identity_uuid"]) for group in groups if group["identity_uuid"]]


def snapshot(identity, *, faces=(), **extra):
    """The state an entry records: the identity row (or None), face groups, extras such as profile_image."""
    return {"identity": identity_row(identity) if identity is not None else None, "faces": list(faces), **extra}


def history_record(*, identity_uuid, action, before, after, actor, history_id=None):
    """Record one write; a new change drops the identity's undone entries from the redo stack.

    A dropped entry stays undone for good, so the image kept for its redo (its `after` state)
    goes too, once the change has committed.
    """
    dropped = list(
        IdentityHistory.objects.filter(
            identity_uuid=identity_uuid, undone_at__isnull=False, superseded_at__isnull=True
        ).values_list("history_id", flat=True)
    )
    if dropped:
        IdentityHistory.objects.filter(history_id__in=dropped).update(superseded_at=timezone.now())
        transaction.on_commit(lambda: [discard_stash(dropped_id, state=AFTER) for dropped_id in dropped])
    return IdentityHistory.objects.create(
        history_id=history_id or uuid.uuid4(),
        identity_uuid=identity_uuid,
        action=action,
        before_snapshot=before,
        after_snapshot=after,
        actor=actor,
    )


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


def current_profile_image(identity_uuid):
    """The file holding the identity's profile image as the committed history has it, or None.

    Read from the stash of the entry that set it rather than from `{output}`: the image of a write
    that has just committed is installed after its commit and may not be in place yet. An identity
    whose image no recorded write changed has the file in its directory, if any.
    """
    touching = IdentityHistory.objects.filter(identity_uuid=identity_uuid, after_snapshot__has_key="profile_image")
    applied = (
        touching.filter(undone_at__isnull=True)
        .order_by("-id")
        .values_list("history_id", "after_snapshot__profile_image")
        .first()
    )
    if applied is not None:
        return _stashed(*applied, state=AFTER)
    oldest = touching.order_by("id").values_list("history_id", "before_snapshot__profile_image").first()
    if oldest is not None:
        return _stashed(*oldest, state=BEFORE)
    return storage.profile_image_path(identity_uuid)


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
