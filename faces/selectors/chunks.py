"""Reads of what was said while an identity was on screen: chunks overlapping its traces."""
from dataclasses import dataclass

from .sql import (
    CHUNK_TABLE,
    MEDIA_FILE_TABLE,
    SEGMENT_TABLE,
    fetch,
    file_uuid_of,
    placed_chunks_sql,
    placed_islands_ctes,
)


@dataclass(frozen=True)
class ChunkFile:
    file_uuid: object
    file_name: str
    fps: float


@dataclass(frozen=True)
class ChunkRow:
    """A chunk as the reads show it, with its file; read in the query that places the page, so a
    page costs no second query and no model instances."""

    id: int
    chunk_id: str
    chunk_type: str
    start_frame: int
    end_frame: int
    start_time: float
    end_time: float
    text: str
    media_file: ChunkFile


_CHUNK_COLUMNS = "c.id, c.chunk_id, c.chunk_type, c.start_frame, c.end_frame, c.start_time, c.end_time, c.text"
_ROW_COLUMNS = "p.id, p.chunk_id, p.chunk_type, p.start_frame, p.end_frame, p.start_time, p.end_time, p.text, " \
    "p.file_uuid, p.file_name, p.fps"


def _chunk_row(row):
    *chunk, file_uuid, file_name, fps = row
    return ChunkRow(*chunk, media_file=ChunkFile(file_uuid_of(file_uuid), file_name, fps))


def _total_and_page(ctes, params, *, start, end, columns):
    """`(total, rows)`: the chunk count of every island and the placed chunks `start` < position <=
    `end` with `columns` (of `p`, the placed chunk with its chunk and file columns and its
    `identity_id`), in one query; a page past the end still has its total."""
    page_sql, page_params = placed_chunks_sql(start, end)
    rows = fetch(
        f"""WITH {ctes}
        SELECT t.total, {columns}
        FROM (SELECT COALESCE(SUM(chunk_count), 0) AS total FROM placed) t
        LEFT JOIN (
            SELECT placed_chunk.identity_id, placed_chunk.media_file_id, placed_chunk.position, {_CHUNK_COLUMNS},
                   m.file_uuid, m.file_name, m.fps
            FROM ({page_sql}) placed_chunk
            JOIN {CHUNK_TABLE} c ON c.id = placed_chunk.chunk_pk
            JOIN {MEDIA_FILE_TABLE} m ON m.id = c.media_file_id
        ) p ON 1 = 1
        ORDER BY p.position""",
        [*params, *page_params],
    )
    return int(rows[0][0]), [row[1:] for row in rows if row[1] is not None]


@dataclass(frozen=True)
class ChunkPage:
    chunks: list
    total: int


def identity_chunk_page(identity, *, page, page_size, media_files=None):
    """One page of the chunks of the identity (`ChunkRow`s), each once, by file, start time and id.

    `media_files` (a MediaFile queryset) limits the chunks to those files. One query.
    """
    ctes, params = placed_islands_ctes(identity.pk, media_files)
    offset = (page - 1) * page_size
    total, rows = _total_and_page(ctes, params, start=offset, end=offset + page_size, columns=_ROW_COLUMNS)
    return ChunkPage(chunks=[_chunk_row(row) for row in rows], total=total)


@dataclass(frozen=True)
class IdentityChunkRow:
    identity: object
    chunk: ChunkRow
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
    two queries: the total with the rows, and the identities.
    """
    ctes, params = placed_islands_ctes(identities, media_files)
    total, rows = _total_and_page(
        ctes, params, start=0, end=limit, columns=f"p.identity_id, {_LOWEST_TRACE}, {_ROW_COLUMNS}"
    )
    if not rows:
        return total, []
    identities_by_id = identities.model.objects.in_bulk({row[0] for row in rows})
    return total, [
        IdentityChunkRow(identity=identities_by_id[identity_id], chunk=_chunk_row(row), trace_id=trace_id)
        for identity_id, trace_id, *row in rows
    ]
