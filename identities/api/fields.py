"""Fields and shapes that the API's serializers share: how a uuid, a face_id and a trace id are
read and written, and the display name chosen by `locale`."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField

from faces.keys import FRAME_MAX, INDEX_MAX, face_id, parse_face_id
from momentry.api.schema import INT32_SCHEMA, NO_NUL_PATTERN, NOT_BLANK_PATTERN, UUID_SCHEMA, trimmed_text_pattern
from momentry.core.parsing import INT32_RANGE, parse_uuid

from ..models import Identity
from ..selectors import display_name
from ..validators import BCP47


def schema_field(schema, base=serializers.Field, **kwargs):
    """A field described by `schema`, for rules no field keyword can say (a trimmed length, no NUL).
    The default base is a bare Field, for the bodies that their services validate (PATCH, upload):
    a CharField would add its own `minLength` and blank-string alternative to the schema."""
    return extend_schema_field(schema)(type(base.__name__, (base,), {}))(**kwargs)


def _max_length(field_name):
    return Identity._meta.get_field(field_name).max_length


# What the identity validators (`clean_name`, `ensure_storable`) take, as schemas.
NAME_SCHEMA = {"type": "string", "pattern": trimmed_text_pattern(_max_length("name"))}
IDENTITY_TYPE_SCHEMA = {
    "type": "string",
    "nullable": True,
    "maxLength": _max_length("identity_type"),
    "pattern": NO_NUL_PATTERN,
}
ALIAS_SCHEMA = {
    "type": "object",
    "properties": {
        "locale": {"type": "string", "pattern": BCP47.pattern, "description": "A BCP 47 tag: en, zh-TW, zh-Hant-TW."},
        "name": {"type": "string", "pattern": NOT_BLANK_PATTERN},
    },
    "required": ["locale", "name"],
}
METADATA_SCHEMA = {
    "type": "object",
    "properties": {
        "aliases": {
            "type": "array",
            "items": ALIAS_SCHEMA,
            "description": "Display names by locale; shown as `display_name` for a matching `locale`.",
        }
    },
    "additionalProperties": {},
}


def digits_at_most(limit):
    """A regex for 1 to len(str(limit)) ASCII digits, leading zeros allowed, whose value is at most
    `limit` (a string of fewer digits always is; one of as many is when it sorts no higher)."""
    text = str(limit)
    options = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for position, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - position - 1
            options.append(f"{text[:position]}[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join([*options, text]) + ")"


# Exactly what `parse_face_id` takes: the digits of FACE_ID, within FRAME_MAX and INDEX_MAX.
FACE_ID_PATTERN = f"^(?:{digits_at_most(FRAME_MAX)}_{digits_at_most(INDEX_MAX)}|face_{digits_at_most(FRAME_MAX)})$"


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


@extend_schema_field(INT32_SCHEMA)
class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: DRF's IntegerField also takes "3", 3.0 and "3.000", which the contract
    calls malformed (a 400), and which the schema (`type: integer`) refuses."""

    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's CharField also takes 3 or 1.5 and stores "3" or "1.5"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def trace_id_field(**kwargs):
    """A trace id: a JSON integer within the column's range."""
    return StrictIntegerField(min_value=INT32_RANGE[0], max_value=INT32_RANGE[1], **kwargs)


@extend_schema_field({**UUID_SCHEMA, "description": "32 hex digits or the dashed form."})
class UuidField(HexUuidField):
    """A uuid given as 32 hex digits or in the dashed form; written back as hex."""

    default_error_messages = {"invalid": "Must be a UUID: 32 hex digits or the dashed form."}

    def to_internal_value(self, data):
        parsed = parse_uuid(data)
        if parsed is None:
            self.fail("invalid")
        return parsed


@extend_schema_field({"type": "string", "pattern": FACE_ID_PATTERN})
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
