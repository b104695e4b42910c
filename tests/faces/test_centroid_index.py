"""The in-memory centroid index follows the table: changes, late rows, deletions, a new embedding space."""
from datetime import timedelta

import numpy as np
import pytest

from faces.centroid_index import CentroidIndex, centroid_index, centroids_now
from faces.models import IdentityCentroid
from tests.factories import FaceFactory, IdentityFactory

pytestmark = pytest.mark.django_db


def unit(vector):
    vector = np.asarray(vector, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def person_with(embedding):
    identity = IdentityFactory()
    FaceFactory(identity=identity, embedding=embedding)
    return identity


def nearest_ids(index, vector, count=3):
    index.refresh()
    return [identity_id for identity_id, _ in index.nearest(unit(vector), count=count)]


def test_the_index_ranks_by_cosine_and_takes_in_what_changed():
    index = CentroidIndex()
    east, north = person_with([1.0, 0.0, 0.0]), person_with([0.0, 1.0, 0.0])
    assert nearest_ids(index, [1.0, 0.1, 0.0]) == [east.pk, north.pk]

    FaceFactory(identity=north, embedding=[1.0, 0.0, 0.0], frame_number=900)
    FaceFactory(identity=north, embedding=[1.0, 0.0, 0.0], frame_number=905)
    # north's centroid is now [2, 1, 0] at unit length: nearer [1, 0.5, 0] than east's [1, 0, 0]
    assert nearest_ids(index, [1.0, 0.5, 0.0]) == [north.pk, east.pk]


def test_a_row_stamped_before_the_last_one_seen_is_still_taken_in():
    """A write stamps its rows before it commits: another's later stamp may be seen first."""
    index = CentroidIndex()
    seen = person_with([0.0, 1.0, 0.0])
    index.refresh()
    late = person_with([1.0, 0.0, 0.0])
    stamped_earlier = IdentityCentroid.objects.get(identity=seen).changed_at - timedelta(seconds=5)
    IdentityCentroid.objects.filter(identity=late).update(changed_at=stamped_earlier)
    assert nearest_ids(index, [1.0, 0.0, 0.0])[0] == late.pk


def test_a_deleted_identity_is_forgotten_when_a_shortlist_meets_it():
    gone, kept = person_with([1.0, 0.0, 0.0]), person_with([0.9, 0.1, 0.0])
    shortlist = [pk for pk, _ in centroid_index().nearest(unit([1.0, 0.0, 0.0]), count=1)]
    assert shortlist == [gone.pk]
    IdentityCentroid.objects.filter(identity=gone).delete()  # as a cascade leaves it: no row to notice
    assert centroids_now(shortlist) == {}
    assert [pk for pk, _ in centroid_index().nearest(unit([1.0, 0.0, 0.0]), count=1)] == [kept.pk]


def test_centroids_of_a_new_embedding_space_make_the_index_read_everything_again():
    index = CentroidIndex()
    old = person_with([1.0, 0.0, 0.0])
    assert nearest_ids(index, [1.0, 0.0, 0.0]) == [old.pk]
    IdentityCentroid.objects.all().delete()
    new = person_with([0.0, 0.0, 1.0, 0.0, 0.0])
    assert nearest_ids(index, [0.0, 0.0, 1.0, 0.0, 0.0]) == [new.pk]
