from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiKey, key_digest

HEADER = "X-API-Key"
LAST_USE_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`X-API-Key` authentication; `request.auth` is the `ApiKey`."""

    def authenticate(self, request):
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return None
        raw_key = raw_key.strip()
        key = ApiKey.objects.filter(digest=key_digest(raw_key)).first() if raw_key else None
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if not key.is_active:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USE_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return (None, key)

    def authenticate_header(self, request):
        return HEADER
