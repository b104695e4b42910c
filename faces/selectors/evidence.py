"""What speaks for or against two owners of faces being one person, read from the segments.

Each function answers for many candidates in one query, whatever their number. Screen time is the
span of each of an owner's segments (first to last frame, one frame included), in seconds.
"""
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast, Coalesce

from ..models import FaceDetection, TraceSegment
from ..relations import ints_in, rows_relation

FACE_TABLE = FaceDetection._meta.db_table
SEGMENT_TABLE = TraceSegment._meta.db_table


@dataclass(frozen=True)
class OwnerEvidence:
    faces: int
    screen_time_sec: float
    files: int
    files_in_common: int


def _segments(media_files):
    segments = TraceSegment.objects.order_by()
    return segments if media_files is None else segments.filter(media_file__in=media_files)


def owners_figures(segments):
    """The segments (a TraceSegment queryset) per owner: `identity_id`, `faces`, `screen_time` and
    `files`, to filter, order and page."""
    span = Cast(F("last_frame") - F("first_frame") + 1, FloatField()) / F("media_file__fps")
    return (
        segments.order_by()
        .filter(identity__isnull=False)
        .values("identity_id")
        .annotate(faces=Sum("face_count"), screen_time=Coalesce(Sum(span), 0.0), files=Count("media_file", distinct=True))
    )


def owners_evidence(owner_ids, *, beside=None, media_files=None):
    """`{owner id: OwnerEvidence}` of identities, files in common counted with identity `beside`."""
    if not owner_ids:
        return {}
    rows = owners_figures(_segments(media_files).filter(identity_id__in=list(owner_ids)))
    if beside is not None:
        beside_files = _segments(media_files).filter(identity_id=beside).values("media_file")
        rows = rows.annotate(common=Count("media_file", distinct=True, filter=Q(media_file__in=beside_files)))
    return {
        row["identity_id"]: OwnerEvidence(
            faces=row["faces"],
            screen_time_sec=round(row["screen_time"], 3),
            files=row["files"],
            files_in_common=row.get("common", 0),
        )
        for row in rows
    }


_PAIR_COLUMNS = [("own", "bigint"), ("other", "bigint")]


def shared_frame_counts(pairs, *, media_files=None):
    """`{(identity id, candidate id): frames}` where both of a pair have a face, for the pairs that
    share any. Only the faces of segments whose frame spans overlap a candidate's are read, so an
    identity of 100,000 faces reads the few traces that meet its candidates'; each of those faces
    finds the faces of its frame by the unique (file, frame, index) key."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    relation, params = rows_relation("q", _PAIR_COLUMNS, pairs)
    files = ""
    if media_files is not None:
        in_files, file_params = ints_in("m.media_file_id", list(media_files.values_list("pk", flat=True)))
        files, params = f"WHERE {in_files}", [*params, *file_params]
    # Driven by the candidates' segments, each of which finds the identity's overlapping segments
    # in its file by one range of segment_owner_idx: an identity of 2,000 traces is not joined
    # once per candidate.
    sql = f"""
        WITH meets AS (
            SELECT DISTINCT q.own, q.other, m.media_file_id, m.trace_id AS own_trace
            FROM {relation}
            JOIN {SEGMENT_TABLE} o ON o.identity_id = q.other
            JOIN {SEGMENT_TABLE} m ON m.identity_id = q.own AND m.media_file_id = o.media_file_id
                AND m.first_frame <= o.last_frame AND m.last_frame >= o.first_frame
            {files}
        )
        SELECT own, other, COUNT(*) FROM (
            SELECT DISTINCT p.own, p.other, a.media_file_id, a.frame_number
            FROM meets p
            JOIN {FACE_TABLE} a ON a.media_file_id = p.media_file_id AND a.trace_id = p.own_trace
                AND a.identity_id = p.own
            JOIN {FACE_TABLE} b ON b.media_file_id = a.media_file_id AND b.frame_number = a.frame_number
                AND b.identity_id = p.other
        ) AS shared
        GROUP BY own, other"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(own, other): frames for own, other, frames in cursor.fetchall()}


def trace_frame_owners(media_file_id, trace_ids):
    """`{trace_id: {identity ids}}`: the identities with a face in a frame of the trace (in other
    traces of the file): one person is not twice in a frame, so none of them is the trace's."""
    if not trace_ids:
        return {}
    in_traces, params = ints_in("a.trace_id", trace_ids)
    sql = f"""
        SELECT DISTINCT a.trace_id, b.identity_id
        FROM {FACE_TABLE} a
        JOIN {FACE_TABLE} b ON b.media_file_id = a.media_file_id AND b.frame_number = a.frame_number
            AND b.trace_id <> a.trace_id AND b.identity_id IS NOT NULL
        WHERE a.media_file_id = %s AND {in_traces}"""
    owners = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [media_file_id, *params])
        for trace_id, identity_id in cursor.fetchall():
            owners.setdefault(trace_id, set()).add(identity_id)
    return owners
