"""Embedding centroids of trace segments and of identities, kept by every write that moves faces.

Each face's embedding counts once, at unit length. A segment stores the sum of its faces' unit
embeddings (float32) and an identity the sum of its segments' sums (float64) with that sum at unit
length: its centroid, which suggestions compare. Sums add, so a write changes an identity's sum by
what the segments it touched gave and took: binding one face to an identity of 100,000 faces reads
that face's trace, and a merge that re-points whole segments moves their sums without reading a
face. `centroids_differences` recomputes both from the faces for `check_traces`.

The library has one embedding space: ingest refuses a document whose embeddings differ in length
from each other or from the library's (`library_embedding_dimensions`).
"""
import json
from collections import defaultdict

import numpy as np
from django.db import connection
from django.utils import timezone

from .models import FaceDetection, IdentityCentroid, TraceSegment
from .relations import TRACE_KEY_COLUMNS, ints_in, rows_relation

FACE_TABLE = FaceDetection._meta.db_table
SEGMENT_TABLE = TraceSegment._meta.db_table
CENTROID_TABLE = IdentityCentroid._meta.db_table

SEGMENT_SUM_DTYPE = np.float32
IDENTITY_SUM_DTYPE = np.float64
CENTROID_DTYPE = np.float32
# Two-key advisory locks on identities' centroid rows (next to the segments' per-file class).
CENTROID_LOCK_CLASS = 0x5E7
# Sums recomputed from the faces and those stored may differ by float rounding, never by more.
SUM_TOLERANCE = 1e-3


def unit_rows(matrix):
    """Each row of a float matrix at unit length; rows of zeros stay zeros. Scaled by the largest
    value first, so finite numbers near the float limit do not overflow the norm."""
    scale = np.max(np.abs(matrix), axis=1, keepdims=True)
    scaled = np.divide(matrix, scale, out=np.zeros_like(matrix), where=scale > 0)
    norms = np.linalg.norm(scaled, axis=1, keepdims=True)
    return np.divide(scaled, norms, out=np.zeros_like(scaled), where=norms > 0)


def vector_bytes(vector, dtype):
    return None if vector is None else np.asarray(vector, dtype=dtype).tobytes()


def vector_from(data, dtype):
    return None if data is None else np.frombuffer(bytes(data), dtype=dtype)


def _embeddings(values):
    """The embeddings (JSON text, or lists where the driver parsed them) as one float matrix, parsed
    in one call, and the positions kept: the library's length, where old data mixes lengths."""
    texts = [value if isinstance(value, str) else json.dumps(value) for value in values]
    vectors = json.loads("[" + ",".join(texts) + "]")
    lengths = [len(vector) for vector in vectors]
    dimensions = max(set(lengths), key=lengths.count)
    kept = [position for position, length in enumerate(lengths) if length == dimensions]
    if len(kept) < len(vectors):
        vectors = [vectors[position] for position in kept]
    return np.array(vectors, dtype=np.float64), kept


def _sums_of_faces(rows):
    """`{segment key: (faces, float32 sum)}` for rows `(key..., embedding)` of faces with embeddings."""
    if not rows:
        return {}
    matrix, kept = _embeddings([row[-1] for row in rows])
    keys = [rows[position][:-1] for position in kept]
    index_of = {}
    groups = np.array([index_of.setdefault(key, len(index_of)) for key in keys], dtype=np.int64)
    sums = np.zeros((len(index_of), matrix.shape[1]), dtype=np.float64)
    np.add.at(sums, groups, unit_rows(matrix))
    counts = np.bincount(groups, minlength=len(index_of))
    return {key: (int(counts[i]), sums[i].astype(SEGMENT_SUM_DTYPE)) for key, i in index_of.items()}


