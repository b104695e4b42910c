"""Writes of identities. Each service runs in one transaction; disk follows the database.

Every curation write locks the identity row it changes (`select_for_update`), moves faces with one
set-based UPDATE, records one history entry in the same transaction, and rewrites the
`identity.json` of every identity involved once the transaction has committed. Any write that
points faces at an identity holds that identity's lock, so a concurrent DELETE can never leave a
face bound to a deleted identity.
"""
import io
import logging
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from PIL import Image, UnidentifiedImageError
from rest_framework import status as http_status

from faces.models import FaceDetection, MediaFile
from faces.selectors import media_file_get
from history import merges
from history.models import IdentityHistory
from history.recording import (
    AFTER,
    BEFORE,
    current_profile_image,
    discard_stash_on_failure,
    face_groups,
    group_owner_uuids,
    history_record,
    locked_face_rows,
    snapshot,
    stash_path,
    stash_profile_image,
)
from momentry.api.exceptions import Conflict, ServiceError
from momentry.api.params import parse_uuid, uuid_from_path

from . import storage, tmdb
from .models import Identity, IdentitySource, IdentityStatus
from .selectors import identity_document, identity_get
from .validators import validate_metadata_aliases


@contextmanager
def identity_files_lock(identity_uuid):
    """Serialise the disk writes of one identity across threads and processes.

    On PostgreSQL a transaction-scoped advisory lock keyed by the uuid; on SQLite the transaction
    itself, which takes the database's write lock (transaction_mode IMMEDIATE). Each disk write
    reads the committed state under this lock, so of two writes racing after two commits the
    one that runs last also writes the latest state.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                key = int.from_bytes(identity_uuid.bytes[:8], "big", signed=True)
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        yield


def identity_sync_file(*, identity_uuid):
    """Make `identity.json` match the database: rewrite it, or remove it if the identity is gone."""
    with identity_files_lock(identity_uuid):
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


INT32_RANGE = (-(2**31), 2**31 - 1)


def _contains_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def ensure_storable(values):
    """Refuse with a 400 what the database would refuse with an error: NUL characters (PostgreSQL
    text and jsonb cannot hold them), strings longer than their column, integers out of range."""
    for field_name, value in values.items():
        field = Identity._meta.get_field(field_name)
        if _contains_nul(value):
            raise ValidationError(f"{field_name} must not contain NUL characters")
        max_length = getattr(field, "max_length", None)
        if max_length and isinstance(value, str) and len(value) > max_length:
            raise ValidationError(f"{field_name} must be at most {max_length} characters")
        if isinstance(value, int) and not isinstance(value, bool) and not INT32_RANGE[0] <= value <= INT32_RANGE[1]:
            raise ValidationError(f"{field_name} is out of range")
    return values


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
        before = snapshot(identity)
        for field, value in values.items():
            setattr(identity, field, value)
        identity.updated_at = timezone.now()
        identity.save()
        history_record(
            identity_uuid=identity_uuid, action="upload", before=before, after=snapshot(identity), actor=actor
        )
    identity_sync_files_on_commit(identity_uuid)
    return identity, created


# --- curation: edit, delete ----------------------------------------------------------------------

IDENTITY_PATCH_FIELDS = ("name", "identity_type", "status", "metadata")
PATCHABLE_STATUSES = (
    IdentityStatus.CONFIRMED,
    IdentityStatus.PENDING,
    IdentityStatus.INACTIVE,
    IdentityStatus.SKIPPED,
)


def identity_for_update(identity_uuid):
    """The identity, locked until the transaction ends, or 404."""
    return identity_get(identity_uuid, queryset=Identity.objects.select_for_update())


def _clean_name(name):
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("name must be a non-empty string")
    return name.strip()


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
        changes["name"] = _clean_name(data["name"])
    if "identity_type" in data:
        identity_type = data["identity_type"]
        if identity_type is not None and not isinstance(identity_type, str):
            raise ValidationError("identity_type must be a string or null")
        changes["identity_type"] = identity_type or None
    if "status" in data:
        if data["status"] == IdentityStatus.MERGED:
            raise ValidationError("status 'merged' is set only by mergeinto")
        if data["status"] not in PATCHABLE_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(PATCHABLE_STATUSES)}")
        changes["status"] = data["status"]
    if "metadata" in data:
        if not isinstance(data["metadata"], dict):
            raise ValidationError("metadata must be a JSON object")
        validate_metadata_aliases(data["metadata"])
        changes["metadata"] = data["metadata"]
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
        before = snapshot(identity)
        for field, value in changes.items():
            if field == "metadata":
                existing = identity.metadata if isinstance(identity.metadata, dict) else {}
                value = {**existing, **value}
            setattr(identity, field, value)
        identity.updated_at = timezone.now()
        identity.save()
        entry = history_record(
            identity_uuid=identity.identity_uuid, action="update", before=before, after=snapshot(identity), actor=actor
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
        bound_faces = FaceDetection.objects.filter(identity=identity)
        rows = locked_face_rows(bound_faces)
        profile = current_profile_image(identity_uuid)
        profile_name = stash_profile_image(history_id, BEFORE, source=profile) if profile else None
        before = snapshot(identity, faces=face_groups(rows), profile_image=profile_name)
        after = snapshot(None, faces=face_groups(rows, owner=None), profile_image=None)
        faces_unbound = bound_faces.update(identity=None)
        name = identity.name
        identity.delete()
        entry = history_record(
            history_id=history_id, identity_uuid=identity_uuid, action="delete", before=before, after=after, actor=actor
        )
        identity_sync_files_on_commit(identity_uuid)
        profile_image_sync_on_commit(identity_uuid=identity_uuid, history_id=history_id, state=AFTER)
    return IdentityDeletion(identity_uuid=identity_uuid, name=name, faces_unbound=faces_unbound, history=entry)


# --- profile images ------------------------------------------------------------------------------

# Told by the bytes: the magic number, then Pillow must parse the same format.
PROFILE_IMAGE_FORMATS = {
    "JPEG": ("jpg", b"\xff\xd8\xff", "image/jpeg"),
    "PNG": ("png", b"\x89PNG\r\n\x1a\n", "image/png"),
}
PROFILE_CONTENT_TYPES = {extension: content_type for extension, _, content_type in PROFILE_IMAGE_FORMATS.values()}


@dataclass(frozen=True)
class ProfileImage:
    file_name: str
    data: bytes


def _image_too_large(message):
    return ServiceError(message, code="image_too_large", status_code=http_status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


def clean_profile_image(upload):
    """Accept a JPEG or PNG told by its bytes, within the byte and pixel limits, fully decodable.

    400 without an image, 415 for any other type, 413 when too large in bytes or in pixels (the
    pixel count is read from the header, before anything is decoded), 400 when corrupt.
    """
    if upload is None:
        raise ValidationError({"image": ["A multipart file field named image is required."]})
    max_bytes = settings.MOMENTRY_PROFILE_IMAGE_MAX_BYTES
    if upload.size > max_bytes:
        raise _image_too_large(f"The image is {upload.size} bytes; the limit is {max_bytes} bytes.")
    data = upload.read()
    pillow_format = next((name for name, (_, magic, _) in PROFILE_IMAGE_FORMATS.items() if data.startswith(magic)), None)
    if pillow_format is None:
        raise ServiceError(
            "Unsupported image type: send a JPEG or PNG image.",
            code="unsupported_media_type",
            status_code=http_status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )
    max_pixels = settings.MOMENTRY_PROFILE_IMAGE_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise _image_too_large(f"The image is {width}x{height} pixels; the limit is {max_pixels} pixels.")
            image.load()
    except Image.DecompressionBombError as exc:
        raise _image_too_large(f"The image decompresses to too many pixels: {exc}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ServiceError(
            f"The {pillow_format} image is corrupt or truncated.", code="invalid_image"
        ) from None
    extension = PROFILE_IMAGE_FORMATS[pillow_format][0]
    return ProfileImage(file_name=f"profile.{extension}", data=data)


def write_profile_image(identity_uuid, file_name, data):
    """Install the profile image atomically and drop the one with the other extension."""
    storage.write_atomically(storage.identity_dir(identity_uuid) / file_name, data)
    for extension in storage.PROFILE_EXTENSIONS:
        if f"profile.{extension}" != file_name:
            (storage.identity_dir(identity_uuid) / f"profile.{extension}").unlink(missing_ok=True)


def remove_profile_images(identity_uuid):
    """Remove the profile image, and the identity's directory once nothing is left in it."""
    directory = storage.identity_dir(identity_uuid)
    for extension in storage.PROFILE_EXTENSIONS:
        (directory / f"profile.{extension}").unlink(missing_ok=True)
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()


