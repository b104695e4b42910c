import json
import re

from django.core.exceptions import ValidationError

from momentry.core.errors import TooLarge
from momentry.core.parsing import INT32_RANGE

from .models import Identity

# language[-script][-region][-variant...]: the BCP 47 forms a curator writes (en, zh-TW, zh-Hant-TW, yue, es-419).
BCP47 = re.compile(
    r"^[A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}"
    r"(-[A-Za-z]{4})?"
    r"(-([A-Za-z]{2}|[0-9]{3}))?"
    r"(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$"
    r"|^[A-Za-z]{4,8}$"
)


def validate_aliases(aliases):
    """`metadata.aliases` must be a list of `{locale, name}` with a BCP 47 locale."""
    if not isinstance(aliases, list):
        raise ValidationError("metadata.aliases must be a list of {locale, name} objects")
    for position, alias in enumerate(aliases):
        if not isinstance(alias, dict):
            raise ValidationError(f"metadata.aliases[{position}] must be an object with locale and name")
        locale, name = alias.get("locale"), alias.get("name")
        if not isinstance(locale, str) or not BCP47.fullmatch(locale):
            raise ValidationError(f"metadata.aliases[{position}].locale {locale!r} is not a BCP 47 language tag")
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"metadata.aliases[{position}].name must be a non-empty string")


def validate_metadata_aliases(metadata):
    if isinstance(metadata, dict) and "aliases" in metadata:
        validate_aliases(metadata["aliases"])


def clean_name(name):
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("name must be a non-empty string")
    return name.strip()


def clean_identity_type(identity_type):
    """`identity_type` is free text or null; blank means null (PATCH, upload, import)."""
    if identity_type is not None and not isinstance(identity_type, str):
        raise ValidationError("identity_type must be a string or null")
    return identity_type or None


def clean_metadata(metadata):
    """`metadata` as a write gives it (PATCH, upload, import): a JSON object, its aliases valid."""
    if not isinstance(metadata, dict):
        raise ValidationError("metadata must be a JSON object")
    validate_metadata_aliases(metadata)
    return metadata


# Metadata is searched as text (`metadata::text ILIKE`); the contract refuses more than 1 MiB on every write.
METADATA_MAX_BYTES = 1024 * 1024


def metadata_size(metadata):
    """The bytes of the metadata serialised as compact JSON in UTF-8 (the measure of the limit)."""
    text = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8", "surrogatepass"))


def ensure_metadata_size(metadata):
    """Refuse metadata over `METADATA_MAX_BYTES` (a 413, `metadata_too_large`); returns it unchanged.

    Every write that sets metadata calls it with the metadata the identity would end up with.
    """
    size = metadata_size(metadata)
    if size > METADATA_MAX_BYTES:
        raise TooLarge(
            f"metadata is {size} bytes as compact JSON; the limit is {METADATA_MAX_BYTES} bytes (1 MiB).",
            code="metadata_too_large",
        )
    return metadata


def _contains_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def ensure_storable(values):
    """Refuse with a 400 what the database would refuse with an error: NUL characters (PostgreSQL
    text and jsonb cannot hold them), strings longer than their column, integers out of range;
    and metadata over the size limit with a 413 (`ensure_metadata_size`)."""
    for field_name, value in values.items():
        field = Identity._meta.get_field(field_name)
        if field_name == "metadata":
            ensure_metadata_size(value)
        if _contains_nul(value):
            raise ValidationError(f"{field_name} must not contain NUL characters")
        max_length = getattr(field, "max_length", None)
        if max_length and isinstance(value, str) and len(value) > max_length:
            raise ValidationError(f"{field_name} must be at most {max_length} characters")
        if isinstance(value, int) and not isinstance(value, bool) and not INT32_RANGE[0] <= value <= INT32_RANGE[1]:
            raise ValidationError(f"{field_name} is out of range")
    return values
