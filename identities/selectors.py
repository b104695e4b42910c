"""Reads of identities, shared by the API, the console, the admin and the commands."""
import uuid
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from faces.models import FaceDetection, MediaFile, TraceSegment
from faces.selectors.evidence import owners_figures
from history.merge_records import merge_records_of
from history.models import HistoryAction, IdentityHistory
from history.selectors import entry_diff, history_entries, history_stack_heads
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


# The console's sort keys of the identity list: `?sort=faces` ascending, `?sort=-faces` descending.
IDENTITY_SORTS = {
    "name": F("name"),
    "faces": F("face_count"),
    "screen_time": F("screen_time_sec"),
    "status": F("status"),
    "changed": Coalesce("updated_at", "created_at"),
}


def identities_with_figures(identities):
    """The identities annotated with `face_count` and `screen_time_sec` (seconds: the spans of their
    segments, as the review queue counts them), 0 without faces: two correlated subqueries on the
    segments' owner index, so a page costs the same queries whatever its size."""
    figures = owners_figures(TraceSegment.objects.filter(identity_id=OuterRef("pk")))
    return identities.annotate(
        face_count=Coalesce(Subquery(figures.values("faces")), 0),
        screen_time_sec=Coalesce(Subquery(figures.values("screen_time")), 0.0),
    )


def identity_figures(identities):
    """`{pk: {"faces", "traces", "files", "screen_time_sec"}}` of the identities (zeros for one
    without faces), from their segments in one query."""
    figures = {
        identity.pk: {"faces": 0, "traces": 0, "files": 0, "screen_time_sec": 0.0} for identity in identities
    }
    rows = owners_figures(TraceSegment.objects.filter(identity_id__in=list(figures))).annotate(traces=Count("id"))
    for row in rows:
        figures[row["identity_id"]] = {
            "faces": row["faces"],
            "traces": row["traces"],
            "files": row["files"],
            "screen_time_sec": round(row["screen_time"], 3),
        }
    return figures


def identity_list_sorted(identities, sort):
    """`identities_with_figures` ordered by a key of `IDENTITY_SORTS` (`-` for descending), then by
    name and id so equal values page in the same order; an unknown key sorts by name."""
    key = sort.lstrip("-") if sort else "name"
    if key not in IDENTITY_SORTS:
        key, sort = "name", "name"
    expression = IDENTITY_SORTS[key]
    ordering = expression.desc() if sort.startswith("-") else expression.asc()
    return identities_with_figures(identities).order_by(ordering, "name", "id")


def identity_history(identity_uuid):
    """`(uuid, entries)`: the identity's history, newest first; works for a deleted identity as long
    as it has history. 404 when the uuid is malformed or names neither an identity nor any history.
    """
    parsed = uuid_from_path(identity_uuid, what="identity")
    entries = history_entries(parsed)
    if not entries.exists() and not Identity.objects.filter(identity_uuid=parsed).exists():
        raise Http404(f"No identity with uuid {parsed.hex}.")
    return parsed, entries


# Writes whose faces are one trace (or one face of it), so a diff can name the trace they moved.
ONE_TRACE_ACTIONS = (HistoryAction.BIND, HistoryAction.BIND_TRACE, HistoryAction.UNBIND, HistoryAction.UNBIND_TRACE)


def _stack_heads_of(identity_uuids):
    """`{identity uuid: (next_undo, next_redo)}` of the stacks of these identities, one query."""
    stacks = defaultdict(list)
    rows = IdentityHistory.objects.filter(identity_uuid__in=list(identity_uuids)).only(
        "id", "identity_uuid", "history_id", "action", "merge_id", "undone_at", "superseded_at"
    )
    for entry in rows:
        stacks[entry.identity_uuid].append(entry)
    return {identity_uuid: history_stack_heads(stacks[identity_uuid]) for identity_uuid in identity_uuids}


