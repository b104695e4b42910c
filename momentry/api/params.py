"""Parsing of the identifiers and paging parameters that every endpoint shares."""
import re
import uuid

from django.http import Http404
from rest_framework.exceptions import ValidationError


def parse_uuid(value):
    """A UUID from 32 hex digits or the dashed form; None for anything else."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) not in (32, 36):
        return None
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        return None
    if len(text) == 36 and str(parsed) != text.lower():
        return None
    return parsed


def uuid_from_path(value, *, what="identity"):
    parsed = parse_uuid(value)
    if parsed is None:
        raise Http404(f"No {what} with uuid {value!r}.")
    return parsed


def uuid_from_body(data, field, *, required=True):
    value = data.get(field) if hasattr(data, "get") else None
    if value in (None, ""):
        if required:
            raise ValidationError({field: "This field is required."})
        return None
    parsed = parse_uuid(value)
    if parsed is None:
        raise ValidationError({field: "Must be a UUID: 32 hex digits or the dashed form."})
    return parsed


# What a client means by an integer; `int()` alone also takes "1_0", " 2", "+2" and other scripts' digits.
INTEGER = re.compile(r"-?[0-9]+")


def parse_int(value):
    """An integer, or one in its ASCII decimal form (an optional minus and digits); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INTEGER.fullmatch(value):
        return int(value)
    return None


def int_param(params, name, *, default=None, minimum=None, maximum=None):
    """An integer query parameter; malformed or out-of-range values are a 400."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw)
    if value is None:
        raise ValidationError({name: "Must be an integer."})
    if minimum is not None and value < minimum:
        raise ValidationError({name: f"Must be at least {minimum}."})
    if maximum is not None and value > maximum:
        raise ValidationError({name: f"Must be at most {maximum}."})
    return value


def bool_param(params, name):
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    lowered = raw.strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise ValidationError({name: "Must be true or false."})
