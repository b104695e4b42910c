"""The curator console's review queue: one stranger at a time, who it most probably is, and the
curator's answer (it is this person, it is not, skip, or a new person), each undoable from the
message that confirms it."""
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apikeys.permissions import actor_for
from faces.selectors import identity_strongest_traces, media_file_get
from faces.selectors.traces import identities_strongest_faces
from momentry.console import back_url, page_number, perform, with_undo
from momentry.core.parsing import uuid_from_path

from .. import storage
from ..models import IdentityStatus
from ..selectors import identity_get
from ..services import editing, merging
from ..services.rejections import suggestion_reject
from ..suggestions import NO_EMBEDDINGS, REVIEW_ORDERS, identity_suggestions, review_strangers
from .history import entry_undo_url, merge_undo_url

REVIEW_CANDIDATES = 4
STRONGEST_TRACES = 5
ORDER_LABELS = {"screen_time": "Screen time", "faces": "Faces", "similarity": "Likeliest known"}


def review_url(*, order, media_file, at):
    """The queue at position `at` (1-based) in `order`, within `media_file` when given; defaults left out."""
    params = {}
    if order != REVIEW_ORDERS[0]:
        params["order"] = order
    if media_file is not None:
        params["file"] = media_file.file_uuid.hex
    if at > 1:
        params["at"] = at
    return reverse("console:review") + (f"?{urlencode(params)}" if params else "")


@login_required
def review_view(request):
    order = request.GET.get("order")
    order = order if order in REVIEW_ORDERS else REVIEW_ORDERS[0]
    file_param = request.GET.get("file", "")
    media_file = media_file_get(uuid_from_path(file_param, what="file")) if file_param else None
    at = page_number(request, "at")
    queue = review_strangers(order=order, page=at, page_size=1, media_file=media_file)
    if not queue.items and queue.total:
        # Past the end (the last strangers were answered): the queue's last one.
        return redirect(review_url(order=order, media_file=media_file, at=queue.total))

    def url(**changes):
        return review_url(**{"order": order, "media_file": media_file, "at": at, **changes})

    context = {
        "orders": [(value, ORDER_LABELS[value], url(order=value, at=1)) for value in REVIEW_ORDERS],
        "order": order,
        "media_file": media_file,
        "all_files_url": review_url(order=order, media_file=None, at=1),
        "total": queue.total,
        "at": at,
    }
    if queue.items:
        item = queue.items[0]
        suggestions = identity_suggestions(item.identity, limit=REVIEW_CANDIDATES)
        best_faces = identities_strongest_faces([suggestion.identity for suggestion in suggestions.suggestions])
        context.update(
            item=item,
            traces=identity_strongest_traces(item.identity, limit=STRONGEST_TRACES),
            candidates=[
                (
                    suggestion,
                    storage.profile_image_path(suggestion.identity.identity_uuid) is not None,
                    best_faces.get(suggestion.identity.pk),
                )
                for suggestion in suggestions.suggestions
            ],
            no_embeddings=suggestions.reason == NO_EMBEDDINGS,
            here=url(),
            previous_url=url(at=at - 1) if at > 1 else None,
            next_url=url(at=at + 1) if at < queue.total else None,
            skip_url=url(at=at + 1 if at < queue.total else 1),
        )
    return render(request, "console/review.html", context)


def _answered(request, identity_uuid, *, act, message, undo_url):
    """Run the curator's answer about the stranger, then back to the queue (the `next` field) with
    a message whose Undo comes back there too. A refusal (a stale form: merged meanwhile, rejected
    already) is the message instead."""
    stranger = identity_get(identity_uuid)
    back = back_url(request, reverse("console:review"))
    perform(
        request,
        lambda: act(stranger),
        success=lambda result: with_undo(request, message(stranger, result), undo_url=undo_url(result), back=back),
    )
    return HttpResponseRedirect(back)


@login_required
@require_POST
def review_accept_view(request, identity_uuid):
    """It is this person: merge the stranger into the candidate (kept, marked merged, so undo works)."""
    return _answered(
        request,
        identity_uuid,
        act=lambda stranger: merging.identity_merge(
            identity_uuid=stranger.identity_uuid,
            into_uuid=request.POST.get("candidate_uuid", ""),
            keep_history=True,
            actor=actor_for(request),
        ),
        message=lambda stranger, result: (
            f"Merged {result.source_name!r} into {result.target_name!r} ({result.faces_transferred} faces)."
        ),
        undo_url=merge_undo_url,
    )


@login_required
@require_POST
def review_reject_view(request, identity_uuid):
    """Not this person: suggestions never pair the two again."""
    return _answered(
        request,
        identity_uuid,
        act=lambda stranger: suggestion_reject(
            identity_uuid=stranger.identity_uuid,
            candidate_uuid=request.POST.get("candidate_uuid", ""),
            actor=actor_for(request),
        ),
        message=lambda stranger, result: f"{stranger.name!r} is not {result.candidate.name!r}: not suggested again.",
        undo_url=entry_undo_url,
    )


@login_required
@require_POST
def review_name_view(request, identity_uuid):
    """A new person: the stranger gets the name and is confirmed, so it leaves the queue."""
    return _answered(
        request,
        identity_uuid,
        act=lambda stranger: editing.identity_update(
            identity_uuid=stranger.identity_uuid,
            data={"name": request.POST.get("name", ""), "status": IdentityStatus.CONFIRMED},
            actor=actor_for(request),
        ),
        message=lambda stranger, result: f"Named {stranger.name!r} {result.identity.name!r}, a confirmed person.",
        undo_url=entry_undo_url,
    )
