"""Writes of media files, faces and chunks: ingest of one detection document per media file.

A document is validated whole before anything is written, then written in one transaction, so a
malformed document leaves nothing behind.
"""
import math
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from momentry.core.errors import Conflict
from momentry.core.locking import lock_in_key_order
from momentry.core.parsing import INT16_MAX, INT32_RANGE, parse_uuid

from .models import Chunk, FaceDetection, MediaFile, identity_model
from .segments import segments_rebuild_file
from .signals import face_owners_changed

FACE_BATCH_SIZE = 5000
CHUNK_BATCH_SIZE = 2000
MAX_IDENTITIES_PER_DOCUMENT = 10_000

INT32_MAX = INT32_RANGE[1]
FILE_NAME_MAX_LENGTH = MediaFile._meta.get_field("file_name").max_length
CHUNK_ID_MAX_LENGTH = Chunk._meta.get_field("chunk_id").max_length
CHUNK_TYPE_MAX_LENGTH = Chunk._meta.get_field("chunk_type").max_length


@dataclass(frozen=True)
class CleanFace:
    frame_number: int
    index: int
    bbox: list
    confidence: float
    trace_id: int
    embedding: list | None
    identity_uuid: uuid.UUID | None

    @property
    def key(self):
        return (self.frame_number, self.index)


@dataclass(frozen=True)
class CleanIngestDocument:
    file_uuid: uuid.UUID
    file_name: str
    fps: float
    duration: float
    frame_count: int
    faces: list
    chunks: list


@dataclass(frozen=True)
class IngestResult:
    file_uuid: uuid.UUID
    replaced: bool
    faces: int
    chunks: int
    bindings_kept: int
    bindings_dropped: int


def _is_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _integer(value, where, *, minimum=0, maximum=INT32_MAX):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{where} must be an integer, not {value!r}.")
    if value < minimum or value > maximum:
        raise ValidationError(f"{where} must be between {minimum} and {maximum}, not {value}.")
    return value


def _number(value, where, *, minimum=None, maximum=None):
    if not _is_number(value):
        raise ValidationError(f"{where} must be a finite number, not {value!r}.")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValidationError(f"{where} must be {bounds}, not {value}.")
    return float(value)


def _text(value, where, *, max_length=None, allow_empty=False):
    if not isinstance(value, str):
        raise ValidationError(f"{where} must be a string, not {value!r}.")
    if not allow_empty and not value.strip():
        raise ValidationError(f"{where} must not be empty.")
    if "\x00" in value:
        raise ValidationError(f"{where} must not contain NUL characters.")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(f"{where} must be at most {max_length} characters long.")
    return value


def _object(value, where):
    if not isinstance(value, dict):
        raise ValidationError(f"{where} must be a JSON object.")
    return value


def _list(document, field):
    if field not in document:
        raise ValidationError(f"{field} is required (a list, possibly empty).")
    if not isinstance(document[field], list):
        raise ValidationError(f"{field} must be a list.")
    return document[field]


def _clean_face(raw, where):
    face = _object(raw, where)
    for field in ("frame_number", "index", "bbox", "confidence", "trace_id"):
        if field not in face:
            raise ValidationError(f"{where}.{field} is required.")
    bbox = face["bbox"]
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(_is_number(v) for v in bbox):
        raise ValidationError(f"{where}.bbox must be [x1, y1, x2, y2], four finite numbers, not {bbox!r}.")
    if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
        raise ValidationError(f"{where}.bbox must have x1 <= x2 and y1 <= y2, not {bbox!r}.")
    embedding = face.get("embedding")
    if embedding is not None and (
        not isinstance(embedding, list) or not embedding or not all(_is_number(v) for v in embedding)
    ):
        raise ValidationError(f"{where}.embedding must be a non-empty list of finite numbers or null.")
    identity_uuid = face.get("identity_uuid")
    if identity_uuid is not None:
        identity_uuid = parse_uuid(identity_uuid)
        if identity_uuid is None:
            raise ValidationError(f"{where}.identity_uuid must be a UUID (32 hex digits or the dashed form) or null.")
    return CleanFace(
        frame_number=_integer(face["frame_number"], f"{where}.frame_number"),
        index=_integer(face["index"], f"{where}.index", maximum=INT16_MAX),
        bbox=[float(v) for v in bbox],
        confidence=_number(face["confidence"], f"{where}.confidence", minimum=0, maximum=1),
        trace_id=_integer(face["trace_id"], f"{where}.trace_id", minimum=-INT32_MAX - 1),
        embedding=[float(v) for v in embedding] if embedding is not None else None,
        identity_uuid=identity_uuid,
    )


