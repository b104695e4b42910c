from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import IdentityHistory


class HistoryEntrySerializer(serializers.ModelSerializer):
    """One entry; the snapshots hold the whole identity row and the keys of the faces that moved."""

    history_id = serializers.UUIDField()
    identity_uuid = serializers.SerializerMethodField()
    before_snapshot = serializers.JSONField()
    after_snapshot = serializers.JSONField()

    class Meta:
        model = IdentityHistory
        fields = [
            "history_id",
            "identity_uuid",
            "action",
            "actor",
            "created_at",
            "undone_at",
            "undone_by",
            "redone_by",
            "superseded_at",
            "before_snapshot",
            "after_snapshot",
        ]

    @extend_schema_field(serializers.CharField())
    def get_identity_uuid(self, entry):
        return entry.identity_uuid.hex


class HistoryListResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = serializers.CharField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    history = HistoryEntrySerializer(many=True)


class HistoryReplayDataSerializer(serializers.Serializer):
    history_id = serializers.UUIDField()
    identity_uuid = serializers.CharField()
    action = serializers.CharField()
    faces_moved = serializers.IntegerField()


class HistoryReplayResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = HistoryReplayDataSerializer()
