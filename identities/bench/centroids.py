"""Every identity of the bench data set given a centroid, written straight into its row.

The bench's faces carry no embeddings of that length (5,000,000 × 512 floats as JSON would be
25 GB), so the centroids are not summed from faces: each identity gets a unit vector near one of
CLUSTERS random directions (so its nearest neighbours are a few of its cluster, not a tie of
everyone), its sum that vector times its faces, and the rows go in through binary COPY.
`check_traces` would report them as differing from the faces; the bench database is disposable.
"""
import math
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from faces.centroids import CENTROID_DTYPE, CENTROID_TABLE, IDENTITY_SUM_DTYPE, unit_rows

from .data import SEGMENT_TABLE

CLUSTERS = 64
NOISE = 0.9  # the length of an identity's offset from its cluster's direction
SEED = 20261201
BATCH = 10_000
COPY_TYPES = ("bigint", "integer", "bytea", "bytea", "timestamptz")


@dataclass(frozen=True)
class BuiltCentroids:
    rows: int
    dimensions: int
    seconds: float
    clusters: int = CLUSTERS
    cosine_within: float = 1 / (1 + NOISE**2)  # of two identities of one cluster, on average


def centroid_steps(identities):
    """How many times `centroids_build` calls `progress`."""
    return math.ceil(identities / BATCH) + 1


def _face_counts(identities):
    """Each identity's faces, from the segments; 1 where it has none, so that every one has a centroid."""
    counts = np.ones(identities + 1, dtype=np.int64)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT identity_id, SUM(face_count) FROM {SEGMENT_TABLE} WHERE identity_id IS NOT NULL GROUP BY 1"
        )
        for identity_id, faces in cursor.fetchall():
            counts[identity_id] = faces
    return counts


def centroids_build(layout, *, dimensions, progress):
    """Replace every centroid row by one of `dimensions` floats for each identity. Identity `n` is
    stamped `identities - n` seconds before now, as if changed one after another: the index reads
    again the rows stamped in its overlap window before the newest change, and a burst of rows
    stamped at one instant would all be read again by every request."""
    started = time.perf_counter()
    identities = layout.scale.identities
    rng = np.random.default_rng(SEED)
    directions = unit_rows(rng.standard_normal((CLUSTERS, dimensions)))
    counts = _face_counts(identities)
    now = timezone.now()
    table = connection.ops.quote_name(CENTROID_TABLE)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
        columns = "identity_id, embedding_count, embedding_sum, centroid, changed_at"
        copy_in = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
        with connection.wrap_database_errors, cursor.cursor.copy(copy_in) as copy:
            copy.set_types(COPY_TYPES)
            for first in range(1, identities + 1, BATCH):
                ids = np.arange(first, min(first + BATCH, identities + 1))
                offsets = unit_rows(rng.standard_normal((len(ids), dimensions))) * NOISE
                vectors = unit_rows(directions[rng.integers(CLUSTERS, size=len(ids))] + offsets)
                sums = vectors.astype(IDENTITY_SUM_DTYPE) * counts[ids, None]
                centroids = vectors.astype(CENTROID_DTYPE)
                for position, identity_id in enumerate(ids.tolist()):
                    count = int(counts[identity_id])
                    changed_at = now - timedelta(seconds=identities - identity_id)
                    copy.write_row(
                        (identity_id, count, sums[position].tobytes(), centroids[position].tobytes(), changed_at)
                    )
                progress(f"centroids of identities {first:,} to {ids[-1]:,}")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    progress("vacuum and analyze")
    return BuiltCentroids(rows=identities, dimensions=dimensions, seconds=time.perf_counter() - started)
