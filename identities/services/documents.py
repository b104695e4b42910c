"""`identity.json` documents in: validation, and create-or-update by `identity_uuid` (upload, import)."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from history.models import HistoryAction
from history.recording import history_record
from momentry.core.parsing import parse_uuid

from ..models import Identity, IdentitySource, IdentityStatus
from ..validators import ensure_storable, validate_metadata_aliases
from .files import identity_sync_files_on_commit
from .rows import identity_snapshot
from .tmdb_probe import identity_tmdb_probe_on_commit

UPLOAD_FIELDS = ("name", "identity_type", "source", "status", "tmdb_id", "tmdb_profile", "metadata")


def clean_identity_document(document):
    """Validate an `identity.json` document (upload and import); returns the model field values."""
    if not isinstance(document, dict):
        raise ValidationError("The identity document must be a JSON object.")
    identity_uuid = parse_uuid(document.get("identity_uuid"))
    if identity_uuid is None:
        raise ValidationError({"identity_uuid": ["A UUID is required: 32 hex digits or the dashed form."]})
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": ["A non-empty name is required."]})
    source = document.get("source") or IdentitySource.JSON
    if source not in IdentitySource.values:
        raise ValidationError({"source": [f"Must be one of {', '.join(IdentitySource.values)}."]})
    status = document.get("status") or IdentityStatus.CONFIRMED
    if status not in IdentityStatus.values:
        raise ValidationError({"status": [f"Must be one of {', '.join(IdentityStatus.values)}."]})
    identity_type = document.get("identity_type")
    if identity_type is not None and not isinstance(identity_type, str):
        raise ValidationError({"identity_type": ["Must be a string or null."]})
    tmdb_id = document.get("tmdb_id")
    if tmdb_id is not None and (isinstance(tmdb_id, bool) or not isinstance(tmdb_id, int)):
        raise ValidationError({"tmdb_id": ["Must be an integer or null."]})
    tmdb_profile = document.get("tmdb_profile") or ""
    if not isinstance(tmdb_profile, str):
        raise ValidationError({"tmdb_profile": ["Must be a string or null."]})
    metadata = document.get("metadata", {})
    if metadata is None:
        metadata = {}
    validate_metadata_aliases(metadata)
    return identity_uuid, ensure_storable(
        {
            "name": name.strip(),
            "identity_type": identity_type,
            "source": source,
            "status": status,
            "tmdb_id": tmdb_id,
            "tmdb_profile": tmdb_profile,
            "metadata": metadata,
        }
    )


@transaction.atomic
def identity_upload(*, document, actor):
    """Create or update an identity from an `identity.json` document; metadata is overwritten.

    Returns `(identity, created)`. `file_bindings` is informational and ignored. Updating an
    existing identity records a history entry; creating one does not (there is nothing to undo to).
    Not durable, so `import_identities` and the demo may call it from their own transaction.
    """
    identity_uuid, values = clean_identity_document(document)
    identity = Identity.objects.select_for_update().filter(identity_uuid=identity_uuid).first()
    created = identity is None
    if values["tmdb_id"] is not None and (created or identity.tmdb_id != values["tmdb_id"]):
        identity_tmdb_probe_on_commit(identity_uuid=identity_uuid)
    if created:
        identity = Identity.objects.create(identity_uuid=identity_uuid, **values)
    else:
        before = identity_snapshot(identity)
        for field, value in values.items():
            setattr(identity, field, value)
        identity.updated_at = timezone.now()
        identity.save()
        history_record(
            identity_uuid=identity_uuid,
            action=HistoryAction.UPLOAD,
            before=before,
            after=identity_snapshot(identity),
            actor=actor,
        )
    identity_sync_files_on_commit(identity_uuid)
    return identity, created
