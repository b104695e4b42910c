"""A file's timeline: who is on screen when, a lane per owner of its faces, and what is said.

A lane holds an identity's segments of the file (the faces of each trace bound to it), or the
unbound faces' segments, as bars over the segments' own first and last frames; bars of a lane that
overlap or lie closer than `merge_gap_sec` are merged into one, so a 2-hour film's thousand traces
stay a few readable bars a lane (a merged bar names its traces, strongest first). Lanes come with
most faces first, the unbound lane last. Two queries whatever the file's size: its segments with
their owners, and its chunks.
"""
from dataclasses import dataclass

from ..models import Chunk, TraceSegment
from .files import frame_seconds


@dataclass(frozen=True)
class TimelineBar:
    first_sec: float
    last_sec: float
    face_count: int
    # The traces the bar covers, the one with most faces (then the first) first: where a click goes.
    trace_ids: tuple


@dataclass(frozen=True)
class TimelineLane:
    identity_uuid: object  # the owner's uuid and name; both None for the unbound faces
    name: str | None
    face_count: int
    bars: list


@dataclass(frozen=True)
class TimelineChunk:
    start_time: float
    end_time: float
    text: str


@dataclass(frozen=True)
class Timeline:
    duration: float
    lanes: list
    chunks: list


def _merged_bars(spans, merge_gap_sec):
    """`spans` (first_sec, last_sec, face_count, trace_id), by first_sec, as bars: each run of
    spans starting within `merge_gap_sec` of the run's reach so far is one bar."""
    bars, run = [], []
    reach = None
    for span in spans:
        if run and span[0] > reach + merge_gap_sec:
            bars.append(_bar(run))
            run = []
        reach = span[1] if not run else max(reach, span[1])
        run.append(span)
    if run:
        bars.append(_bar(run))
    return bars


def _bar(run):
    strongest = sorted(run, key=lambda span: (-span[2], span[0], span[3]))
    return TimelineBar(
        first_sec=run[0][0],
        last_sec=max(span[1] for span in run),
        face_count=sum(span[2] for span in run),
        trace_ids=tuple(span[3] for span in strongest),
    )


def file_timeline(media_file, *, merge_gap_sec=0.0):
    """The file's lanes and chunks (see the module). `duration` is the file's, or the last face or
    chunk's end when that is later (or the file has none); a file without fps has no bars."""
    fps = media_file.fps
    segments = (
        TraceSegment.objects.filter(media_file=media_file)
        .order_by("first_frame", "trace_id")
        .values_list(
            "identity_id", "identity__identity_uuid", "identity__name",
            "first_frame", "last_frame", "face_count", "trace_id",
        )
    )
    by_owner = {}
    for identity_id, identity_uuid, name, first_frame, last_frame, face_count, trace_id in segments if fps else ():
        spans = by_owner.setdefault(identity_id, (identity_uuid, name, []))[2]
        spans.append((frame_seconds(first_frame, fps), frame_seconds(last_frame, fps), face_count, trace_id))
    lanes = [
        TimelineLane(
            identity_uuid=identity_uuid,
            name=name,
            face_count=sum(span[2] for span in spans),
            bars=_merged_bars(spans, merge_gap_sec),
        )
        for identity_uuid, name, spans in by_owner.values()
    ]
    lanes.sort(key=lambda lane: (lane.identity_uuid is None, -lane.face_count, lane.name or ""))
    chunks = [
        TimelineChunk(start_time=start, end_time=end, text=text)
        for start, end, text in Chunk.objects.filter(media_file=media_file)
        .order_by("start_time", "id")
        .values_list("start_time", "end_time", "text")
    ]
    ends = [bar.last_sec for lane in lanes for bar in lane.bars] + [chunk.end_time for chunk in chunks]
    return Timeline(duration=max([media_file.duration or 0.0, *ends]), lanes=lanes, chunks=chunks)
