"""Profile images: accepted by their bytes, re-encoded, stashed for undo, installed after commit."""
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from history.models import HistoryAction
from history.recording import (
    AFTER,
    BEFORE,
    discard_stash_on_failure,
    history_record,
    profile_image_to_install,
    recorded_profile_image,
    stash_path,
    stash_profile_image,
)
from momentry.core.errors import UnsupportedMediaType

from .. import storage
from ..models import Identity
from .files import identity_files_lock, identity_files_owed, identity_sync_files_on_commit
from .image_reencoding import image_too_large, reencode_profile_image
from .rows import identity_for_update, identity_snapshot

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


def clean_profile_image(upload):
    """Accept a JPEG or PNG told by its bytes, within the byte and pixel limits, fully decodable;
    what is kept is the image as Pillow encodes it again (`reencode_profile_image`: no EXIF, no
    trailing bytes, orientation applied), in the same format.

    Refused without an image, for any other type, when too large in bytes or in pixels (the pixel
    count is read from the header, before anything is decoded), and when corrupt.
    """
    if upload is None:
        raise ValidationError({"image": ["A multipart file field named image is required."]})
    max_bytes = settings.MOMENTRY_PROFILE_IMAGE_MAX_BYTES
    if upload.size > max_bytes:
        raise image_too_large(f"The image is {upload.size} bytes; the limit is {max_bytes} bytes.")
    data = upload.read()
    pillow_format = next((name for name, (_, magic, _) in PROFILE_IMAGE_FORMATS.items() if data.startswith(magic)), None)
    if pillow_format is None:
        raise UnsupportedMediaType("Unsupported image type: send a JPEG or PNG image.")
    extension = PROFILE_IMAGE_FORMATS[pillow_format][0]
    return ProfileImage(file_name=f"profile.{extension}", data=reencode_profile_image(data, pillow_format))


def current_profile_image(identity_uuid):
    """The file holding the identity's profile image as the committed history has it, or None; an
    identity whose image no recorded write changed has the file in its directory, if any."""
    recorded, path = recorded_profile_image(identity_uuid)
    return path if recorded else storage.profile_image_path(identity_uuid)


def profile_image_sync_on_commit(*, identity_uuid, history_id, state):
    """Once committed, put in place the profile image that entry `history_id` recorded for `state`
    (AFTER when the write is made or redone, BEFORE when it is undone), from the entry's stash.

    The outbox row written now makes the image owed until the identity's files are next written
    (`files.identity_sync_files`, which heals the image from the history), so a process killed
    before this callback has it installed at the next start or by `manage.py sync_files`."""
    identity_files_owed(identity_uuid, profile_image=True)
    transaction.on_commit(lambda: _profile_image_sync(identity_uuid, history_id, state))


def _profile_image_sync(identity_uuid, history_id, state):
    with identity_files_lock(identity_uuid):
        applies, file_name = profile_image_to_install(identity_uuid=identity_uuid, history_id=history_id, state=state)
        if not applies:
            return
        if file_name is None:
            storage.remove_profile_images(identity_uuid)
        else:
            storage.write_profile_image(identity_uuid, file_name, stash_path(history_id, state, file_name).read_bytes())


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
        before = identity_snapshot(
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
            action=HistoryAction.PROFILE_IMAGE,
            before=before,
            after=identity_snapshot(identity, profile_image=profile.file_name),
            actor=actor,
        )
        profile_image_sync_on_commit(identity_uuid=identity_uuid, history_id=history_id, state=AFTER)
        identity_sync_files_on_commit(identity_uuid)
    return ProfileImageChange(identity=identity, path=path, history=entry)
