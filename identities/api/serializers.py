from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Identity
from .fields import DisplayNameField, HexUuidField


class IdentitySerializer(serializers.ModelSerializer):
    """An identity record; `display_name` is added when the request names a `locale`."""

    identity_uuid = HexUuidField(read_only=True)
    display_name = DisplayNameField(source="*")
    tmdb_profile = serializers.SerializerMethodField()

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

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_tmdb_profile(self, identity):
        return identity.tmdb_profile or None


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
