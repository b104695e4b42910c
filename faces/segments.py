"""Trace segments rebuilt from the faces, for the traces a write touched and nothing else.

Every write that moves faces calls `segments_after_move` with what it moved, inside its
transaction: it re-points the segments that moved whole (one UPDATE) and rebuilds the other
touched traces with one DELETE and one INSERT ... SELECT over their faces (the `face_trace_idx`
index), whatever their number. Ingest rebuilds its file (`segments_rebuild_file`), and
`segments_rebuild` rebuilds given traces (as tests build data the way ingest would).
`segments_differences` recomputes the same rows for whole files and lists where the table
disagrees (`check_traces`). Each of them also keeps the embedding sums of the segments and the
centroids of their owners (`faces.centroids`).
"""
from collections import Counter

from django.db import connection

from .centroids import (
    SEGMENT_SUM_DTYPE,
    centroid_changes,
    centroids_apply,
    segment_sums_of_file,
    segment_sums_of_traces,
    segment_sums_write,
    segment_sums_write_known,
    vector_from,
)
from .models import FaceDetection, TraceSegment
from .relations import TRACE_KEY_COLUMNS, rows_relation

FACE_TABLE = FaceDetection._meta.db_table
SEGMENT_TABLE = TraceSegment._meta.db_table

SEGMENT_COLUMNS = [
    "media_file_id",
    "trace_id",
    "identity_id",
    "face_count",
    "frame_count",
    "first_frame",
    "last_frame",
    "avg_confidence",
    "embedding_count",
    "best_frame",
    "best_index",
    "trace_face_count",
    "trace_frame_count",
    "trace_first_frame",
    "trace_last_frame",
    "trace_avg_confidence",
]


def face_strength(confidence, bbox):
    """Confidence × bbox area (`[x1, y1, x2, y2]`): how a segment's best face is picked, in Python
    for rows already read (`_segments_select` ranks by the same in SQL)."""
    return confidence * (bbox[2] - bbox[0]) * (bbox[3] - bbox[1])


def _bbox_area():
    if connection.vendor == "postgresql":
        width = "((f.bbox->>2)::float - (f.bbox->>0)::float)"
        height = "((f.bbox->>3)::float - (f.bbox->>1)::float)"
    else:
        width = "(json_extract(f.bbox, '$[2]') - json_extract(f.bbox, '$[0]'))"
        height = "(json_extract(f.bbox, '$[3]') - json_extract(f.bbox, '$[1]'))"
    return f"{width} * {height}"


_REPOINT_COLUMNS = [
    ("file_id", "bigint"),
    ("trace", "integer"),
    ("from_id", "bigint"),
    ("to_id", "bigint"),
    ("moved", "integer"),
]


def _segments_select(faces_from):
    """The segment rows of the faces `faces_from` yields (as `f`), in SEGMENT_COLUMNS order.

    Every join is on equal columns, so PostgreSQL can hash or merge them: the best face is taken in
    the segment's own aggregate, not joined back (a join on a nullable owner, `=` or both NULL, can
    only be a nested loop, quadratic in the traces: 15 s for 10,000).
    """
    return f"""
        WITH picked AS (
            SELECT f.media_file_id, f.trace_id, f.identity_id, f.frame_number, f."index", f.confidence,
                   f.embedding IS NOT NULL AS has_embedding,
                   ROW_NUMBER() OVER (
                       PARTITION BY f.media_file_id, f.trace_id, f.identity_id
                       ORDER BY f.confidence * {_bbox_area()} DESC, f.frame_number, f."index"
                   ) AS rank_in_segment
            FROM {faces_from}
        ),
        segments AS (
            SELECT media_file_id, trace_id, identity_id,
                   COUNT(*) AS face_count, COUNT(DISTINCT frame_number) AS frame_count,
                   MIN(frame_number) AS first_frame, MAX(frame_number) AS last_frame,
                   AVG(confidence) AS avg_confidence,
                   SUM(CASE WHEN has_embedding THEN 1 ELSE 0 END) AS embedding_count,
                   MAX(CASE WHEN rank_in_segment = 1 THEN frame_number END) AS best_frame,
                   MAX(CASE WHEN rank_in_segment = 1 THEN "index" END) AS best_index
            FROM picked GROUP BY media_file_id, trace_id, identity_id
        ),
        traces AS (
            SELECT media_file_id, trace_id,
                   COUNT(*) AS face_count, COUNT(DISTINCT frame_number) AS frame_count,
                   MIN(frame_number) AS first_frame, MAX(frame_number) AS last_frame,
                   AVG(confidence) AS avg_confidence
            FROM picked GROUP BY media_file_id, trace_id
        )
        SELECT s.media_file_id, s.trace_id, s.identity_id, s.face_count, s.frame_count, s.first_frame,
               s.last_frame, s.avg_confidence, s.embedding_count, s.best_frame, s.best_index,
               t.face_count, t.frame_count, t.first_frame, t.last_frame, t.avg_confidence
        FROM segments s
        JOIN traces t ON t.media_file_id = s.media_file_id AND t.trace_id = s.trace_id"""


