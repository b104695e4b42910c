"""Rejections ("not this person"): a curator's "A is not B", the "this trace is not X" an unbind of
a whole trace leaves, and the copies a merge carries to its target.

A curator's rejections are their history entry's: the snapshots of an entry that added some hold
`"rejections": {"candidates": [uuid hex, ...], "traces": [{"file_uuid": hex, "trace_id": int}, ...]}`,
the candidates the entry's identity is not and the traces that are not it, none before and those
the entry added after; undo deletes exactly those rows and redo inserts them again. Nothing else
deletes them, so each belongs to one entry alone. The rows a merge carried name the merge, whose
undo deletes them and whose redo carries them again.
"""
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.http import Http404

from history.models import HistoryAction, IdentityHistory
from history.recording import history_record
from momentry.core.errors import ApplicationError, Conflict
from momentry.core.parsing import uuid_from_path

from ..models import Identity, IdentityRejection, TraceRejection
from .rows import identities_locked, identity_snapshot

REJECTIONS = "rejections"


@dataclass(frozen=True)
class SuggestionRejection:
    identity: Identity
    candidate: Identity
    history: IdentityHistory


def _state(*, candidates=(), traces=()):
    return {
        "candidates": [candidate.hex for candidate in candidates],
        "traces": [{"file_uuid": file_uuid.hex, "trace_id": trace_id} for file_uuid, trace_id in traces],
    }


def rejections_added(*, candidates=(), traces=()):
    """The `(before, after)` snapshot extras of an entry that added these rejections (UUIDs, and
    `(file UUID, trace_id)` pairs); nothing when it added none."""
    if not candidates and not traces:
        return {}, {}
    return {REJECTIONS: _state()}, {REJECTIONS: _state(candidates=candidates, traces=traces)}


def _curators_pair(identity_uuid, candidate_uuid):
    """A curator's rejections of the pair, in either direction (a merge's copies are not theirs)."""
    return IdentityRejection.objects.filter(merge_id__isnull=True).filter(
        Q(identity_uuid=identity_uuid, candidate_uuid=candidate_uuid)
        | Q(identity_uuid=candidate_uuid, candidate_uuid=identity_uuid)
    )


def suggestion_reject(*, identity_uuid, candidate_uuid, actor):
    """Record that the identity is not the candidate, so suggestions never pair them again (in
    either direction), with one history entry on the identity.

    A rejection a merge carried does not make the curator's own one a repeat: the merge's undo
    would take the copy back, the curator's stays until its entry is undone.
    """
    identity_uuid = uuid_from_path(identity_uuid, what="identity")
    candidate_uuid = uuid_from_path(candidate_uuid, what="identity")
    with transaction.atomic(durable=True):
        locked = identities_locked([identity_uuid, candidate_uuid])
        identity, candidate = locked.get(identity_uuid), locked.get(candidate_uuid)
        if identity is None:
            raise Http404(f"No identity with uuid {identity_uuid.hex}.")
        if candidate is None:
            raise Http404(f"No identity with uuid {candidate_uuid.hex} to reject.")
        if identity.pk == candidate.pk:
            raise ApplicationError("An identity cannot be rejected as itself.", code="candidate_is_identity")
        if _curators_pair(identity_uuid, candidate_uuid).exists():
            raise ApplicationError(
                f"Identity {identity_uuid.hex} is already rejected as {candidate_uuid.hex}.", code="already_rejected"
            )
        IdentityRejection.objects.create(identity_uuid=identity_uuid, candidate_uuid=candidate_uuid, actor=actor)
        before, after = rejections_added(candidates=[candidate_uuid])
        entry = history_record(
            identity_uuid=identity_uuid,
            action=HistoryAction.REJECT,
            before=identity_snapshot(identity, **before),
            after=identity_snapshot(identity, **after),
            actor=actor,
        )
    return SuggestionRejection(identity=identity, candidate=candidate, history=entry)


def trace_rejection_add(*, identity_uuid, file_uuid, trace_id, actor):
    """Record that the trace is not the identity (for the unbind of the whole trace); False, and
    nothing written, when a curator said so already."""
    rejection = {"file_uuid": file_uuid, "trace_id": trace_id, "identity_uuid": identity_uuid}
    if TraceRejection.objects.filter(**rejection, merge_id__isnull=True).exists():
        return False
    TraceRejection.objects.create(**rejection, actor=actor)
    return True


# --- undo and redo -----------------------------------------------------------------------------


def _entry_rejections(snapshot):
    """`(candidate UUIDs, (file UUID, trace_id) pairs)` of a snapshot's rejections."""
    state = snapshot.get(REJECTIONS) or _state()
    candidates = {uuid.UUID(candidate) for candidate in state["candidates"]}
    traces = {(uuid.UUID(trace["file_uuid"]), trace["trace_id"]) for trace in state["traces"]}
    return candidates, traces


def rejection_candidates(*snapshots):
    """The candidates the snapshots' rejections name: identities a replay locks with its own."""
    return set().union(*(_entry_rejections(snapshot)[0] for snapshot in snapshots))


