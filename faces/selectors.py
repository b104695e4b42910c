"""Reads of faces, traces and chunks as they relate to identities.

A trace is every face detection of one file with one `trace_id`; it belongs to an identity when
at least one of its faces is bound to it (contract.md). Trace rows and trace spans therefore cover
the whole trace, not only its bound faces, and the chunks of an identity are the chunks of the
same file whose `[start_time, end_time]` overlaps such a trace's `[first_sec, last_sec]`.

Trace and chunk reads are set-based SQL (the ORM cannot join on a time range): the bound traces
come from the `face_identity_idx` index, the trace statistics from `face_trace_idx`, and the
overlapping chunks from a range scan of `chunk_time_idx` per trace span. Every function issues a
fixed number of queries whatever the page size.
"""
from dataclasses import dataclass

from django.db import connection
from django.db.models import Avg, Count, IntegerField, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from identities.models import Identity

from .models import Chunk, FaceDetection, MediaFile

FACE_TABLE = FaceDetection._meta.db_table
MEDIA_FILE_TABLE = MediaFile._meta.db_table
CHUNK_TABLE = Chunk._meta.db_table

# Added to the longest chunk's duration when bounding the chunk side of the overlap, so that float
# rounding can never drop a chunk that just touches a span. It only widens the index range scan.
OVERLAP_BOUND_SLACK_SECONDS = 1.0


def frame_seconds(frame_number, fps):
    """`frame_number / fps`, the contract's time of a frame; None for a file without a frame rate."""
    return frame_number / fps if fps else None


def _in_subquery(column, queryset):
    """`column IN (<the queryset's ids>)` as SQL and parameters, to embed in the raw queries below.

    On PostgreSQL, `= ANY(ARRAY(...))`: the ids are computed once, first, and the planner then uses
    the column's index; as a semi-join it guesses far more matches and scans the whole table.
    """
    sql, params = queryset.values("id").order_by().query.sql_with_params()
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({sql}))", list(params)
    return f"{column} IN ({sql})", list(params)


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _materialized():
    """PostgreSQL would otherwise inline these CTEs and, misjudging how few traces an identity
    has, hash-join every face of the table, or answer an ORDER BY ... LIMIT by walking every chunk
    in index order; computed first, they drive index scans. SQLite plans them well as they are."""
    return "MATERIALIZED" if connection.vendor == "postgresql" else ""


def _bound_traces_cte(identity_ids, media_files=None):
    """The `bound_traces` CTE: (identity, file, trace) of every trace with a face bound to one of
    the identities (an `Identity` id or a queryset of identities), optionally within some files."""
    if isinstance(identity_ids, int):
        where, params = "identity_id = %s", [identity_ids]
    else:
        where, params = _in_subquery("identity_id", identity_ids)
    if media_files is not None:
        files_where, files_params = _in_subquery("media_file_id", media_files)
        where += f" AND {files_where}"
        params += files_params
    sql = f"""
        bound_traces AS {_materialized()} (
            SELECT DISTINCT identity_id, media_file_id, trace_id
            FROM {FACE_TABLE}
            WHERE {where}
        )"""
    return sql, params


_TRACE_STATS_CTE = f"""
    trace_stats AS (
        SELECT b.identity_id, b.media_file_id, b.trace_id,
               COUNT(*) AS face_count,
               COUNT(DISTINCT f.frame_number) AS frame_count,
               MIN(f.frame_number) AS first_frame,
               MAX(f.frame_number) AS last_frame,
               AVG(f.confidence) AS avg_confidence
        FROM bound_traces b
        JOIN {FACE_TABLE} f ON f.media_file_id = b.media_file_id AND f.trace_id = b.trace_id
        GROUP BY b.identity_id, b.media_file_id, b.trace_id
    )"""

# Spans in seconds, each from `face_trace_idx` (correlated, so a planner that overestimates the
# traces cannot turn them into a scan of every face), then the chunks of the same file that
# overlap them. The chunk side is bounded below by `first_sec - longest chunk of the file`, so each
# span is an index range scan of (media_file, start_time) (`chunk_time_idx`) instead of every
# earlier chunk of the file; the longest chunk is one backward step of `chunk_duration_idx`
# (identities migration 0002).
_CHUNK_OVERLAP_CTES = f"""
    trace_spans AS {{materialized}} (
        SELECT b.identity_id, b.media_file_id, b.trace_id,
               (SELECT MIN(f.frame_number) FROM {FACE_TABLE} f
                WHERE f.media_file_id = b.media_file_id AND f.trace_id = b.trace_id) / m.fps AS first_sec,
               (SELECT MAX(f.frame_number) FROM {FACE_TABLE} f
                WHERE f.media_file_id = b.media_file_id AND f.trace_id = b.trace_id) / m.fps AS last_sec
        FROM bound_traces b
        JOIN {MEDIA_FILE_TABLE} m ON m.id = b.media_file_id AND m.fps > 0
    ),
    chunk_overlaps AS {{materialized}} (
        SELECT s.identity_id, s.trace_id, c.id AS chunk_pk, c.media_file_id, c.start_time
        FROM trace_spans s
        JOIN {CHUNK_TABLE} c ON c.media_file_id = s.media_file_id
             AND c.start_time >= s.first_sec - {OVERLAP_BOUND_SLACK_SECONDS} - (
                 SELECT MAX(longest.end_time - longest.start_time) FROM {CHUNK_TABLE} longest
                 WHERE longest.media_file_id = s.media_file_id
             )
             AND c.start_time <= s.last_sec
             AND c.end_time >= s.first_sec
    )"""


def _chunk_overlap_ctes():
    return _CHUNK_OVERLAP_CTES.format(materialized=_materialized())


