"""Face crops on disk: `{output}/faces/{file_uuid hex}/{face_id}.jpg`, one JPEG per face.

`{output}/faces/` holds one directory per media file, and for a moment beside it the hidden
staging directory of an ingest (`.{file_uuid hex}.*.staging`, `faces.services.crops`); a crop is
written whole (beside it, then renamed), so a reader sees the old crop, the new one or none.
"""
import io
import tempfile
from pathlib import Path

from django.conf import settings

from faces.keys import face_id

# A crop's longer side at most, given to ingest or cut from a video.
CROP_MAX_SIDE = 4096
# Visually lossless for a face of a hundred pixels, about 5 kB each.
CROP_JPEG_QUALITY = 90


def crops_root():
    return Path(settings.MOMENTRY_OUTPUT_DIR) / "faces"


def file_crops_dir(file_uuid):
    return crops_root() / file_uuid.hex


def crop_path(file_uuid, frame_number, index):
    return file_crops_dir(file_uuid) / crop_file_name(frame_number, index)


def crop_file_name(frame_number, index):
    return f"{face_id(frame_number, index)}.jpg"


def crops_staging_dir(file_uuid):
    """A new, empty directory beside the file's crops directory, on the same filesystem, so it can
    be renamed into its place."""
    root = crops_root()
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root, prefix=f".{file_uuid.hex}.", suffix=".staging"))


def crop_jpeg(image):
    """The Pillow image as the bytes of an RGB JPEG, carrying no metadata."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=CROP_JPEG_QUALITY)
    return output.getvalue()
