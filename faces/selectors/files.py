"""Reads of media files and of the faces bound to an identity."""
from django.db.models import Avg, Count, IntegerField, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from ..models import Chunk, FaceDetection, MediaFile


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


def identity_bound_file_uuids(identity):
    """The uuids of the files where faces are bound to the identity (one query)."""
    return set(
        FaceDetection.objects.filter(identity=identity)
        .order_by()
        .values_list("media_file__file_uuid", flat=True)
        .distinct()
    )


def identity_file_summaries(identity, *, media_files=None):
    """Per file with faces bound to the identity: counts, appearance span and mean confidence.

    One grouped query, in the order the files were ingested; only `media_files` unless None.
    """
    rows = (
        _bound_faces(identity, media_files)
        .values("media_file_id", "media_file__file_uuid", "media_file__file_name", "media_file__fps")
        .annotate(
            face_count=Count("id"),
            first_frame=Min("frame_number"),
            last_frame=Max("frame_number"),
            avg_confidence=Avg("confidence"),
        )
        .order_by("media_file_id")
    )
    return [
        {
            "file_uuid": row["media_file__file_uuid"],
            "file_name": row["media_file__file_name"],
            "face_count": row["face_count"],
            "first_appearance": frame_seconds(row["first_frame"], row["media_file__fps"]),
            "last_appearance": frame_seconds(row["last_frame"], row["media_file__fps"]),
            "avg_confidence": row["avg_confidence"],
        }
        for row in rows
    ]


def identity_faces(identity, *, media_files=None):
    """The faces bound to the identity, by file then frame then index (embeddings left out)."""
    return (
        _bound_faces(identity, media_files)
        .select_related("media_file")
        .defer("embedding")
        .order_by("media_file_id", "frame_number", "index")
    )


def identity_face_summary(identity, *, media_files=None):
    """Face count, file count and whether any bound face carries an embedding (one query)."""
    summary = _bound_faces(identity, media_files).aggregate(
        face_count=Count("id"),
        file_count=Count("media_file", distinct=True),
        embedding_count=Count("embedding"),
    )
    return {
        "face_count": summary["face_count"],
        "file_count": summary["file_count"],
        "has_embedding": summary["embedding_count"] > 0,
    }


def media_file_list():
    """Files by name, each with its face, trace and chunk counts (subqueries, so no row fan-out)."""
    def count_of(queryset, expression):
        counted = queryset.filter(media_file=OuterRef("pk")).order_by().values("media_file")
        return Coalesce(Subquery(counted.annotate(n=expression).values("n"), output_field=IntegerField()), 0)

    return MediaFile.objects.annotate(
        face_count=count_of(FaceDetection.objects, Count("id")),
        trace_count=count_of(FaceDetection.objects, Count("trace_id", distinct=True)),
        chunk_count=count_of(Chunk.objects, Count("id")),
    ).order_by("file_name", "id")