# --- files and faces -------------------------------------------------------------------------


def media_file_get(file_uuid):
    """The media file with this (parsed) uuid, or 404."""
    try:
        return MediaFile.objects.get(file_uuid=file_uuid)
    except MediaFile.DoesNotExist:
        raise Http404(f"No media file with uuid {file_uuid.hex}.") from None


def identity_file_summaries(identity):
    """Per file with faces bound to the identity: counts, appearance span and mean confidence.

    One grouped query, in the order the files were ingested.
    """
    rows = (
        FaceDetection.objects.filter(identity=identity)
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


def identity_faces(identity):
    """The faces bound to the identity, by file then frame then index (embeddings left out)."""
    return (
        FaceDetection.objects.filter(identity=identity)
        .select_related("media_file")
        .defer("embedding")
        .order_by("media_file_id", "frame_number", "index")
    )


def identity_face_summary(identity):
    """Face count, file count and whether any bound face carries an embedding (one query)."""
    summary = FaceDetection.objects.filter(identity=identity).aggregate(
        face_count=Count("id"),
        file_count=Count("media_file", distinct=True),
        embedding_count=Count("embedding"),
    )
    return {
        "face_count": summary["face_count"],
        "file_count": summary["file_count"],
        "has_embedding": summary["embedding_count"] > 0,
    }


# --- traces ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TracePage:
    rows: list
    total: int
    total_faces: int


def identity_trace_page(identity, *, page, page_size):
    """One page of the identity's traces, by file then first frame, with the identity-wide totals.

    `total` counts the traces and `total_faces` the face detections in all of them (every page),
    so a client can show "18 traces, 542 faces" whatever page it is on. Two queries.
    """
    bound_sql, params = _bound_traces_cte(identity.pk)
    ctes = f"WITH {bound_sql}, {_TRACE_STATS_CTE}"
    ((total, total_faces),) = _fetch(f"{ctes} SELECT COUNT(*), COALESCE(SUM(face_count), 0) FROM trace_stats", params)
    offset = (page - 1) * page_size
    rows = []
    if offset < total:
        rows = _fetch(
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


# --- chunks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkPage:
    chunks: list
    total: int


def identity_chunk_page(identity, *, page, page_size):
    """One page of the chunks of the identity, each once, by file, start time and id.

    Three queries: the count, the page's ids, and the chunks with their files.
    """
    bound_sql, params = _bound_traces_cte(identity.pk)
    ctes = f"WITH {bound_sql}, {_chunk_overlap_ctes()}"
    ((total,),) = _fetch(f"{ctes} SELECT COUNT(DISTINCT chunk_pk) FROM chunk_overlaps", params)
    offset = (page - 1) * page_size
    if offset >= total:
        return ChunkPage(chunks=[], total=total)
    page_ids = [
        chunk_pk
        for (chunk_pk, *_order) in _fetch(
            f"""{ctes}
            SELECT DISTINCT chunk_pk, media_file_id, start_time FROM chunk_overlaps
            ORDER BY media_file_id, start_time, chunk_pk
            LIMIT %s OFFSET %s""",
            [*params, page_size, offset],
        )
    ]
    chunks = Chunk.objects.select_related("media_file").in_bulk(page_ids)
    return ChunkPage(chunks=[chunks[chunk_pk] for chunk_pk in page_ids], total=total)


@dataclass(frozen=True)
class IdentityChunkRow:
    identity: object
    chunk: Chunk
    trace_id: int


def identity_chunk_rows(*, identities, media_files=None, limit):
    """Identity-to-chunk rows for the identities of a queryset: each (identity, chunk) pair once,
    with the lowest overlapping trace, by identity, file, start time and chunk.

    `media_files` (a MediaFile queryset) limits the rows to those files. Returns (total, rows);
    four queries: the count, the page, the identities and the chunks.
    """
    bound_sql, params = _bound_traces_cte(identities, media_files)
    ctes = f"WITH {bound_sql}, {_chunk_overlap_ctes()}"
    ((total,),) = _fetch(
        f"{ctes} SELECT COUNT(*) FROM (SELECT DISTINCT identity_id, chunk_pk FROM chunk_overlaps) AS pairs", params
    )
    if not total:
        return 0, []
    pairs = _fetch(
        f"""{ctes}
        SELECT identity_id, chunk_pk, MIN(trace_id) FROM chunk_overlaps
        GROUP BY identity_id, chunk_pk, media_file_id, start_time
        ORDER BY identity_id, media_file_id, start_time, chunk_pk
        LIMIT %s""",
        [*params, limit],
    )
    identities_by_id = identities.model.objects.in_bulk({identity_id for identity_id, _, _ in pairs})
    chunks_by_id = Chunk.objects.select_related("media_file").in_bulk({chunk_pk for _, chunk_pk, _ in pairs})
    rows = [
        IdentityChunkRow(identity=identities_by_id[identity_id], chunk=chunks_by_id[chunk_pk], trace_id=trace_id)
        for identity_id, chunk_pk, trace_id in pairs
    ]
    return total, rows


# --- traces of a file (the curator console) ----------------------------------------------------


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
    identities = Identity.objects.in_bulk(identity_ids) if identity_ids else {}
    for trace_id, identity_id in bindings:
        owners.setdefault(trace_id, []).append(identities[identity_id])
    for row in rows:
        row["first_sec"] = frame_seconds(row["first_frame"], media_file.fps)
        row["last_sec"] = frame_seconds(row["last_frame"], media_file.fps)
        row["identities"] = sorted(owners.get(row["trace_id"], []), key=lambda identity: identity.name)
    return TracePage(rows=rows, total=total, total_faces=None)
