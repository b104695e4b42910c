"""Request and response shapes of a file's pending persons."""
from rest_framework import serializers

from momentry.api.schema import trimmed_text_pattern

from ..models import Identity
from .fields import DisplayNameField, StrictCharField, schema_field, trace_id_field

NAME_MAX_LENGTH = Identity._meta.get_field("name").max_length


class PendingPersonCreateRequestSerializer(serializers.Serializer):
    trace_ids = serializers.ListField(
        child=trace_id_field(),
        required=False,
        default=list,
        help_text="Traces of this file to bind (404 for an unknown one).",
    )
    name = schema_field(
        {"type": "string", "pattern": trimmed_text_pattern(NAME_MAX_LENGTH, blank=True)},
        StrictCharField,
        required=False,
        allow_blank=True,
        max_length=NAME_MAX_LENGTH,
        help_text=(
            'Up to 255 characters once trimmed; blank or left out: "Person N", N one more than the '
            "highest in the file."
        ),
    )


class PendingPersonCreatedSerializer(serializers.Serializer):
    identity_uuid = serializers.CharField()
    identity_id = serializers.IntegerField()
    name = serializers.CharField()
    bound_traces = serializers.IntegerField()
    history_id = serializers.UUIDField()


class PendingPersonCreateResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = PendingPersonCreatedSerializer()


class PendingPersonSerializer(serializers.Serializer):
    """A pending person from a `(identity, trace_ids)` pair of `pending_persons_for_file`."""

    identity_uuid = serializers.CharField(source="identity.uuid_hex")
    identity_id = serializers.IntegerField(source="identity.pk")
    name = serializers.CharField(source="identity.name")
    display_name = DisplayNameField(source="identity")
    created_at = serializers.DateTimeField(source="identity.created_at")
    trace_count = serializers.SerializerMethodField()
    bound_traces = serializers.ListField(
        source="trace_ids", child=serializers.IntegerField(), help_text="Trace ids of this file."
    )

    def get_trace_count(self, person) -> int:
        return len(person["trace_ids"])


class PendingPersonListResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = PendingPersonSerializer(many=True)
