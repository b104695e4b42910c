"""Every identity's centroid in memory, ranked by exact cosine similarity with numpy.

100,000 centroids of 512 floats are one 200 MB matrix per process, and one product ranks them all
in a few milliseconds: no vector extension is needed (none can be installed where the project is
built), and SQLite and PostgreSQL share this one path. Each use first fetches the rows changed
since the process last looked (`changed_at`, indexed), re-reading a window of `OVERLAP` before
the newest change it has seen: a write stamps its rows before it commits, so a row may become
visible after rows stamped later. What the matrix ranks is a shortlist: `centroids_now` and
`nearest_many_now` read the shortlisted identities' centroids fresh from the table to score, so a row not yet
seen can only be missing from a list, never wrong in it, and an identity deleted since (which
leaves no row to notice) is forgotten when a shortlist meets it.
"""
import threading
from datetime import timedelta

import numpy as np

from .centroids import CENTROID_DTYPE, vector_from
from .models import IdentityCentroid

OVERLAP = timedelta(seconds=30)


class CentroidIndex:
    def __init__(self):
        self._lock = threading.Lock()
        self._clear()

    def _clear(self):
        self._matrix = np.zeros((0, 0), dtype=CENTROID_DTYPE)
        self._ids = np.zeros(0, dtype=np.int64)
        self._live = np.zeros(0, dtype=bool)
        self._position = {}
        self._count = 0
        self._watermark = None
        # The changed_at of each row as last taken in.
        self._changed = {}

    def refresh(self):
        """Take in the centroid rows changed since the last refresh (every row the first time). The
        overlap is re-read as `(identity, changed_at)` only, and a centroid fetched only where that
        differs from what is held: right after a bulk load, the window holds every row. A centroid
        of another length means the library changed embedding space: everything is read again."""
        with self._lock:
            rows = IdentityCentroid.objects.order_by()
            if self._watermark is not None:
                stamps = rows.filter(changed_at__gte=self._watermark - OVERLAP).values_list("identity_id", "changed_at")
                changed = [identity_id for identity_id, changed_at in stamps if self._changed.get(identity_id) != changed_at]
                if not changed or self._take_in(rows.filter(identity_id__in=changed)):
                    return
                self._clear()
            self._take_in(rows.order_by("-changed_at"))

    def _take_in(self, rows):
        """Put the rows' centroids in; False, having stopped, at one of another length than those held."""
        for identity_id, data, changed_at in rows.values_list("identity_id", "centroid", "changed_at").iterator(
            chunk_size=5000
        ):
            vector = vector_from(data, CENTROID_DTYPE)
            if vector is not None and self._count and vector.shape[0] != self._matrix.shape[1]:
                if self._watermark is not None and changed_at <= self._watermark:
                    continue  # older than the space held: a row a re-embedding has not reached yet
                return False
            self._put(identity_id, vector)
            self._changed[identity_id] = changed_at
            if self._watermark is None or changed_at > self._watermark:
                self._watermark = changed_at
        return True

    def _put(self, identity_id, vector):
        position = self._position.get(identity_id)
        if vector is None:
            if position is not None:
                self._live[position] = False
            return
        if self._count == 0 and vector.shape[0] != self._matrix.shape[1]:
            self._reset(vector.shape[0])
        if position is None:
            position = self._append(identity_id)
        self._matrix[position] = vector
        self._live[position] = True

    def _reset(self, dimensions):
        self._matrix = np.zeros((0, dimensions), dtype=CENTROID_DTYPE)

    def _append(self, identity_id):
        if self._count == len(self._ids):
            capacity = max(1024, 2 * len(self._ids))
            self._matrix = _grown(self._matrix, (capacity, self._matrix.shape[1]))
            self._ids, self._live = _grown(self._ids, (capacity,)), _grown(self._live, (capacity,))
        position = self._count
        self._ids[position] = identity_id
        self._position[identity_id] = position
        self._count += 1
        return position

    def nearest(self, vector, *, count, excluding=()):
        """`[(identity_id, similarity)]`: the `count` live centroids most similar to `vector`, best
        first (none when `vector` is of another embedding space)."""
        with self._lock:
            size = self._count
            if not size or vector.shape[0] != self._matrix.shape[1]:
                return []
            scores = self._matrix[:size] @ vector.astype(CENTROID_DTYPE)
            scores[~self._live[:size]] = -np.inf
            for identity_id in excluding:
                position = self._position.get(identity_id)
                if position is not None:
                    scores[position] = -np.inf
            count = min(count, size)
            top = np.argpartition(-scores, count - 1)[:count] if count < size else np.arange(size)
            top = top[np.argsort(-scores[top], kind="stable")]
            return [(int(self._ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]


    def forget(self, identity_ids):
        """Drop identities the table no longer has (a deleted identity leaves no row to notice)."""
        with self._lock:
            for identity_id in identity_ids:
                position = self._position.get(identity_id)
                if position is not None:
                    self._live[position] = False


def _grown(array, shape):
    grown = np.zeros(shape, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


_INDEX = CentroidIndex()


def centroid_index():
    """This process's index, with the changes committed since it was last used."""
    _INDEX.refresh()
    return _INDEX


def centroids_now(identity_ids):
    """`centroids_of` the shortlisted identities, forgetting in the index those gone from the table."""
    centroids = centroids_of(identity_ids)
    _INDEX.forget(set(identity_ids) - centroids.keys())
    return centroids


def nearest_many_now(vectors, *, count, excluding=None):
    """`{key: {identity_id: centroid}}`: the `count` identities nearest each of many vectors
    (`{key: vector}`), with their centroids read now in one query (`centroids_now`: those gone
    from the table are left out, and forgotten)."""
    index, excluding = centroid_index(), excluding or {}
    shortlists = {
        key: [identity_id for identity_id, _ in index.nearest(vector, count=count, excluding=excluding.get(key, ()))]
        for key, vector in vectors.items()
    }
    centroids = centroids_now({identity_id for shortlist in shortlists.values() for identity_id in shortlist})
    return {
        key: {identity_id: centroids[identity_id] for identity_id in shortlist if identity_id in centroids}
        for key, shortlist in shortlists.items()
    }


def centroids_of(identity_ids):
    """`{identity_id: unit centroid}` read from the table now, for the identities that have one."""
    rows = IdentityCentroid.objects.filter(identity_id__in=list(identity_ids), centroid__isnull=False)
    return {identity_id: vector_from(data, CENTROID_DTYPE) for identity_id, data in rows.values_list("identity_id", "centroid")}
