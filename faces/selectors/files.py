"""Reads of media files and of the faces bound to an identity."""
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from momentry.core.paging import Page

from ..keys import face_id
from ..models import Chunk, FaceDetection, MediaFile, TraceSegment
from .sql import MEDIA_FILE_TABLE, SEGMENT_TABLE, fetch, file_uuid_of, segments_where


def frame_seconds(frame_number, fps):
    """`frame_number / fps`, the contract's time of a frame; None for a file without a frame rate."""
    return frame_number / fps if fps else None


def media_file_get(file_uuid):
    """The media file with this (parsed) uuid, or 404."""
    try:
        return MediaFile.objects.get(file_uuid=file_uuid)
    except MediaFile.DoesNotExist:
        raise Http404(f"No media file with uuid {file_uuid.hex}.") from None


def media_files_with_uuids(file_uuids):
    """The MediaFile queryset of some file uuids (hex or UUIDs); None (every file) for None.

    Turns the files an API key is limited to into the `media_files` the reads below take.
    """
    if file_uuids is None:
        return None
    return MediaFile.objects.filter(file_uuid__in=list(file_uuids))


def _bound_faces(identity, media_files):
    """The faces bound to the identity, within `media_files` (a MediaFile queryset) unless None."""
    faces = FaceDetection.objects.filter(identity=identity)
    return faces if media_files is None else faces.filter(media_file__in=media_files)


def identity_segments(identity, media_files=None):
    """The identity's trace segments, within `media_files` (a MediaFile queryset) unless None."""
    segments = TraceSegment.objects.filter(identity=identity)
    return segments if media_files is None else segments.filter(media_file__in=media_files)


def identity_bound_file_uuids(identity):
    """The uuids of the files where faces are bound to the identity (one query)."""
    segments = identity_segments(identity).order_by()
    return set(segments.values_list("media_file__file_uuid", flat=True).distinct())


def identity_file_summaries(identity, *, media_files=None):
    """Per file with faces bound to the identity: counts, appearance span and mean confidence.

    The identity's segments hold exactly its bound faces, so their counts add up, their spans
    combine by MIN and MAX and their means weighted by face count. One query grouping the
    segments by file alone (then joined to the file row), in the order the files were ingested;
    only `media_files` unless None.
    """
    where, params = segments_where(identity.pk, media_files)
    rows = fetch(
        f"""SELECT m.file_uuid, m.file_name, m.fps, g.face_count, g.first_frame, g.last_frame,
                   g.confidence_sum / g.face_count
            FROM (
                SELECT s.media_file_id, SUM(s.face_count) AS face_count, MIN(s.first_frame) AS first_frame,
                       MAX(s.last_frame) AS last_frame, SUM(s.avg_confidence * s.face_count) AS confidence_sum
                FROM {SEGMENT_TABLE} s WHERE {where} GROUP BY s.media_file_id
            ) g
            JOIN {MEDIA_FILE_TABLE} m ON m.id = g.media_file_id
            ORDER BY g.media_file_id""",
        params,
    )
    return [
        {
            "file_uuid": file_uuid_of(file_uuid),
            "file_name": file_name,
            "face_count": int(face_count),
            "first_appearance": frame_seconds(first_frame, fps),
            "last_appearance": frame_seconds(last_frame, fps),
            "avg_confidence": avg_confidence,
        }
        for file_uuid, file_name, fps, face_count, first_frame, last_frame, avg_confidence in rows
    ]


@dataclass(frozen=True)
class FaceRow:
    face_id: str
    file_uuid: object
    frame_number: int
    timestamp: float | None
    bbox: list
    confidence: float
    trace_id: int

    @classmethod
    def of(cls, file_uuid, fps, trace_id, frame_number, index, confidence, bbox):
        """The face as the API and the console show it (its face_id and timestamp worked out), from
        its columns in this order."""
        return cls(
            face_id=face_id(frame_number, index),
            file_uuid=file_uuid,
            frame_number=frame_number,
            timestamp=frame_seconds(frame_number, fps),
            bbox=bbox,
            confidence=confidence,
            trace_id=trace_id,
        )


# In FaceRow.of's order.
_FACE_PAGE_COLUMNS = (
    "media_file__file_uuid", "media_file__fps", "trace_id", "frame_number", "index", "confidence", "bbox"
)


def identity_face_page(identity, *, page, page_size, media_files=None):
    """One page of the faces bound to the identity, by file then frame then index, as `FaceRow`s.

    The total is summed over the identity's segments (a COUNT would read each of its faces: 100k
    index entries for a big identity), in the page's own query as a subquery computed once; only a
    page past the end, which has no row to carry it, asks for it apart. No model instances.
    """
    segments = identity_segments(identity, media_files)
    face_total = Subquery(segments.order_by().values("identity").annotate(n=Sum("face_count")).values("n"))
    offset = (page - 1) * page_size
    rows = list(
        _bound_faces(identity, media_files)
        .order_by("media_file_id", "frame_number", "index")
        .annotate(total=face_total)
        .values_list(*_FACE_PAGE_COLUMNS, "total")[offset : offset + page_size]
    )
    total = rows[0][-1] if rows else segments.aggregate(n=Coalesce(Sum("face_count"), 0))["n"]
    return Page(items=[FaceRow.of(*row[:-1]) for row in rows], total=total, page=page, page_size=page_size)


def identity_face_summary(identity, *, media_files=None):
    """Face count, file count and whether any bound face carries an embedding (one query, in raw
    SQL as the file summaries: the ORM's aggregate compiled for longer than the segments took)."""
    where, params = segments_where(identity.pk, media_files)
    ((face_count, file_count, embedding_count),) = fetch(
        f"""SELECT COALESCE(SUM(s.face_count), 0), COUNT(DISTINCT s.media_file_id), COALESCE(SUM(s.embedding_count), 0)
            FROM {SEGMENT_TABLE} s WHERE {where}""",
        params,
    )
    return {"face_count": int(face_count), "file_count": file_count, "has_embedding": embedding_count > 0}


def media_file_list():
    """Files by name, each with its face, trace and chunk counts (subqueries, so no row fan-out):
    faces and traces from the segments, which hold every face of a file once."""
    def count_of(queryset, expression):
        counted = queryset.filter(media_file=OuterRef("pk")).order_by().values("media_file")
        return Coalesce(Subquery(counted.annotate(n=expression).values("n"), output_field=IntegerField()), 0)

    return MediaFile.objects.annotate(
        face_count=count_of(TraceSegment.objects, Sum("face_count")),
        trace_count=count_of(TraceSegment.objects, Count("trace_id", distinct=True)),
        chunk_count=count_of(Chunk.objects, Count("id")),
    ).order_by("file_name", "id")
