"""Segment embedding sums and identity centroids follow every write that moves faces."""
import io
import uuid

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from faces.centroids import CENTROID_DTYPE, IDENTITY_SUM_DTYPE, EmbeddingSums
from faces.models import FaceDetection, IdentityCentroid
from faces.services import media_file_ingest
from identities.services.binding import face_bind, faces_unbind, trace_bind
from identities.services.merging import identity_merge, merge_redo, merge_undo
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def unit(vector):
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def expected_centroid(embeddings):
    return unit(sum(unit(embedding) for embedding in embeddings))


def stored(identity):
    row = IdentityCentroid.objects.filter(identity_id=identity.pk).first()
    if row is None or row.centroid is None:
        return (0 if row is None else row.embedding_count), None
    return row.embedding_count, np.frombuffer(bytes(row.centroid), dtype=CENTROID_DTYPE)


def assert_centroid(identity, embeddings):
    count, centroid = stored(identity)
    assert count == len(embeddings)
    if embeddings:
        assert np.allclose(centroid, expected_centroid(embeddings), atol=1e-5)
    else:
        assert centroid is None


def check_traces():
    out = io.StringIO()
    call_command("check_traces", "--check", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def trace(media_file, trace_id, embeddings, *, identity=None, first_frame=0):
    return [
        FaceFactory(
            media_file=media_file,
            trace_id=trace_id,
            frame_number=first_frame + 5 * position,
            embedding=list(embedding),
            identity=identity,
        )
        for position, embedding in enumerate(embeddings)
    ]


A, B, C = [3.0, 0.0, 0.0, 4.0], [0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]


def test_binding_and_unbinding_faces_and_traces_move_their_embeddings():
    media_file = MediaFileFactory()
    stranger, cary = StrangerFactory(), IdentityFactory()
    trace(media_file, 1, [A, B], identity=stranger)
    trace(media_file, 2, [C], first_frame=100)
    assert_centroid(stranger, [A, B])

    face_bind(identity_uuid=cary.identity_uuid, file_uuid=media_file.file_uuid, frame_number=5, index=0, actor="t")
    assert_centroid(stranger, [A])
    assert_centroid(cary, [B])

    trace_bind(identity_uuid=cary.identity_uuid, file_uuid=media_file.file_uuid, trace_id=2, actor="t")
    assert_centroid(cary, [B, C])

    faces_unbind(identity_uuid=cary.identity_uuid, file_uuid=media_file.file_uuid, trace_id=2, actor="t")
    faces_unbind(identity_uuid=cary.identity_uuid, file_uuid=media_file.file_uuid, frame_number=5, index=0, actor="t")
    assert_centroid(cary, [])
    assert "0 identity centroid(s) differ" in check_traces()


def test_a_merge_moves_the_centroid_and_its_undo_and_redo_move_it_back_and_again():
    media_file = MediaFileFactory()
    stranger, cary = StrangerFactory(), IdentityFactory()
    trace(media_file, 1, [A, B], identity=stranger)
    trace(media_file, 2, [C], identity=cary, first_frame=100)
    # The target has faces of the stranger's trace too: that trace is rebuilt, not re-pointed.
    FaceFactory(media_file=media_file, trace_id=1, frame_number=50, embedding=C, identity=cary)

    merge = identity_merge(identity_uuid=stranger.identity_uuid, into_uuid=cary.identity_uuid.hex, actor="t")
    assert_centroid(cary, [A, B, C, C])
    assert_centroid(stranger, [])

    merge_undo(merge_id=merge.merge_id, actor="t")
    assert_centroid(cary, [C, C])
    assert_centroid(stranger, [A, B])

    merge_redo(merge_id=merge.merge_id, actor="t")
    assert_centroid(cary, [A, B, C, C])
    assert "0 identity centroid(s) differ" in check_traces()


def test_faces_without_embeddings_leave_the_centroid_alone():
    media_file = MediaFileFactory()
    cary = IdentityFactory()
    trace(media_file, 1, [A], identity=cary)
    FaceFactory(media_file=media_file, trace_id=3, frame_number=400, embedding=None)

    trace_bind(identity_uuid=cary.identity_uuid, file_uuid=media_file.file_uuid, trace_id=3, actor="t")
    assert_centroid(cary, [A])


def document(file_uuid, faces):
    return {
        "file_uuid": file_uuid.hex,
        "file_name": "film.mp4",
        "fps": 25.0,
        "duration": 60.0,
        "faces": [
            {
                "frame_number": frame,
                "index": 0,
                "bbox": [0, 0, 10, 10],
                "confidence": 0.9,
                "trace_id": trace_id,
                "embedding": embedding,
                "identity_uuid": owner.identity_uuid.hex if owner else None,
            }
            for frame, trace_id, embedding, owner in faces
        ],
        "chunks": [],
    }


def test_ingest_and_re_ingest_keep_the_centroids_of_the_identities_they_name():
    cary, grant = IdentityFactory(), IdentityFactory()
    file_uuid = uuid.uuid4()
    media_file_ingest(document=document(file_uuid, [(0, 1, A, cary), (5, 1, B, cary), (10, 2, C, grant)]))
    assert_centroid(cary, [A, B])
    assert_centroid(grant, [C])

    # Re-ingest keeps the bindings of the faces that still exist, with their new embeddings.
    media_file_ingest(document=document(file_uuid, [(0, 1, C, None), (10, 2, A, None)]), replace=True)
    assert_centroid(cary, [C])
    assert_centroid(grant, [A])
    assert "0 identity centroid(s) differ" in check_traces()


def test_ingest_sums_its_segments_a_batch_at_a_time_as_the_faces_would_give_them(monkeypatch):
    """The sums ingest makes from the document, batch by batch, are those read back from the faces:
    traces split between owners and batches, unbound and embedding-less faces, kept bindings."""
    monkeypatch.setattr(EmbeddingSums, "BATCH", 3)
    cary, grant = IdentityFactory(), IdentityFactory()
    file_uuid = uuid.uuid4()
    faces = [(0, 1, A, cary), (5, 1, B, cary), (10, 1, C, grant), (15, 1, A, None), (20, 1, None, cary)]
    faces += [(25 + 5 * n, 2, [A, B, C][n % 3], [cary, grant, None][n % 3]) for n in range(7)]
    media_file_ingest(document=document(file_uuid, faces))
    assert "0 identity centroid(s) differ" in check_traces()
    assert_centroid(cary, [A, B, A, A, A])
    assert_centroid(grant, [C, B, B])

    media_file_ingest(document=document(file_uuid, [(frame, 3, C, None) for frame, *_ in faces]), replace=True)
    assert "0 identity centroid(s) differ" in check_traces()
    assert_centroid(cary, [C] * 6)  # the faces keep their identities, with their new embeddings
    assert_centroid(grant, [C] * 3)


def test_ingest_refuses_embeddings_of_another_length_and_writes_nothing():
    cary = IdentityFactory()
    with pytest.raises(ValidationError, match=r"faces\[1\]\.embedding has 3 numbers where faces\[0\]\.embedding has 4"):
        media_file_ingest(document=document(uuid.uuid4(), [(0, 1, A, cary), (5, 1, [1.0, 2.0, 3.0], cary)]))
    media_file_ingest(document=document(uuid.uuid4(), [(0, 1, A, cary)]))

    with pytest.raises(ValidationError, match="embeddings have 2 numbers, the library's have 4"):
        media_file_ingest(document=document(uuid.uuid4(), [(0, 1, [1.0, 2.0], cary)]))
    assert FaceDetection.objects.count() == 1
    assert_centroid(cary, [A])


def test_check_traces_finds_a_wrong_centroid_and_a_wrong_segment_sum_and_rewrites_them():
    media_file = MediaFileFactory()
    cary = IdentityFactory()
    trace(media_file, 1, [A, B], identity=cary)
    IdentityCentroid.objects.filter(identity_id=cary.pk).update(
        embedding_sum=np.array([1.0, 0, 0, 0], dtype=IDENTITY_SUM_DTYPE).tobytes()
    )
    FaceDetection.objects.filter(frame_number=0).update(embedding=C)  # a write outside the services

    with pytest.raises(CommandError):
        check_traces()
    err = io.StringIO()
    call_command("check_traces", stdout=io.StringIO(), stderr=err)
    assert f"wrong embedding sum: media_file_id={media_file.pk}, trace_id=1, identity_id={cary.pk}" in err.getvalue()
    assert f"wrong centroid: identity_id={cary.pk}" in err.getvalue()
    assert_centroid(cary, [C, B])
    assert "0 identity centroid(s) differ" in check_traces()
