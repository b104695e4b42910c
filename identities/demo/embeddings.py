"""Face embeddings spread the way a face recogniser's are, so that suggestions have something to find.

Each person has a centre, a unit vector. A trace moves it by an offset of its own (pose and light)
and each detection adds jitter (more in wide shots, whose faces are small), so a face lies at cosine
~0.6-0.7 from its person's centroid and the faces of one trace at ~0.85 from one another. Different
people's centres are random directions, at cosine ~0 ± 1/sqrt(EMBEDDING_DIMENSIONS); the cast's
stay below MAX_CAST_COSINE of one another, except the LOOKALIKES pairs, set at LOOKALIKE_COSINE.

Every draw comes from a generator seeded by a label, so a seed always gives the same embeddings.
"""
import hashlib
import math

import numpy as np

from .catalogue import LOOKALIKES, PEOPLE

# 64 floats a face: random directions are then ~0 ± 0.125 apart, and the demo's 89k faces stay
# quick to write and ingest as JSON (128 would double both for little).
EMBEDDING_DIMENSIONS = 64
EMBEDDING_DECIMALS = 4
MAX_CAST_COSINE = 0.3
LOOKALIKE_COSINE = 0.55
# Expected lengths, beside a centre of length 1, of a trace's offset and of a detection's jitter per shot kind.
TRACE_OFFSET_LENGTH = 0.9
FACE_JITTER_LENGTH = {"close": 0.45, "medium": 0.6, "two": 0.6, "wide": 0.85}


def _generator(label):
    return np.random.default_rng(int.from_bytes(hashlib.sha256(label.encode()).digest()))


def _unit(vector):
    return vector / np.linalg.norm(vector)


def _random_direction(rng):
    return _unit(rng.standard_normal(EMBEDDING_DIMENSIONS))


def _cast_centres(seed):
    """One centre per person of the catalogue (the same in every film), drawn in catalogue order."""
    rng = _generator(f"{seed}:embedding:cast")
    partners = dict(LOOKALIKES) | {b: a for a, b in LOOKALIKES}
    centres = {}
    for key in PEOPLE:
        partner = centres.get(partners.get(key))
        others = np.array([centre for other, centre in centres.items() if other != partners.get(key)])
        while True:
            centre = _random_direction(rng)
            if partner is not None:
                # The partner's direction at LOOKALIKE_COSINE, turned towards the drawn one.
                away = _unit(centre - (centre @ partner) * partner)
                centre = LOOKALIKE_COSINE * partner + math.sqrt(1 - LOOKALIKE_COSINE**2) * away
            if not len(others) or (others @ centre).max() <= MAX_CAST_COSINE:
                break
        centres[key] = centre
    return centres


class FaceEmbeddings:
    """The centres of the people of a library and the generators that scatter their faces."""

    def __init__(self, seed):
        self.seed = seed
        self.cast_centres = _cast_centres(seed)

    def extra_centre(self, label):
        return _random_direction(_generator(f"{self.seed}:embedding:{label}"))

    def generator(self, label):
        return _generator(f"{self.seed}:embedding-noise:{label}")


def trace_embeddings(rng, centre, *, count, kind):
    """The embeddings of a trace's `count` faces, unit vectors as lists of rounded floats."""
    trace_centre = centre + rng.normal(0, TRACE_OFFSET_LENGTH / math.sqrt(EMBEDDING_DIMENSIONS), EMBEDDING_DIMENSIONS)
    jitter = FACE_JITTER_LENGTH[kind] / math.sqrt(EMBEDDING_DIMENSIONS)
    faces = trace_centre + rng.normal(0, jitter, (count, EMBEDDING_DIMENSIONS))
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    return np.round(faces, EMBEDDING_DECIMALS).tolist()
