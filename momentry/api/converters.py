from django.urls import register_converter


class UuidConverter:
    """Matches the hex or dashed forms; the view validates and answers 404 for a bad one."""

    regex = r"[0-9a-fA-F-]{32,36}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(UuidConverter, "uuidish")