class EmbeddingSums:
    """Segment sums made from embeddings as they go by (an ingest's rows, before they are written),
    `BATCH` at a time: memory holds one batch and the sums. They are the sums `segment_sums_write`
    would read back from the faces just written, without that read (1 s of an ingest of 89k faces
    with 64 floats, and a second copy of every embedding in memory)."""

    BATCH = 4096

    def __init__(self):
        self._index = {}  # (trace_id, identity_id) -> row of _totals
        self._totals = None
        self._counts = None
        self._keys, self._vectors = [], []

    def add(self, key, embedding):
        self._keys.append(key)
        self._vectors.append(embedding)
        if len(self._vectors) >= self.BATCH:
            self._flush()

    def _flush(self):
        if not self._vectors:
            return
        matrix = unit_rows(np.array(self._vectors, dtype=np.float64))
        groups = np.array([self._index.setdefault(key, len(self._index)) for key in self._keys], dtype=np.int64)
        if self._totals is None or len(self._index) > len(self._totals):
            self._grow(max(len(self._index), 2 * (0 if self._totals is None else len(self._totals))), matrix.shape[1])
        np.add.at(self._totals, groups, matrix)
        self._counts += np.bincount(groups, minlength=len(self._totals))
        self._keys, self._vectors = [], []

    def _grow(self, rows, dimensions):
        """Room for `rows` segments, twice as many as before at least: a document's 20,000 traces
        of 512 floats would otherwise copy all their sums at each batch."""
        totals, counts = np.zeros((rows, dimensions), dtype=np.float64), np.zeros(rows, dtype=np.int64)
        if self._totals is not None:
            totals[: len(self._totals)], counts[: len(self._counts)] = self._totals, self._counts
        self._totals, self._counts = totals, counts

    def sums(self):
        """`{(trace_id, identity_id): (faces, float32 sum)}`."""
        self._flush()
        return {
            key: (int(self._counts[row]), self._totals[row].astype(SEGMENT_SUM_DTYPE))
            for key, row in self._index.items()
        }


def segment_sums_write_known(media_file_id, embedding_sums):
    """Store the sums of `EmbeddingSums` on the (just rebuilt) segments of a file; returns them as
    `segment_sums_write` does."""
    sums = embedding_sums.sums()
    segment_ids = {
        (trace_id, owner): segment_id
        for segment_id, trace_id, owner in _fetch(
            f"SELECT id, trace_id, identity_id FROM {SEGMENT_TABLE} WHERE media_file_id = %s", [media_file_id]
        )
    }
    _segment_sums_store(
        [(segment_ids[key], vector_bytes(total, SEGMENT_SUM_DTYPE)) for key, (_, total) in sums.items()]
    )
    return [(owner, faces, total) for (_, owner), (faces, total) in sums.items()]


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _touched(trace_keys):
    relation, params = rows_relation("t", TRACE_KEY_COLUMNS, sorted(trace_keys))
    return f"{relation} JOIN {SEGMENT_TABLE} s ON s.media_file_id = t.file_id AND s.trace_id = t.trace_id", params


def segment_sums_of_traces(trace_keys):
    """`[(identity_id, faces, float32 sum)]` stored on the segments of the traces, before a rebuild
    replaces them."""
    if not trace_keys:
        return []
    segments, params = _touched(trace_keys)
    return _stored_sums(
        f"SELECT s.identity_id, s.embedding_count, s.embedding_sum FROM {segments} WHERE s.embedding_sum IS NOT NULL",
        params,
    )


def segment_sums_of_file(media_file_id):
    return _stored_sums(
        f"SELECT identity_id, embedding_count, embedding_sum FROM {SEGMENT_TABLE} "
        "WHERE media_file_id = %s AND embedding_sum IS NOT NULL",
        [media_file_id],
    )


def _stored_sums(sql, params):
    return [(owner, faces, vector_from(data, SEGMENT_SUM_DTYPE)) for owner, faces, data in _fetch(sql, params)]


