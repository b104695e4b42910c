"""Request and response shapes of the identity curation endpoints.

Bodies of simple types (bind, unbind) are validated here; PATCH and upload bodies are validated by
their services, which the console and the commands share, so their request serializers only
describe the body for the schema.
"""
from rest_framework import serializers

from ..models import PATCHABLE_STATUSES, IdentitySource, IdentityStatus
from .fields import FaceIdField, UuidField, trace_id_field


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


class FileBindingRequestSerializer(serializers.Serializer):
    file_uuid = UuidField()
    trace_ids = serializers.ListField(child=trace_id_field())
    face_count = serializers.IntegerField(min_value=0, required=False)


class IdentityUploadRequestSerializer(serializers.Serializer):
    version = serializers.ChoiceField(
        choices=[1], required=False, help_text="The identity.json format's version; may be left out."
    )
    identity_uuid = serializers.CharField()
    name = serializers.CharField()
    identity_type = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    source = serializers.ChoiceField(choices=IdentitySource.choices, required=False)
    status = serializers.ChoiceField(choices=IdentityStatus.choices, required=False)
    tmdb_id = serializers.IntegerField(required=False, allow_null=True)
    tmdb_profile = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    metadata = serializers.DictField(
        required=False, help_text="Replaces the whole metadata; an object of at most 1 MiB as compact JSON (413 over)."
    )
    file_bindings = FileBindingRequestSerializer(
        many=True, required=False, help_text="Informational and ignored, but checked for this shape."
    )


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
