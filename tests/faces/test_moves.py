"""Face keys as merge records keep them: compact runs that round-trip to the faces they name."""
import bson
import pytest

from faces import moves
from tests.factories import MediaFileFactory


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
    ranges = moves.face_key_ranges(groups)
    expanded = {(file_id, frame, index) for file_id, first, last, index in ranges for frame in range(first, last + 1)}
    assert expanded == set(rows)


@pytest.mark.django_db
def test_100k_scattered_faces_keep_the_record_far_below_16_mb():
    film = MediaFileFactory()
    rows = [(film.pk, frame, 0) for frame in range(0, 200_000, 2)]  # no two consecutive: no runs at all
    groups, count = moves.face_key_groups(rows)
    assert count == 100_000
    assert len(bson.encode({"faces": groups})) < 2 * 1024 * 1024