_FILE_FACES = f"{FACE_TABLE} f WHERE f.media_file_id = %s"


def _execute(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# The first key of the two-key advisory locks that serialise segment rebuilds per file (a key
# space of its own: one-key advisory locks never collide with two-key ones).
SEGMENT_LOCK_CLASS = 0x5E6

def _lock_files(file_ids):
    """Two writers that moved different faces of one trace must not rebuild its segments from two
    snapshots: on PostgreSQL each waits, per file and in id order, for the other's commit, and
    then reads the faces as committed (each statement has a fresh snapshot). SQLite has one writer.
    """
    if connection.vendor == "postgresql":
        ordered = [(file_id,) for file_id in sorted(set(file_ids))]
        files, params = rows_relation("files", [("file_id", "integer")], ordered)
        _execute(
            f"SELECT pg_advisory_xact_lock(%s, file_id) FROM (SELECT file_id FROM {files} ORDER BY file_id) AS ordered",
            [SEGMENT_LOCK_CLASS, *params],
        )


def segments_rebuild(trace_keys):
    """Rebuild the segments of the traces `{(media_file_id, trace_id), ...}` from their faces."""
    trace_keys = sorted(set(trace_keys))
    if trace_keys:
        _lock_files({file_id for file_id, _ in trace_keys})
        taken, given = _rebuild_locked(trace_keys)
        centroids_apply(centroid_changes(taken=taken, given=given))


def _rebuild_locked(trace_keys):
    """Rebuild the traces' segments; returns the segment sums it took away and those it wrote."""
    taken = segment_sums_of_traces(trace_keys)
    touched, params = rows_relation("t", TRACE_KEY_COLUMNS, trace_keys)
    _execute(
        f"DELETE FROM {SEGMENT_TABLE} WHERE (media_file_id, trace_id) IN (SELECT file_id, trace_id FROM {touched})",
        params,
    )
    # A join driven by the touched traces, so each is one range of `face_trace_idx`.
    faces_from = f"{touched} JOIN {FACE_TABLE} f ON f.media_file_id = t.file_id AND f.trace_id = t.trace_id"
    _execute(f"INSERT INTO {SEGMENT_TABLE} ({', '.join(SEGMENT_COLUMNS)}) {_segments_select(faces_from)}", params)
    return taken, segment_sums_write(trace_keys=trace_keys)


_REPOINT = f"""
    UPDATE {SEGMENT_TABLE} AS s SET identity_id = m.to_id FROM {{moves}}
    WHERE {{from_owner}} AND s.media_file_id = m.file_id AND s.trace_id = m.trace AND s.face_count = m.moved
      AND NOT EXISTS (
          SELECT 1 FROM {SEGMENT_TABLE} AS o
          WHERE o.identity_id = m.to_id AND o.media_file_id = m.file_id AND o.trace_id = m.trace)
      AND NOT (m.to_id IS NULL AND EXISTS (
          SELECT 1 FROM {SEGMENT_TABLE} AS o
          WHERE o.identity_id IS NULL AND o.media_file_id = m.file_id AND o.trace_id = m.trace))
    RETURNING media_file_id, trace_id, embedding_count, embedding_sum"""


def segments_after_move(moved):
    """Bring the segments up to date after a move, `moved` being `{(media_file_id, trace_id,
    from_identity_id, to_identity_id): faces}` (owners None for unbound).

    Where every face of an owner's segment moved to an owner with none in that trace (each trace
    of a merge, and of its undo, unless the target had faces there too), the segment row is the
    new owner's as it stands: its figures are those of the same faces. One UPDATE re-points those
    (one more for unbound segments), and the other traces are rebuilt from their faces: a merge of
    100,000 faces in 2,000 traces writes 2,000 rows instead of aggregating 100,000 faces.
    """
    if not moved:
        return
    _lock_files({file_id for file_id, *_ in moved})
    moves_in_trace = Counter((file_id, trace_id) for file_id, trace_id, _, _ in moved)
    candidates = [
        (file_id, trace_id, from_id, to_id, faces)
        for (file_id, trace_id, from_id, to_id), faces in moved.items()
        if moves_in_trace[file_id, trace_id] == 1 and from_id != to_id
    ]
    owners_of_trace = {(file_id, trace_id): (from_id, to_id) for file_id, trace_id, from_id, to_id, _ in candidates}
    repointed, taken, given = set(), [], []
    # Bound and unbound segments apart, so that each is found by its own unique index.
    for from_owner, moves in (
        ("s.identity_id = m.from_id", [move for move in candidates if move[2] is not None]),
        ("s.identity_id IS NULL", [move for move in candidates if move[2] is None]),
    ):
        if moves:
            relation, params = rows_relation("m", _REPOINT_COLUMNS, moves)
            with connection.cursor() as cursor:
                cursor.execute(_REPOINT.format(moves=relation, from_owner=from_owner), params)
                for file_id, trace_id, faces, data in cursor.fetchall():
                    repointed.add((file_id, trace_id))
                    # A re-pointed segment's sum leaves its old owner's centroid for the new one's.
                    if data is not None:
                        from_id, to_id = owners_of_trace[file_id, trace_id]
                        total = vector_from(data, SEGMENT_SUM_DTYPE)
                        taken.append((from_id, faces, total))
                        given.append((to_id, faces, total))
    rest = sorted(set(moves_in_trace) - repointed)
    if rest:
        rebuilt_taken, rebuilt_given = _rebuild_locked(rest)
        taken, given = taken + rebuilt_taken, given + rebuilt_given
    centroids_apply(centroid_changes(taken=taken, given=given))


def segments_rebuild_file(media_file_id, *, embedding_sums=None):
    """Rebuild every segment of one file (after an ingest wrote or replaced its faces); their sums
    from `embedding_sums` (`faces.centroids.EmbeddingSums` of the faces written) when given, else
    read from the faces."""
    _lock_files([media_file_id])
    taken = segment_sums_of_file(media_file_id)
    _execute(f"DELETE FROM {SEGMENT_TABLE} WHERE media_file_id = %s", [media_file_id])
    _execute(
        f"INSERT INTO {SEGMENT_TABLE} ({', '.join(SEGMENT_COLUMNS)}) {_segments_select(_FILE_FACES)}",
        [media_file_id],
    )
    if embedding_sums is None:
        given = segment_sums_write(media_file_id=media_file_id)
    else:
        given = segment_sums_write_known(media_file_id, embedding_sums)
    centroids_apply(centroid_changes(taken=taken, given=given))


def segments_differences(media_file_id):
    """`(missing, unexpected)`: the segment rows of one file the faces call for and the table lacks,
    and those the table has that the faces do not call for (floats compared to 9 places)."""
    with connection.cursor() as cursor:
        cursor.execute(_segments_select(_FILE_FACES), [media_file_id])
        expected = {_comparable(row) for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT {', '.join(SEGMENT_COLUMNS)} FROM {SEGMENT_TABLE} WHERE media_file_id = %s", [media_file_id]
        )
        stored = {_comparable(row) for row in cursor.fetchall()}
    return sorted(expected - stored, key=_row_order), sorted(stored - expected, key=_row_order)


def _comparable(row):
    return tuple(round(value, 9) if isinstance(value, float) else value for value in row)


def _row_order(row):
    return (row[0], row[1], row[2] is not None, row[2] or 0)
