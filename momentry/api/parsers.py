from rest_framework import parsers
from rest_framework.exceptions import ParseError


# Deeper documents are refused: the services, the JSON encoder and the database walk a document
# recursively, and a depth the decoder still accepts (several hundred) exhausted Python's stack there.
MAX_JSON_DEPTH = 64


def _refuse_unstorable(data):
    """Raise `ParseError` for a document nested deeper than MAX_JSON_DEPTH or holding a string that
    UTF-8 cannot encode (an unpaired `\\ud800` escape), which no database or file can store.

    Iterative, so a document nested as deeply as the decoder allows is walked without recursion.
    """
    pending = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError("JSON parse error - a \\u escape is an unpaired surrogate, not a character.") from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing as parse errors (not 500s) what the stdlib decoder lets through or
    chokes on: deep nesting, and unpaired surrogate escapes."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        _refuse_unstorable(data)
        return data
