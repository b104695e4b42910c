"""Fields and shapes that the API's serializers share: how a uuid, a face_id and a trace id are
read and written, and the display name chosen by `locale`."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField

from faces.keys import face_id, parse_face_id
from momentry.core.parsing import INT32_RANGE, parse_uuid

from ..selectors import display_name


@extend_schema_field({"type": "string", "pattern": "^[0-9a-f]{32}$"})
class HexUuidField(serializers.Field):
    """A UUID written as 32 lowercase hex digits (the contract's form)."""

    def to_representation(self, value):
        return value.hex


@extend_schema_field({"type": "string"})
class DisplayNameField(serializers.Field):
    """The identity's name for the request's `locale` (alias of that locale, then of its language,
    then `name`); left out of the output when no `locale` was asked for."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Only with `locale`: the alias for it, else for its language, else `name`.")
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        if not self.context.get("locale"):
            raise SkipField()
        return super().get_attribute(instance)

    def to_representation(self, identity):
        return display_name(identity, self.context["locale"])


def trace_id_field(**kwargs):
    """A trace id: an integer within the column's range."""
    return serializers.IntegerField(min_value=INT32_RANGE[0], max_value=INT32_RANGE[1], **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class UuidField(HexUuidField):
    """A uuid given as 32 hex digits or in the dashed form; written back as hex."""

    default_error_messages = {"invalid": "Must be a UUID: 32 hex digits or the dashed form."}

    def to_internal_value(self, data):
        parsed = parse_uuid(data)
        if parsed is None:
            self.fail("invalid")
        return parsed


@extend_schema_field(OpenApiTypes.STR)
class FaceIdField(serializers.Field):
    """`{frame_number}_{index}`, or `face_{frame_number}` meaning index 0; gives `(frame, index)`."""

    default_error_messages = {"invalid": "Must be {{frame_number}}_{{index}} or face_{{frame_number}}."}

    def to_internal_value(self, data):
        key = parse_face_id(data)
        if key is None:
            self.fail("invalid")
        return key

    def to_representation(self, value):
        return face_id(*value)


class FileBindingSerializer(serializers.Serializer):
    file_uuid = serializers.CharField()
    trace_ids = serializers.ListField(child=serializers.IntegerField())
    face_count = serializers.IntegerField()