def segment_sums_write(*, trace_keys=None, media_file_id=None):
    """Compute and store the sums of the (just rebuilt) segments of the traces, or of a whole file,
    from their faces; returns them as `segment_sums_of_traces` does."""
    if trace_keys is not None:
        if not trace_keys:
            return []
        segments, params = _touched(trace_keys)
    else:
        segments, params = f"{SEGMENT_TABLE} s", []
    faces_from = f"{segments} JOIN {FACE_TABLE} f ON f.media_file_id = s.media_file_id AND f.trace_id = s.trace_id"
    where, scope = ("", []) if media_file_id is None else ("AND s.media_file_id = %s", [media_file_id])
    same_owner = "(f.identity_id = s.identity_id OR (f.identity_id IS NULL AND s.identity_id IS NULL))"
    rows = _fetch(
        f"SELECT s.id, s.identity_id, f.embedding FROM {faces_from} "
        f"WHERE f.embedding IS NOT NULL AND {same_owner} {where}",
        [*params, *scope],
    )
    sums = _sums_of_faces(rows)
    _segment_sums_store([(segment_id, vector_bytes(total, SEGMENT_SUM_DTYPE)) for (segment_id, _), (_, total) in sums.items()])
    return [(owner, faces, total) for (_, owner), (faces, total) in sums.items()]


def _segment_sums_store(rows):
    """Set `embedding_sum` of segments by id: one UPDATE from arrays on PostgreSQL; SQLite, in
    process, takes the rows as one prepared statement."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, sums = zip(*rows)
            cursor.execute(
                f"UPDATE {SEGMENT_TABLE} AS s SET embedding_sum = v.embedding_sum "
                "FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, embedding_sum) WHERE s.id = v.id",
                [list(ids), list(sums)],
            )
        else:
            cursor.executemany(
                f"UPDATE {SEGMENT_TABLE} SET embedding_sum = %s WHERE id = %s", [(data, pk) for pk, data in rows]
            )


def centroid_changes(*, taken=(), given=()):
    """`{identity_id: (faces, float64 vector)}`: what the segment sums `given` (as the sum functions
    return them) add to their owners, less what `taken` removes; unbound segments have no centroid."""
    changes = {}
    for sign, sums in ((-1, taken), (1, given)):
        for owner, faces, total in sums:
            if owner is None or total is None:
                continue
            count, vector = changes.get(owner, (0, None))
            contribution = sign * total.astype(IDENTITY_SUM_DTYPE)
            # Sums of another length are of an embedding space the write replaced (`centroids_apply`).
            if vector is not None and vector.shape == contribution.shape:
                contribution = vector + contribution
            changes[owner] = (count + sign * faces, contribution)
    return changes


def centroids_apply(changes):
    """Add each identity's change to its stored sum and write the sums and centroids (one read, one
    upsert). On PostgreSQL the identities are locked first, in id order, so two writers that both
    changed one identity add to each other's sum instead of one overwriting the other."""
    changes = {owner: change for owner, change in changes.items() if change[0] or change[1] is not None}
    if not changes:
        return
    owners = sorted(changes)
    in_owners, params = ints_in("identity_id", owners)
    if connection.vendor == "postgresql":
        _fetch(
            f"SELECT pg_advisory_xact_lock({CENTROID_LOCK_CLASS}, identity_id) "
            "FROM (SELECT unnest(%s::integer[]) AS identity_id ORDER BY 1) AS ordered",
            [params[0]],
        )
    stored = {
        owner: (faces, vector_from(data, IDENTITY_SUM_DTYPE))
        for owner, faces, data in _fetch(
            f"SELECT identity_id, embedding_count, embedding_sum FROM {CENTROID_TABLE} WHERE {in_owners}", params
        )
    }
    now = timezone.now()
    rows = []
    for owner in owners:
        faces, vector = stored.get(owner, (0, None))
        change_faces, change_vector = changes[owner]
        if change_vector is not None:
            vector = change_vector if vector is None or len(vector) != len(change_vector) else vector + change_vector
        rows.append(_centroid_row(owner, faces + change_faces, vector, now))
    _centroids_upsert(rows)


def _centroids_upsert(rows):
    """Insert the centroid rows, or overwrite those the identities already have (one statement)."""
    IdentityCentroid.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["identity"],
        update_fields=["embedding_count", "embedding_sum", "centroid", "changed_at"],
    )


