"""Who is this stranger? Candidate identities ranked by the cosine of their face centroids.

The in-memory index (`faces.centroid_index`) gives a shortlist; each shortlisted identity is then
read now, with its centroid, and scored exactly, so a list is never wrong about a candidate that
changed a moment ago. A candidate that shares a frame with the identity is never suggested: one
person is not twice in a frame. Nor is one a curator rejected ("not this person", in either
direction). Both are shown, with their reason, only when asked to explain. Every read here
issues a fixed number of queries, whatever `limit` or the page size.
"""
from dataclasses import dataclass

import numpy as np
from django.db.models import F, Q

from faces.centroid_index import centroid_index, centroids_now, centroids_of, nearest_many_now
from faces.centroids import SEGMENT_SUM_DTYPE, unit_rows, vector_from
from faces.models import TraceSegment
from faces.selectors.evidence import owners_evidence, owners_figures, shared_frame_counts, trace_frame_owners

from .models import Identity, IdentityStatus
from .selectors import rejected_candidates, trace_rejections

INCLUDE_KNOWN = "known"
INCLUDE_ALL = "all"
INCLUDE_CHOICES = (INCLUDE_KNOWN, INCLUDE_ALL)
REASON_SHARED_FRAMES = "shared_frames"
REASON_REJECTED = "rejected"
REASONS = (REASON_SHARED_FRAMES, REASON_REJECTED)
NO_EMBEDDINGS = "no_embeddings"
# Drawn from the index per suggestion asked: `known` keeps about one in five at the bench's mix.
SHORTLIST_PER_SUGGESTION = 16
SHORTLIST_MINIMUM = 40
# Read and checked beyond `limit`, for the candidates a shared frame or a rejection leaves out.
CHECKED_MARGIN = 10


@dataclass(frozen=True)
class Suggestion:
    identity: Identity
    similarity: float
    shared_frames: int
    files_in_common: int
    faces: int
    screen_time_sec: float
    # None for a suggestion; why it is not one (REASON_*) when listed to explain.
    reason: str | None = None

    @property
    def suggested(self):
        return self.reason is None


@dataclass(frozen=True)
class SuggestionList:
    suggestions: list
    # Why the list is empty when it must be (NO_EMBEDDINGS), else None.
    reason: str | None = None


def candidates_filter(include):
    """The identities that may be suggested: never a merged one; `known` only confirmed ones (not
    strangers or pending persons, until a curator names and confirms them), `all` any identity."""
    if include == INCLUDE_KNOWN:
        return Q(status=IdentityStatus.CONFIRMED)
    return ~Q(status=IdentityStatus.MERGED)


def identity_suggestions(identity, *, limit=5, include=INCLUDE_KNOWN, explain=False, media_files=None):
    """The identities `identity` most probably is, best first, with their evidence (counted within
    `media_files` when given: a file-limited key's files).

    One draw from the index of `SHORTLIST_PER_SUGGESTION` × `limit` nearest, cut to those that may
    be suggested, and of those the `limit` + `CHECKED_MARGIN` nearest are read now and checked:
    a fixed number of queries, whatever `limit`."""
    vector = centroids_of([identity.pk]).get(identity.pk)
    if vector is None:
        return SuggestionList(suggestions=[], reason=NO_EMBEDDINGS)
    nearest = centroid_index().nearest(
        vector, count=max(SHORTLIST_MINIMUM, SHORTLIST_PER_SUGGESTION * limit), excluding={identity.pk}
    )
    allowed = _candidates_in({identity.pk: [pk for pk, _ in nearest]}, include)
    checked = [pk for pk, _ in nearest if pk in allowed][: limit + CHECKED_MARGIN]
    centroids = centroids_now(checked)
    scored = sorted(
        ((allowed[pk], float(np.dot(centroids[pk], vector))) for pk in checked if pk in centroids),
        key=lambda pair: (-pair[1], pair[0].pk),
    )
    rejected = rejected_candidates([identity.identity_uuid])[identity.identity_uuid]
    candidate_ids = [candidate.pk for candidate, _ in scored]
    shared = shared_frame_counts([(identity.pk, pk) for pk in candidate_ids], media_files=media_files)
    evidence = owners_evidence(candidate_ids, beside=identity.pk, media_files=media_files)
    suggested, explained = [], []
    for candidate, similarity in scored:
        reason = None
        if candidate.identity_uuid in rejected:
            reason = REASON_REJECTED
        elif shared.get((identity.pk, candidate.pk)):
            reason = REASON_SHARED_FRAMES
        if reason is None and len(suggested) >= limit:
            continue
        figures = evidence.get(candidate.pk)
        item = Suggestion(
            identity=candidate,
            similarity=round(similarity, 4),
            shared_frames=shared.get((identity.pk, candidate.pk), 0),
            files_in_common=figures.files_in_common if figures else 0,
            faces=figures.faces if figures else 0,
            screen_time_sec=figures.screen_time_sec if figures else 0.0,
            reason=reason,
        )
        (suggested if reason is None else explained).append(item)
    return SuggestionList(suggestions=suggested + (explained if explain else []))


