"""The hot read endpoints, each with hand-written SQL that computes the same answer.

The hand SQL is the bench's own, written against the schema (trace segments included) and never
against the application's selectors, so it stays a fixed yardstick while they are rewritten. Each
endpoint also names the figure that must agree between its response and its SQL (a total), so a
ratio is never taken between two different answers.
"""
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

from .data import CHUNK_TABLE, FACE_TABLE, FILE_TABLE, IDENTITY_TABLE, SEGMENT_TABLE

PAGE_SIZES = (20, 200)
OVERLAP_SLACK_SECONDS = 1.0  # as the application's chunk reads allow for float rounding
IDENTITY_COLUMNS = (
    "id, identity_uuid, name, identity_type, source, status, tmdb_id, tmdb_profile, metadata, reference_data, "
    "created_at, updated_at"
)
OWNER = f"(SELECT id FROM {IDENTITY_TABLE} WHERE identity_uuid = %(identity)s)"


@dataclass(frozen=True)
class Endpoint:
    label: str
    path: str  # `{size}` is the page size (or limit); PAGE_SIZES[0] when timed
    sql: tuple  # statements with %(identity)s, %(pattern)s and %(size)s parameters
    api_answer: Callable  # the response JSON -> the figure to compare
    sql_answer: Callable  # the rows of each statement -> the same figure
    params: dict = field(default_factory=dict)
    paged: bool = True

    def url(self, size=PAGE_SIZES[0]):
        return self.path.format(size=size)

    def sql_params(self, size=PAGE_SIZES[0]):
        return {**self.params, "size": size}


def _overlaps(segments_where):
    """Spans of the owners' traces from their segments, each bounded below by `first_sec - longest
    chunk of the file`, then the chunks of the same file that overlap them. The LATERAL's ORDER BY
    is that of `chunk_time_idx`, so each span is one index range scan: a bitmap scan per span
    (what the planner picks otherwise, misjudging how few rows a span reads) is 3-4 times slower."""
    return f"""
    spans AS MATERIALIZED (
        SELECT s.identity_id, s.media_file_id, s.trace_id, t.first_sec, t.last_sec,
               t.first_sec - {OVERLAP_SLACK_SECONDS} - (
                   SELECT MAX(c.end_time - c.start_time) FROM {CHUNK_TABLE} c WHERE c.media_file_id = s.media_file_id
               ) AS low
        FROM {SEGMENT_TABLE} s
        JOIN {FILE_TABLE} m ON m.id = s.media_file_id AND m.fps > 0,
        LATERAL (SELECT s.trace_first_frame / m.fps AS first_sec, s.trace_last_frame / m.fps AS last_sec) t
        WHERE {segments_where}
    ),
    overlapping AS MATERIALIZED (
        SELECT s.identity_id, s.trace_id, c.id AS chunk_pk, c.media_file_id, c.start_time
        FROM spans s CROSS JOIN LATERAL (
            SELECT c.id, c.media_file_id, c.start_time, c.end_time FROM {CHUNK_TABLE} c
            WHERE c.media_file_id = s.media_file_id AND c.start_time >= s.low AND c.start_time <= s.last_sec
            ORDER BY c.media_file_id, c.start_time
        ) c
        WHERE c.end_time >= s.first_sec
    )"""


TRACES = f"""
SELECT i.name, m.file_uuid, s.trace_id, s.trace_frame_count, s.trace_first_frame, s.trace_last_frame,
       s.trace_first_frame / m.fps, s.trace_last_frame / m.fps, s.trace_avg_confidence,
       COUNT(*) OVER () AS total, SUM(s.trace_face_count) OVER () AS total_faces
FROM {IDENTITY_TABLE} i
JOIN {SEGMENT_TABLE} s ON s.identity_id = i.id
JOIN {FILE_TABLE} m ON m.id = s.media_file_id
WHERE i.identity_uuid = %(identity)s
ORDER BY s.media_file_id, s.trace_first_frame, s.trace_id
LIMIT %(size)s"""

