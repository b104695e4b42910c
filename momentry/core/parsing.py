"""Parsing of the identifiers and integers that every layer takes from outside."""
import re
import uuid

from django.http import Http404

# The two forms of a uuid the API takes, in either case; the schema's uuid pattern is this one.
# `uuid.UUID()` alone reads 32 characters through `int(text, 16)`, which also takes "+...", "0x..." and "_".
UUID_TEXT = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_uuid(value):
    """A UUID from 32 hex digits or the dashed form (surrounding whitespace ignored); None for anything else."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not UUID_TEXT.fullmatch(text):
        return None
    return uuid.UUID(text)


def uuid_from_path(value, *, what="identity"):
    """The UUID of a path parameter, or 404 (a malformed id names nothing)."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise Http404(f"No {what} with uuid {value!r}.")
    return parsed


# What a client means by an integer; `int()` alone also takes "1_0", " 2", "+2" and other scripts' digits.
INTEGER = re.compile(r"-?[0-9]+")
INT32_RANGE = (-(2**31), 2**31 - 1)
INT16_MAX = 2**15 - 1


def parse_int(value):
    """An integer, or one in its ASCII decimal form (an optional minus and digits); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INTEGER.fullmatch(value):
        return int(value)
    return None
