"""Face keys as merge records keep them (compact runs that round-trip to the faces they name), and
the statements that move faces: exactly the faces named, with segments that match them after."""
import bson
import pytest
from django.db import connection

from faces import moves
from faces.keys import runs_columns
from faces.models import FaceDetection, TraceSegment
from faces.relations import rows_relation
from faces.segments import segments_differences, segments_rebuild_file
from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, make_trace


@pytest.mark.django_db
def test_face_keys_round_trip_as_compact_runs():
    film, other = MediaFileFactory(), MediaFileFactory()
    rows = [(film.pk, frame, 0) for frame in range(100, 200)] + [(film.pk, 150, 1), (other.pk, 7, 0), (film.pk, 300, 0)]
    groups, count = moves.face_key_groups(rows)
    assert count == 103
    assert groups == [
        {"file_uuid": film.file_uuid.hex, "keys": "100-199_0,300_0,150_1"},
        {"file_uuid": other.file_uuid.hex, "keys": "7_0"},
    ]
    keys = moves.face_keys_of_groups(groups)
    assert sorted(keys) == sorted(rows)


def test_runs_columns_are_the_faces_of_the_runs_in_order_and_refuse_anything_else():
    assert runs_columns("100-103_0,300_0,150_1") == (["100", "101", "102", "103", "300", "150"], list("000001"))
    assert runs_columns("") == ([], [])
    for malformed in ["1_", "1-_0", "1_0,", ",1_0", "1_0;2_0", "1_0,x", "-1_0", "1_0 "]:
        with pytest.raises(ValueError, match="Not a runs string"):
            runs_columns(malformed)


@pytest.mark.django_db
def test_100k_scattered_faces_keep_the_record_far_below_16_mb():
    film = MediaFileFactory()
    rows = [(film.pk, frame, 0) for frame in range(0, 200_000, 2)]  # no two consecutive: no runs at all
    groups, count = moves.face_key_groups(rows)
    assert count == 100_000
    assert len(bson.encode({"faces": groups})) < 2 * 1024 * 1024


# --- the statements: exactly the faces named, whatever their shape -------------------------------