def _clean_chunk(raw, where):
    chunk = _object(raw, where)
    for field in ("chunk_id", "chunk_type", "start_frame", "end_frame", "start_time", "end_time", "text"):
        if field not in chunk:
            raise ValidationError(f"{where}.{field} is required.")
    start_frame = _integer(chunk["start_frame"], f"{where}.start_frame")
    end_frame = _integer(chunk["end_frame"], f"{where}.end_frame")
    if end_frame < start_frame:
        raise ValidationError(f"{where}.end_frame ({end_frame}) is before start_frame ({start_frame}).")
    start_time = _number(chunk["start_time"], f"{where}.start_time", minimum=0)
    end_time = _number(chunk["end_time"], f"{where}.end_time", minimum=0)
    if end_time < start_time:
        raise ValidationError(f"{where}.end_time ({end_time}) is before start_time ({start_time}).")
    return {
        "chunk_id": _text(chunk["chunk_id"], f"{where}.chunk_id", max_length=CHUNK_ID_MAX_LENGTH),
        "chunk_type": _text(chunk["chunk_type"], f"{where}.chunk_type", max_length=CHUNK_TYPE_MAX_LENGTH),
        "start_frame": start_frame,
        "end_frame": end_frame,
        "start_time": start_time,
        "end_time": end_time,
        "text": _text(chunk["text"], f"{where}.text", allow_empty=True),
    }


def ingest_document_clean(document):
    """Validate an ingest document; the ValidationError names the field and the item's position."""
    _object(document, "The ingest document")
    for field in ("file_uuid", "file_name", "fps", "duration"):
        if field not in document:
            raise ValidationError(f"{field} is required.")
    file_uuid = parse_uuid(document["file_uuid"])
    if file_uuid is None:
        raise ValidationError(f"file_uuid must be a UUID (32 hex digits or the dashed form), not {document['file_uuid']!r}.")
    fps = _number(document["fps"], "fps", minimum=0)
    if fps == 0:
        raise ValidationError("fps must be greater than 0.")
    duration = _number(document["duration"], "duration", minimum=0)
    frame_count = document.get("frame_count")
    if frame_count is None:
        frames = duration * fps
        frame_count = _integer(round(frames) if math.isfinite(frames) else -1, "frame_count (duration × fps)")
    else:
        frame_count = _integer(frame_count, "frame_count")

    faces = [_clean_face(raw, f"faces[{position}]") for position, raw in enumerate(_list(document, "faces"))]
    seen_faces = {}
    for position, face in enumerate(faces):
        if face.key in seen_faces:
            raise ValidationError(
                f"faces[{position}] repeats face {face.frame_number}_{face.index} of faces[{seen_faces[face.key]}]: "
                "(frame_number, index) must be unique."
            )
        seen_faces[face.key] = position

    named_identities = {face.identity_uuid for face in faces if face.identity_uuid is not None}
    if len(named_identities) > MAX_IDENTITIES_PER_DOCUMENT:
        raise ValidationError(
            f"faces name {len(named_identities)} distinct identities; at most {MAX_IDENTITIES_PER_DOCUMENT} per document."
        )

    chunks = [_clean_chunk(raw, f"chunks[{position}]") for position, raw in enumerate(_list(document, "chunks"))]
    seen_chunks = {}
    for position, chunk in enumerate(chunks):
        if chunk["chunk_id"] in seen_chunks:
            raise ValidationError(
                f"chunks[{position}] repeats chunk_id {chunk['chunk_id']!r} of chunks[{seen_chunks[chunk['chunk_id']]}]."
            )
        seen_chunks[chunk["chunk_id"]] = position

    return CleanIngestDocument(
        file_uuid=file_uuid,
        file_name=_text(document["file_name"], "file_name", max_length=FILE_NAME_MAX_LENGTH),
        fps=fps,
        duration=duration,
        frame_count=frame_count,
        faces=faces,
        chunks=chunks,
    )


