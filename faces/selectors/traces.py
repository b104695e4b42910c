"""Reads of traces from their segments: an identity's, with its totals, and a file's, with their owners."""
from dataclasses import dataclass

from django.db.models import Count, F, Min, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber

from ..keys import face_id
from ..models import TraceSegment
from .files import frame_seconds, identity_segments

# An identity's traces as a curator ranks them: most of its faces, then the most confident.
STRONGEST_TRACES_ORDER = ("-face_count", "-avg_confidence", "media_file_id", "trace_id")


@dataclass(frozen=True)
class TracePage:
    rows: list
    total: int
    total_faces: int


def identity_trace_page(identity, *, page, page_size, media_files=None):
    """One page of the identity's traces, by file then first frame, with the identity-wide totals.

    `total` counts the traces and `total_faces` the face detections in all of them (every page),
    so a client can show "18 traces, 542 faces" whatever page it is on. A trace is one segment of
    the identity, and its row the whole trace's figures that every segment carries. One query: the
    totals ride on each row of the page as window aggregates (a second only for a page past the end).
    `media_files` (a MediaFile queryset) limits the traces, and so both totals, to those files.
    """
    segments = identity_segments(identity, media_files)
    offset = (page - 1) * page_size
    rows = list(
        segments.annotate(total=Window(Count("id")), total_faces=Window(Sum("trace_face_count")))
        .order_by("media_file_id", "trace_first_frame", "trace_id")
        .values_list(
            "media_file__file_uuid",
            "media_file__fps",
            "trace_id",
            "trace_frame_count",
            "trace_first_frame",
            "trace_last_frame",
            "trace_avg_confidence",
            "total",
            "total_faces",
        )[offset : offset + page_size]
    )
    if rows:
        total, total_faces = rows[0][-2:]
    else:
        totals = segments.aggregate(total=Count("id"), total_faces=Coalesce(Sum("trace_face_count"), 0))
        total, total_faces = totals["total"], totals["total_faces"]
    traces = [
        {
            "file_uuid": file_uuid,
            "trace_id": trace_id,
            "frame_count": frame_count,
            "first_frame": first_frame,
            "last_frame": last_frame,
            "first_sec": frame_seconds(first_frame, fps),
            "last_sec": frame_seconds(last_frame, fps),
            "avg_confidence": avg_confidence,
        }
        for file_uuid, fps, trace_id, frame_count, first_frame, last_frame, avg_confidence, *_ in rows
    ]
    return TracePage(rows=traces, total=total, total_faces=total_faces)


def identity_strongest_traces(identity, *, limit):
    """The identity's traces with most of its faces first (then the most confident): the few a
    curator looks at to tell who it is. Its own faces' figures (the segment's), with the file's
    name for the link. One query."""
    rows = (
        identity_segments(identity)
        .order_by(*STRONGEST_TRACES_ORDER)
        .values_list(
            "media_file__file_uuid",
            "media_file__file_name",
            "media_file__fps",
            "trace_id",
            "face_count",
            "first_frame",
            "last_frame",
            "avg_confidence",
        )[:limit]
    )
    return [
        {
            "file_uuid": file_uuid,
            "file_name": file_name,
            "trace_id": trace_id,
            "face_count": face_count,
            "first_sec": frame_seconds(first_frame, fps),
            "last_sec": frame_seconds(last_frame, fps),
            "avg_confidence": avg_confidence,
        }
        for file_uuid, file_name, fps, trace_id, face_count, first_frame, last_frame, avg_confidence in rows
    ]


def file_trace_page(media_file, *, page, page_size, bound=None):
    """One page of a file's traces by first frame, each with the identities its faces are bound to
    and how many of its faces are bound (`bound_count` of `face_count`); with `bound` only the
    traces with some face bound (True) or none (False).

    A trace is the segments of one `trace_id`; the whole-trace figures are the same on each.
    Three queries: the count, the page of traces, and the owners' segments of those traces.
    """
    segments = TraceSegment.objects.filter(media_file=media_file)
    by_trace = segments.values("trace_id").annotate(
        frames=Min("trace_frame_count"),
        faces=Min("trace_face_count"),
        first=Min("trace_first_frame"),
        last=Min("trace_last_frame"),
        confidence=Min("trace_avg_confidence"),
        bound=Coalesce(Sum("face_count", filter=Q(identity__isnull=False)), 0),
    )
    if bound is None:
        total = segments.aggregate(n=Count("trace_id", distinct=True))["n"]
    else:
        by_trace = by_trace.filter(bound__gt=0) if bound else by_trace.filter(bound=0)
        total = by_trace.count()
    offset = (page - 1) * page_size
    by_trace = by_trace.order_by("first", "trace_id").values_list(
        "trace_id", "frames", "faces", "first", "last", "confidence", "bound"
    )
    rows = list(by_trace[offset : offset + page_size]) if offset < total else []
    owners = {}
    if rows:
        owned = segments.filter(trace_id__in=[row[0] for row in rows], identity__isnull=False)
        for segment in owned.select_related("identity").order_by("identity__name", "identity_id"):
            owners.setdefault(segment.trace_id, []).append(segment.identity)
    traces = [
        {
            "trace_id": trace_id,
            "frame_count": frame_count,
            "face_count": face_count,
            "first_frame": first_frame,
            "last_frame": last_frame,
            "first_sec": frame_seconds(first_frame, media_file.fps),
            "last_sec": frame_seconds(last_frame, media_file.fps),
            "avg_confidence": avg_confidence,
            "bound_count": bound_count,
            "identities": owners.get(trace_id, []),
        }
        for trace_id, frame_count, face_count, first_frame, last_frame, avg_confidence, bound_count in rows
    ]
    return TracePage(rows=traces, total=total, total_faces=None)


def identities_strongest_faces(identities):
    """Per identity (a queryset or list), its strongest trace (`identity_strongest_traces`'s first)
    and that trace's best face bound to it: `{identity_id: {"file_uuid", "trace_id", "face_id"}}`,
    none for an identity without faces. One query, whatever the number of identities."""
    ranked = (
        TraceSegment.objects.filter(identity__in=identities)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("identity_id")], order_by=list(STRONGEST_TRACES_ORDER))
        )
        .filter(rank=1)
        .values_list("identity_id", "media_file__file_uuid", "trace_id", "best_frame", "best_index")
    )
    return {
        identity_id: {"file_uuid": file_uuid, "trace_id": trace_id, "face_id": face_id(frame_number, index)}
        for identity_id, file_uuid, trace_id, frame_number, index in ranked
    }
