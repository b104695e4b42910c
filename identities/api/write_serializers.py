"""Request and response shapes of the identity curation endpoints.

Bodies of simple types (bind, unbind) are validated here; PATCH and upload bodies are validated by
their services, which the console and the commands share, so their request serializers only
describe the body for the schema.
"""
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from momentry.api.params import parse_uuid

from ..models import IdentitySource, IdentityStatus
from ..services import INT32_RANGE, PATCHABLE_STATUSES

# ASCII digits and fullmatch: `\d` would take other scripts' digits and `$` a trailing newline.
FACE_ID = re.compile(r"(?P<frame>[0-9]{1,10})_(?P<index>[0-9]{1,5})|face_(?P<only_frame>[0-9]{1,10})")
FRAME_MAX, INDEX_MAX = INT32_RANGE[1], 2**15 - 1


def trace_id_field(**kwargs):
    """A trace id: an integer within the column's range."""
    return serializers.IntegerField(min_value=INT32_RANGE[0], max_value=INT32_RANGE[1], **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class UuidField(serializers.Field):
    """A uuid given as 32 hex digits or in the dashed form; written back as hex."""

    default_error_messages = {"invalid": "Must be a UUID: 32 hex digits or the dashed form."}

    def to_internal_value(self, data):
        parsed = parse_uuid(data)
        if parsed is None:
            self.fail("invalid")
        return parsed

    def to_representation(self, value):
        return value.hex


@extend_schema_field(OpenApiTypes.STR)
class FaceIdField(serializers.Field):
    """`{frame_number}_{index}`, or `face_{frame_number}` meaning index 0; gives `(frame, index)`."""

    default_error_messages = {"invalid": "Must be {{frame_number}}_{{index}} or face_{{frame_number}}."}

    def to_internal_value(self, data):
        match = FACE_ID.fullmatch(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        if match["only_frame"] is not None:
            frame_number, index = int(match["only_frame"]), 0
        else:
            frame_number, index = int(match["frame"]), int(match["index"])
        if frame_number > FRAME_MAX or index > INDEX_MAX:
            self.fail("invalid")
        return frame_number, index

    def to_representation(self, value):
        return f"{value[0]}_{value[1]}"


class IdentityPatchRequestSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, help_text="New display name (may repeat across identities).")
    metadata = serializers.DictField(
        required=False, help_text="Merged shallowly into the existing metadata; `aliases` must be [{locale, name}]."
    )
    status = serializers.ChoiceField(
        choices=PATCHABLE_STATUSES, required=False, help_text="`merged` is set only by mergeinto."
    )
    identity_type = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Blank means null."
    )


class IdentityPatchResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = serializers.CharField()
    updated_fields = serializers.ListField(child=serializers.CharField())
    history_id = serializers.UUIDField()


class IdentityDeleteResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = serializers.CharField()
    message = serializers.CharField()
    faces_unbound = serializers.IntegerField()
    history_id = serializers.UUIDField()


class FileBindingSerializer(serializers.Serializer):
    file_uuid = serializers.CharField()
    trace_ids = serializers.ListField(child=serializers.IntegerField())
    face_count = serializers.IntegerField()


class IdentityUploadRequestSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    identity_uuid = serializers.CharField()
    name = serializers.CharField()
    identity_type = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    source = serializers.ChoiceField(choices=IdentitySource.choices, required=False)
    status = serializers.ChoiceField(choices=IdentityStatus.choices, required=False)
    tmdb_id = serializers.IntegerField(required=False, allow_null=True)
    tmdb_profile = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    metadata = serializers.JSONField(required=False, help_text="Replaces the whole metadata.")
    file_bindings = FileBindingSerializer(many=True, required=False, help_text="Informational; ignored.")


class IdentityUploadResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = serializers.CharField()
    name = serializers.CharField()
    message = serializers.CharField()
    created = serializers.BooleanField()


class ProfileImageRequestSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="A JPEG or PNG image, told by its bytes.")


class ProfileImageResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    identity_uuid = serializers.CharField()
    path = serializers.CharField()
    message = serializers.CharField()
    history_id = serializers.UUIDField()


class FaceBindRequestSerializer(serializers.Serializer):
    file_uuid = UuidField()
    face_id = FaceIdField()


class TraceBindRequestSerializer(serializers.Serializer):
    file_uuid = UuidField()
    trace_id = trace_id_field()


class UnbindRequestSerializer(serializers.Serializer):
    """One face (`face_id`) or a whole trace (`trace_id`), exactly one of them."""

    file_uuid = UuidField()
    face_id = FaceIdField(required=False)
    trace_id = trace_id_field(required=False)

    def validate(self, attrs):
        if ("face_id" in attrs) == ("trace_id" in attrs):
            raise serializers.ValidationError("Send exactly one of face_id and trace_id.")
        return attrs


class BindingDataSerializer(serializers.Serializer):
    rows_affected = serializers.IntegerField()
    history_id = serializers.UUIDField(allow_null=True, help_text="Null when nothing changed.")


class BindingResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = BindingDataSerializer()