CHUNKS = f"""
WITH {_overlaps(f"s.identity_id = {OWNER}")},
hits AS MATERIALIZED (SELECT DISTINCT chunk_pk, media_file_id, start_time FROM overlapping),
page AS (SELECT chunk_pk FROM hits ORDER BY media_file_id, start_time, chunk_pk LIMIT %(size)s)
SELECT c.id, c.chunk_id, m.file_uuid, c.chunk_type, c.start_frame, c.end_frame, m.fps, c.start_time, c.end_time,
       c.text, (SELECT COUNT(*) FROM hits) AS total
FROM page p JOIN {CHUNK_TABLE} c ON c.id = p.chunk_pk JOIN {FILE_TABLE} m ON m.id = c.media_file_id
ORDER BY c.media_file_id, c.start_time, c.id"""

# The page's faces come from the first files only: the segments' face counts per file say which.
FACES = f"""
WITH per_file AS MATERIALIZED (
    SELECT s.media_file_id, SUM(s.face_count) AS faces FROM {SEGMENT_TABLE} s
    WHERE s.identity_id = {OWNER} GROUP BY s.media_file_id
),
page_files AS (
    SELECT media_file_id FROM (
        SELECT media_file_id, SUM(faces) OVER (ORDER BY media_file_id) - faces AS before FROM per_file
    ) running WHERE before < %(size)s
)
SELECT f.frame_number || '_' || f."index" AS face_id, m.file_uuid, f.frame_number, f.frame_number / m.fps,
       f.bbox, f.confidence, f.trace_id, (SELECT SUM(faces) FROM per_file) AS total
FROM {FACE_TABLE} f JOIN {FILE_TABLE} m ON m.id = f.media_file_id
WHERE f.identity_id = {OWNER} AND f.media_file_id IN (SELECT media_file_id FROM page_files)
ORDER BY f.media_file_id, f.frame_number, f."index"
LIMIT %(size)s"""

FILES = f"""
SELECT m.file_uuid, m.file_name, x.faces, x.first_frame / m.fps, x.last_frame / m.fps, x.avg_confidence
FROM (
    SELECT s.media_file_id, SUM(s.face_count) AS faces, MIN(s.first_frame) AS first_frame,
           MAX(s.last_frame) AS last_frame, SUM(s.avg_confidence * s.face_count) / SUM(s.face_count) AS avg_confidence
    FROM {SEGMENT_TABLE} s WHERE s.identity_id = {OWNER} GROUP BY s.media_file_id
) x JOIN {FILE_TABLE} m ON m.id = x.media_file_id
ORDER BY x.media_file_id"""

STATUS = f"""
SELECT i.identity_uuid, i.name, i.status, COALESCE(x.faces, 0), COALESCE(x.files, 0), COALESCE(x.embeddings, 0) > 0
FROM {IDENTITY_TABLE} i LEFT JOIN LATERAL (
    SELECT SUM(s.face_count) AS faces, COUNT(DISTINCT s.media_file_id) AS files, SUM(s.embedding_count) AS embeddings
    FROM {SEGMENT_TABLE} s WHERE s.identity_id = i.id
) x ON true
WHERE i.identity_uuid = %(identity)s"""

