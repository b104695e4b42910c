"""Which crop shows a face, a trace or an identity: reads of the faces' crops (`faces.crops`).

A trace's face is its strongest: highest confidence × bbox area, as the segments pick each one's
best face (`faces.segments`, ties to the first frame and index). The trace's best is the best of
its segments' best faces; when that one has no crop on disk, the next of those that has one, so a
trace bound in parts still shows a face while crops are being cut. Only the segments' best faces
are tried (a few paths), never every face of the trace.

An identity's best faces are one a trace: each of its traces' best face bound to it (its segment's),
strongest traces first as a curator ranks them: most of the identity's faces, then the most
confident, then file and trace (`identity_strongest_traces`'s order), so paging is stable.
"""
from django.db.models import Count, FloatField, JSONField, OuterRef, Subquery, Window
from django.http import Http404

from momentry.core.paging import Page

from ..crops import crop_path
from ..keys import parse_face_id
from ..models import FaceDetection, TraceSegment
from ..segments import face_strength
from .files import FaceRow, identity_segments
from .traces import STRONGEST_TRACES_ORDER


class NoCrop(Http404):
    """A face or trace that exists but has no crop on disk (yet): a 404 to the API, a placeholder
    to the console."""


def _with_best_face(segments):
    """Segments annotated with their best face's `best_confidence` and `best_bbox` (one probe of
    the faces' unique key per segment, in the same query)."""
    best = FaceDetection.objects.filter(
        media_file=OuterRef("media_file"), frame_number=OuterRef("best_frame"), index=OuterRef("best_index")
    )
    return segments.annotate(
        best_confidence=Subquery(best.values("confidence")[:1], output_field=FloatField()),
        best_bbox=Subquery(best.values("bbox")[:1], output_field=JSONField()),
    )


def face_crop_path(media_file, face_id):
    """The crop of the file's face `face_id` (the API's form); 404 when the face is unknown or has
    no crop. One query."""
    key = parse_face_id(face_id)
    if key is None or not FaceDetection.objects.filter(
        media_file=media_file, frame_number=key[0], index=key[1]
    ).exists():
        raise Http404(f"No face {face_id} in media file {media_file.file_uuid.hex}.")
    path = crop_path(media_file.file_uuid, *key)
    if not path.is_file():
        raise NoCrop(f"Face {face_id} of media file {media_file.file_uuid.hex} has no crop.")
    return path


def trace_crop_path(media_file, trace_id):
    """The crop of the trace's strongest face that has one (see the module); 404 when the file has
    no such trace or none of its segments' best faces has a crop. One query."""
    rows = _with_best_face(TraceSegment.objects.filter(media_file=media_file, trace_id=trace_id)).values_list(
        "best_frame", "best_index", "best_confidence", "best_bbox"
    )
    ranked = sorted(
        (-face_strength(confidence, bbox), frame_number, index) for frame_number, index, confidence, bbox in rows
    )
    if not ranked:
        raise Http404(f"No trace {trace_id} in media file {media_file.file_uuid.hex}.")
    for _strength, frame_number, index in ranked:
        path = crop_path(media_file.file_uuid, frame_number, index)
        if path.is_file():
            return path
    raise NoCrop(f"Trace {trace_id} of media file {media_file.file_uuid.hex} has no crop.")


# In FaceRow.of's order.
BEST_FACE_COLUMNS = (
    "media_file__file_uuid",
    "media_file__fps",
    "trace_id",
    "best_frame",
    "best_index",
    "best_confidence",
    "best_bbox",
)


def identity_best_face_page(identity, *, page, page_size, media_files=None):
    """One page of the identity's best faces, one a trace (see the module), as `FaceRow`s. One
    query (the total rides on each row), a second only for a page past the end."""
    segments = identity_segments(identity, media_files)
    offset = (page - 1) * page_size
    ordered = _with_best_face(segments).annotate(total=Window(Count("id"))).order_by(*STRONGEST_TRACES_ORDER)
    rows = list(ordered.values_list(*BEST_FACE_COLUMNS, "total")[offset : offset + page_size])
    total = rows[0][-1] if rows else segments.count()
    return Page(items=[FaceRow.of(*row[:-1]) for row in rows], total=total, page=page, page_size=page_size)


def identity_best_faces(identity, *, limit, media_files=None):
    """The identity's first `limit` best faces, one a trace, strongest traces first (see the
    module), as `FaceRow`s: what the console shows of who an identity is. One query."""
    ordered = _with_best_face(identity_segments(identity, media_files)).order_by(*STRONGEST_TRACES_ORDER)
    rows = ordered.values_list(*BEST_FACE_COLUMNS)[:limit]
    return [FaceRow.of(*row) for row in rows]