@dataclass(frozen=True)
class TraceSuggestion:
    identity: Identity
    similarity: float


def file_trace_suggestions(media_file, trace_ids, *, include=INCLUDE_KNOWN):
    """`{trace_id: TraceSuggestion}`: for each of the traces with unbound faces or a stranger's
    (status pending), the likeliest identity from those faces' own centroid (the unbound ones
    first, else the stranger's), skipping identities with a face in the trace's
    frames, those the trace was unbound from, and the stranger itself. A fixed number of queries."""
    anonymous = (
        TraceSegment.objects.filter(media_file=media_file, trace_id__in=list(trace_ids), embedding_sum__isnull=False)
        .filter(Q(identity__isnull=True) | Q(identity__status=IdentityStatus.PENDING))
        .order_by("trace_id", F("identity_id").asc(nulls_first=True))
    )
    chosen = {}
    for segment in anonymous:
        chosen.setdefault(segment.trace_id, segment)
    with_sums = list(chosen.values())
    if not with_sums:
        return {}
    trace_ids = [segment.trace_id for segment in with_sums]
    in_frames = trace_frame_owners(media_file.pk, trace_ids)
    not_them = trace_rejections(media_file.file_uuid, trace_ids)
    sums = np.array([vector_from(segment.embedding_sum, SEGMENT_SUM_DTYPE) for segment in with_sums])
    vectors = {
        segment.trace_id: vector for segment, vector in zip(with_sums, unit_rows(sums)) if vector.any()
    }
    excluding = {
        segment.trace_id: in_frames.get(segment.trace_id, set()) | ({segment.identity_id} - {None})
        for segment in with_sums
    }
    shortlists = nearest_many_now(vectors, count=BEST_SHORTLIST, excluding=excluding)
    candidates = _candidates_in(shortlists, include)
    return _best_of(_ranked(shortlists, vectors, candidates, not_them), candidates)


def _candidates_in(shortlists, include):
    """`{identity id: Identity}` of the shortlisted that may be suggested (one query)."""
    shortlisted = {identity_id for shortlist in shortlists.values() for identity_id in shortlist}
    return {candidate.pk: candidate for candidate in Identity.objects.filter(candidates_filter(include), pk__in=shortlisted)}