# Name or alias name, as the trigram indexes on UPPER(...) serve it; each (identity, chunk) once
# with its lowest overlapping trace.
SEARCH = f"""
WITH matched AS MATERIALIZED (
    SELECT id FROM {IDENTITY_TABLE}
    WHERE UPPER(name::text) LIKE UPPER(%(pattern)s) OR UPPER(identity_alias_names(metadata)) LIKE UPPER(%(pattern)s)
),
{_overlaps("s.identity_id IN (SELECT id FROM matched)")},
pairs AS MATERIALIZED (
    SELECT identity_id, chunk_pk, media_file_id, start_time, MIN(trace_id) AS trace_id
    FROM overlapping GROUP BY identity_id, chunk_pk, media_file_id, start_time
),
page AS (SELECT * FROM pairs ORDER BY identity_id, media_file_id, start_time, chunk_pk LIMIT %(size)s)
SELECT i.id, i.identity_uuid, i.name, i.source, i.tmdb_id, m.file_uuid, p.trace_id, c.chunk_id, c.start_time,
       c.text, (SELECT COUNT(*) FROM pairs) AS total
FROM page p JOIN {IDENTITY_TABLE} i ON i.id = p.identity_id JOIN {CHUNK_TABLE} c ON c.id = p.chunk_pk
JOIN {FILE_TABLE} m ON m.id = c.media_file_id
ORDER BY p.identity_id, p.media_file_id, p.start_time, p.chunk_pk"""

DETAIL = f"SELECT {IDENTITY_COLUMNS} FROM {IDENTITY_TABLE} WHERE identity_uuid = %(identity)s"

LIST = (
    f"SELECT COUNT(*) FROM {IDENTITY_TABLE}",
    f"SELECT {IDENTITY_COLUMNS} FROM {IDENTITY_TABLE} ORDER BY id LIMIT %(size)s",
)


def _last_column(results):
    rows = results[-1]
    return int(rows[0][-1]) if rows else 0


def _identity_endpoints(uuid_hex, who):
    base = f"/api/v1/identity/{uuid_hex}"
    params = {"identity": uuid_hex}
    return [
        Endpoint(
            f"traces, {who}",
            base + "/traces?page=1&page_size={size}",
            (TRACES,),
            lambda body: (body["total"], body["total_faces"]),
            lambda results: (int(results[0][0][-2]), int(results[0][0][-1])) if results[0] else (0, 0),
            params,
        ),
        Endpoint(
            f"chunks, {who}",
            base + "/chunks?page=1&page_size={size}",
            (CHUNKS,),
            lambda body: body["total"],
            _last_column,
            params,
        ),
        Endpoint(
            f"faces, {who}",
            base + "/faces?page=1&page_size={size}",
            (FACES,),
            lambda body: body["total"],
            _last_column,
            params,
        ),
        Endpoint(
            f"files, {who}",
            base + "/files",
            (FILES,),
            lambda body: body["total"],
            lambda results: len(results[0]),
            params,
            paged=False,
        ),
    ]


def hot_endpoints(*, big_uuid, big_name, big_faces, small_uuid, small_faces):
    """The endpoints the bench times, each with its hand SQL and its parameters."""
    big = f"{big_faces:,}-face identity"
    endpoints = _identity_endpoints(big_uuid, big)
    endpoints += [
        Endpoint(
            f"identities/search (name → chunk rows), {big}",
            f"/api/v1/identities/search?q={quote(big_name)}&limit={{size}}",
            (SEARCH,),
            lambda body: body["total"],
            _last_column,
            {"pattern": f"%{big_name}%"},
        ),
        Endpoint(
            f"status, {big}",
            f"/api/v1/identity/{big_uuid}/status",
            (STATUS,),
            lambda body: (body["face_count"], body["file_count"], body["has_embedding"]),
            lambda results: (int(results[0][0][3]), int(results[0][0][4]), results[0][0][5]),
            {"identity": big_uuid},
            paged=False,
        ),
        Endpoint(
            f"identity detail, {big}",
            f"/api/v1/identity/{big_uuid}",
            (DETAIL,),
            lambda body: body["identity_uuid"],
            lambda results: results[0][0][1].hex,
            {"identity": big_uuid},
            paged=False,
        ),
    ]
    endpoints += _identity_endpoints(small_uuid, f"small identity ({small_faces} faces)")
    endpoints.append(
        Endpoint(
            "identities list, page 1",
            "/api/v1/identities?page=1&page_size={size}",
            LIST,
            lambda body: body["count"],
            lambda results: int(results[0][0][0]),
        )
    )
    return endpoints

