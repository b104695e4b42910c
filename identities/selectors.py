"""Reads of identities, shared by the API, the console, the admin and the commands."""
from collections import defaultdict

from django.http import Http404

from faces.models import FaceDetection
from momentry.api.params import uuid_from_path

from .models import Identity

IDENTITY_JSON_VERSION = 1


def identity_get(identity_uuid, *, queryset=None):
    """The identity for a path parameter in hex or dashed form, or 404."""
    parsed = uuid_from_path(identity_uuid, what="identity")
    try:
        return (queryset if queryset is not None else Identity.objects).get(identity_uuid=parsed)
    except Identity.DoesNotExist:
        raise Http404(f"No identity with uuid {parsed.hex}.") from None


def display_name(identity, locale):
    """The documented fallback: exact alias locale, then language prefix, then `name`."""
    if not locale:
        return identity.name
    aliases = identity.metadata.get("aliases") if isinstance(identity.metadata, dict) else None
    if not isinstance(aliases, list):
        return identity.name
    aliases = [a for a in aliases if isinstance(a, dict) and isinstance(a.get("locale"), str) and a.get("name")]
    for alias in aliases:
        if alias["locale"] == locale:
            return alias["name"]
    language = locale.split("-")[0]
    for alias in aliases:
        if alias["locale"].startswith(language):
            return alias["name"]
    return identity.name


def identity_file_bindings(identity):
    """Per file, the traces and the number of faces bound to the identity (one query)."""
    rows = (
        FaceDetection.objects.filter(identity=identity)
        .values_list("media_file__file_uuid", "trace_id")
        .order_by("media_file__file_uuid", "trace_id")
    )
    bindings = defaultdict(lambda: {"trace_ids": [], "face_count": 0})
    for file_uuid, trace_id in rows.iterator(chunk_size=10_000):
        binding = bindings[file_uuid.hex]
        if not binding["trace_ids"] or binding["trace_ids"][-1] != trace_id:
            binding["trace_ids"].append(trace_id)
        binding["face_count"] += 1
    return [{"file_uuid": file_uuid, **binding} for file_uuid, binding in bindings.items()]


def identity_document(identity):
    """The `identity.json` format, as on disk and from `GET /identity/:uuid/json`."""
    return {
        "version": IDENTITY_JSON_VERSION,
        "identity_uuid": identity.identity_uuid.hex,
        "name": identity.name,
        "identity_type": identity.identity_type,
        "source": identity.source,
        "status": identity.status,
        "tmdb_id": identity.tmdb_id,
        "tmdb_profile": identity.tmdb_profile or None,
        "metadata": identity.metadata,
        "file_bindings": identity_file_bindings(identity),
    }
