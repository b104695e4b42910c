"""FlatListSerializer renders exactly what DRF's own list renders, for every kind of field."""
import uuid

import pytest
from rest_framework import serializers

from faces.selectors.chunks import ChunkFile, ChunkRow
from identities.api.read_serializers import ChunkSerializer, FaceSerializer
from identities.api.serializers import IdentitySerializer
from momentry.api.serializers import FlatListSerializer
from tests.factories import IdentityFactory


def drf_list(serializer_class, items, context=None):
    """The same items through DRF's plain ListSerializer, the reference output."""
    child = serializer_class(context=context or {})
    return serializers.ListSerializer(items, child=child, context=context or {}).data


@pytest.mark.django_db
@pytest.mark.parametrize("locale", [None, "ja"])
def test_identities_with_method_fields_and_a_skipped_display_name(locale):
    identities = [
        IdentityFactory(metadata={"aliases": [{"locale": "ja", "name": "ケーリー"}]}, tmdb_profile=""),
        IdentityFactory(identity_type=None, tmdb_id=42, reference_data={"pending_for_file": "ab" * 16}),
    ]
    context = {"locale": locale}
    flat = IdentitySerializer(identities, many=True, context=context)
    assert isinstance(flat, FlatListSerializer)
    assert flat.data == drf_list(IdentitySerializer, identities, context)
    assert ("display_name" in flat.data[0]) == (locale is not None)


def test_plain_rows_with_nested_paths_and_nulls():
    chunk = ChunkRow(1, "c1", "sentence", 0, 50, 0.0, 2.0, "Hello.", ChunkFile(uuid.uuid4(), "f.mp4", 25.0))
    assert ChunkSerializer([chunk], many=True).data == drf_list(ChunkSerializer, [chunk])
    faces = [
        {"face_id": "3_0", "file_uuid": chunk.media_file.file_uuid, "frame_number": 3, "timestamp": None,
         "bbox": [1, 2, 3, 4], "confidence": 0.5, "trace_id": 7},
    ]
    rendered = FaceSerializer(faces, many=True).data
    assert rendered == drf_list(FaceSerializer, faces)
    assert rendered[0]["timestamp"] is None and rendered[0]["bbox"] == [1.0, 2.0, 3.0, 4.0]
