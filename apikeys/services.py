import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from momentry.core.parsing import parse_uuid

from .models import ApiKey, Scope, key_digest

KEY_PREFIX = "mk_"


def _validated_scopes(scopes):
    scopes = list(dict.fromkeys(scopes))
    if not scopes:
        raise ValidationError("An API key needs at least one scope.")
    unknown = [scope for scope in scopes if scope not in Scope.values]
    if unknown:
        raise ValidationError(f"Unknown scope(s): {', '.join(unknown)}. Use {', '.join(Scope.values)}.")
    return scopes


def normalise_file_uuids(files):
    """Hex file uuids from hex or dashed input; ValidationError names the first bad one."""
    normalised = []
    for value in files:
        parsed = parse_uuid(value)
        if parsed is None:
            raise ValidationError(f"Not a file uuid: {value!r}.")
        normalised.append(parsed.hex)
    return list(dict.fromkeys(normalised))


@transaction.atomic
def api_key_create(*, name, scopes, read_only=False, files=()):
    """Create a key and return `(api_key, raw_key)`; the raw key is never stored."""
    if not name or not name.strip():
        raise ValidationError("An API key needs a name.")
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name.strip(),
        prefix=raw_key[:10],
        digest=key_digest(raw_key),
        scopes=_validated_scopes(scopes),
        read_only=read_only,
        files=normalise_file_uuids(files),
    )
    return api_key, raw_key


def api_key_matching(*, raw_key, scopes, read_only=False, files=()):
    """The active key `raw_key` is, when it has exactly these scopes, access and files; else None."""
    api_key = ApiKey.objects.filter(digest=key_digest(raw_key.strip()), revoked_at=None).first()
    if api_key is None:
        return None
    wanted = (_validated_scopes(scopes), read_only, normalise_file_uuids(files))
    return api_key if (api_key.scopes, api_key.read_only, api_key.files) == wanted else None


@transaction.atomic
def api_key_revoke(*, api_key):
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
