"""Reads of what was said while an identity was on screen: chunks overlapping its traces."""
from dataclasses import dataclass

from ..models import Chunk
from .sql import CHUNK_TABLE, FACE_TABLE, MEDIA_FILE_TABLE, bound_traces_cte, fetch, materialized

# Added to the longest chunk's duration when bounding the chunk side of the overlap, so that float
# rounding can never drop a chunk that just touches a span. It only widens the index range scan.
OVERLAP_BOUND_SLACK_SECONDS = 1.0


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
    return _CHUNK_OVERLAP_CTES.format(materialized=materialized())


@dataclass(frozen=True)
class ChunkPage:
    chunks: list
    total: int


def identity_chunk_page(identity, *, page, page_size, media_files=None):
    """One page of the chunks of the identity, each once, by file, start time and id.

    `media_files` (a MediaFile queryset) limits the chunks to those files. Three queries: the
    count, the page's ids, and the chunks with their files.
    """
    bound_sql, params = bound_traces_cte(identity.pk, media_files)
    ctes = f"WITH {bound_sql}, {_chunk_overlap_ctes()}"
    ((total,),) = fetch(f"{ctes} SELECT COUNT(DISTINCT chunk_pk) FROM chunk_overlaps", params)
    offset = (page - 1) * page_size
    if offset >= total:
        return ChunkPage(chunks=[], total=total)
    page_ids = [
        chunk_pk
        for (chunk_pk, *_order) in fetch(
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
    bound_sql, params = bound_traces_cte(identities, media_files)
    ctes = f"WITH {bound_sql}, {_chunk_overlap_ctes()}"
    ((total,),) = fetch(
        f"{ctes} SELECT COUNT(*) FROM (SELECT DISTINCT identity_id, chunk_pk FROM chunk_overlaps) AS pairs", params
    )
    if not total:
        return 0, []
    pairs = fetch(
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
