"""Response shapes of the identity read endpoints; the views render through them (or through their
item serializers), so the schema at /api/v1/schema/ is exactly what is sent."""
from rest_framework import serializers

from momentry.api.serializers import FlatListSerializer

from ..models import IdentitySource, IdentityStatus
from .fields import DisplayNameField, FileBindingSerializer, HexUuidField

# --- files -----------------------------------------------------------------------------------


class IdentityFileSerializer(serializers.Serializer):
    file_uuid = HexUuidField()
    file_name = serializers.CharField()
    face_count = serializers.IntegerField()
    first_appearance = serializers.FloatField(allow_null=True, help_text="Seconds: first frame / fps.")
    last_appearance = serializers.FloatField(allow_null=True, help_text="Seconds: last frame / fps.")
    avg_confidence = serializers.FloatField()

    class Meta:
        list_serializer_class = FlatListSerializer


class IdentityFilesResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = HexUuidField()
    total = serializers.IntegerField(help_text="Number of files.")
    files = IdentityFileSerializer(many=True)


# --- faces -----------------------------------------------------------------------------------


class FaceSerializer(serializers.Serializer):
    face_id = serializers.CharField(help_text="`{frame_number}_{index}`, accepted back by bind/unbind.")
    file_uuid = HexUuidField()
    frame_number = serializers.IntegerField()
    timestamp = serializers.FloatField(allow_null=True, help_text="Seconds: frame_number / fps.")
    bbox = serializers.ListField(child=serializers.FloatField(), help_text="[x1, y1, x2, y2] in pixels.")
    confidence = serializers.FloatField()
    trace_id = serializers.IntegerField()
    image_url = serializers.URLField(
        read_only=True, help_text="The face's image (`file_face_image_retrieve`): a 404 until its crop is cut."
    )

    class Meta:
        list_serializer_class = FlatListSerializer


class PageFieldsSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = HexUuidField()
    total = serializers.IntegerField(help_text="Number of items across all pages.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()


class IdentityFacesResponseSerializer(PageFieldsSerializer):
    faces = FaceSerializer(many=True)


# --- traces ----------------------------------------------------------------------------------


class TraceSerializer(serializers.Serializer):
    file_uuid = HexUuidField()
    trace_id = serializers.IntegerField()
    frame_count = serializers.IntegerField(help_text="Distinct frames of the trace.")
    first_frame = serializers.IntegerField()
    last_frame = serializers.IntegerField()
    first_sec = serializers.FloatField(allow_null=True)
    last_sec = serializers.FloatField(allow_null=True)
    avg_confidence = serializers.FloatField()

    class Meta:
        list_serializer_class = FlatListSerializer


class IdentityTracesResponseSerializer(PageFieldsSerializer):
    name = serializers.CharField(source="identity.name")
    display_name = DisplayNameField(source="identity")
    total_faces = serializers.IntegerField(
        help_text="Face detections in all of the identity's traces (every page, like `total`)."
    )
    traces = TraceSerializer(many=True)


# --- chunks ----------------------------------------------------------------------------------


class ChunkSerializer(serializers.Serializer):
    """A chunk with the fields of both documents: `text` and `text_content` carry the same value."""

    id = serializers.IntegerField()
    chunk_id = serializers.CharField()
    file_uuid = HexUuidField(source="media_file.file_uuid")
    chunk_type = serializers.CharField()
    start_frame = serializers.IntegerField()
    end_frame = serializers.IntegerField()
    fps = serializers.FloatField(source="media_file.fps")
    start_time = serializers.FloatField()
    end_time = serializers.FloatField()
    text = serializers.CharField()
    text_content = serializers.CharField(source="text")

    class Meta:
        list_serializer_class = FlatListSerializer


class IdentityChunksResponseSerializer(PageFieldsSerializer):
    chunks = ChunkSerializer(many=True)
    data = ChunkSerializer(many=True, help_text="The same list as `chunks`, under the earlier document's key.")


# --- status and json -------------------------------------------------------------------------


class IdentityStatusResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = HexUuidField(source="identity.identity_uuid")
    name = serializers.CharField(source="identity.name")
    display_name = DisplayNameField(source="identity")
    status = serializers.ChoiceField(source="identity.status", choices=IdentityStatus.choices)
    face_count = serializers.IntegerField()
    file_count = serializers.IntegerField()
    has_embedding = serializers.BooleanField()
    has_profile_image = serializers.BooleanField()


class IdentityDocumentSerializer(serializers.Serializer):
    """The `identity.json` document (schema only: the view sends `identity_document` unchanged)."""

    version = serializers.IntegerField()
    identity_uuid = serializers.CharField()
    name = serializers.CharField()
    identity_type = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=IdentitySource.choices)
    status = serializers.ChoiceField(choices=IdentityStatus.choices)
    tmdb_id = serializers.IntegerField(allow_null=True)
    tmdb_profile = serializers.CharField(allow_null=True)
    metadata = serializers.JSONField()
    file_bindings = FileBindingSerializer(many=True)


# --- searches --------------------------------------------------------------------------------


class IdentityChunkRowSerializer(serializers.Serializer):
    """One identity-to-chunk row of `GET /identities/search`."""

    identity_id = serializers.IntegerField(source="identity.pk")
    identity_uuid = HexUuidField(source="identity.identity_uuid")
    name = serializers.CharField(source="identity.name")
    display_name = DisplayNameField(source="identity")
    source = serializers.ChoiceField(source="identity.source", choices=IdentitySource.choices)
    tmdb_id = serializers.IntegerField(source="identity.tmdb_id", allow_null=True)
    file_uuid = HexUuidField(source="chunk.media_file.file_uuid")
    trace_id = serializers.IntegerField()
    chunk_id = serializers.CharField(source="chunk.chunk_id")
    start_time = serializers.FloatField(source="chunk.start_time")
    text_content = serializers.CharField(source="chunk.text")

    class Meta:
        list_serializer_class = FlatListSerializer


class IdentitiesSearchResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    total = serializers.IntegerField(help_text="Rows matching, before `limit`.")
    results = IdentityChunkRowSerializer(many=True)

