"""The face crops of an ingest document: checked and staged before its transaction, put in place
after its commit, so a refused or failed ingest leaves the file's crops as they were.

A face's `crop` is the path of a JPEG or PNG relative to the document's folder (where detection
pipelines save their aligned crops). Before the transaction opens, every crop is resolved (an
absolute path, `..` or a symlink leading out of the folder is refused), read (at most
CROP_MAX_BYTES), decoded whole (a truncated file is refused; a PNG's chunks and checksums are
verified first, since its pixels may decode without its end) and written into a staging directory
beside `{output}/faces/{file_uuid}`. Pillow's decompression-bomb warning is an error here, and a
crop is at most CROP_MAX_SIDE pixels a side, read from the header before anything is decoded.
The first crop refused refuses the document, naming the face, the path and the reason, and the
staging directory is removed: nothing of the document is written.

Stored bytes: a JPEG that decodes whole to RGB or greyscale is kept byte for byte (no second loss,
and re-encoding a 112-pixel crop costs 0.15 ms beside its 0.2 ms decode: 13 s of a 90k-face
ingest); any other crop (PNG, CMYK JPEG, ...) is encoded again as an RGB JPEG, upright.

A replace keeps the crop of a face whose `(frame_number, index)` remains and that the new document
gives none, as it keeps the face's binding (hard-linked into the staging directory, so the old
directory stays whole until the swap); the crops of faces that are gone go with the directory.

Durability: the staged files are written without fsync and the filesystem is synced once before
the transaction opens (90k crops of 8 kB: 0.1 ms each to write, 3 s of sync for all; an fsync of
each file cost 1.1 ms each, 100 s). After the commit, the staging directory and the file's
directory are exchanged in one rename (Linux's RENAME_EXCHANGE; two renames where it is missing)
and the parent directory is synced, so a crash leaves the old crops or the new ones.
"""
import contextlib
import ctypes
import errno
import io
import os
import shutil
import stat
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

from ..crops import CROP_MAX_SIDE, crop_file_name, crop_jpeg, crops_root, crops_staging_dir, file_crops_dir
from ..keys import parse_face_id
from .ingest_checks import FACE_KEY_STRIDE, MEDIA_PATH_MAX_LENGTH

CROP_FORMATS = ("JPEG", "PNG")
CROP_MAX_BYTES = 16 * 1024 * 1024
STAGING_THREADS = 4
# Modes a browser shows from a JPEG as they are; other JPEGs (CMYK, YCCK) are encoded again.
_STORED_AS_GIVEN_MODES = frozenset({"RGB", "L"})


class CropRefused(Exception):
    """Why one crop cannot be stored: a sentence."""


def _refused(position, crop, reason):
    return ValidationError(f"faces[{position}].crop {crop!r}: {reason}.")


def crop_source_path(folder, crop):
    """The crop's file, resolved, inside `folder` (resolved); CropRefused otherwise."""
    relative = Path(crop)
    if relative.is_absolute():
        raise CropRefused("is an absolute path; a crop is a path relative to the document's folder")
    try:
        path = (folder / relative).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise CropRefused(f"cannot be resolved: {exc}") from None
    if not path.is_relative_to(folder):
        raise CropRefused(f"resolves to {path}, outside the document's folder {folder}")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CropRefused(f"no such file ({path})") from None
    except OSError as exc:
        raise CropRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise CropRefused(f"{path} is not a regular file")
    return path


