"""The checks of an ingest document, all made before anything is written.

They copy nothing: each face is tested where it is, and the writer (`ingest_rows`) reads the same
objects. A list of numbers is tested by its element types and its sum, both in C, and only a list
that test leaves open is tested value by value. A face with 16 floats of embedding takes 1.5 µs
(13 µs when each number was a call), with 512 9 µs (83). The messages, and the order in which a
face's fields are tested, are those of the field-by-field checks.
"""
import math
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from momentry.core.parsing import INT16_MAX, INT32_RANGE, parse_uuid

from ..models import Chunk, MediaFile

MAX_IDENTITIES_PER_DOCUMENT = 10_000

INT32_MIN, INT32_MAX = INT32_RANGE
FILE_NAME_MAX_LENGTH = MediaFile._meta.get_field("file_name").max_length
CHUNK_ID_MAX_LENGTH = Chunk._meta.get_field("chunk_id").max_length
CHUNK_TYPE_MAX_LENGTH = Chunk._meta.get_field("chunk_type").max_length
MEDIA_PATH_MAX_LENGTH = MediaFile._meta.get_field("media_path").max_length

FACE_FIELDS = ("frame_number", "index", "bbox", "confidence", "trace_id")
_FACE_FIELD_SET = frozenset(FACE_FIELDS)
CHUNK_FIELDS = ("chunk_id", "chunk_type", "start_frame", "end_frame", "start_time", "end_time", "text")
_FLOATS = {float}


def only_floats(values):
    """Whether every value is exactly a float (one set of types, faster than a test per value)."""
    return set(map(type, values)) == _FLOATS


# A face's (frame_number, index) as one integer (index < 2**15), for the sets and maps of a document.
FACE_KEY_STRIDE = INT16_MAX + 1


@dataclass(frozen=True)
class CheckedDocument:
    file_uuid: uuid.UUID
    file_name: str
    fps: float
    duration: float
    frame_count: int
    # The video's path as the document gives it (relative to the document's folder, or absolute).
    media_path: str | None
    # The document's own face objects, every one checked (a `crop` only for its type: the files
    # are checked by `crops`).
    faces: list
    # (chunk_id, chunk_type, start_frame, end_frame, start_time, end_time, text) per chunk.
    chunks: list
    # Each `identity_uuid` value the faces give, mapped to the UUID it names.
    identity_uuids: dict
    # The length of every embedding the faces carry (one embedding space), None when none does.
    embedding_dimensions: int | None


def _is_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _finite_numbers(values):
    """Whether every value is a finite number. Floats whose sum is finite are (an infinity or a NaN
    makes the sum one); anything else, a sum that overflows included, is tested value by value."""
    if only_floats(values) and math.isfinite(sum(values)):
        return True
    return all(map(_is_number, values))


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


def _check_face(face, position, identity_uuids):
    """Check one face, its fields in the messages' order; returns its key. The exact-type tests
    inline settle the common case, and the helpers give the message (or accept a subclass)."""
    if not isinstance(face, dict):
        raise ValidationError(f"faces[{position}] must be a JSON object.")
    if not face.keys() >= _FACE_FIELD_SET:
        missing = next(field for field in FACE_FIELDS if field not in face)
        raise ValidationError(f"faces[{position}].{missing} is required.")
    bbox = face["bbox"]
    if not isinstance(bbox, list) or len(bbox) != 4 or not _finite_numbers(bbox):
        raise ValidationError(f"faces[{position}].bbox must be [x1, y1, x2, y2], four finite numbers, not {bbox!r}.")
    if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
        raise ValidationError(f"faces[{position}].bbox must have x1 <= x2 and y1 <= y2, not {bbox!r}.")
    embedding = face.get("embedding")
    if embedding is not None and (not isinstance(embedding, list) or not embedding or not _finite_numbers(embedding)):
        raise ValidationError(f"faces[{position}].embedding must be a non-empty list of finite numbers or null.")
    crop = face.get("crop")
    if crop is not None:
        _text(crop, f"faces[{position}].crop", max_length=MEDIA_PATH_MAX_LENGTH)
    identity = face.get("identity_uuid")
    if identity is not None and (type(identity) is not str or identity not in identity_uuids):
        _note_identity(identity, position, identity_uuids)
    frame_number, index = face["frame_number"], face["index"]
    if type(frame_number) is not int or not 0 <= frame_number <= INT32_MAX:
        _integer(frame_number, f"faces[{position}].frame_number")
    if type(index) is not int or not 0 <= index <= INT16_MAX:
        _integer(index, f"faces[{position}].index", maximum=INT16_MAX)
    confidence = face["confidence"]
    if type(confidence) is not float or not 0.0 <= confidence <= 1.0:
        _number(confidence, f"faces[{position}].confidence", minimum=0, maximum=1)
    trace_id = face["trace_id"]
    if type(trace_id) is not int or not INT32_MIN <= trace_id <= INT32_MAX:
        _integer(trace_id, f"faces[{position}].trace_id", minimum=INT32_MIN)
    return frame_number * FACE_KEY_STRIDE + index


