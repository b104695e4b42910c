"""Reads of identities, shared by the API, the console, the admin and the commands."""
import uuid
from collections import defaultdict
from itertools import groupby
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from faces.models import TraceSegment
from history.selectors import history_entries
from momentry.core.parsing import uuid_from_path

from .filtersets import IdentityFilterSet
from .models import Identity, IdentityRejection, IdentitySource, IdentityStatus, TraceRejection

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


def identity_document(identity):
    """The `identity.json` format, as on disk and from `GET /identity/:uuid/json` (one query)."""
    return identity_documents([identity])[identity.pk]


def identity_documents(identities):
    """`{pk: identity_document(identity)}` for a batch of identities in one query (for sweeps over
    every identity, where a query per identity would not scale): one segment per bound trace, with
    its bound faces counted, by file uuid and trace id."""
    segments = (
        TraceSegment.objects.filter(identity__in=[identity.pk for identity in identities])
        .values_list("identity_id", "media_file__file_uuid", "trace_id", "face_count")
        .order_by("identity_id", "media_file__file_uuid", "trace_id")
    )
    bindings = {}
    for identity_id, rows in groupby(segments.iterator(chunk_size=10_000), key=itemgetter(0)):
        by_file = bindings[identity_id] = {}
        for _, file_uuid, trace_id, face_count in rows:
            binding = by_file.setdefault(file_uuid.hex, {"trace_ids": [], "face_count": 0})
            binding["trace_ids"].append(trace_id)
            binding["face_count"] += face_count
    return {
        identity.pk: _document(
            identity,
            [{"file_uuid": file_uuid, **binding} for file_uuid, binding in bindings.get(identity.pk, {}).items()],
        )
        for identity in identities
    }


def _document(identity, file_bindings):
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
        "file_bindings": file_bindings,
    }


# --- listing and the identity history ---------------------------------------------------------


def identity_list(*, filters=None):
    """Identities filtered and ordered by `IdentityFilterSet` (ordered by id when unspecified).

    Invalid filter values raise `ValidationError`, which the API answers with a 400.
    """
    filterset = IdentityFilterSet(filters if filters is not None else {}, queryset=Identity.objects.all())
    if not filterset.is_valid():
        raise ValidationError(filterset.form.errors.as_data())
    return filterset.qs


def identity_history(identity_uuid):
    """`(uuid, entries)`: the identity's history, newest first; works for a deleted identity as long
    as it has history. 404 when the uuid is malformed or names neither an identity nor any history.
    """
    parsed = uuid_from_path(identity_uuid, what="identity")
    entries = history_entries(parsed)
    if not entries.exists() and not Identity.objects.filter(identity_uuid=parsed).exists():
        raise Http404(f"No identity with uuid {parsed.hex}.")
    return parsed, entries


# --- pending persons -------------------------------------------------------------------------


def pending_persons_for_file(media_file):
    """The pending persons of a file, oldest first, each with the trace ids of that file bound to it.

    A pending person (status pending, source manual) belongs to the file it was created for
    (`reference_data.pending_for_file`) and to any file where a face is bound to it, i.e. where it
    has a segment. Two queries.
    """
    has_faces_in_file = Exists(TraceSegment.objects.filter(identity=OuterRef("pk"), media_file=media_file))
    persons = list(
        Identity.objects.filter(status=IdentityStatus.PENDING, source=IdentitySource.MANUAL)
        .filter(Q(reference_data__pending_for_file=media_file.file_uuid.hex) | Q(has_faces_in_file))
        .order_by("id")
    )
    trace_ids = defaultdict(list)
    bound = (
        TraceSegment.objects.filter(media_file=media_file, identity__in=[person.pk for person in persons])
        .values_list("identity_id", "trace_id")
        .order_by("identity_id", "trace_id")
    )
    for identity_id, trace_id in bound:
        trace_ids[identity_id].append(trace_id)
    return [(person, trace_ids[person.pk]) for person in persons]


# --- rejections ("not this person") ----------------------------------------------------------


def rejected_candidates(identity_uuids) -> dict[uuid.UUID, set[uuid.UUID]]:
    """`{identity uuid: the identities it is not}`, in either direction ("A is not B" is also "B is
    not A"), whoever recorded it: a curator or a merge that carried it. One query for them all."""
    wanted = {uuid.UUID(str(identity_uuid)) for identity_uuid in identity_uuids}
    rejected = {identity_uuid: set() for identity_uuid in wanted}
    pairs = IdentityRejection.objects.filter(Q(identity_uuid__in=wanted) | Q(candidate_uuid__in=wanted))
    for one, other in pairs.values_list("identity_uuid", "candidate_uuid"):
        if one in wanted:
            rejected[one].add(other)
        if other in wanted:
            rejected[other].add(one)
    return rejected


def trace_rejections(file_uuid, trace_ids) -> dict[int, set[uuid.UUID]]:
    """`{trace_id: identities the trace is not}` for every given trace of the file (an empty set for
    one without rejections). One query."""
    trace_ids = list(trace_ids)
    rejected = {trace_id: set() for trace_id in trace_ids}
    rows = TraceRejection.objects.filter(file_uuid=uuid.UUID(str(file_uuid)), trace_id__in=trace_ids)
    for trace_id, identity_uuid in rows.values_list("trace_id", "identity_uuid"):
        rejected[trace_id].add(identity_uuid)
    return rejected