def rejections_ensure_replayable(entry, *, source, target):
    """A redo does not say again what a curator has said since: a rejection of the pair recorded
    meanwhile by the candidate's own entry (on its stack, not this one's) is a 409 naming it."""
    added = _entry_rejections(target)[0] - _entry_rejections(source)[0]
    for candidate_uuid in added:
        if _curators_pair(entry.identity_uuid, candidate_uuid).exists():
            raise Conflict(
                f"History entry {entry.history_id} cannot be replayed: identity {entry.identity_uuid.hex} was "
                f"rejected as {candidate_uuid.hex} since by {_rejection_writer(entry, candidate_uuid)}.",
                code="history_conflict",
            )


def _rejection_writer(entry, candidate_uuid):
    """The candidate's standing entry that rejected the entry's identity."""
    later = IdentityHistory.objects.filter(
        identity_uuid=candidate_uuid, action=HistoryAction.REJECT, undone_at__isnull=True, id__gt=entry.id
    ).order_by("-id")
    for write in later.iterator():
        if entry.identity_uuid.hex in write.after_snapshot[REJECTIONS]["candidates"]:
            return f"history entry {write.history_id}"
    return "a later rejection"


def rejections_replay(entry, *, source, target):
    """Delete the rejections the entry added that `target` lacks and insert those it has that
    `source` lacks: one statement a table at most, for exactly the entry's rows."""
    if REJECTIONS not in source and REJECTIONS not in target:
        return
    identity_uuid = entry.identity_uuid
    source_candidates, source_traces = _entry_rejections(source)
    target_candidates, target_traces = _entry_rejections(target)
    if source_candidates - target_candidates:
        IdentityRejection.objects.filter(
            identity_uuid=identity_uuid, candidate_uuid__in=source_candidates - target_candidates, merge_id__isnull=True
        ).delete()
    if source_traces - target_traces:
        traces = Q()
        for file_uuid, trace_id in source_traces - target_traces:
            traces |= Q(file_uuid=file_uuid, trace_id=trace_id)
        TraceRejection.objects.filter(traces, identity_uuid=identity_uuid, merge_id__isnull=True).delete()
    IdentityRejection.objects.bulk_create(
        IdentityRejection(identity_uuid=identity_uuid, candidate_uuid=candidate_uuid, actor=entry.actor)
        for candidate_uuid in target_candidates - source_candidates
    )
    TraceRejection.objects.bulk_create(
        TraceRejection(file_uuid=file_uuid, trace_id=trace_id, identity_uuid=identity_uuid, actor=entry.actor)
        for file_uuid, trace_id in target_traces - source_traces
    )


# --- merges ------------------------------------------------------------------------------------


def rejections_carry(*, source_uuid, target_uuid, merge_id, actor):
    """Give the target what the source is not: "S is not C" becomes "T is not C", "C is not S"
    becomes "C is not T", a trace that is not S is not T; each copy names the merge. One SELECT and
    at most one INSERT a table.

    Skipped: "T is not T", and what a curator said of T itself (T's own entries, which cannot be
    undone while the merge stands). A rejection that only a merge or another identity's entry holds
    is carried all the same, since either can be taken back while this merge stands.
    """

    def carried(identity_uuid):
        return target_uuid if identity_uuid == source_uuid else identity_uuid

    rows = IdentityRejection.objects.filter(
        Q(identity_uuid=source_uuid) | Q(candidate_uuid=source_uuid) | Q(identity_uuid=target_uuid, merge_id=None)
    ).values_list("identity_uuid", "candidate_uuid", "merge_id")
    targets_own, pairs = set(), set()
    for rejected, candidate, carried_by in rows:
        if rejected == target_uuid and carried_by is None:
            targets_own.add(candidate)
        if source_uuid in (rejected, candidate):
            pairs.add((carried(rejected), carried(candidate)))
    IdentityRejection.objects.bulk_create(
        IdentityRejection(identity_uuid=rejected, candidate_uuid=candidate, actor=actor, merge_id=merge_id)
        for rejected, candidate in sorted(pairs)
        if rejected != candidate and ({rejected, candidate} - {target_uuid}).isdisjoint(targets_own)
    )

    traces = TraceRejection.objects.filter(
        Q(identity_uuid=source_uuid) | Q(identity_uuid=target_uuid, merge_id=None)
    ).values_list("file_uuid", "trace_id", "identity_uuid")
    by_owner = {source_uuid: set(), target_uuid: set()}
    for file_uuid, trace_id, identity_uuid in traces:
        by_owner[identity_uuid].add((file_uuid, trace_id))
    TraceRejection.objects.bulk_create(
        TraceRejection(
            file_uuid=file_uuid, trace_id=trace_id, identity_uuid=target_uuid, actor=actor, merge_id=merge_id
        )
        for file_uuid, trace_id in sorted(by_owner[source_uuid] - by_owner[target_uuid])
    )


def rejections_uncarry(*, merge_id):
    """The undo of a merge takes back exactly the rejections it carried: one DELETE a table."""
    IdentityRejection.objects.filter(merge_id=merge_id).delete()
    TraceRejection.objects.filter(merge_id=merge_id).delete()
