"""Response shapes of the identity history endpoints."""
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from faces.keys import face_id
from history.models import HistoryAction, IdentityHistory

from .fields import HexUuidField
from .file_limits import visible_file_rows

SNAPSHOT_DATETIME_FIELDS = ("created_at", "updated_at")


class SnapshotFaceGroupSerializer(serializers.Serializer):
    file_uuid = serializers.CharField()
    identity_uuid = serializers.CharField(allow_null=True, help_text="The faces' owner in this state; null: unbound.")
    face_ids = serializers.ListField(child=serializers.CharField(), help_text="`{frame_number}_{index}`.")


class SnapshotTraceRejectionSerializer(serializers.Serializer):
    file_uuid = serializers.CharField()
    trace_id = serializers.IntegerField()


class SnapshotRejectionsSerializer(serializers.Serializer):
    candidates = serializers.ListField(
        child=serializers.CharField(), help_text="Identities the entry's identity is not, in this state."
    )
    traces = SnapshotTraceRejectionSerializer(many=True, help_text="Traces that are not the entry's identity.")


class SnapshotSchemaSerializer(serializers.Serializer):
    identity = serializers.JSONField(
        allow_null=True,
        help_text="The identity row (metadata only where the write changed it); null when it did not exist.",
    )
    faces = SnapshotFaceGroupSerializer(many=True, help_text="The faces whose binding changed, by file and owner.")
    profile_image = serializers.CharField(required=False, allow_null=True)
    rejections = SnapshotRejectionsSerializer(
        required=False, help_text="For the writes that add rejections: none before, those the write added after."
    )


@extend_schema_field(SnapshotSchemaSerializer)
class SnapshotField(serializers.Field):
    """A snapshot as every other response writes things: faces as `{frame_number}_{index}` face ids
    (stored as `[frame, index]` pairs, which the replay reads) and datetimes in UTC with `Z`; for a
    key limited to some files, only the faces and rejected traces of those files."""

    def to_representation(self, snapshot):
        shown = dict(snapshot)
        groups = snapshot.get("faces", [])
        request = self.context.get("request")
        if request is not None:
            groups = visible_file_rows(request, groups)
            if "rejections" in snapshot:
                rejections = snapshot["rejections"]
                shown["rejections"] = {**rejections, "traces": visible_file_rows(request, rejections["traces"])}
        identity = snapshot.get("identity")
        if identity is not None:
            datetimes = {name: self._datetime(identity.get(name)) for name in SNAPSHOT_DATETIME_FIELDS}
            shown["identity"] = {**identity, **datetimes}
        shown["faces"] = [
            {
                "file_uuid": group["file_uuid"],
                "identity_uuid": group["identity_uuid"],
                "face_ids": [face_id(frame_number, index) for frame_number, index in group["keys"]],
            }
            for group in groups
        ]
        return shown

    @staticmethod
    def _datetime(value):
        return serializers.DateTimeField().to_representation(parse_datetime(value)) if value else None


class HistoryEntrySerializer(serializers.ModelSerializer):
    """One entry; the snapshots hold the whole identity row and the keys of the faces that moved."""

    history_id = serializers.UUIDField()
    identity_uuid = HexUuidField(read_only=True)
    merge_id = serializers.UUIDField(
        allow_null=True, help_text="For the entries of a merge, its undo and its redo: the merge; else null."
    )
    before_snapshot = SnapshotField()
    after_snapshot = SnapshotField()

    class Meta:
        model = IdentityHistory
        fields = [
            "history_id",
            "identity_uuid",
            "action",
            "merge_id",
            "actor",
            "created_at",
            "undone_at",
            "undone_by",
            "redone_by",
            "superseded_at",
            "before_snapshot",
            "after_snapshot",
        ]


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
    action = serializers.ChoiceField(choices=HistoryAction.choices)
    faces_moved = serializers.IntegerField()


class HistoryReplayResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = HistoryReplayDataSerializer()