def profile_image_sync_on_commit(*, identity_uuid, history_id, state):
    """Once committed, put in place the profile image that entry `history_id` recorded for `state`
    (AFTER when the write is made or redone, BEFORE when it is undone), from the entry's stash."""
    transaction.on_commit(lambda: _profile_image_sync(identity_uuid, history_id, state))


def _profile_image_sync(identity_uuid, history_id, state):
    """Skipped when the entry no longer has the last word on the image: it was rolled back or
    replayed since, or a newer applied entry set the image (each of those writes its own)."""
    with identity_files_lock(identity_uuid):
        entry = (
            IdentityHistory.objects.filter(history_id=history_id)
            .values_list("id", "undone_at", f"{state}_snapshot__profile_image")
            .first()
        )
        if entry is None:
            return
        entry_id, undone_at, file_name = entry
        if (undone_at is None) != (state == AFTER):
            return
        newer_image = IdentityHistory.objects.filter(
            identity_uuid=identity_uuid, id__gt=entry_id, undone_at__isnull=True, after_snapshot__has_key="profile_image"
        )
        if newer_image.exists():
            return
        if file_name is None:
            remove_profile_images(identity_uuid)
        else:
            write_profile_image(identity_uuid, file_name, stash_path(history_id, state, file_name).read_bytes())