def _ranked(shortlists, vectors, candidates, not_them):
    """`{key: [(similarity, identity id)]}`, best first, of each key's shortlisted candidates that
    are not in `not_them[key]` (uuids)."""
    return {
        key: sorted(
            (
                (float(np.dot(centroid, vectors[key])), identity_id)
                for identity_id, centroid in shortlist.items()
                if identity_id in candidates and candidates[identity_id].identity_uuid not in not_them.get(key, ())
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )
        for key, shortlist in shortlists.items()
    }


def _best_of(ranked, candidates, shared=None):
    """`{key: TraceSuggestion}`: each key's best ranked candidate that shares no frame with it
    (`shared`: `{(key, candidate id): frames}`)."""
    best = {}
    for key, pairs in ranked.items():
        for similarity, identity_id in pairs:
            if not (shared or {}).get((key, identity_id)):
                best[key] = TraceSuggestion(identity=candidates[identity_id], similarity=round(similarity, 4))
                break
    return best


BEST_SHORTLIST = 20
BEST_CHECKED = 5


def best_suggestions(identities, *, include=INCLUDE_KNOWN, media_files=None):
    """`{identity id: TraceSuggestion}`: each identity's top suggestion, as `identity_suggestions`
    would give it first (neither rejected nor sharing a frame), for many identities in a fixed
    number of queries."""
    identities = {identity.pk: identity for identity in identities}
    vectors = centroids_of(identities)
    if not vectors:
        return {}
    shortlists = nearest_many_now(vectors, count=BEST_SHORTLIST, excluding={pk: {pk} for pk in vectors})
    rejected = rejected_candidates([identities[pk].identity_uuid for pk in vectors])
    candidates = _candidates_in(shortlists, include)
    not_them = {pk: rejected[identities[pk].identity_uuid] for pk in vectors}
    # Only the best few of each are checked for shared frames: a stranger's best candidates are
    # seldom on screen with it, and checking 20 a stranger was the cost of the whole queue.
    ranked = {pk: pairs[:BEST_CHECKED] for pk, pairs in _ranked(shortlists, vectors, candidates, not_them).items()}
    shared = shared_frame_counts(
        [(pk, identity_id) for pk, pairs in ranked.items() for _, identity_id in pairs], media_files=media_files
    )
    return _best_of(ranked, candidates, shared)


REVIEW_ORDERS = ("screen_time", "faces", "similarity")


@dataclass(frozen=True)
class ReviewItem:
    identity: Identity
    faces: int
    screen_time_sec: float
    files: int
    suggestion: TraceSuggestion | None


@dataclass(frozen=True)
class ReviewPage:
    items: list
    total: int


def review_strangers(*, order, page, page_size, media_files=None, media_file=None):
    """The identities waiting for a curator (status pending: strangers and pending persons) that
    have faces, most on screen (or most faces, or likeliest to be someone known) first, each with
    its top suggestion; within `media_file` when given.

    `similarity` ranks every waiting identity's top suggestion, one index product each: right for
    a file or a library of thousands of strangers, slow for 100,000 (take them a file at a time).
    """
    segments = TraceSegment.objects.filter(identity__status=IdentityStatus.PENDING)
    if media_files is not None:
        segments = segments.filter(media_file__in=media_files)
    if media_file is not None:
        segments = segments.filter(identity_id__in=segments.filter(media_file=media_file).values("identity_id"))
    figures = owners_figures(segments)
    offset = (page - 1) * page_size
    if order == "similarity":
        rows = list(figures.order_by("identity_id"))
        identities = Identity.objects.in_bulk([row["identity_id"] for row in rows])
        best = best_suggestions(identities.values(), media_files=media_files)
        rows.sort(key=lambda row: (row["identity_id"] not in best, -_similarity(best, row), row["identity_id"]))
        total, rows = len(rows), rows[offset : offset + page_size]
    else:
        field = "screen_time" if order == "screen_time" else "faces"
        total = figures.count()
        rows = list(figures.order_by(f"-{field}", "identity_id")[offset : offset + page_size]) if offset < total else []
        identities = Identity.objects.in_bulk([row["identity_id"] for row in rows])
        best = best_suggestions(identities.values(), media_files=media_files)
    items = [
        ReviewItem(
            identity=identities[row["identity_id"]],
            faces=row["faces"],
            screen_time_sec=round(row["screen_time"], 3),
            files=row["files"],
            suggestion=best.get(row["identity_id"]),
        )
        for row in rows
    ]
    return ReviewPage(items=items, total=total)


def _similarity(best, row):
    suggestion = best.get(row["identity_id"])
    return suggestion.similarity if suggestion else 0.0
