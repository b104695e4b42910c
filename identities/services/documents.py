"""`identity.json` documents in: validation, and create-or-update by `identity_uuid` (upload, import)."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from history.models import HistoryAction
from history.recording import history_record
from momentry.core.parsing import INT32_RANGE, parse_uuid

from ..models import Identity, IdentitySource, IdentityStatus
from ..selectors import IDENTITY_JSON_VERSION
from ..validators import clean_identity_type, clean_metadata, clean_name, ensure_storable
from .files import identity_sync_files_on_commit
from .merge_rules import ensure_merge_marks_kept
from .rows import identity_snapshot
from .tmdb_probe import identity_tmdb_probe_on_commit

UPLOAD_FIELDS = ("name", "identity_type", "source", "status", "tmdb_id", "tmdb_profile", "metadata")


def _is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_version(document):
    """`version` may be left out (the upload's fields do not list it); given, it must be the format's."""
    version = document.get("version", IDENTITY_JSON_VERSION)
    if not _is_integer(version) or version != IDENTITY_JSON_VERSION:
        raise ValidationError(f"version must be {IDENTITY_JSON_VERSION} (the identity.json format), or left out")


def _clean_choice(document, field_name, choices, default):
    """An optional string among `choices`; left out or null means `default`."""
    value = document.get(field_name)
    if value is None:
        return default
    if value not in choices:
        raise ValidationError(f"{field_name} must be one of {', '.join(choices)}")
    return value


def _clean_file_bindings(file_bindings):
    """`file_bindings` is informational, but must have the identity.json shape:
    `[{file_uuid, trace_ids: [int, ...], face_count}]` (`face_count` may be left out)."""
    if not isinstance(file_bindings, list):
        raise ValidationError("file_bindings must be a list of {file_uuid, trace_ids, face_count} objects")
    for position, binding in enumerate(file_bindings):
        where = f"file_bindings[{position}]"
        if not isinstance(binding, dict):
            raise ValidationError(f"{where} must be an object with file_uuid, trace_ids and face_count")
        if parse_uuid(binding.get("file_uuid")) is None:
            raise ValidationError(f"{where}.file_uuid must be a UUID: 32 hex digits or the dashed form")
        trace_ids = binding.get("trace_ids")
        if not isinstance(trace_ids, list) or not all(
            _is_integer(trace_id) and INT32_RANGE[0] <= trace_id <= INT32_RANGE[1] for trace_id in trace_ids
        ):
            raise ValidationError(f"{where}.trace_ids must be a list of integers")
        face_count = binding.get("face_count", 0)
        if not _is_integer(face_count) or face_count < 0:
            raise ValidationError(f"{where}.face_count must be a non-negative integer")


def clean_identity_document(document):
    """Validate an `identity.json` document (upload and import); returns the model field values.

    Each field is checked for its type, as PATCH checks it (`identity_type`, `metadata` by the same
    validators); a field left out takes its default, and so does null where identity.json writes
    null (`identity_type`, `tmdb_id`, `tmdb_profile`) or the field has a default (`source`,
    `status`). Metadata must be an object (left out: `{}`), within the size limit.
    """
    if not isinstance(document, dict):
        raise ValidationError("The identity document must be a JSON object.")
    _clean_version(document)
    identity_uuid = parse_uuid(document.get("identity_uuid"))
    if identity_uuid is None:
        raise ValidationError("identity_uuid is required: a UUID, 32 hex digits or the dashed form")
    name = clean_name(document.get("name"))
    identity_type = clean_identity_type(document.get("identity_type"))
    source = _clean_choice(document, "source", IdentitySource.values, IdentitySource.JSON)
    status = _clean_choice(document, "status", IdentityStatus.values, IdentityStatus.CONFIRMED)
    tmdb_id = document.get("tmdb_id")
    if tmdb_id is not None and not _is_integer(tmdb_id):
        raise ValidationError("tmdb_id must be an integer or null")
    tmdb_profile = document.get("tmdb_profile")
    if tmdb_profile is not None and not isinstance(tmdb_profile, str):
        raise ValidationError("tmdb_profile must be a string or null")
    metadata = clean_metadata(document.get("metadata", {}))
    _clean_file_bindings(document.get("file_bindings", []))
    return identity_uuid, ensure_storable(
        {
            "name": name,
            "identity_type": identity_type,
            "source": source,
            "status": status,
            "tmdb_id": tmdb_id,
            "tmdb_profile": tmdb_profile or "",
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
        ensure_merge_marks_kept(identity, status=values["status"], metadata=values["metadata"])
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