@dataclass(frozen=True)
class ProfileImageChange:
    identity: Identity
    path: object
    history: object


def identity_profile_image_set(*, identity_uuid, upload, actor):
    """Save the uploaded image as `profile.{jpg|png}`; `tmdb_profile` becomes its local path."""
    profile = clean_profile_image(upload)
    history_id = uuid.uuid4()
    with transaction.atomic(durable=True), discard_stash_on_failure(history_id):
        identity = identity_for_update(identity_uuid)
        identity_uuid = identity.identity_uuid
        current = current_profile_image(identity_uuid)
        before = snapshot(
            identity, profile_image=stash_profile_image(history_id, BEFORE, source=current) if current else None
        )
        stash_profile_image(history_id, AFTER, file_name=profile.file_name, data=profile.data)
        path = storage.identity_dir(identity_uuid) / profile.file_name
        identity.tmdb_profile = str(path)
        identity.updated_at = timezone.now()
        identity.save(update_fields=["tmdb_profile", "updated_at"])
        entry = history_record(
            history_id=history_id,
            identity_uuid=identity_uuid,
            action="profile_image",
            before=before,
            after=snapshot(identity, profile_image=profile.file_name),
            actor=actor,
        )
        profile_image_sync_on_commit(identity_uuid=identity_uuid, history_id=history_id, state=AFTER)
        identity_sync_files_on_commit(identity_uuid)
    return ProfileImageChange(identity=identity, path=path, history=entry)


# --- binding faces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BindingChange:
    identity: Identity
    rows_affected: int
    history: object