def _traces_of_samples(samples):
    """`{(file uuid, frame, index): trace_id}` of one face each (one query for them all)."""
    if not samples:
        return {}
    match = Q()
    for file_uuid, frame, index in samples:
        match |= Q(media_file__file_uuid=file_uuid, frame_number=frame, index=index)
    rows = FaceDetection.objects.filter(match).values_list("media_file__file_uuid", "frame_number", "index", "trace_id")
    return {(file_uuid, frame, index): trace_id for file_uuid, frame, index, trace_id in rows}


@dataclass(frozen=True)
class DescribedEntry:
    """A history entry as the console shows it. `diff`: what its snapshots changed
    (`history.selectors.EntryDiff`); `owner`, each move's `from`/`to`, `rejected` and the merge's
    `source`/`target` are parties (`{"uuid", "name"}`, name None for an identity deleted since);
    `moves`: `{"faces", "file_uuid", "file_name", "trace_id" (None when many traces), "from", "to"}`;
    `undoable`/`redoable`: next to undo or redo on its own identity's stack."""

    entry: IdentityHistory
    diff: object
    owner: dict
    moves: list
    rejected: list
    rejected_traces: list
    merge: dict | None
    undoable: bool
    redoable: bool


def history_described(entries):
    """Entries (a page) with their diffs, in a fixed number of queries whatever their number: the
    names of identities and files they mention, one face of each move for its trace, the merge
    records and the stack heads of every identity they are on."""
    entries = list(entries)
    diffs = [entry_diff(entry) for entry in entries]
    merges = merge_records_of(entry.merge_id for entry in entries if entry.merge_id)
    identity_uuids = {entry.identity_uuid for entry in entries}
    mentioned, file_uuids, samples = set(identity_uuids), set(), set()
    for entry, diff in zip(entries, diffs):
        mentioned.update(diff.rejected_candidates)
        for move in diff.moves:
            mentioned.update(owner for owner in (move.from_uuid, move.to_uuid) if owner)
            file_uuids.add(move.file_uuid)
            if entry.action in ONE_TRACE_ACTIONS:
                samples.add((move.file_uuid, *move.sample))
        file_uuids.update(file_uuid for file_uuid, _trace in diff.rejected_traces)
    for record in merges.values():
        mentioned.update(uuid.UUID(record[side]) for side in ("source_uuid", "target_uuid"))
    names = dict(Identity.objects.filter(identity_uuid__in=mentioned).values_list("identity_uuid", "name"))
    file_names = dict(MediaFile.objects.filter(file_uuid__in=file_uuids).values_list("file_uuid", "file_name"))
    traces = _traces_of_samples(samples)
    heads = _stack_heads_of(identity_uuids)

    def party(identity_uuid):
        return {"uuid": identity_uuid, "name": names.get(identity_uuid)} if identity_uuid else None

    def merge_of(entry):
        record = merges.get(str(entry.merge_id)) if entry.merge_id else None
        if record is None:
            return None
        return {
            "source": party(uuid.UUID(record["source_uuid"])),
            "target": party(uuid.UUID(record["target_uuid"])),
            "source_name": record.get("source_name"),
            "target_name": record.get("target_name"),
            "faces": record.get("faces_transferred"),
        }

    described = []
    for entry, diff in zip(entries, diffs):
        next_undo, next_redo = heads[entry.identity_uuid]
        moves = [
            {
                "faces": move.faces,
                "file_uuid": move.file_uuid,
                "file_name": file_names.get(move.file_uuid, move.file_uuid.hex),
                "trace_id": traces.get((move.file_uuid, *move.sample)),
                "from": party(move.from_uuid),
                "to": party(move.to_uuid),
            }
            for move in diff.moves
        ]
        described.append(
            DescribedEntry(
                entry=entry,
                diff=diff,
                owner=party(entry.identity_uuid),
                moves=moves,
                rejected=[party(candidate) for candidate in diff.rejected_candidates],
                rejected_traces=[
                    {"file_uuid": file_uuid, "file_name": file_names.get(file_uuid, file_uuid.hex), "trace_id": trace}
                    for file_uuid, trace in diff.rejected_traces
                ],
                merge=merge_of(entry),
                undoable=next_undo is not None and next_undo.pk == entry.pk,
                redoable=next_redo is not None and next_redo.pk == entry.pk,
            )
        )
    return described


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
