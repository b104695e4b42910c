"""Trace segments: what each row says, that every kind of write keeps them, and check_traces."""
import io

import pytest
from django.core.management import CommandError, call_command

from faces.models import FaceDetection, TraceSegment
from faces.segments import segments_differences
from faces.services import media_file_ingest
from identities.services.binding import face_bind, faces_unbind, trace_bind
from identities.services.editing import identity_delete
from identities.services.pending import pending_person_create
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, make_trace

pytestmark = pytest.mark.django_db


def segments_of(media_file):
    return {
        (row.trace_id, row.identity_id): row
        for row in TraceSegment.objects.filter(media_file=media_file).order_by("trace_id", "identity_id")
    }


def assert_segments_are_the_faces(media_file):
    assert segments_differences(media_file.pk) == ([], [])


def test_a_segment_carries_its_faces_figures_and_its_whole_traces():
    media_file = MediaFileFactory()
    cary = IdentityFactory()
    FaceFactory(media_file=media_file, trace_id=7, frame_number=10, confidence=0.5, identity=cary, embedding=[1.0],
                bbox=[0.0, 0.0, 10.0, 10.0])
    # Highest confidence × area: a big face at 0.6 beats a small one at 0.9.
    FaceFactory(media_file=media_file, trace_id=7, frame_number=11, confidence=0.6, identity=cary,
                bbox=[0.0, 0.0, 100.0, 100.0])
    FaceFactory(media_file=media_file, trace_id=7, frame_number=11, index=1, confidence=0.9, identity=cary,
                bbox=[0.0, 0.0, 10.0, 10.0])
    FaceFactory(media_file=media_file, trace_id=7, frame_number=30, confidence=1.0)

    segments = segments_of(media_file)

    assert set(segments) == {(7, cary.pk), (7, None)}
    bound, unbound = segments[(7, cary.pk)], segments[(7, None)]
    assert (bound.face_count, bound.frame_count, bound.first_frame, bound.last_frame) == (3, 2, 10, 11)
    assert bound.avg_confidence == pytest.approx((0.5 + 0.6 + 0.9) / 3)
    assert (bound.embedding_count, bound.best_frame, bound.best_index) == (1, 11, 0)
    assert (unbound.face_count, unbound.first_frame, unbound.best_frame, unbound.embedding_count) == (1, 30, 30, 0)
    for segment in (bound, unbound):
        assert (segment.trace_face_count, segment.trace_frame_count) == (4, 3)
        assert (segment.trace_first_frame, segment.trace_last_frame) == (10, 30)
        assert segment.trace_avg_confidence == pytest.approx(3.0 / 4)


def test_binds_unbinds_and_a_delete_move_the_segments_with_the_faces():
    media_file = MediaFileFactory()
    faces = make_trace(media_file=media_file, trace_id=1, size=5)
    make_trace(media_file=media_file, trace_id=2, size=3, first_frame=100)
    cary, claude = IdentityFactory(), IdentityFactory()
    file_uuid = media_file.file_uuid

    trace_bind(identity_uuid=cary.identity_uuid, file_uuid=file_uuid, trace_id=1, actor="test")
    face_bind(identity_uuid=claude.identity_uuid, file_uuid=file_uuid, frame_number=faces[0].frame_number,
              index=0, actor="test")
    assert {key: row.face_count for key, row in segments_of(media_file).items()} == {
        (1, cary.pk): 4, (1, claude.pk): 1, (2, None): 3
    }
    assert_segments_are_the_faces(media_file)

    faces_unbind(identity_uuid=cary.identity_uuid, file_uuid=file_uuid, trace_id=1, actor="test")
    identity_delete(identity_uuid=claude.identity_uuid, actor="test")
    assert {key: row.face_count for key, row in segments_of(media_file).items()} == {(1, None): 5, (2, None): 3}
    assert_segments_are_the_faces(media_file)


def test_a_pending_person_takes_the_segments_of_its_traces():
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=4, size=3)
    person = pending_person_create(file_uuid=media_file.file_uuid, actor="test", trace_ids=[4]).identity
    assert {key: row.face_count for key, row in segments_of(media_file).items()} == {(4, person.pk): 3}
    assert_segments_are_the_faces(media_file)


def document(media_file_uuid, faces):
    return {
        "file_uuid": media_file_uuid.hex, "file_name": "film.mp4", "fps": 25.0, "duration": 60.0, "chunks": [],
        "faces": [
            {"frame_number": frame, "index": 0, "bbox": [0, 0, 10, 10], "confidence": 0.9, "trace_id": trace_id}
            for frame, trace_id in faces
        ],
    }


def test_ingest_and_re_ingest_build_the_files_segments_in_their_transaction():
    media_file = MediaFileFactory.build()
    media_file_ingest(document=document(media_file.file_uuid, [(1, 1), (2, 1), (3, 2)]))
    ingested = FaceDetection.objects.get(frame_number=1).media_file
    cary = IdentityFactory()
    face_bind(identity_uuid=cary.identity_uuid, file_uuid=media_file.file_uuid, frame_number=1, index=0, actor="t")

    # Frame 3 now belongs to trace 1 and frame 4 is new; the binding of frame 1 is kept.
    media_file_ingest(document=document(media_file.file_uuid, [(1, 1), (3, 1), (4, 5)]), replace=True)

    assert {key: row.face_count for key, row in segments_of(ingested).items()} == {
        (1, cary.pk): 1, (1, None): 1, (5, None): 1
    }
    assert_segments_are_the_faces(ingested)


def run_check_traces(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("check_traces", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_check_traces_reports_a_hand_edit_and_rebuilds_what_differs():
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=1, size=3)
    make_trace(media_file=MediaFileFactory(), trace_id=1, size=2)
    cary = IdentityFactory()
    assert run_check_traces("--check")[0].strip() == (
        "check_traces: 2 file(s) checked, 0 differ (0 segment row(s)), 0 to rebuild; 0 identity centroid(s) differ"
    )
    # A write outside the services: the faces say one thing, the segments another.
    FaceDetection.objects.filter(media_file=media_file, frame_number=0).update(identity=cary)

    with pytest.raises(CommandError) as refused:
        run_check_traces("--check")
    assert refused.value.returncode == 1
    assert set(segments_of(media_file)) == {(1, None)}  # --check changed nothing

    out, err = run_check_traces()
    assert out.strip() == "check_traces: 2 file(s) checked, 1 differ (3 segment row(s)), 1 rebuilt; 0 identity centroid(s) differ"
    assert f"missing segment: media_file_id={media_file.pk}, trace_id=1, identity_id={cary.pk}, face_count=1" in err
    assert f"wrong segment: media_file_id={media_file.pk}, trace_id=1, identity_id=None, face_count=3" in err
    assert {key: row.face_count for key, row in segments_of(media_file).items()} == {(1, cary.pk): 1, (1, None): 2}
    run_check_traces("--check")
