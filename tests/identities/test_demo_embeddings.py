"""The demo's face embeddings are spread as a recogniser's are, and the generator knows who each stranger is.

Measured with plain numpy on a generated library (every film at 0.3 of its runtime: enough traces per
person that a centroid is steady), and on a smaller one loaded by `manage.py demo`.
"""
import json
from collections import defaultdict

import numpy as np
import pytest
from django.core.management import call_command

from faces.models import FaceDetection
from identities.demo.catalogue import FILMS, LOOKALIKES, PEOPLE
from identities.demo.embeddings import EMBEDDING_DECIMALS, EMBEDDING_DIMENSIONS
from identities.demo.library import build_demo_library
from identities.demo.naming import person_uuid

SIZE = {"films": len(FILMS), "scale": 0.3}
LOADED_SIZE = {"films": len(FILMS), "scale": 0.1}


def unit(vectors):
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def centroids(embeddings_by_identity):
    """Each identity's normalised mean face embedding, as suggestions compare them."""
    return {identity: unit(np.mean(embeddings, axis=0)) for identity, embeddings in embeddings_by_identity.items()}


@pytest.fixture(scope="module")
def library():
    return build_demo_library(**SIZE)


@pytest.fixture(scope="module")
def embeddings_by_identity(library):
    """The bound faces' embeddings per identity_uuid, as ingest stores them."""
    grouped = defaultdict(list)
    for document in library.media:
        for face in document["faces"]:
            if "identity_uuid" in face:
                grouped[face["identity_uuid"]].append(face["embedding"])
    return {identity: np.array(embeddings) for identity, embeddings in grouped.items()}


@pytest.fixture(scope="module")
def known_centroids(library, embeddings_by_identity):
    known = {document["identity_uuid"] for document in library.identities if document["source"] != "auto"}
    return {identity: centroid for identity, centroid in centroids(embeddings_by_identity).items() if identity in known}


def test_embeddings_are_unit_vectors_of_rounded_floats(library):
    faces = [face for document in library.media for face in document["faces"]]
    assert all(len(face["embedding"]) == EMBEDDING_DIMENSIONS for face in faces)
    values = np.array([face["embedding"] for face in faces])
    assert np.array_equal(values, np.round(values, EMBEDDING_DECIMALS))
    assert np.allclose(np.linalg.norm(values, axis=1), 1, atol=1e-3)


def test_a_face_lies_at_cosine_0_5_to_0_8_from_its_identitys_centroid(embeddings_by_identity):
    by_identity = centroids(embeddings_by_identity)
    cosines = np.concatenate(
        [embeddings @ by_identity[identity] for identity, embeddings in embeddings_by_identity.items()]
    )
    assert 0.5 <= np.median(cosines) <= 0.8
    assert np.percentile(cosines, 5) > 0.4


def test_different_people_are_at_cosine_below_0_3_and_only_the_lookalikes_much_above(known_centroids):
    identities = sorted(known_centroids)
    matrix = np.array([known_centroids[identity] for identity in identities])
    cosines = matrix @ matrix.T
    pairs = np.triu_indices(len(identities), 1)
    assert np.median(cosines[pairs]) < 0.3
    lookalikes = {frozenset((person_uuid(PEOPLE[a]).hex, person_uuid(PEOPLE[b]).hex)) for a, b in LOOKALIKES}
    close = {frozenset((identities[i], identities[j])) for i, j in zip(*pairs) if cosines[i, j] > 0.45}
    assert close <= lookalikes


def test_the_lookalike_pairs_are_at_cosine_0_45_to_0_65(known_centroids):
    for a, b in LOOKALIKES:
        cosine = known_centroids[person_uuid(PEOPLE[a]).hex] @ known_centroids[person_uuid(PEOPLE[b]).hex]
        assert 0.45 <= cosine <= 0.65, (a, b, cosine)


def test_the_library_knows_which_cast_member_each_stranger_is_and_no_document_says(library):
    strangers = [document for document in library.identities if document["source"] == "auto"]
    truth = library.stranger_cast_members
    assert sorted(truth) == sorted(document["identity_uuid"] for document in strangers)
    cast = {person_uuid(person).hex for person in PEOPLE.values()}
    assert None in truth.values() and set(truth.values()) - {None} <= cast
    for document in strangers:
        if truth[document["identity_uuid"]] is not None:
            assert truth[document["identity_uuid"]] not in json.dumps(document)


@pytest.mark.django_db
def test_a_cast_members_stranger_is_nearest_to_that_person_in_the_loaded_database(tmp_path):
    films, scale = str(LOADED_SIZE["films"]), str(LOADED_SIZE["scale"])
    call_command("demo", "--films", films, "--scale", scale, "--no-crops", "--output-dir", str(tmp_path))
    grouped, sources = defaultdict(list), {}
    rows = FaceDetection.objects.filter(identity__isnull=False).values_list(
        "identity__identity_uuid", "identity__source", "embedding"
    )
    for identity_uuid, source, embedding in rows:
        grouped[identity_uuid.hex].append(embedding)
        sources[identity_uuid.hex] = source
    by_identity = centroids(grouped)
    known = sorted(identity for identity, source in sources.items() if source != "auto")
    known_matrix = np.array([by_identity[identity] for identity in known])

    truth = build_demo_library(**LOADED_SIZE).stranger_cast_members
    cast_strangers = {stranger: person for stranger, person in truth.items() if person is not None}
    assert len(cast_strangers) >= 30
    nearest = {stranger: known[int(np.argmax(known_matrix @ by_identity[stranger]))] for stranger in cast_strangers}
    right = sum(nearest[stranger] == person for stranger, person in cast_strangers.items())
    assert right / len(cast_strangers) >= 0.9
