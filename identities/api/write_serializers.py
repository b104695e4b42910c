"""Request and response shapes of the identity curation endpoints.

Bodies of simple types (bind, unbind) are validated here; PATCH and upload bodies are validated by
their services, which the console and the commands share, so their request serializers only
describe the body for the schema.
"""
from rest_framework import serializers

from momentry.api.schema import INT32_SCHEMA, NO_NUL_PATTERN

from ..models import PATCHABLE_STATUSES, Identity, IdentitySource, IdentityStatus
from .fields import (
    IDENTITY_TYPE_SCHEMA,
    METADATA_SCHEMA,
    NAME_SCHEMA,
    FaceIdField,
    UuidField,
    schema_field,
    trace_id_field,
)

TMDB_PROFILE_SCHEMA = {
    "type": "string",
    "nullable": True,
    "maxLength": Identity._meta.get_field("tmdb_profile").max_length,
    "pattern": NO_NUL_PATTERN,
}


class IdentityPatchRequestSerializer(serializers.Serializer):
    """At least one field; any other field is refused (a 400), so a misspelt one is not ignored."""

    schema_constraints = {"minProperties": 1, "additionalProperties": False}

    name = schema_field(
        NAME_SCHEMA,
        required=False,
        help_text="New display name (may repeat across identities): 1 to 255 characters once trimmed.",
    )
    metadata = schema_field(
        METADATA_SCHEMA,
        required=False,
        help_text=(
            "Merged shallowly into the existing metadata; `aliases` must be [{locale, name}]; no NUL "
            "character in any key or string; at most 1 MiB as compact JSON once merged (413 over)."
        ),
    )
    status = serializers.ChoiceField(
        choices=PATCHABLE_STATUSES, required=False, help_text="`merged` is set only by mergeinto."
    )
    identity_type = schema_field(
        IDENTITY_TYPE_SCHEMA,
        required=False,
        allow_null=True,
        help_text="Free text (people, brand, ...); blank means null.",
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
    identity_uuid = UuidField(help_text="Creates the identity, or updates the one with this uuid.")
    name = schema_field(NAME_SCHEMA, help_text="1 to 255 characters once trimmed.")
    identity_type = schema_field(IDENTITY_TYPE_SCHEMA, required=False, allow_null=True, help_text="Blank means null.")
    source = serializers.ChoiceField(
        choices=IdentitySource.choices, required=False, allow_null=True, help_text="Left out or null: `.json`."
    )
    status = serializers.ChoiceField(
        choices=IdentityStatus.choices, required=False, allow_null=True, help_text="Left out or null: `confirmed`."
    )
    tmdb_id = schema_field({**INT32_SCHEMA, "nullable": True}, required=False, allow_null=True)
    tmdb_profile = schema_field(TMDB_PROFILE_SCHEMA, required=False, allow_null=True)
    metadata = schema_field(
        METADATA_SCHEMA,
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
    url = serializers.URLField(
        help_text="Where to GET the image (this operation's URL); where the server keeps it is no business of a client."
    )
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

    schema_constraints = {"oneOf": [{"required": ["face_id"]}, {"required": ["trace_id"]}]}

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