def _lock_identities(faces, media_file):
    """Lock the identities the faces name and those the file's faces are bound to now, in id order,
    so none is deleted while faces are pointed at it. Returns `{uuid: id}` of every locked one; a
    name that matches no identity makes the document malformed."""
    wanted = list(dict.fromkeys(face.identity_uuid for face in faces if face.identity_uuid is not None))
    condition = Q(identity_uuid__in=wanted)
    if media_file is not None:
        condition |= Q(id__in=media_file.faces.filter(identity__isnull=False).values("identity_id"))
    locked = {
        identity.identity_uuid: identity.pk
        for identity in lock_in_key_order(identity_model().objects.filter(condition).only("id", "identity_uuid"))
    }
    for position, face in enumerate(faces):
        if face.identity_uuid is not None and face.identity_uuid not in locked:
            raise ValidationError(f"faces[{position}].identity_uuid {face.identity_uuid.hex} names no identity.")
    return locked


def media_file_ingest(*, document, replace=False):
    """Write one ingest document: the media file, its faces and its chunks, whole or not at all.

    The document is validated before the transaction opens, so a large one holds no lock while it
    is checked. An existing `file_uuid` is refused (409) unless `replace`; then its faces and chunks
    are replaced, and a face whose `(frame_number, index)` still exists keeps the identity it was
    bound to (a curator's binding outlives a new detection run; the document's `identity_uuid`
    applies to the other faces). `face_owners_changed` names the identities whose faces changed.
    """
    clean = ingest_document_clean(document)
    with transaction.atomic():
        return _media_file_write(clean, replace=replace)


def _media_file_write(clean, *, replace):
    media_values = {
        "file_name": clean.file_name,
        "fps": clean.fps,
        "duration": clean.duration,
        "frame_count": clean.frame_count,
    }
    media_file = MediaFile.objects.select_for_update().filter(file_uuid=clean.file_uuid).first()
    if media_file is not None and not replace:
        raise Conflict(
            f"File {clean.file_uuid.hex} is already ingested; ingest with --replace to replace it.", code="file_exists"
        )
    locked_identities = _lock_identities(clean.faces, media_file)

    replaced = media_file is not None
    previous_bindings = {}
    if media_file is None:
        try:
            media_file = MediaFile.objects.create(file_uuid=clean.file_uuid, **media_values)
        except IntegrityError:
            raise Conflict(f"File {clean.file_uuid.hex} was ingested concurrently.", code="file_exists") from None
    else:
        bound_faces = media_file.faces.filter(identity__isnull=False).values_list("frame_number", "index", "identity_id")
        previous_bindings = {(frame_number, index): identity_id for frame_number, index, identity_id in bound_faces}
        media_file.faces.all().delete()
        media_file.chunks.all().delete()
        for field, value in media_values.items():
            setattr(media_file, field, value)
        media_file.save()

    faces = []
    for face in clean.faces:
        kept_identity_id = previous_bindings.get(face.key)
        faces.append(
            FaceDetection(
                media_file=media_file,
                frame_number=face.frame_number,
                index=face.index,
                bbox=face.bbox,
                confidence=face.confidence,
                trace_id=face.trace_id,
                embedding=face.embedding,
                identity_id=kept_identity_id if kept_identity_id is not None else locked_identities.get(face.identity_uuid),
            )
        )
    FaceDetection.objects.bulk_create(faces, batch_size=FACE_BATCH_SIZE)
    Chunk.objects.bulk_create([Chunk(media_file=media_file, **chunk) for chunk in clean.chunks], batch_size=CHUNK_BATCH_SIZE)
    segments_rebuild_file(media_file.pk)

    face_owners_changed.send(sender=FaceDetection, identity_uuids=sorted(locked_identities))
    bindings_kept = sum(1 for face in clean.faces if face.key in previous_bindings)
    return IngestResult(
        file_uuid=clean.file_uuid,
        replaced=replaced,
        faces=len(faces),
        chunks=len(clean.chunks),
        bindings_kept=bindings_kept,
        bindings_dropped=len(previous_bindings) - bindings_kept,
    )