def _faces_in_file(file_uuid, *, frame_number=None, index=None, trace_id=None):
    """One face (frame, index) or a whole trace of a file; 404 when the file or the faces don't exist."""
    media_file = media_file_get(file_uuid)
    faces = FaceDetection.objects.filter(media_file=media_file)
    if trace_id is not None:
        faces, what = faces.filter(trace_id=trace_id), f"trace {trace_id}"
    else:
        faces, what = faces.filter(frame_number=frame_number, index=index), f"face {frame_number}_{index}"
    if not faces.exists():
        raise Http404(f"No {what} in file {media_file.file_uuid.hex}.")
    return faces


def _rebind_faces(*, identity, changing_faces, new_owner, action, actor):
    """Point the faces that change at `new_owner` with one UPDATE and record the entry on `identity`.

    Nothing changes (and nothing is recorded) when every face already has that owner.
    """
    rows = locked_face_rows(changing_faces)
    if not rows:
        return BindingChange(identity=identity, rows_affected=0, history=None)
    before = snapshot(identity, faces=face_groups(rows))
    rows_affected = changing_faces.update(identity=new_owner)
    after = snapshot(identity, faces=face_groups(rows, owner=new_owner.identity_uuid if new_owner else None))
    entry = history_record(
        identity_uuid=identity.identity_uuid, action=action, before=before, after=after, actor=actor
    )
    identity_sync_files_on_commit(identity.identity_uuid, *group_owner_uuids(before["faces"]))
    return BindingChange(identity=identity, rows_affected=rows_affected, history=entry)


def face_bind(*, identity_uuid, file_uuid, frame_number, index, actor):
    """Bind one face (`{frame}_{index}`) to the identity, whoever had it before."""
    with transaction.atomic(durable=True):
        identity = identity_for_update(identity_uuid)
        faces = _faces_in_file(file_uuid, frame_number=frame_number, index=index)
        return _rebind_faces(
            identity=identity, changing_faces=faces.exclude(identity=identity), new_owner=identity, action="bind", actor=actor
        )


def trace_bind(*, identity_uuid, file_uuid, trace_id, actor):
    """Bind every face of a trace to the identity in one UPDATE."""
    with transaction.atomic(durable=True):
        identity = identity_for_update(identity_uuid)
        faces = _faces_in_file(file_uuid, trace_id=trace_id)
        return _rebind_faces(
            identity=identity,
            changing_faces=faces.exclude(identity=identity),
            new_owner=identity,
            action="bind_trace",
            actor=actor,
        )


def faces_unbind(*, identity_uuid, file_uuid, actor, frame_number=None, index=None, trace_id=None):
    """Unbind one face or a whole trace; only the faces bound to this identity are touched."""
    with transaction.atomic(durable=True):
        identity = identity_for_update(identity_uuid)
        faces = _faces_in_file(file_uuid, frame_number=frame_number, index=index, trace_id=trace_id)
        return _rebind_faces(
            identity=identity,
            changing_faces=faces.filter(identity=identity),
            new_owner=None,
            action="unbind_trace" if trace_id is not None else "unbind",
            actor=actor,
        )


# --- pending persons -----------------------------------------------------------------------------

PERSON_NAME = re.compile(r"^Person (\d+)$")


def _next_person_number(media_file):
    """One more than the highest N used in the file: by the `Person N` names of the pending persons
    created for it, and by the numbers recorded when they were auto-named (so a renamed one still
    counts)."""
    used = [0]
    created_for_file = Identity.objects.filter(reference_data__pending_for_file=media_file.file_uuid.hex)
    for name, reference_data in created_for_file.values_list("name", "reference_data"):
        match = PERSON_NAME.match(name)
        if match:
            used.append(int(match.group(1)))
        number = reference_data.get("person_number") if isinstance(reference_data, dict) else None
        if isinstance(number, int):
            used.append(number)
    return max(used) + 1


@dataclass(frozen=True)
class PendingPersonCreation:
    identity: Identity
    bound_traces: int
    history: object


