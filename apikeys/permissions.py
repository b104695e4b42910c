from rest_framework import exceptions, permissions

from momentry.core.parsing import parse_uuid

from .models import ApiKey, Scope


class HasApiKeyScope(permissions.BasePermission):
    """Maps a view's `required_scopes` and the HTTP method to what the key may do.

    A view names the scopes that grant it (`global` always does); a read-only key may only read.
    """

    def has_permission(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated("An X-API-Key header is required.")
        scopes = getattr(view, "required_scopes", (Scope.IDENTITY,))
        if not any(key.has_scope(scope) for scope in scopes):
            needed = " or ".join(scopes)
            raise exceptions.PermissionDenied(f"This API key lacks the {needed} scope.")
        if key.read_only and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied("This API key is read-only.")
        return True


def ensure_file_allowed(request, file_uuid):
    """A key limited to a list of files gets 403 for any other file."""
    key = request.auth
    if isinstance(key, ApiKey) and not key.allows_file(file_uuid):
        raise exceptions.PermissionDenied(f"This API key is not allowed to see file {file_uuid.hex}.")


def file_limit_of(request):
    """The hex uuids of the files the request's key is limited to, or None when it sees every file.

    Views pass what this allows down to the selectors (as a MediaFile queryset), so the reads of
    a limited key are filtered to its files.
    """
    key = request.auth
    return key.file_limit() if isinstance(key, ApiKey) else None


def ensure_files_allowed(request, file_uuids, *, change):
    """403 when a write would change faces of files (UUIDs or hex) other than the key's.

    `change` names the write for the message ("deleting identity ..."); the other files are not
    named, since the key may not learn of them.
    """
    limit = file_limit_of(request)
    if limit is None:
        return
    parsed = [parse_uuid(file_uuid) for file_uuid in file_uuids]
    if any(file_uuid is None or file_uuid.hex not in limit for file_uuid in parsed):
        raise exceptions.PermissionDenied(
            f"This API key is limited to some files; {change} would change faces in files it may not see."
        )


def actor_for(request):
    """Who made a write: the API key's name, or the signed-in curator."""
    key = getattr(request, "auth", None)
    if isinstance(key, ApiKey):
        return f"key:{key.name}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.get_username()}"
    return "system"