def _note_identity(value, position, identity_uuids):
    parsed = parse_uuid(value)
    if parsed is None:
        raise ValidationError(f"faces[{position}].identity_uuid must be a UUID (32 hex digits or the dashed form) or null.")
    identity_uuids[value] = parsed


def _check_faces(faces):
    """Check every face, then that no two share a key; returns `identity_uuids` (CheckedDocument)."""
    identity_uuids, keys = {}, set()
    add_key = keys.add
    for position, face in enumerate(faces):
        add_key(_check_face(face, position, identity_uuids))
    if len(keys) < len(faces):
        seen = {}
        for position, face in enumerate(faces):
            key = (face["frame_number"], face["index"])
            if key in seen:
                raise ValidationError(
                    f"faces[{position}] repeats face {key[0]}_{key[1]} of faces[{seen[key]}]: "
                    "(frame_number, index) must be unique."
                )
            seen[key] = position
    return identity_uuids


def _embedding_dimensions(faces):
    """The one length of the faces' embeddings: centroids add embeddings, so they must agree."""
    lengths = {len(embedding) for face in faces if (embedding := face.get("embedding")) is not None}
    if len(lengths) <= 1:
        return next(iter(lengths), None)
    first = None
    for position, face in enumerate(faces):
        embedding = face.get("embedding")
        if embedding is None:
            continue
        if first is None:
            first = (position, len(embedding))
        elif len(embedding) != first[1]:
            raise ValidationError(
                f"faces[{position}].embedding has {len(embedding)} numbers where faces[{first[0]}].embedding has "
                f"{first[1]}: every embedding of a library has the same length."
            )


def _clean_chunk(raw, where):
    chunk = _object(raw, where)
    for field in CHUNK_FIELDS:
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
    return (
        _text(chunk["chunk_id"], f"{where}.chunk_id", max_length=CHUNK_ID_MAX_LENGTH),
        _text(chunk["chunk_type"], f"{where}.chunk_type", max_length=CHUNK_TYPE_MAX_LENGTH),
        int(start_frame),
        int(end_frame),
        start_time,
        end_time,
        _text(chunk["text"], f"{where}.text", allow_empty=True),
    )


def _media_path(document):
    media_path = document.get("media_path")
    return None if media_path is None else _text(media_path, "media_path", max_length=MEDIA_PATH_MAX_LENGTH)


def ingest_document_check(document):
    """Check an ingest document; the ValidationError names the field and the item's position."""
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

    faces = _list(document, "faces")
    identity_uuids = _check_faces(faces)
    named_identities = len(set(identity_uuids.values()))
    if named_identities > MAX_IDENTITIES_PER_DOCUMENT:
        raise ValidationError(
            f"faces name {named_identities} distinct identities; at most {MAX_IDENTITIES_PER_DOCUMENT} per document."
        )

    chunks = [_clean_chunk(raw, f"chunks[{position}]") for position, raw in enumerate(_list(document, "chunks"))]
    seen_chunks = {}
    for position, chunk in enumerate(chunks):
        if chunk[0] in seen_chunks:
            first = seen_chunks[chunk[0]]
            raise ValidationError(f"chunks[{position}] repeats chunk_id {chunk[0]!r} of chunks[{first}].")
        seen_chunks[chunk[0]] = position

    return CheckedDocument(
        file_uuid=file_uuid,
        file_name=_text(document["file_name"], "file_name", max_length=FILE_NAME_MAX_LENGTH),
        fps=fps,
        duration=duration,
        frame_count=frame_count,
        media_path=_media_path(document),
        faces=faces,
        chunks=chunks,
        identity_uuids=identity_uuids,
        embedding_dimensions=_embedding_dimensions(faces),
    )