def _read_capped(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read(CROP_MAX_BYTES + 1)
    except OSError as exc:
        raise CropRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > CROP_MAX_BYTES:
        raise CropRefused(f"{path} is larger than {CROP_MAX_BYTES // (1024 * 1024)} MB")
    return data


def crop_stored_bytes(data):
    """The JPEG bytes to store for a crop's file contents, decoded whole first; CropRefused
    says why they cannot be. Call it under `bomb_warnings_refused()`."""
    try:
        image = Image.open(io.BytesIO(data), formats=CROP_FORMATS)
        width, height = image.size
        if width > CROP_MAX_SIDE or height > CROP_MAX_SIDE:
            raise CropRefused(
                f"the image is {width}x{height} pixels; a crop is at most {CROP_MAX_SIDE} pixels a side"
            )
        if image.format == "PNG":
            image.verify()  # every chunk and checksum up to IEND; then it must be opened again
            image = Image.open(io.BytesIO(data), formats=["PNG"])
        image.load()
        if image.format == "JPEG" and image.mode in _STORED_AS_GIVEN_MODES:
            return data
        return crop_jpeg(ImageOps.exif_transpose(image))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise CropRefused(f"a decompression bomb: {exc}") from None
    except UnidentifiedImageError:
        raise CropRefused("not a JPEG or PNG image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CropRefused(f"a corrupt or truncated image ({exc})") from None


class CropStage:
    """A file's crops staged beside its crops directory, to take its place after the commit."""

    def __init__(self, file_uuid):
        self.file_uuid = file_uuid
        self.final = file_crops_dir(file_uuid)
        self.directory = crops_staging_dir(file_uuid)
        self.given = 0
        self.kept = 0

    def write(self, name, data):
        with open(self.directory / name, "xb") as handle:
            handle.write(data)

    def keep(self, name):
        """The current crop `name` of the file, linked into the stage."""
        try:
            os.link(self.final / name, self.directory / name)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.EOPNOTSUPP):
                raise
            shutil.copyfile(self.final / name, self.directory / name)

    def swap(self):
        """Put the staged crops in place of the file's crops (none staged: the directory goes)."""
        staged = self.given + self.kept
        if self.final.exists():
            if staged and _exchange(self.directory, self.final):
                shutil.rmtree(self.directory)
            else:
                aside = self.directory.with_name(self.directory.name + ".old")
                os.rename(self.final, aside)
                if staged:
                    os.rename(self.directory, self.final)
                shutil.rmtree(aside)
        elif staged:
            os.rename(self.directory, self.final)
        shutil.rmtree(self.directory, ignore_errors=True)
        _fsync_directory(crops_root())

    def discard(self):
        shutil.rmtree(self.directory, ignore_errors=True)


def crops_stage(*, faces, file_uuid, document_dir, keep_current):
    """Check the faces' crops and stage them (CropStage), or None when the file has no crops to
    write or to remove. `keep_current`: the file exists and is replaced, so its crops of remaining
    faces that the document gives none stay. A refused crop raises ValidationError, staging nothing."""
    given = [(position, face) for position, face in enumerate(faces) if face.get("crop") is not None]
    final = file_crops_dir(file_uuid)
    if not given and not final.exists():
        return None
    if given and document_dir is None:
        raise ValidationError(
            f"faces[{given[0][0]}].crop is given but not the document's folder: a crop is a path relative to it."
        )
    stage = CropStage(file_uuid)
    try:
        _stage_given(stage, given, document_dir)
        if keep_current and final.exists():
            _stage_kept(stage, faces, given)
        os.sync()
    except BaseException:
        stage.discard()
        raise
    return stage


@contextlib.contextmanager
def bomb_warnings_refused():
    """Over Image.MAX_IMAGE_PIXELS Pillow only warns (an error from twice that): make both errors.
    The warning filters are the process's, so this is entered once, around all the threads."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _stage_given(stage, given, document_dir):
    """Each crop read, checked and written by a few threads: the time is in file system calls and
    in Pillow's decoder, which both release the GIL (8,232 demo crops: 5.8 s in one thread)."""
    if not given:
        return
    folder = Path(document_dir).resolve()

    def stage_one(item):
        position, face = item
        crop = face["crop"]
        try:
            data = crop_stored_bytes(_read_capped(crop_source_path(folder, crop)))
        except CropRefused as exc:
            raise _refused(position, crop, exc) from None
        stage.write(crop_file_name(face["frame_number"], face["index"]), data)

    pool = ThreadPoolExecutor(max_workers=STAGING_THREADS)
    try:
        with bomb_warnings_refused():
            for _ in pool.map(stage_one, given):  # in order: the first refused crop is the one named
                stage.given += 1
    finally:
        pool.shutdown(cancel_futures=True)


def _stage_kept(stage, faces, given):
    given_keys = {face["frame_number"] * FACE_KEY_STRIDE + face["index"] for _, face in given}
    remaining = {face["frame_number"] * FACE_KEY_STRIDE + face["index"] for face in faces}
    with os.scandir(stage.final) as entries:
        for entry in entries:
            name = entry.name
            key = parse_face_id(name[:-4]) if name.endswith(".jpg") else None
            if key is None or not entry.is_file(follow_symlinks=False):
                continue
            face_key = key[0] * FACE_KEY_STRIDE + key[1]
            if face_key in remaining and face_key not in given_keys:
                stage.keep(name)
                stage.kept += 1


def media_path_resolve(media_path, *, document_dir):
    """The absolute path of the document's `media_path` (relative to its folder, or absolute)."""
    if media_path is None:
        return None
    path = Path(media_path)
    if not path.is_absolute():
        if document_dir is None:
            raise ValidationError("media_path is relative but the document's folder is not given.")
        path = Path(document_dir) / path
    resolved = str(path.resolve())
    if len(resolved) > MEDIA_PATH_MAX_LENGTH:
        raise ValidationError(f"media_path resolves to a path over {MEDIA_PATH_MAX_LENGTH} characters.")
    return resolved


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True)
_renameat2 = getattr(_libc, "renameat2", None)


def _exchange(first, second):
    """Swap two paths in one atomic rename; False where the system cannot."""
    if _renameat2 is None:
        return False
    result = _renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(error, os.strerror(error), str(first))


def _fsync_directory(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
