"""The identity on disk: `{output}/identities/{uuid}/identity.json` and its profile image.

`{output}/identities/` holds one directory per identity, named by its uuid in hex, and nothing else
the service writes; `{output}/.history/` (the profile images history entries keep for undo) and
anything else under `{output}` belong to others.
"""
import json
import os
import re
import shutil
import uuid
from pathlib import Path

from django.conf import settings

from momentry.core.files import write_atomically

PROFILE_EXTENSIONS = ("jpg", "png")


def identities_root():
    return Path(settings.MOMENTRY_OUTPUT_DIR) / "identities"


def identity_dir(identity_uuid):
    return identities_root() / identity_uuid.hex


def identity_json_path(identity_uuid):
    return identity_dir(identity_uuid) / "identity.json"


def profile_image_path(identity_uuid):
    """The stored profile image, whichever extension it has, or None."""
    for extension in PROFILE_EXTENSIONS:
        path = identity_dir(identity_uuid) / f"profile.{extension}"
        if path.exists():
            return path
    return None


def identity_json_bytes(document):
    """The bytes of `identity.json` for a document, exactly as written."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode() + b"\n"


def read_identity_json_bytes(identity_uuid):
    """The bytes of the identity's `identity.json`, or None when there is none."""
    try:
        return identity_json_path(identity_uuid).read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def write_profile_image(identity_uuid, file_name, data):
    """Install the profile image atomically and drop the one with the other extension."""
    write_atomically(identity_dir(identity_uuid) / file_name, data)
    for extension in PROFILE_EXTENSIONS:
        if f"profile.{extension}" != file_name:
            (identity_dir(identity_uuid) / f"profile.{extension}").unlink(missing_ok=True)


def remove_profile_images(identity_uuid):
    """Remove the profile image, and the identity's directory once nothing is left in it."""
    directory = identity_dir(identity_uuid)
    for extension in PROFILE_EXTENSIONS:
        (directory / f"profile.{extension}").unlink(missing_ok=True)
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()


_IDENTITY_DIR_NAME = re.compile(r"[0-9a-f]{32}")


def identity_dir_uuids():
    """The uuids of the identity directories under `{output}/identities/` (names that are not a
    uuid in lowercase hex, and plain files, are not identity directories and are left out)."""
    try:
        entries = os.scandir(identities_root())
    except (FileNotFoundError, NotADirectoryError):
        return
    with entries:
        for entry in entries:
            if _IDENTITY_DIR_NAME.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                yield uuid.UUID(hex=entry.name)


def identity_dir_exists(identity_uuid):
    return identity_dir(identity_uuid).is_dir()


def remove_identity_dir(identity_uuid):
    """Remove everything on disk of an identity that no longer exists."""
    shutil.rmtree(identity_dir(identity_uuid), ignore_errors=True)
