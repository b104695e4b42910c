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
from momentry.core.errors import Conflict

from ..models import PATCHABLE_STATUSES, Identity, IdentityStatus
from ..validators import (
    clean_identity_type,
    clean_metadata,
    clean_name,
    ensure_metadata_size,
    ensure_storable,
    validate_aliases,
)
from .files import identity_sync_files_on_commit
from .images import current_profile_image, profile_image_sync_on_commit
from .merge_rules import ALIASES, MERGED_INTO, ensure_merge_marks_kept
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

    def merged(identity):
        if "metadata" not in changes:
            return changes
        existing = identity.metadata if isinstance(identity.metadata, dict) else {}
        return {**changes, "metadata": ensure_metadata_size({**existing, **changes["metadata"]})}

    return _identity_write(identity_uuid, merged, actor=actor)


def _identity_write(identity_uuid, changes_of, *, actor):
    """Lock the identity, set the fields `changes_of(identity)` gives and record the edit."""
    with transaction.atomic(durable=True):
        identity = identity_for_update(identity_uuid)
        before = identity_snapshot(identity)
        changes = changes_of(identity)
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


def identity_metadata_replace(*, identity_uuid, metadata, actor):
    """The console's metadata editor: the whole object replaced (a key left out is removed), checked
    as PATCH checks it; a merged identity's `metadata.merged_into` must come back as the merge set it."""
    metadata = clean_metadata(metadata)

    def replaced(identity):
        current = identity.metadata if isinstance(identity.metadata, dict) else {}
        if MERGED_INTO in metadata and metadata[MERGED_INTO] != current.get(MERGED_INTO):
            raise ValidationError(f"metadata.{MERGED_INTO} is set only by mergeinto")
        return ensure_storable({"metadata": metadata})

    return _identity_write(identity_uuid, replaced, actor=actor)


def identity_alias_edit(*, identity_uuid, actor, alias=None, position=None, expected=None):
    """Add an alias (`alias` alone), change the one at `position` (`alias` and `expected`) or remove
    it (`expected` alone): `metadata.aliases` rewritten whole, as PATCH takes it. `expected` is the
    alias the curator saw at `position` (its locale and name); when the list changed since, the
    edit is refused (409)."""
    if alias is None and position is None:
        raise ValidationError("Give an alias to add, or the position of the one to change or remove.")

    def edited(identity):
        metadata = identity.metadata if isinstance(identity.metadata, dict) else {}
        aliases = list(metadata.get(ALIASES) or [])
        if position is not None:
            shown = aliases[position] if 0 <= position < len(aliases) else None
            if not isinstance(shown, dict) or any(shown.get(key) != expected.get(key) for key in ("locale", "name")):
                raise Conflict(
                    f"The aliases of {identity.identity_uuid.hex} changed since they were shown; reload and try again.",
                    code="aliases_changed",
                )
            aliases[position : position + 1] = [alias] if alias is not None else []
        else:
            aliases.append(alias)
        validate_aliases(aliases)
        return ensure_storable({"metadata": ensure_metadata_size({**metadata, ALIASES: aliases})})

    return _identity_write(identity_uuid, edited, actor=actor)


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
