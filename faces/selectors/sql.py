"""The SQL the chunk reads share: the identities' trace spans, merged per file into islands, and
how many chunks each island holds.

A chunk overlaps some trace of an identity in a file exactly when it overlaps the union of those
traces' spans, and that union is a few disjoint islands. Giving each chunk to the first island it
overlaps (its start after the previous island's end) counts it once without a DISTINCT, and orders
the chunks of a file by island, then start: the running sum of the islands' counts places any page
in the islands that hold it, so only those are read twice, whatever the page number.
"""
from django.db import connection

from ..models import Chunk, MediaFile, TraceSegment

SEGMENT_TABLE = TraceSegment._meta.db_table
MEDIA_FILE_TABLE = MediaFile._meta.db_table
CHUNK_TABLE = Chunk._meta.db_table

# Added to the longest chunk's duration when bounding the chunk side of the overlap, so that float
# rounding can never drop a chunk that just touches a span. It only widens the index range scan.
OVERLAP_BOUND_SLACK_SECONDS = 1.0

_FILE_UUID = MediaFile._meta.get_field("file_uuid")


def file_uuid_of(value):
    """A file uuid as raw SQL returns it (a UUID on PostgreSQL, hex text on SQLite) as a UUID."""
    return _FILE_UUID.to_python(value)


def in_subquery(column, queryset):
    """`column IN (<the queryset's ids>)` as SQL and parameters, to embed in the raw queries below.

    On PostgreSQL, `= ANY(ARRAY(...))`: the ids are computed once, first, and the planner then uses
    the column's index; as a semi-join it guesses far more matches and scans the whole table.
    """
    sql, params = queryset.values("id").order_by().query.sql_with_params()
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({sql}))", list(params)
    return f"{column} IN ({sql})", list(params)


def fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def materialized():
    """PostgreSQL would otherwise inline these CTEs, misjudge how many islands there are, and
    answer the page by walking every chunk in index order; computed first, they drive index
    scans. SQLite plans them well as they are."""
    return "MATERIALIZED" if connection.vendor == "postgresql" else ""


def segments_where(identity_ids, media_files=None):
    """SQL and parameters selecting the segments `s` of the identities (an `Identity` id or a
    queryset of identities), optionally within some files (a MediaFile queryset)."""
    if isinstance(identity_ids, int):
        where, params = "s.identity_id = %s", [identity_ids]
    else:
        where, params = in_subquery("s.identity_id", identity_ids)
    if media_files is not None:
        files_where, files_params = in_subquery("s.media_file_id", media_files)
        where += f" AND {files_where}"
        params += files_params
    return where, params


# The chunks of island `i` (a row of `islands`): those overlapping it and starting after the
# previous island ends. The lower bound on start_time (the island's start less the file's longest
# chunk) makes it one range of `chunk_time_idx`, whose third column, end_time, is tested in the
# index: on PostgreSQL the count is an index-only scan.
ISLAND_CHUNKS = """
    c.media_file_id = i.media_file_id
    AND c.start_time >= i.lowest_start AND c.start_time <= i.last_sec AND c.end_time >= i.first_sec
    AND (i.previous_last IS NULL OR c.start_time > i.previous_last)"""


def placed_islands_ctes(identity_ids, media_files=None):
    """The CTEs ending in `placed`: one row per island (identity, file, `first_sec`..`last_sec`)
    with `chunk_count` and `chunks_before` (the chunks of every earlier island, in the order
    identity, file, start), and `island` numbering them in that order.

    Spans are whole traces (`trace_first_frame`/`trace_last_frame` over fps). An island starts at
    a span starting after every earlier span of its file has ended (`reach_before`); the file's
    longest chunk is one backward step of `chunk_duration_idx` per file.
    """
    where, params = segments_where(identity_ids, media_files)
    mat = materialized()
    sql = f"""
    spans AS {mat} (
        SELECT s.identity_id, s.media_file_id,
               s.trace_first_frame / m.fps AS first_sec, s.trace_last_frame / m.fps AS last_sec
        FROM {SEGMENT_TABLE} s JOIN {MEDIA_FILE_TABLE} m ON m.id = s.media_file_id AND m.fps > 0
        WHERE {where}
    ),
    reaches AS (
        SELECT identity_id, media_file_id, first_sec, last_sec,
               MAX(last_sec) OVER (
                   PARTITION BY identity_id, media_file_id ORDER BY first_sec, last_sec
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
               ) AS reach_before
        FROM spans
    ),
    grouped AS (
        SELECT identity_id, media_file_id, first_sec, last_sec,
               SUM(CASE WHEN reach_before IS NULL OR first_sec > reach_before THEN 1 ELSE 0 END) OVER (
                   PARTITION BY identity_id, media_file_id ORDER BY first_sec, last_sec ROWS UNBOUNDED PRECEDING
               ) AS island_in_file
        FROM reaches
    ),
    longest AS {mat} (
        SELECT f.media_file_id,
               (SELECT MAX(c.end_time - c.start_time) FROM {CHUNK_TABLE} c WHERE c.media_file_id = f.media_file_id)
                   AS seconds
        FROM (SELECT DISTINCT media_file_id FROM spans) f
    ),
    islands AS {mat} (
        SELECT g.identity_id, g.media_file_id, g.first_sec, g.last_sec,
               g.first_sec - {OVERLAP_BOUND_SLACK_SECONDS} - l.seconds AS lowest_start,
               LAG(g.last_sec) OVER (PARTITION BY g.identity_id, g.media_file_id ORDER BY g.first_sec)
                   AS previous_last
        FROM (
            SELECT identity_id, media_file_id, MIN(first_sec) AS first_sec, MAX(last_sec) AS last_sec
            FROM grouped GROUP BY identity_id, media_file_id, island_in_file
        ) g
        JOIN longest l ON l.media_file_id = g.media_file_id
    ),
    counted AS {mat} (
        SELECT i.*, (SELECT COUNT(*) FROM {CHUNK_TABLE} c WHERE {ISLAND_CHUNKS}) AS chunk_count
        FROM islands i
    ),
    placed AS {mat} (
        SELECT counted.*,
               ROW_NUMBER() OVER (ORDER BY identity_id, media_file_id, first_sec) AS island,
               SUM(chunk_count) OVER (
                   ORDER BY identity_id, media_file_id, first_sec ROWS UNBOUNDED PRECEDING
               ) - chunk_count AS chunks_before
        FROM counted
    )"""
    return sql, params


def placed_chunks_sql(start, end):
    """SQL and parameters of the chunks at positions `start` < position <= `end` (from 0, in the
    order of `placed`) as `(identity_id, media_file_id, chunk_pk, start_time, end_time, position)`:
    only the islands holding them are read."""
    sql = f"""
        SELECT identity_id, media_file_id, chunk_pk, start_time, end_time, position FROM (
            SELECT i.identity_id, i.media_file_id, c.id AS chunk_pk, c.start_time, c.end_time,
                   i.chunks_before + ROW_NUMBER() OVER (PARTITION BY i.island ORDER BY c.start_time, c.id)
                       AS position
            FROM placed i JOIN {CHUNK_TABLE} c ON {ISLAND_CHUNKS}
            WHERE i.chunks_before < %s AND i.chunks_before + i.chunk_count > %s
        ) numbered
        WHERE position > %s AND position <= %s"""
    return sql, [end, start, start, end]
