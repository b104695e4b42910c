"""Reads of what was said while an identity was on screen: chunks overlapping its traces."""
from dataclasses import dataclass

from ..models import Chunk
from .sql import MEDIA_FILE_TABLE, SEGMENT_TABLE, fetch, placed_chunks_sql, placed_islands_ctes


def _total_and_page(ctes, params, *, start, end, columns="p.chunk_pk"):
    """`(total, rows)`: the chunk count of every island and the placed chunks `start` < position <=
    `end` with `columns` (of `p`), in one query; a page past the end still has its total."""
    page_sql, page_params = placed_chunks_sql(start, end)
    rows = fetch(
        f"""WITH {ctes}
        SELECT t.total, {columns}
        FROM (SELECT COALESCE(SUM(chunk_count), 0) AS total FROM placed) t
        LEFT JOIN ({page_sql}) p ON 1 = 1
        ORDER BY p.position""",
        [*params, *page_params],
    )
    return int(rows[0][0]), [row[1:] for row in rows if row[1] is not None]


@dataclass(frozen=True)
class ChunkPage:
    chunks: list
    total: int


def identity_chunk_page(identity, *, page, page_size, media_files=None):
    """One page of the chunks of the identity, each once, by file, start time and id.

    `media_files` (a MediaFile queryset) limits the chunks to those files. Two queries: the total
    with the page's ids, and the chunks with their files.
    """
    ctes, params = placed_islands_ctes(identity.pk, media_files)
    offset = (page - 1) * page_size
    total, rows = _total_and_page(ctes, params, start=offset, end=offset + page_size)
    page_ids = [chunk_pk for (chunk_pk,) in rows]
    chunks = Chunk.objects.select_related("media_file").in_bulk(page_ids) if page_ids else {}
    return ChunkPage(chunks=[chunks[chunk_pk] for chunk_pk in page_ids], total=total)


@dataclass(frozen=True)
class IdentityChunkRow:
    identity: object
    chunk: Chunk
    trace_id: int


# The lowest trace of the identity in the chunk's file whose span overlaps the chunk, for the rows
# returned only (segments by `segment_unique_owner`).
_LOWEST_TRACE = f"""(
    SELECT MIN(s.trace_id) FROM {SEGMENT_TABLE} s JOIN {MEDIA_FILE_TABLE} m ON m.id = s.media_file_id
    WHERE s.identity_id = p.identity_id AND s.media_file_id = p.media_file_id
      AND p.start_time <= s.trace_last_frame / m.fps AND p.end_time >= s.trace_first_frame / m.fps
)"""


def identity_chunk_rows(*, identities, media_files=None, limit):
    """Identity-to-chunk rows for the identities of a queryset: each (identity, chunk) pair once,
    with the lowest overlapping trace, by identity, file, start time and chunk.

    `media_files` (a MediaFile queryset) limits the rows to those files. Returns (total, rows);
    three queries: the total with the rows' keys, the identities and the chunks.
    """
    ctes, params = placed_islands_ctes(identities, media_files)
    total, pairs = _total_and_page(
        ctes, params, start=0, end=limit, columns=f"p.identity_id, p.chunk_pk, {_LOWEST_TRACE}"
    )
    if not pairs:
        return total, []
    identities_by_id = identities.model.objects.in_bulk({identity_id for identity_id, _, _ in pairs})
    chunks_by_id = Chunk.objects.select_related("media_file").in_bulk({chunk_pk for _, chunk_pk, _ in pairs})
    rows = [
        IdentityChunkRow(identity=identities_by_id[identity_id], chunk=chunks_by_id[chunk_pk], trace_id=trace_id)
        for identity_id, chunk_pk, trace_id in pairs
    ]
    return total, rows
