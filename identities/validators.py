import re

from django.core.exceptions import ValidationError

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
