"""Request and response shapes of mergeinto, merge undo and redo, and the merge history."""
from rest_framework import serializers

from history.merge_records import merge_is_expired

from ..models import IdentityStatus
from .fields import UuidField


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false only: "yes", 1 or "false" as a string are refused, not guessed at."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class MergeIntoRequestSerializer(serializers.Serializer):
    into_uuid = UuidField(help_text="The identity to merge into (32 hex digits or the dashed form).")
    keep_history = StrictBooleanField(
        default=True, help_text="Keep the source with status `merged` (true) or delete it (false)."
    )


class MergeCountsSerializer(serializers.Serializer):
    merge_id = serializers.UUIDField(help_text="For undo and redo (dashed form).")
    faces_transferred = serializers.IntegerField()
    aliases_added = serializers.IntegerField(help_text="Source aliases added to the target, tagged source: merge.")
    metadata_fields_added = serializers.IntegerField(help_text="Metadata paths the target lacked and got.")


class MergeResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = MergeCountsSerializer()


class RestoredIdentitySerializer(serializers.Serializer):
    uuid = serializers.CharField(help_text="32 hex digits.")
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=IdentityStatus.choices)


class FaceMovedAwaySerializer(serializers.Serializer):
    file_uuid = serializers.CharField()
    face_id = serializers.CharField()
    identity_uuid = serializers.CharField(allow_null=True, help_text="Its owner now; null when unbound or gone.")


class MergeUndoDataSerializer(serializers.Serializer):
    merge_id = serializers.UUIDField()
    source_identity_restored = RestoredIdentitySerializer()
    faces_reverted = serializers.IntegerField()
    faces_not_reverted = serializers.IntegerField(
        help_text="Faces the merge moved that a later change took off the target; they stay where they are."
    )
    faces_moved_away = FaceMovedAwaySerializer(many=True, help_text="The first 100 of those faces.")
    aliases_removed_from_target = serializers.IntegerField()
    metadata_fields_removed_from_target = serializers.IntegerField()


class MergeUndoResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = MergeUndoDataSerializer()


class MergeHistoryRowSerializer(serializers.Serializer):
    merge_id = serializers.UUIDField()
    source_uuid = serializers.CharField()
    source_name = serializers.CharField()
    target_uuid = serializers.CharField()
    target_name = serializers.CharField()
    keep_history = serializers.BooleanField()
    faces_transferred = serializers.IntegerField()
    aliases_added = serializers.SerializerMethodField()
    metadata_fields_added = serializers.IntegerField()
    metadata_fields_added_paths = serializers.ListField(child=serializers.CharField())
    merged_at = serializers.DateTimeField()
    undo_deadline = serializers.DateTimeField(help_text="Undo window end; a redo starts a new window.")
    undone = serializers.BooleanField()
    undone_at = serializers.DateTimeField(allow_null=True)
    undo_expired = serializers.SerializerMethodField()
    actor = serializers.CharField()

    def get_aliases_added(self, record) -> int:
        return len(record["aliases_added"])

    def get_undo_expired(self, record) -> bool:
        return merge_is_expired(record, self.context["now"])


class MergeHistoryResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = MergeHistoryRowSerializer(many=True)
