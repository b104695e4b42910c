from django.urls import register_converter

from momentry.core.parsing import INT32_RANGE, UUID_TEXT


class UuidConverter:
    """Matches exactly the hex and dashed forms that `parse_uuid` takes (anything else is the API's
    catch-all 404); the schema's pattern for these path parameters is this regex."""

    # Grouped: the schema anchors this regex as `^...$`, which would otherwise split the alternation.
    regex = f"(?:{UUID_TEXT.pattern})"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


class Int32Converter:
    """A signed 32-bit integer (a trace id may be negative); anything else, or out of range, is not
    this route (the API's catch-all 404)."""

    regex = "-?[0-9]{1,10}"

    def to_python(self, value):
        number = int(value)
        if not INT32_RANGE[0] <= number <= INT32_RANGE[1]:
            raise ValueError(value)
        return number

    def to_url(self, value):
        return str(value)


register_converter(UuidConverter, "uuidish")
register_converter(Int32Converter, "int32")
