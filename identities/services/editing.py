"""Curation of one identity's own fields: edit (PATCH and the console form) and delete."""
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from faces.models import FaceDetection
from faces.moves import face_groups, faces_move_all, locked_face_rows
from history.models import HistoryAction
from history.recording import AFTER, BEFORE, discard_stash_on_failure, history_record, stash_profile_image

from ..models import PATCHABLE_STATUSES, Identity, IdentityStatus
from ..validators import clean_identity_type, clean_metadata, clean_name, ensure_metadata_size, ensure_storable
from .files import identity_sync_files_on_commit
from .images import current_profile_image, profile_image_sync_on_commit
from .merge_rules import MERGED_INTO, ensure_merge_marks_kept
from .rows import identity_for_update, identity_snapshot

IDENTITY_PATCH_FIELDS = ("name", "identity_type", "status", "metadata")


def clean_identity_changes(data):
    """Validate a PATCH body. Unknown fields are refused, so a misspelt field is not silently ignored."""
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object.")
    unknown = sorted(set(data) - set(IDENTITY_PATCH_FIELDS))
    if unknown:
        raise ValidationError(
            f"Unknown field(s): {', '.join(unknown)}. PATCH accepts {', '.join(IDENTITY_PATCH_FIELDS)}."
        )
    if not data:
        raise ValidationError(f"Nothing to update: send at least one of {', '.join(IDENTITY_PATCH_FIELDS)}.")
    changes = {}
    if "name" in data:
        changes["name"] = clean_name(data["name"])
    if "identity_type" in data:
        changes["identity_type"] = clean_identity_type(data["identity_type"])
    if "status" in data:
        if data["status"] == IdentityStatus.MERGED:
            raise ValidationError("status 'merged' is set only by mergeinto")
        if data["status"] not in PATCHABLE_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(PATCHABLE_STATUSES)}")
        changes["status"] = data["status"]
    if "metadata" in data:
        changes["metadata"] = clean_metadata(data["metadata"])
        if MERGED_INTO in changes["metadata"]:
            raise ValidationError(f"metadata.{MERGED_INTO} is set only by mergeinto")
    return ensure_storable(changes)


@dataclass(frozen=True)
class IdentityUpdate:
    identity: Identity
    updated_fields: list
    history: object


def identity_update(*, identity_uuid, data, actor):
    """PATCH: set the given fields; metadata is merged shallowly into the existing object."""
    changes = clean_identity_changes(data)
    with transaction.atomic(durable=True):
        identity = identity_for_update(identity_uuid)
        before = identity_snapshot(identity)
        if "metadata" in changes:
            existing = identity.metadata if isinstance(identity.metadata, dict) else {}
            changes["metadata"] = ensure_metadata_size({**existing, **changes["metadata"]})
        ensure_merge_marks_kept(
            identity,
            status=changes.get("status", identity.status),
            metadata=changes.get("metadata", identity.metadata),
        )
        for field, value in changes.items():
            setattr(identity, field, value)
        identity.updated_at = timezone.now()
        identity.save()
        entry = history_record(
            identity_uuid=identity.identity_uuid,
            action=HistoryAction.UPDATE,
            before=before,
            after=identity_snapshot(identity),
            actor=actor,
        )
        identity_sync_files_on_commit(identity.identity_uuid)
    return IdentityUpdate(identity=identity, updated_fields=list(changes), history=entry)


@dataclass(frozen=True)
class IdentityDeletion:
    identity_uuid: uuid.UUID
    name: str
    faces_unbound: int
    history: object


def identity_delete(*, identity_uuid, actor):
    """Unbind the identity's faces (one UPDATE), delete it, then remove its files from disk.

    The profile image is copied into the entry's stash before the commit and removed from the
    identity's directory after it, so a crash in between loses nothing undo needs.
    """
    history_id = uuid.uuid4()
    with transaction.atomic(durable=True), discard_stash_on_failure(history_id):
        identity = identity_for_update(identity_uuid)
        identity_uuid = identity.identity_uuid
        rows = locked_face_rows(FaceDetection.objects.filter(identity=identity))
        profile = current_profile_image(identity_uuid)
        profile_name = stash_profile_image(history_id, BEFORE, source=profile) if profile else None
        before = identity_snapshot(identity, faces=face_groups(rows), profile_image=profile_name)
        after = identity_snapshot(None, faces=face_groups(rows, owner=None), profile_image=None)
        faces_unbound = len(faces_move_all(from_id=identity.pk, to_id=None))
        name = identity.name
        identity.delete()
        entry = history_record(
            history_id=history_id,
            identity_uuid=identity_uuid,
            action=HistoryAction.DELETE,
            before=before,
            after=after,
            actor=actor,
        )
        identity_sync_files_on_commit(identity_uuid)
        profile_image_sync_on_commit(identity_uuid=identity_uuid, history_id=history_id, state=AFTER)
    return IdentityDeletion(identity_uuid=identity_uuid, name=name, faces_unbound=faces_unbound, history=entry)