def pending_person_create(*, file_uuid, actor, name=None, trace_ids=()):
    """Create a pending, manual identity for a file and bind all faces of the given traces to it.

    The file is recorded in `reference_data.pending_for_file`; the file row is locked so two
    curators creating pending persons at once get different numbers.
    """
    trace_ids = sorted(set(trace_ids))
    with transaction.atomic(durable=True):
        media_file = MediaFile.objects.select_for_update().filter(file_uuid=file_uuid).first()
        if media_file is None:
            raise Http404(f"No media file with uuid {file_uuid.hex}.")
        faces = FaceDetection.objects.filter(media_file=media_file, trace_id__in=trace_ids)
        missing = sorted(set(trace_ids) - set(faces.values_list("trace_id", flat=True).distinct()))
        if missing:
            raise Http404(f"No trace {', '.join(map(str, missing))} in file {media_file.file_uuid.hex}.")
        reference_data = {"pending_for_file": media_file.file_uuid.hex}
        if name:
            name = _clean_name(name)
        else:
            reference_data["person_number"] = _next_person_number(media_file)
            name = f"Person {reference_data['person_number']}"
        identity = Identity.objects.create(
            name=name,
            identity_type="people",
            source=IdentitySource.MANUAL,
            status=IdentityStatus.PENDING,
            reference_data=reference_data,
        )
        rows = locked_face_rows(faces)
        before = snapshot(None, faces=face_groups(rows))
        faces.update(identity=identity)
        entry = history_record(
            identity_uuid=identity.identity_uuid,
            action="create",
            before=before,
            after=snapshot(identity, faces=face_groups(rows, owner=identity.identity_uuid)),
            actor=actor,
        )
        identity_sync_files_on_commit(identity.identity_uuid, *group_owner_uuids(before["faces"]))
    return PendingPersonCreation(identity=identity, bound_traces=len(trace_ids), history=entry)


# --- TMDb probe ----------------------------------------------------------------------------------
# What TMDb knows of a person goes into the identity's top-level `tmdb_*` metadata keys (other keys
# are kept) and its profile image into `{output}/identities/{uuid}/`. Only with
# MOMENTRY_TMDB_PROBE_ENABLED=true and MOMENTRY_TMDB_API_KEY (see identities/tmdb.py).

tmdb_logger = logging.getLogger("identities.tmdb")

TMDB_PERSON_FIELDS = (
    "biography",
    "birthday",
    "deathday",
    "place_of_birth",
    "known_for_department",
    "popularity",
    "also_known_as",
    "gender",
    "imdb_id",
    "homepage",
)
TMDB_PROBE_ACTION = "tmdb_probe"
TMDB_PROBE_ACTOR = "system:tmdb_probe"


@dataclass(frozen=True)
class TmdbProbeResult:
    identity: Identity
    changed: bool  # any tmdb_* value (tmdb_probed_at aside) or the profile image differs from before
    profile_path: object  # the saved image, or None when TMDb has no profile image for the person
    history: object


def _tmdb_person_metadata(person):
    return {f"tmdb_{field}": person.get(field) for field in TMDB_PERSON_FIELDS}


def _same_profile_image(current_path, profile):
    return current_path is not None and current_path.name == profile.file_name and current_path.read_bytes() == profile.data


