"""The identity on disk: `{output}/identities/{uuid}/identity.json` and its profile image."""
import json
import os
import tempfile
from pathlib import Path

from django.conf import settings

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


def write_atomically(path, data):
    """Write bytes to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_identity_json(identity_uuid, document):
    data = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode() + b"\n"
    write_atomically(identity_json_path(identity_uuid), data)


def remove_identity_json(identity_uuid):
    identity_json_path(identity_uuid).unlink(missing_ok=True)
