"""Reads of one trace of a file, as the console's trace page shows it: its figures and owners, its
faces best first, what was said while it was on screen, and where the file's list of traces
(`file_trace_page`) shows it. Each function is one query."""
from dataclasses import dataclass

from django.db.models import F, FloatField, Max, Q, Subquery, Value
from django.http import Http404

from momentry.core.paging import Page

from ..keys import face_id
from ..models import Chunk, FaceDetection, TraceSegment
from ..segments import face_strength
from .files import frame_seconds
from .sql import OVERLAP_BOUND_SLACK_SECONDS


@dataclass(frozen=True)
class TraceOwner:
    identity: object
    face_count: int


@dataclass(frozen=True)
class TraceDetail:
    trace_id: int
    face_count: int
    frame_count: int
    first_frame: int
    last_frame: int
    first_sec: float | None
    last_sec: float | None
    avg_confidence: float
    owners: list  # TraceOwner, most faces first
    unbound_count: int

    @property
    def bound_count(self):
        return self.face_count - self.unbound_count


def file_trace_get(media_file, trace_id):
    """The file's trace `trace_id` with its owners (from its segments), or 404."""
    segments = list(
        TraceSegment.objects.filter(media_file=media_file, trace_id=trace_id)
        .select_related("identity")
        .order_by("-face_count", "identity__name", "identity_id")
    )
    if not segments:
        raise Http404(f"No trace {trace_id} in media file {media_file.file_uuid.hex}.")
    whole = segments[0]
    return TraceDetail(
        trace_id=trace_id,
        face_count=whole.trace_face_count,
        frame_count=whole.trace_frame_count,
        first_frame=whole.trace_first_frame,
        last_frame=whole.trace_last_frame,
        first_sec=frame_seconds(whole.trace_first_frame, media_file.fps),
        last_sec=frame_seconds(whole.trace_last_frame, media_file.fps),
        avg_confidence=whole.trace_avg_confidence,
        owners=[TraceOwner(segment.identity, segment.face_count) for segment in segments if segment.identity_id],
        unbound_count=sum(segment.face_count for segment in segments if segment.identity_id is None),
    )


@dataclass(frozen=True)
class TraceFace:
    face_id: str
    frame_number: int
    timestamp: float | None
    confidence: float
    owner_name: str | None


def trace_face_page(media_file, trace_id, *, page, page_size):
    """One page of the trace's faces, strongest first (confidence × bbox area, as the segments pick
    their best face; ties by frame and index), each with its owner's name. A trace's faces are
    read by `face_trace_idx` and ranked here: a trace is a shot, a few hundred faces at most."""
    rows = FaceDetection.objects.filter(media_file=media_file, trace_id=trace_id).values_list(
        "frame_number", "index", "confidence", "bbox", "identity__name"
    )
    ranked = sorted(rows, key=lambda row: (-face_strength(row[2], row[3]), row[0], row[1]))
    offset = (page - 1) * page_size
    faces = [
        TraceFace(
            face_id=face_id(frame_number, index),
            frame_number=frame_number,
            timestamp=frame_seconds(frame_number, media_file.fps),
            confidence=confidence,
            owner_name=owner_name,
        )
        for frame_number, index, confidence, _bbox, owner_name in ranked[offset : offset + page_size]
    ]
    return Page(items=faces, total=len(ranked), page=page, page_size=page_size)


def file_chunks_during(media_file, *, first_sec, last_sec):
    """The file's chunks overlapping `[first_sec, last_sec]`, by start: one range of
    `chunk_time_idx`, bounded below by the file's longest chunk (`chunk_duration_idx`)."""
    if first_sec is None or last_sec is None:
        return []
    chunks = Chunk.objects.filter(media_file=media_file)
    longest = Subquery(
        chunks.order_by().values("media_file").annotate(seconds=Max(F("end_time") - F("start_time"))).values("seconds"),
        output_field=FloatField(),
    )
    lowest_start = Value(first_sec - OVERLAP_BOUND_SLACK_SECONDS, output_field=FloatField()) - longest
    return list(
        chunks.filter(start_time__gte=lowest_start, start_time__lte=last_sec, end_time__gte=first_sec).order_by(
            "start_time", "id"
        )
    )


def file_trace_position(media_file, trace):
    """How many of the file's traces `file_trace_page` lists before `trace` (a TraceDetail): those
    starting earlier, or at the same frame with a lower id."""
    before = TraceSegment.objects.filter(media_file=media_file).filter(
        Q(trace_first_frame__lt=trace.first_frame) | Q(trace_first_frame=trace.first_frame, trace_id__lt=trace.trace_id)
    )
    return before.values("trace_id").distinct().count()
