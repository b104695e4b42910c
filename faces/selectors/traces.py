"""Reads of traces: an identity's, with its totals, and a file's, with their owners."""
from dataclasses import dataclass

from django.db.models import Avg, Count, Max, Min

from ..models import FaceDetection, MediaFile, identity_model
from .files import frame_seconds
from .sql import MEDIA_FILE_TABLE, TRACE_STATS_CTE, bound_traces_cte, fetch


@dataclass(frozen=True)
class TracePage:
    rows: list
    total: int
    total_faces: int


def identity_trace_page(identity, *, page, page_size, media_files=None):
    """One page of the identity's traces, by file then first frame, with the identity-wide totals.

    `total` counts the traces and `total_faces` the face detections in all of them (every page),
    so a client can show "18 traces, 542 faces" whatever page it is on. Two queries.
    `media_files` (a MediaFile queryset) limits the traces, and so both totals, to those files.
    """
    bound_sql, params = bound_traces_cte(identity.pk, media_files)
    ctes = f"WITH {bound_sql}, {TRACE_STATS_CTE}"
    ((total, total_faces),) = fetch(f"{ctes} SELECT COUNT(*), COALESCE(SUM(face_count), 0) FROM trace_stats", params)
    offset = (page - 1) * page_size
    rows = []
    if offset < total:
        rows = fetch(
            f"""{ctes}
            SELECT m.file_uuid, m.fps, t.trace_id, t.frame_count, t.first_frame, t.last_frame, t.avg_confidence
            FROM trace_stats t JOIN {MEDIA_FILE_TABLE} m ON m.id = t.media_file_id
            ORDER BY t.media_file_id, t.first_frame, t.trace_id
            LIMIT %s OFFSET %s""",
            [*params, page_size, offset],
        )
    file_uuid_field = MediaFile._meta.get_field("file_uuid")
    traces = [
        {
            "file_uuid": file_uuid_field.to_python(file_uuid),
            "trace_id": trace_id,
            "frame_count": frame_count,
            "first_frame": first_frame,
            "last_frame": last_frame,
            "first_sec": frame_seconds(first_frame, fps),
            "last_sec": frame_seconds(last_frame, fps),
            "avg_confidence": avg_confidence,
        }
        for file_uuid, fps, trace_id, frame_count, first_frame, last_frame, avg_confidence in rows
    ]
    return TracePage(rows=traces, total=total, total_faces=int(total_faces))


def file_trace_page(media_file, *, page, page_size):
    """One page of a file's traces by first frame, each with the identities its faces are bound to.

    Three queries: the count, the page of trace statistics, and the bindings of those traces.
    """
    traces = FaceDetection.objects.filter(media_file=media_file).values("trace_id")
    total = traces.order_by().aggregate(n=Count("trace_id", distinct=True))["n"]
    offset = (page - 1) * page_size
    rows = list(
        traces.annotate(
            frame_count=Count("id"),
            first_frame=Min("frame_number"),
            last_frame=Max("frame_number"),
            avg_confidence=Avg("confidence"),
            bound_count=Count("identity"),
        ).order_by("first_frame", "trace_id")[offset : offset + page_size]
    )
    owners = {}
    bindings = list(
        FaceDetection.objects.filter(
            media_file=media_file, trace_id__in=[row["trace_id"] for row in rows], identity__isnull=False
        )
        .values_list("trace_id", "identity_id")
        .order_by()
        .distinct()
    )
    identity_ids = {identity_id for _, identity_id in bindings}
    identities = identity_model().objects.in_bulk(identity_ids) if identity_ids else {}
    for trace_id, identity_id in bindings:
        owners.setdefault(trace_id, []).append(identities[identity_id])
    for row in rows:
        row["first_sec"] = frame_seconds(row["first_frame"], media_file.fps)
        row["last_sec"] = frame_seconds(row["last_frame"], media_file.fps)
        row["identities"] = sorted(owners.get(row["trace_id"], []), key=lambda identity: identity.name)
    return TracePage(rows=rows, total=total, total_faces=None)
