"""The client address that the sign-in throttle (django-axes, `AXES_CLIENT_IP_CALLABLE`) locks by."""
from django.conf import settings


def client_ip_address(request):
    """REMOTE_ADDR; behind MOMENTRY_TRUSTED_PROXIES reverse proxies, the address the outermost one
    saw, which is the last but (N - 1) entry of X-Forwarded-For (each proxy appends its client).

    Entries further left were written by the client and are ignored, so a client cannot pick its
    own address to escape the lock; without trusted proxies the header is not read at all.
    """
    proxies = settings.MOMENTRY_TRUSTED_PROXIES
    if proxies:
        forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [entry for entry in forwarded if entry]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
