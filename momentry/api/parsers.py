from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _contains_lone_surrogate(data):
    """Whether a parsed JSON value holds a string UTF-8 cannot encode (an unpaired `\\ud800` escape).

    Iterative, so a document nested as deeply as the decoder allows is walked without recursion.
    """
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing as parse errors (not 500s) what the stdlib decoder lets through or
    chokes on: absurdly deep nesting, and unpaired surrogate escapes that no database or file can store."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        if _contains_lone_surrogate(data):
            raise ParseError("JSON parse error - a \\u escape is an unpaired surrogate, not a character.")
        return data