def identity_apply_tmdb_person(*, identity_uuid, person, image_bytes, actor):
    """Write a TMDb person (`GET /person/{id}`) and its profile image bytes (or None) into the identity.

    Refused with 409 when the identity's `tmdb_id` is no longer the person's id (it changed while
    the probe was fetching). Records one `tmdb_probe` history entry, so the probe can be undone.
    """
    if not isinstance(person, dict):
        raise ValidationError("The TMDb person must be a JSON object.")
    profile = clean_profile_image(ContentFile(image_bytes)) if image_bytes is not None else None
    history_id = uuid.uuid4()
    with transaction.atomic(durable=True), discard_stash_on_failure(history_id):
        identity = identity_for_update(identity_uuid)
        identity_uuid = identity.identity_uuid
        if identity.tmdb_id is None or identity.tmdb_id != person.get("id"):
            raise Conflict(
                f"Identity {identity_uuid.hex} has tmdb_id {identity.tmdb_id}, not {person.get('id')}; probe it again.",
                code="tmdb_id_changed",
            )
        existing = identity.metadata if isinstance(identity.metadata, dict) else {}
        tmdb_values = _tmdb_person_metadata(person)
        changed = any(key not in existing or existing[key] != value for key, value in tmdb_values.items())
        before_extra, after_extra, profile_path = {}, {}, None
        if profile is not None:
            current = current_profile_image(identity_uuid)
            changed = changed or not _same_profile_image(current, profile)
            before_extra["profile_image"] = stash_profile_image(history_id, BEFORE, source=current) if current else None
            after_extra["profile_image"] = stash_profile_image(
                history_id, AFTER, file_name=profile.file_name, data=profile.data
            )
            profile_path = storage.identity_dir(identity_uuid) / profile.file_name
        before = snapshot(identity, **before_extra)
        now = timezone.now()
        identity.metadata = {
            **existing,
            **tmdb_values,
            "tmdb_probed_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        if profile_path is not None:
            identity.tmdb_profile = str(profile_path)
        identity.updated_at = now
        identity.save(update_fields=["metadata", "tmdb_profile", "updated_at"])
        entry = history_record(
            history_id=history_id,
            identity_uuid=identity_uuid,
            action=TMDB_PROBE_ACTION,
            before=before,
            after=snapshot(identity, **after_extra),
            actor=actor,
        )
        if profile is not None:
            profile_image_sync_on_commit(identity_uuid=identity_uuid, history_id=history_id, state=AFTER)
        identity_sync_files_on_commit(identity_uuid)
    return TmdbProbeResult(identity=identity, changed=changed, profile_path=profile_path, history=entry)


def identity_tmdb_probe(*, identity_uuid, actor, client=None):
    """Fetch the identity's TMDb person and profile image, then write them (no lock held meanwhile).

    Raises `tmdb.TmdbError` for anything TMDb or the network refused.
    """
    identity = identity_get(identity_uuid)
    if identity.tmdb_id is None:
        raise ValidationError(f"Identity {identity.identity_uuid.hex} has no tmdb_id to probe.")
    client = client or tmdb.tmdb_client_from_settings()
    person = client.person(identity.tmdb_id)
    profile_path = person.get("profile_path")
    image_bytes = client.profile_image(profile_path) if profile_path else None
    return identity_apply_tmdb_person(
        identity_uuid=identity.identity_uuid, person=person, image_bytes=image_bytes, actor=actor
    )


TMDB_PROBE_FAILURES = (tmdb.TmdbError, ValidationError, Http404, Conflict, ServiceError)


def tmdb_probe_failure_reason(exc):
    """One sentence for an operator or a log line, whatever the probe failure was."""
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return getattr(exc, "message", None) or str(exc)


def identity_tmdb_probe_on_commit(*, identity_uuid):
    """Probe the identity once the current transaction commits, when the probe is enabled.

    Called where an identity gains a `tmdb_id` (a UUID, or its hex or dashed form). The probe runs
    in-process after the commit; a failure is logged and never breaks the write that scheduled it.
    """
    identity_uuid = parse_uuid(identity_uuid)
    if identity_uuid is None:
        raise ValueError("identity_tmdb_probe_on_commit needs an identity uuid.")
    if tmdb.tmdb_probe_enabled():
        transaction.on_commit(lambda: _tmdb_probe_after_commit(identity_uuid))


def _tmdb_probe_after_commit(identity_uuid):
    try:
        result = identity_tmdb_probe(identity_uuid=identity_uuid, actor=TMDB_PROBE_ACTOR)
    except TMDB_PROBE_FAILURES as exc:
        tmdb_logger.warning("TMDb probe of identity %s failed: %s", identity_uuid.hex, tmdb_probe_failure_reason(exc))
    except Exception:  # the scheduling write has committed already; it must not fail because of the probe
        tmdb_logger.exception("TMDb probe of identity %s failed unexpectedly", identity_uuid.hex)
    else:
        tmdb_logger.info("TMDb probe of identity %s: tmdb_id %s written", identity_uuid.hex, result.identity.tmdb_id)


# --- merge, and the undo and redo of a merge ------------------------------------------------------
# The relational changes, the merge record in `merge_history` and its crash-safe states live in
# history/merges.py; these entry points lock, check and order the steps.


@dataclass(frozen=True)
class IdentityMerge:
    merge_id: uuid.UUID
    source_name: str
    target_name: str
    keep_history: bool
    faces_transferred: int
    aliases_added: int
    metadata_fields_added: int


@dataclass(frozen=True)
class MergeUndo:
    merge_id: uuid.UUID
    target_name: str
    undone: object  # history.merges.MergeUndone


def _merge_pair_for_update(source_uuid, target_uuid):
    """Lock both identities in pk order, the order every writer uses; None for one that is gone."""
    locked = {
        identity.identity_uuid: identity
        for identity in Identity.objects.select_for_update()
        .filter(identity_uuid__in=[source_uuid, target_uuid])
        .order_by("pk")
    }
    return locked.get(source_uuid), locked.get(target_uuid)


def _ensure_mergeable(source, target):
    if source.pk == target.pk:
        raise ServiceError("An identity cannot be merged into itself.", code="merge_into_itself")
    if source.status == IdentityStatus.MERGED:
        raise ServiceError(
            f"Identity {source.identity_uuid.hex} is already merged into another identity.", code="already_merged"
        )
    if target.status == IdentityStatus.MERGED:
        raise ServiceError(
            f"Cannot merge into {target.identity_uuid.hex}: it is merged into another identity.", code="target_merged"
        )


def _merge_result(merge_id, source_name, target_name, keep_history, applied):
    return IdentityMerge(
        merge_id=merge_id,
        source_name=source_name,
        target_name=target_name,
        keep_history=keep_history,
        faces_transferred=applied.faces_transferred,
        aliases_added=applied.aliases_added,
        metadata_fields_added=applied.metadata_fields_added,
    )


def identity_merge(*, identity_uuid, into_uuid, keep_history=True, actor):
    """Merge the identity into `into_uuid`: its faces, aliases and missing metadata go to the target;
    it is kept with status `merged` and `metadata.merged_into`, or deleted."""
    if not isinstance(keep_history, bool):
        raise ValidationError({"keep_history": ["Must be true or false."]})
    source_uuid = uuid_from_path(identity_uuid, what="identity")
    target_uuid = parse_uuid(into_uuid)
    if target_uuid is None:
        raise ValidationError({"into_uuid": ["Must be a UUID: 32 hex digits or the dashed form."]})
    merge_id = uuid.uuid4()
    with transaction.atomic(durable=True):
        source, target = _merge_pair_for_update(source_uuid, target_uuid)
        if source is None:
            raise Http404(f"No identity with uuid {source_uuid.hex}.")
        if target is None:
            raise Http404(f"No identity with uuid {target_uuid.hex} to merge into.")
        _ensure_mergeable(source, target)
        now = merges.merge_clock()
        merges.operation_begin(operation_id=merge_id, merge_id=merge_id, kind=merges.MERGE)
        source_name = source.name
        applied = merges.merge_apply(
            source=source, target=target, keep_history=keep_history, merge_id=merge_id, now=now
        )
        merges.record_insert_pending(
            merges.new_record(
                merge_id=merge_id,
                source=source,
                target=target,
                keep_history=keep_history,
                actor=actor,
                now=now,
                applied=applied,
            )
        )
        identity_sync_files_on_commit(source_uuid, target_uuid)
    merges.operation_complete(merge_id=merge_id, operation_id=merge_id)
    return _merge_result(merge_id, source_name, target.name, keep_history, applied)


def _merge_for_replay(merge_id):
    """The merge's identities and its settled record, all locked until the transaction ends."""
    record = merges.merge_record_get(merge_id)
    source, target = _merge_pair_for_update(uuid.UUID(record["source_uuid"]), uuid.UUID(record["target_uuid"]))
    return merges.merge_record_locked(record["merge_id"]), source, target


def merge_undo(*, merge_id, actor):
    """Undo a merge within the undo window, keeping what was changed by hand since (history/merges.py)."""
    operation_id = uuid.uuid4()
    with transaction.atomic(durable=True):
        record, source, target = _merge_for_replay(merge_id)
        now = merges.merge_clock()
        if record["undone"]:
            raise ServiceError(f"Merge {record['merge_id']} is already undone.", code="merge_already_undone")
        if merges.merge_is_expired(record, now):
            raise ServiceError(
                f"The undo deadline of merge {record['merge_id']} passed at {record['undo_deadline'].isoformat()}.",
                code="merge_undo_expired",
            )
        if target is None:
            raise ServiceError(f"The target identity {record['target_uuid']} no longer exists.", code="identity_gone")
        if record["keep_history"] and source is None:
            raise ServiceError(f"The merged identity {record['source_uuid']} no longer exists.", code="identity_gone")
        if not record["keep_history"] and source is not None:
            raise ServiceError(
                f"An identity with uuid {record['source_uuid']} exists again; it cannot be recreated.",
                code="identity_exists",
            )
        merges.operation_begin(operation_id=operation_id, merge_id=record["merge_id"], kind=merges.UNDO)
        undone = merges.undo_apply(record=record, source=source, target=target, now=now)
        merges.record_begin_operation(
            merge_id=record["merge_id"],
            operation_id=operation_id,
            kind=merges.UNDO,
            undone=False,
            changes={
                "undone": True,
                "undone_at": now,
                "undone_by": actor,
                "faces_reverted": undone.faces_reverted,
                "faces_not_reverted": undone.faces_not_reverted,
            },
        )
        identity_sync_files_on_commit(target.identity_uuid, undone.source.identity_uuid)
    merges.operation_complete(merge_id=record["merge_id"], operation_id=operation_id)
    return MergeUndo(merge_id=uuid.UUID(record["merge_id"]), target_name=target.name, undone=undone)


def merge_redo(*, merge_id, actor):
    """Merge again what an undo took apart: the source's faces, aliases and missing metadata as they
    are now; the undo window starts again."""
    operation_id = uuid.uuid4()
    with transaction.atomic(durable=True):
        record, source, target = _merge_for_replay(merge_id)
        if not record["undone"]:
            raise ServiceError(
                f"Merge {record['merge_id']} is not undone; there is nothing to redo.", code="merge_not_undone"
            )
        if source is None:
            raise ServiceError(f"The merged identity {record['source_uuid']} no longer exists.", code="identity_gone")
        if target is None:
            raise ServiceError(f"The target identity {record['target_uuid']} no longer exists.", code="identity_gone")
        _ensure_mergeable(source, target)
        now = merges.merge_clock()
        merges.operation_begin(operation_id=operation_id, merge_id=record["merge_id"], kind=merges.REDO)
        source_name = source.name
        applied = merges.merge_apply(
            source=source, target=target, keep_history=record["keep_history"], merge_id=record["merge_id"], now=now
        )
        merges.record_begin_operation(
            merge_id=record["merge_id"],
            operation_id=operation_id,
            kind=merges.REDO,
            undone=True,
            changes={
                **applied.fields,
                **{field: None for field in ("undone_at", "undone_by", "faces_reverted", "faces_not_reverted")},
                "undone": False,
                "redone_at": now,
                "redone_by": actor,
            },
        )
        identity_sync_files_on_commit(source.identity_uuid, target.identity_uuid)
    merges.operation_complete(merge_id=record["merge_id"], operation_id=operation_id)
    return _merge_result(uuid.UUID(record["merge_id"]), source_name, target.name, record["keep_history"], applied)
