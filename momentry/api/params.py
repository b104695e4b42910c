"""Query and body parameters of the API: malformed values are a 400 naming the parameter."""
from rest_framework.exceptions import ValidationError

from momentry.core.parsing import parse_int, parse_uuid


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


def choice_param(params, name, choices, *, default):
    """A query parameter that is one of `choices`; anything else is a 400 listing them."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise ValidationError({name: f"Must be one of: {', '.join(choices)}."})
    return raw
