"""Ingest of one detection document per media file.

A document is checked whole before anything is written (`ingest_checks`), its face crops read,
decoded and staged beside the file's crops (`crops`), then written in one transaction: the media
file, its faces and chunks streamed in (`ingest_rows`), the file's trace segments rebuilt from the
faces; the staged crops take the place of the file's crops once that transaction has committed. So
a malformed document, a refused crop or a failure anywhere leaves nothing, on disk included.
"""
import dataclasses
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from momentry.core.errors import Conflict
from momentry.core.locking import lock_in_key_order

from ..centroids import library_embedding_dimensions
from ..models import Chunk, FaceDetection, MediaFile, identity_model
from ..segments import segments_rebuild_file
from ..signals import face_owners_changed
from .crops import crops_stage, media_path_resolve
from .ingest_checks import ingest_document_check
from .ingest_rows import CHUNK_COLUMNS, FACE_COLUMNS, FaceRows, chunk_rows, face_bindings_of_file, rows_insert


@dataclass(frozen=True)
class IngestResult:
    file_uuid: uuid.UUID
    replaced: bool
    faces: int
    chunks: int
    bindings_kept: int
    bindings_dropped: int
    # Crops written from the document, and crops of remaining faces kept by a replace.
    crops: int = 0
    crops_kept: int = 0


def _lock_identities(checked, media_file):
    """Lock the identities the faces name and those the file's faces are bound to now, in id order,
    so none is deleted while faces are pointed at it. Returns `{uuid: id}` of every locked one; a
    name that matches no identity makes the document malformed."""
    named = set(checked.identity_uuids.values())
    condition = Q(identity_uuid__in=named)
    if media_file is not None:
        condition |= Q(id__in=media_file.faces.filter(identity__isnull=False).values("identity_id"))
    locked = {
        identity.identity_uuid: identity.pk
        for identity in lock_in_key_order(identity_model().objects.filter(condition).only("id", "identity_uuid"))
    }
    if not named <= locked.keys():
        for position, face in enumerate(checked.faces):
            named_uuid = checked.identity_uuids.get(face.get("identity_uuid"))
            if named_uuid is not None and named_uuid not in locked:
                raise ValidationError(f"faces[{position}].identity_uuid {named_uuid.hex} names no identity.")
    return locked


def _ensure_embedding_space(checked, media_file):
    """Refuse embeddings of another length than the library's (a file that is being replaced does
    not count: re-ingesting the only file may change the space)."""
    if checked.embedding_dimensions is None:
        return
    library = library_embedding_dimensions(excluding_file_id=media_file.pk if media_file else None)
    if library is not None and library != checked.embedding_dimensions:
        raise ValidationError(
            f"The faces' embeddings have {checked.embedding_dimensions} numbers, the library's have {library}: "
            "every embedding of a library has the same length."
        )


def media_file_ingest(*, document, replace=False, document_dir=None):
    """Write one ingest document: the media file, its faces, chunks and crops, whole or not at all.

    The document is checked and its crops staged before the transaction opens, so a large one
    holds no lock meanwhile. `document_dir` is the document's folder, which the faces' `crop` paths
    and a relative `media_path` are relative to (a document that has them is refused without it).
    An existing `file_uuid` is refused (409) unless `replace`; then its faces and chunks are
    replaced, and a face whose `(frame_number, index)` still exists keeps the identity it was bound
    to (a curator's binding outlives a new detection run; the document's `identity_uuid` applies to
    the other faces) and its crop when the document gives none. `face_owners_changed` names the
    identities whose faces changed.
    """
    checked = ingest_document_check(document)
    media_path = media_path_resolve(checked.media_path, document_dir=document_dir)
    exists = MediaFile.objects.filter(file_uuid=checked.file_uuid).exists()
    if exists and not replace:
        raise _file_exists(checked.file_uuid)
    stage = crops_stage(
        faces=checked.faces, file_uuid=checked.file_uuid, document_dir=document_dir, keep_current=exists
    )
    try:
        # Durable: the crops are swapped in when this commits, not when some caller's transaction does.
        with transaction.atomic(durable=True):
            result = _media_file_write(checked, replace=replace, media_path=media_path)
            if stage is not None:
                transaction.on_commit(stage.swap)
    except BaseException:
        if stage is not None:
            stage.discard()
        raise
    if stage is None:
        return result
    return dataclasses.replace(result, crops=stage.given, crops_kept=stage.kept)


def _file_exists(file_uuid):
    return Conflict(
        f"File {file_uuid.hex} is already ingested; ingest with --replace to replace it.", code="file_exists"
    )


def _media_file_write(checked, *, replace, media_path):
    media_values = {
        "file_name": checked.file_name,
        "media_path": media_path,
        "fps": checked.fps,
        "duration": checked.duration,
        "frame_count": checked.frame_count,
    }
    media_file = MediaFile.objects.select_for_update().filter(file_uuid=checked.file_uuid).first()
    if media_file is not None and not replace:
        raise _file_exists(checked.file_uuid)
    _ensure_embedding_space(checked, media_file)
    locked_identities = _lock_identities(checked, media_file)

    replaced = media_file is not None
    previous_bindings = {}
    if media_file is None:
        try:
            media_file = MediaFile.objects.create(file_uuid=checked.file_uuid, **media_values)
        except IntegrityError:
            raise Conflict(f"File {checked.file_uuid.hex} was ingested concurrently.", code="file_exists") from None
    else:
        previous_bindings = face_bindings_of_file(media_file.pk)
        # One DELETE each (no signal or cascade asks for the rows one by one).
        media_file.faces.all().delete()
        media_file.chunks.all().delete()
        for field, value in media_values.items():
            setattr(media_file, field, value)
        media_file.save()

    face_rows = FaceRows(
        checked.faces,
        media_file_id=media_file.pk,
        identity_ids={value: locked_identities[named] for value, named in checked.identity_uuids.items()},
        previous_bindings=previous_bindings,
    )
    rows_insert(FaceDetection, FACE_COLUMNS, face_rows)
    rows_insert(Chunk, CHUNK_COLUMNS, chunk_rows(checked.chunks, media_file_id=media_file.pk))
    segments_rebuild_file(media_file.pk, embedding_sums=face_rows.embedding_sums)

    face_owners_changed.send(sender=FaceDetection, identity_uuids=sorted(locked_identities))
    return IngestResult(
        file_uuid=checked.file_uuid,
        replaced=replaced,
        faces=len(checked.faces),
        chunks=len(checked.chunks),
        bindings_kept=face_rows.kept,
        bindings_dropped=len(previous_bindings) - face_rows.kept,
    )
