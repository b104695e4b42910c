from django.urls import register_converter

from momentry.core.parsing import UUID_TEXT


class UuidConverter:
    """Matches exactly the hex and dashed forms that `parse_uuid` takes (anything else is the API's
    catch-all 404); the schema's pattern for these path parameters is this regex."""

    # Grouped: the schema anchors this regex as `^...$`, which would otherwise split the alternation.
    regex = f"(?:{UUID_TEXT.pattern})"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(UuidConverter, "uuidish")
