from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apikeys.permissions import file_limit_of
from momentry.api.serializers import FlatListSerializer

from ..models import Identity
from .fields import DisplayNameField, HexUuidField


class IdentitySerializer(serializers.ModelSerializer):
    """An identity record; `display_name` is added when the request names a `locale`."""

    identity_uuid = HexUuidField(read_only=True)
    display_name = DisplayNameField(source="*")
    tmdb_profile = serializers.SerializerMethodField()
    reference_data = serializers.SerializerMethodField()

    class Meta:
        model = Identity
        fields = [
            "identity_uuid",
            "name",
            "display_name",
            "identity_type",
            "source",
            "status",
            "tmdb_id",
            "tmdb_profile",
            "metadata",
            "reference_data",
            "created_at",
            "updated_at",
        ]
        list_serializer_class = FlatListSerializer

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_tmdb_profile(self, identity):
        return identity.tmdb_profile or None

    @extend_schema_field(serializers.JSONField())
    def get_reference_data(self, identity):
        """Without the file a pending person was created for when the key may not see that file."""
        reference_data = identity.reference_data
        request = self.context.get("request")
        limit = file_limit_of(request) if request is not None else None
        if limit is None or not isinstance(reference_data, dict):
            return reference_data
        pending_for = reference_data.get("pending_for_file")
        if pending_for is None or pending_for in limit:
            return reference_data
        return {key: value for key, value in reference_data.items() if key != "pending_for_file"}


class IdentityDetailResponseSerializer(IdentitySerializer):
    success = serializers.BooleanField(default=True)

    class Meta(IdentitySerializer.Meta):
        fields = ["success", *IdentitySerializer.Meta.fields]

    def to_representation(self, identity):
        return {"success": True, **super().to_representation(identity)}


class IdentityListResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    identities = IdentitySerializer(many=True)
