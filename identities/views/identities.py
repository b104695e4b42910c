"""The curator console's identity pages. Reads use the selectors, writes the services."""
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apikeys.permissions import actor_for
from faces.selectors import identity_chunk_page, identity_face_summary, identity_file_summaries, identity_trace_page
from history.selectors import history_stack_heads
from momentry.console import CONSOLE_PAGE_SIZE, page_number, page_of, pager, perform, redirect_back, search
from momentry.core.errors import error_message
from momentry.core.parsing import parse_int, parse_uuid

from .. import storage
from ..forms import IdentityEditForm
from ..models import Identity, IdentityStatus
from ..selectors import identity_get, identity_history, identity_list
from ..services import binding, editing, images, merging

TRACES_PER_PAGE = 20
CHUNKS_PER_PAGE = 20
HISTORY_PER_PAGE = 10
MERGE_CANDIDATES = 20


@login_required
def identity_list_view(request):
    filters = request.GET.copy()
    filters.pop("page", None)
    try:
        identities = identity_list(filters=filters)
    except ValidationError as exc:
        messages.error(request, error_message(exc))
        identities = Identity.objects.none()
    identities, identities_pager = page_of(request, identities)
    return render(
        request,
        "console/identity_list.html",
        {
            "identities": identities,
            "pager": identities_pager,
            "filters": filters,
            "statuses": IdentityStatus.choices,
        },
    )


def merge_candidates(request, identity, query):
    """Identities the curator may merge this one into, found by name, alias or metadata text."""
    if not query:
        return []

    def matching():
        candidates = identity_list(filters={"q": query}).exclude(pk=identity.pk).exclude(status=IdentityStatus.MERGED)
        return list(candidates[:MERGE_CANDIDATES])

    return search(request, matching)


@login_required
def identity_detail_view(request, identity_uuid):
    identity = identity_get(identity_uuid)
    trace_page_number, chunk_page_number = page_number(request, "traces"), page_number(request, "chunks")
    traces = identity_trace_page(identity, page=trace_page_number, page_size=TRACES_PER_PAGE)
    chunks = identity_chunk_page(identity, page=chunk_page_number, page_size=CHUNKS_PER_PAGE)
    history = history_page(request, identity.identity_uuid, page_size=HISTORY_PER_PAGE)
    files = identity_file_summaries(identity)
    file_names = {file["file_uuid"]: file["file_name"] for file in files}
    for trace in traces.rows:
        trace["file_name"] = file_names.get(trace["file_uuid"], trace["file_uuid"].hex)
    merge_query = request.GET.get("merge_q", "").strip()
    return render(
        request,
        "console/identity_detail.html",
        {
            "identity": identity,
            "summary": identity_face_summary(identity),
            "files": files,
            "metadata_json": json.dumps(identity.metadata, indent=2, ensure_ascii=False),
            "traces": traces,
            "traces_pager": pager(page=trace_page_number, page_size=TRACES_PER_PAGE, total=traces.total, name="traces"),
            "chunks": chunks,
            "chunks_pager": pager(page=chunk_page_number, page_size=CHUNKS_PER_PAGE, total=chunks.total, name="chunks"),
            **history,
            "has_profile_image": storage.profile_image_path(identity.identity_uuid) is not None,
            "edit_form": IdentityEditForm(
                initial={"name": identity.name, "status": identity.status, "identity_type": identity.identity_type}
            ),
            "merge_query": merge_query,
            "merge_candidates": merge_candidates(request, identity, merge_query),
            "aliases": identity.metadata.get("aliases", []) if isinstance(identity.metadata, dict) else [],
        },
    )


def history_page(request, identity_uuid, *, page_size):
    """A page of an identity's history with the entries the stack rule lets the curator undo or redo."""
    parsed, entries = identity_history(identity_uuid)
    history, history_pager = page_of(request, entries, page_size=page_size, name="history")
    next_undo, next_redo = history_stack_heads(
        entries.only("id", "history_id", "action", "merge_id", "undone_at", "superseded_at")
    )
    return {"history": history, "history_pager": history_pager, "next_undo": next_undo, "next_redo": next_redo}


def _detail_url(identity_uuid):
    return reverse("console:identity-detail", args=[identity_uuid.hex])


@login_required
@require_POST
def identity_edit_view(request, identity_uuid):
    identity = identity_get(identity_uuid)
    form = IdentityEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()))
    else:
        perform(
            request,
            lambda: editing.identity_update(identity_uuid=identity.identity_uuid, data=form.changes(), actor=actor_for(request)),
            success=lambda result: f"Saved {', '.join(result.updated_fields)}.",
        )
    return redirect(_detail_url(identity.identity_uuid))


@login_required
@require_POST
def identity_delete_view(request, identity_uuid):
    identity = identity_get(identity_uuid)
    deleted = perform(
        request,
        lambda: editing.identity_delete(identity_uuid=identity.identity_uuid, actor=actor_for(request)),
        success=lambda result: f"Deleted {result.name!r} ({result.faces_unbound} faces unbound). Undo it from its history.",
    )
    if deleted is None:
        return redirect(_detail_url(identity.identity_uuid))
    return redirect(reverse("console:identity-history", args=[identity.identity_uuid.hex]))


@login_required
@require_POST
def trace_unbind_view(request, identity_uuid):
    identity = identity_get(identity_uuid)
    file_uuid = parse_uuid(request.POST.get("file_uuid", ""))
    trace_id = parse_int(request.POST.get("trace_id", ""))
    if file_uuid is None or trace_id is None:
        messages.error(request, "Choose a trace to unbind.")
    else:
        perform(
            request,
            lambda: binding.faces_unbind(
                identity_uuid=identity.identity_uuid, file_uuid=file_uuid, trace_id=trace_id, actor=actor_for(request)
            ),
            success=lambda result: f"Unbound trace {trace_id}: {result.rows_affected} faces.",
        )
    return redirect_back(request, _detail_url(identity.identity_uuid))


@login_required
@require_POST
def identity_merge_view(request, identity_uuid):
    identity = identity_get(identity_uuid)
    target_uuid = parse_uuid(request.POST.get("into_uuid", ""))
    if target_uuid is None:
        messages.error(request, "Choose the identity to merge into.")
        return redirect(_detail_url(identity.identity_uuid))
    keep_history = request.POST.get("keep_history") == "on"
    merged = perform(
        request,
        lambda: merging.identity_merge(
            identity_uuid=identity.identity_uuid, into_uuid=target_uuid, keep_history=keep_history, actor=actor_for(request)
        ),
        success=lambda result: (
            f"Merged {result.source_name!r} into {result.target_name!r} ({result.faces_transferred} faces). "
            "Undo it from the merge history within the undo window."
        ),
    )
    return redirect(_detail_url(target_uuid if merged is not None else identity.identity_uuid))


@login_required
def identity_history_view(request, identity_uuid):
    """The history of an identity, also after it was deleted (so the delete can be undone)."""
    history = history_page(request, identity_uuid, page_size=CONSOLE_PAGE_SIZE)
    parsed = parse_uuid(identity_uuid)
    return render(
        request,
        "console/identity_history.html",
        {"identity_uuid": parsed, "identity": Identity.objects.filter(identity_uuid=parsed).first(), **history},
    )


@login_required
def profile_image_view(request, identity_uuid):
    identity = identity_get(identity_uuid)
    path = storage.profile_image_path(identity.identity_uuid)
    if path is None:
        raise Http404("No profile image.")
    return FileResponse(path.open("rb"), content_type=images.PROFILE_CONTENT_TYPES[path.suffix.lstrip(".")])


