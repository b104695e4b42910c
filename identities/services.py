"""Writes of identities. Each service runs in one transaction; disk follows the database."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from momentry.api.params import parse_uuid

from . import storage
from .models import Identity, IdentitySource, IdentityStatus
from .selectors import identity_document
from .validators import validate_metadata_aliases


def identity_sync_file(*, identity_uuid):
    """Make `identity.json` match the database: rewrite it, or remove it if the identity is gone."""
    identity = Identity.objects.filter(identity_uuid=identity_uuid).first()
    if identity is None:
        storage.remove_identity_json(identity_uuid)
    else:
        storage.write_identity_json(identity_uuid, identity_document(identity))


def identity_sync_files_on_commit(*identity_uuids):
    """Rewrite the identities' files once the surrounding transaction has committed."""
    for identity_uuid in dict.fromkeys(identity_uuids):
        transaction.on_commit(lambda u=identity_uuid: identity_sync_file(identity_uuid=u))


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
    return identity_uuid, {
        "name": name.strip(),
        "identity_type": identity_type,
        "source": source,
        "status": status,
        "tmdb_id": tmdb_id,
        "tmdb_profile": tmdb_profile,
        "metadata": metadata,
    }


@transaction.atomic
def identity_upload(*, document, actor):
    """Create or update an identity from an `identity.json` document; metadata is overwritten.

    Returns `(identity, created)`. `file_bindings` is informational and ignored.
    """
    identity_uuid, values = clean_identity_document(document)
    identity = Identity.objects.select_for_update().filter(identity_uuid=identity_uuid).first()
    created = identity is None
    if created:
        identity = Identity.objects.create(identity_uuid=identity_uuid, **values)
    else:
        for field, value in values.items():
            setattr(identity, field, value)
        identity.updated_at = timezone.now()
        identity.save()
    identity_sync_files_on_commit(identity_uuid)
    return identity, created