def _centroid_row(owner, faces, vector, now):
    """A centroid row; at no faces the sum restarts from nothing, so rounding never accumulates."""
    if faces <= 0 or vector is None:
        return IdentityCentroid(identity_id=owner, embedding_count=0, embedding_sum=None, centroid=None, changed_at=now)
    norm = float(np.linalg.norm(vector))
    centroid = vector / norm if norm > 0 else None
    return IdentityCentroid(
        identity_id=owner,
        embedding_count=faces,
        embedding_sum=vector_bytes(vector, IDENTITY_SUM_DTYPE),
        centroid=vector_bytes(centroid, CENTROID_DTYPE),
        changed_at=now,
    )


def library_embedding_dimensions(*, excluding_file_id=None):
    """The length of the library's embeddings (None while no face has one), from any one segment
    sum outside the file being replaced."""
    sql = f"SELECT embedding_sum FROM {SEGMENT_TABLE} WHERE embedding_sum IS NOT NULL"
    params = []
    if excluding_file_id is not None:
        sql, params = f"{sql} AND media_file_id <> %s", [excluding_file_id]
    rows = _fetch(f"{sql} LIMIT 1", params)
    return len(bytes(rows[0][0])) // np.dtype(SEGMENT_SUM_DTYPE).itemsize if rows else None


def segment_sums_differences(media_file_id):
    """`[(trace_id, identity_id)]` of the file's segments whose stored sum is not that of their faces."""
    rows = _fetch(
        f"SELECT f.trace_id, f.identity_id, f.embedding FROM {FACE_TABLE} f "
        "WHERE f.media_file_id = %s AND f.embedding IS NOT NULL",
        [media_file_id],
    )
    expected = _sums_of_faces(rows)
    stored = {
        (trace_id, owner): vector_from(data, SEGMENT_SUM_DTYPE)
        for trace_id, owner, data in _fetch(
            f"SELECT trace_id, identity_id, embedding_sum FROM {SEGMENT_TABLE} WHERE media_file_id = %s",
            [media_file_id],
        )
    }
    differing = [key for key in stored if not _close(stored[key], expected.get(key, (0, None))[1])]
    differing += [key for key in expected if key not in stored]
    return sorted(set(differing), key=lambda key: (key[0], key[1] is not None, key[1] or 0))


def _close(stored, expected):
    if stored is None or expected is None:
        return stored is None and expected is None
    return stored.shape == expected.shape and np.allclose(stored, expected, atol=SUM_TOLERANCE)


def centroids_differences():
    """`{identity_id: (faces, float64 sum or None)}` for each identity whose stored centroid row is
    not the sum of its segments' sums (a row of no faces counts as no row)."""
    expected = defaultdict(lambda: [0, None])
    for owner, faces, data in _fetch(
        f"SELECT identity_id, embedding_count, embedding_sum FROM {SEGMENT_TABLE} "
        "WHERE identity_id IS NOT NULL AND embedding_sum IS NOT NULL",
        [],
    ):
        entry = expected[owner]
        vector = vector_from(data, SEGMENT_SUM_DTYPE).astype(IDENTITY_SUM_DTYPE)
        entry[0] += faces
        entry[1] = vector if entry[1] is None else entry[1] + vector
    stored = {
        owner: (faces, vector_from(data, IDENTITY_SUM_DTYPE))
        for owner, faces, data in _fetch(
            f"SELECT identity_id, embedding_count, embedding_sum FROM {CENTROID_TABLE} WHERE embedding_count > 0", []
        )
    }
    differing = {}
    for owner in expected.keys() | stored.keys():
        faces, vector = expected.get(owner, (0, None))
        stored_faces, stored_vector = stored.get(owner, (0, None))
        if faces != stored_faces or not _close(stored_vector, vector):
            differing[owner] = (faces, vector)
    return differing


def centroids_replace(rows):
    """Write `{identity_id: (faces, float64 sum or None)}` as the identities' centroid rows."""
    now = timezone.now()
    _centroids_upsert([_centroid_row(owner, faces, vector, now) for owner, (faces, vector) in sorted(rows.items())])
