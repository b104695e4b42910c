"""Face crops on disk: `{output}/faces/{file_uuid hex}/{face_id}.jpg`, one JPEG per face.

`{output}/faces/` holds one directory per media file and nothing else the service writes; a crop is
written whole (beside it, then renamed), so a reader sees the old crop, the new one or none.
"""
from pathlib import Path

from django.conf import settings

from faces.keys import face_id


def crops_root():
    return Path(settings.MOMENTRY_OUTPUT_DIR) / "faces"


def file_crops_dir(file_uuid):
    return crops_root() / file_uuid.hex


def crop_path(file_uuid, frame_number, index):
    return file_crops_dir(file_uuid) / f"{face_id(frame_number, index)}.jpg"