def bulk_faces(media_file, frames, *, identity, trace_of=lambda frame: frame // 600, index=0):
    """Faces as ingest writes them, many at once, with their file's segments built."""
    FaceDetection.objects.bulk_create(
        FaceDetection(
            media_file=media_file,
            frame_number=frame,
            index=index,
            bbox=[0.0, 0.0, 10.0 + frame % 7, 10.0],
            confidence=0.5 + frame % 5 / 10,
            trace_id=trace_of(frame),
            identity=identity,
        )
        for frame in frames
    )
    segments_rebuild_file(media_file.pk)


def owners_by_key(files):
    return {
        (file_id, frame, index): owner
        for file_id, frame, index, owner in FaceDetection.objects.filter(media_file__in=files).values_list(
            "media_file_id", "frame_number", "index", "identity_id"
        )
    }


def assert_segments_match_the_faces(files):
    assert all(segments_differences(media_file.pk) == ([], []) for media_file in files)


@pytest.mark.django_db
def test_moving_by_key_moves_exactly_the_owners_faces_among_scattered_keys_in_many_files():
    files = [MediaFileFactory() for _ in range(6)]
    stranger, target, third = StrangerFactory(), IdentityFactory(), IdentityFactory()
    for media_file in files:
        bulk_faces(media_file, range(0, 6000, 12), identity=target)  # no two in consecutive frames
        bulk_faces(media_file, range(6, 6000, 12), identity=third)  # the same traces, another owner
    keys = [key for key, owner in owners_by_key(files).items() if owner == target.pk and key[1] % 24 == 0]
    moved_away = keys[::7]
    for file_id, frame, index in moved_away:  # bound elsewhere since
        FaceDetection.objects.filter(media_file_id=file_id, frame_number=frame, index=index).update(identity=third)
    for media_file in files:
        segments_rebuild_file(media_file.pk)
    gone = [(files[0].pk, 1, 0), (files[1].pk, 6013, 0)]  # no such face
    before = owners_by_key(files)

    groups, _ = moves.face_key_groups([*keys, *gone])
    groups.append({"file_uuid": "0" * 32, "keys": "0-99_0"})  # a file deleted since: its runs are left out
    moved = moves.faces_move_groups(groups, from_id=target.pk, to_id=stranger.pk)

    expected = {key for key in keys if before[key] == target.pk}
    assert sorted(moved) == sorted(expected) and len(expected) == len(keys) - len(moved_away)
    after = owners_by_key(files)
    assert {key for key, owner in after.items() if owner == stranger.pk} == expected
    assert {key: owner for key, owner in after.items() if key not in expected} == {
        key: owner for key, owner in before.items() if key not in expected
    }
    assert_segments_match_the_faces(files)


@pytest.mark.django_db
def test_a_moved_segment_is_re_pointed_only_where_that_is_exact_and_rebuilt_elsewhere():
    media_file = MediaFileFactory()
    stranger, target, third = StrangerFactory(), IdentityFactory(), IdentityFactory()
    make_trace(media_file=media_file, trace_id=1, size=4, identity=stranger)  # all of it moves to the target
    make_trace(media_file=media_file, trace_id=2, size=3, identity=stranger, first_frame=100)
    make_trace(media_file=media_file, trace_id=2, size=2, identity=target, first_frame=103)  # the target is there too
    make_trace(media_file=media_file, trace_id=3, size=2, identity=stranger, first_frame=200)
    make_trace(media_file=media_file, trace_id=3, size=2, identity=third, first_frame=202)  # a bystander stays
    kept = TraceSegment.objects.get(media_file=media_file, trace_id=1, identity=stranger).pk

    moves.faces_move_all(from_id=stranger.pk, to_id=target.pk)

    assert TraceSegment.objects.get(media_file=media_file, trace_id=1).pk == kept  # re-pointed, not rebuilt
    assert TraceSegment.objects.get(media_file=media_file, trace_id=2).face_count == 5
    trace_3 = TraceSegment.objects.filter(media_file=media_file, trace_id=3)
    assert set(trace_3.values_list("identity_id", flat=True)) == {target.pk, third.pk}
    assert_segments_match_the_faces([media_file])

    # Part of a segment, then unbinding into a trace with unbound faces, then all of it to nobody.
    first = FaceDetection.objects.filter(media_file=media_file, trace_id=1).order_by("frame_number").first()
    groups, _ = moves.face_key_groups([(media_file.pk, first.frame_number, 0)])
    moves.faces_move_groups(groups, from_id=target.pk, to_id=None)
    assert_segments_match_the_faces([media_file])
    moves.faces_move_all(from_id=target.pk, to_id=None)
    assert_segments_match_the_faces([media_file])
    assert not TraceSegment.objects.filter(identity=target).exists()


@pytest.mark.django_db
def test_moves_of_several_owners_into_one_trace_rebuild_it_and_a_whole_unbound_trace_is_re_pointed():
    media_file = MediaFileFactory()
    one, two, three = IdentityFactory(), IdentityFactory(), IdentityFactory()
    faces = make_trace(media_file=media_file, trace_id=5, size=2, identity=one)
    faces += make_trace(media_file=media_file, trace_id=5, size=2, identity=two, first_frame=10)
    faces += make_trace(media_file=media_file, trace_id=6, size=2, first_frame=20)  # unbound, all of it moves
    unbound = TraceSegment.objects.get(media_file=media_file, trace_id=6).pk

    moved = moves.faces_move_each(
        [[face.media_file_id, face.frame_number, face.index, face.identity_id, three.pk] for face in faces]
    )

    assert moved == 6
    assert set(TraceSegment.objects.filter(media_file=media_file).values_list("trace_id", "identity_id")) == {
        (5, three.pk),
        (6, three.pk),
    }
    assert TraceSegment.objects.get(media_file=media_file, trace_id=6).pk == unbound  # re-pointed
    assert_segments_match_the_faces([media_file])


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_expects_as_many_rows_as_the_relation_has():
    """The planner's estimate is the join's shape: exact for the arrays (a hash join at 100,000
    keys), where `jsonb_array_elements` was always 100 (a nested loop)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    rows = [(1, frame, 0) for frame in range(0, 240_000, 12)]
    relation, params = rows_relation("m", [("file_id", "bigint"), ("frame", "integer"), ("idx", "integer")], rows)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN SELECT * FROM {relation}", params)
        plan = cursor.fetchone()[0]
        assert " rows=20000 " in plan, plan
        cursor.execute(f"SELECT count(*), sum(frame) FROM {relation}", params)
        assert cursor.fetchone() == (20_000, sum(frame for _, frame, _ in rows))


@pytest.mark.django_db
def test_a_relation_carries_nulls_and_large_ids():
    rows = [(2**40, None, 3), (5, 7, None)]
    relation, params = rows_relation("m", [("a", "bigint"), ("b", "integer"), ("c", "integer")], rows)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a, b, c FROM {relation} ORDER BY a", params)
        assert sorted(cursor.fetchall()) == sorted(rows)
