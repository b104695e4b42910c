"""Response shapes of the face suggestion endpoints."""
from rest_framework import serializers


class SuggestionRejectResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = serializers.CharField()
    candidate_uuid = serializers.CharField()
    history_id = serializers.UUIDField(help_text="The entry that records the rejection, for undo and redo.")
    message = serializers.CharField()
