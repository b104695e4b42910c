"""Request and response shapes of mergeinto, mergefrom, merge undo and redo, and the merge history."""
import json
from collections.abc import Mapping

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from history.merge_records import merge_is_expired
from momentry.api.schema import UUID_SCHEMA
from momentry.core.errors import ApplicationError
from momentry.core.parsing import parse_uuid

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


MAX_MERGE_SOURCES = 100


def _entry(position, value):
    """An entry of `source_uuids` as a message names it: its position and its value, shortened."""
    text = json.dumps(value, ensure_ascii=False)
    return f"source_uuids[{position}] ({text if len(text) <= 80 else text[:77] + '...'})"


@extend_schema_field(
    {
        "type": "array",
        "items": {**UUID_SCHEMA, "description": "32 hex digits or the dashed form."},
        "minItems": 1,
        "maxItems": MAX_MERGE_SOURCES,
        "uniqueItems": True,
    }
)
class MergeSourcesField(serializers.ListField):
    """1 to 100 identity uuids, none twice (the dashed and the hex form of one uuid are the same).
    Each refusal has its own error code, and names the entry at fault."""

    def run_validation(self, data=empty):
        if data is empty:
            raise ApplicationError(
                "source_uuids is required: the identities to merge into this one.", code="source_uuids_missing"
            )
        if not isinstance(data, list):
            raise ApplicationError("source_uuids must be a list of identity uuids.", code="source_uuids_not_a_list")
        if not data:
            raise ApplicationError("source_uuids is empty: name at least one identity.", code="source_uuids_empty")
        if len(data) > MAX_MERGE_SOURCES:
            raise ApplicationError(
                f"source_uuids has {len(data)} entries; at most {MAX_MERGE_SOURCES} merge in one request.",
                code="source_uuids_too_many",
            )
        positions = {}
        for position, value in enumerate(data):
            parsed = parse_uuid(value)
            if parsed is None:
                raise ApplicationError(
                    f"{_entry(position, value)} is not a uuid: 32 hex digits or the dashed form.",
                    code="source_uuid_invalid",
                )
            if parsed in positions:
                raise ApplicationError(
                    f"{_entry(position, value)} repeats source_uuids[{positions[parsed]}]: both are {parsed.hex}.",
                    code="source_uuid_duplicate",
                )
            positions[parsed] = position
        return list(positions)


class MergeFromRequestSerializer(serializers.Serializer):
    """The identities to merge into the one of the path, which may not be among them."""

    source_uuids = MergeSourcesField(help_text="The identities to merge into this one, merged in this order.")
    keep_history = StrictBooleanField(
        default=True, help_text="Keep each source with status `merged` (true) or delete it (false)."
    )

    def run_validation(self, data=empty):
        if not isinstance(data, Mapping):
            raise ApplicationError(
                'The body must be a JSON object: {"source_uuids": [...], "keep_history": true}.',
                code="body_not_an_object",
            )
        return super().run_validation(data)

    def validate(self, attrs):
        target_uuid = self.context["target_uuid"]  # the path's, given by the view
        if target_uuid in attrs["source_uuids"]:
            position = attrs["source_uuids"].index(target_uuid)
            raise ApplicationError(
                f"source_uuids[{position}] is the target {target_uuid.hex}: an identity cannot be merged into itself.",
                code="merge_into_itself",
            )
        return attrs


MERGED, FAILED = "merged", "error"


class MergeFromMergedSerializer(MergeCountsSerializer):
    source_uuid = serializers.CharField(help_text="32 hex digits.")
    status = serializers.ChoiceField(choices=[MERGED])


class MergeFromErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="As mergeinto of this source would answer: not_found, already_merged, permission_denied, ..."
    )
    message = serializers.CharField(help_text="For a person.")


class MergeFromFailedSerializer(serializers.Serializer):
    source_uuid = serializers.CharField(help_text="32 hex digits.")
    status = serializers.ChoiceField(choices=[FAILED])
    error = MergeFromErrorSerializer()


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="MergeFromResult",
        serializers={MERGED: MergeFromMergedSerializer, FAILED: MergeFromFailedSerializer},
        resource_type_field_name="status",
    )
)
class MergeFromResultField(serializers.Field):
    """One source's outcome, in the shape its `status` names."""

    def to_representation(self, item):
        shape = MergeFromMergedSerializer if item["status"] == MERGED else MergeFromFailedSerializer
        return shape(item).data


class MergeFromResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField(help_text="True only when every source merged.")
    target_uuid = serializers.CharField(help_text="32 hex digits.")
    merged = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = serializers.ListField(child=MergeFromResultField(), help_text="One a source, in the order given.")


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
