"""The curator console's file pages: a file's timeline and traces, one trace with its faces and
what was said, and binding a trace (after a confirmation when someone else has its faces)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apikeys.permissions import actor_for
from faces.selectors import file_trace_page, media_file_get, media_file_list
from faces.selectors.trace_pages import file_chunks_during, file_trace_get, file_trace_position, trace_face_page
from momentry.console import (
    CONSOLE_PAGE_SIZE,
    back_url,
    page_number,
    page_of,
    pager,
    perform,
    redirect_back,
    search,
    with_undo,
)
from momentry.core.parsing import parse_int, uuid_from_path

from ..models import IdentityStatus
from ..selectors import identity_get, identity_list
from ..services.binding import trace_bind
from .history import entry_undo_url
from .timeline import timeline_svg

BIND_CANDIDATES = 20
TRACE_FACES_PAGE_SIZE = 48
# `?bound=` as the API reads it: traces with some face bound, or none; anything else is every trace.
BOUND_FILTERS = {"true": True, "false": False}


@login_required
def file_list_view(request):
    files, files_pager = page_of(request, media_file_list())
    return render(request, "console/file_list.html", {"files": files, "pager": files_pager})


def _bind_candidates(request):
    """`(query, candidates)`: the identities matching `?q=` a trace may be bound to."""
    query = request.GET.get("q", "").strip()
    if not query:
        return query, []
    return query, search(
        request,
        lambda: list(identity_list(filters={"q": query}).exclude(status=IdentityStatus.MERGED)[:BIND_CANDIDATES]),
    )


@login_required
def file_detail_view(request, file_uuid):
    media_file = media_file_get(uuid_from_path(file_uuid, what="file"))
    page = page_number(request)
    bound_param = request.GET.get("bound", "")
    bound = BOUND_FILTERS.get(bound_param)
    traces = file_trace_page(media_file, page=page, page_size=CONSOLE_PAGE_SIZE, bound=bound)
    query, candidates = _bind_candidates(request)
    timeline, timeline_duration = timeline_svg(media_file)
    return render(
        request,
        "console/file_detail.html",
        {
            "media_file": media_file,
            "timeline": timeline,
            "timeline_duration": timeline_duration,
            "traces": traces,
            "pager": pager(page=page, page_size=CONSOLE_PAGE_SIZE, total=traces.total),
            "bound": bound_param if bound is not None else "",
            "bound_filters": [("", "All"), ("true", "Bound"), ("false", "Unbound")],
            "query": query,
            "candidates": candidates,
        },
    )


def file_trace_list_url(media_file, trace):
    """The file page at the page of its list of traces that shows `trace` (a TraceDetail), at its row."""
    page = file_trace_position(media_file, trace) // CONSOLE_PAGE_SIZE + 1
    query = f"?page={page}" if page > 1 else ""
    return f"{reverse('console:file-detail', args=[media_file.file_uuid.hex])}{query}#trace-{trace.trace_id}"


def _trace_get(media_file, trace_id):
    trace_id = parse_int(trace_id)
    if trace_id is None:
        raise Http404("No such trace.")
    return file_trace_get(media_file, trace_id)


@login_required
def trace_detail_view(request, file_uuid, trace_id):
    media_file = media_file_get(uuid_from_path(file_uuid, what="file"))
    trace = _trace_get(media_file, trace_id)
    faces_page = page_number(request, "faces")
    faces = trace_face_page(media_file, trace.trace_id, page=faces_page, page_size=TRACE_FACES_PAGE_SIZE)
    query, candidates = _bind_candidates(request)
    return render(
        request,
        "console/file_trace.html",
        {
            "media_file": media_file,
            "trace": trace,
            "faces": faces.items,
            "pager": pager(page=faces_page, page_size=TRACE_FACES_PAGE_SIZE, total=faces.total, name="faces"),
            "chunks": file_chunks_during(media_file, first_sec=trace.first_sec, last_sec=trace.last_sec),
            "list_url": file_trace_list_url(media_file, trace),
            "query": query,
            "candidates": candidates,
        },
    )


def _owners_text(owners):
    """`stranger_7 (36 faces) and Ingrid Bergman (3 faces)`."""
    parts = [f"{owner.identity.name} ({owner.face_count} faces)" for owner in owners]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


@login_required
@require_POST
def trace_bind_view(request, file_uuid):
    """Bind a whole trace to an identity. When faces of it are bound to someone else, the first
    post answers with a confirmation naming them, and only its confirmed post binds; a free trace
    (or one of the identity's own) is bound at once. The message carries an Undo of the bind."""
    media_file = media_file_get(uuid_from_path(file_uuid, what="file"))
    back = back_url(request, reverse("console:file-detail", args=[media_file.file_uuid.hex]))
    try:
        identity = identity_get(request.POST.get("identity_uuid", ""))
        trace = _trace_get(media_file, request.POST.get("trace_id", ""))
    except Http404:
        messages.error(request, "Choose a trace of this file and an identity.")
        return redirect_back(request, back)
    others = [owner for owner in trace.owners if owner.identity.pk != identity.pk]
    if others and request.POST.get("confirm") != "yes":
        return render(
            request,
            "console/file_bind_confirm.html",
            {
                "media_file": media_file,
                "trace": trace,
                "identity": identity,
                "question": f"Trace {trace.trace_id} belongs to {_owners_text(others)}. Bind it to {identity.name}?",
                "back": back,
            },
        )

    def success(result):
        if result.history is None:
            return f"Trace {trace.trace_id} is already bound to {identity.name}."
        text = f"Bound trace {trace.trace_id} to {identity.name}: {result.rows_affected} faces"
        text += f", taken from {_owners_text(others)}." if others else "."
        return with_undo(request, text, undo_url=entry_undo_url(result), back=back)

    perform(
        request,
        lambda: trace_bind(
            identity_uuid=identity.identity_uuid,
            file_uuid=media_file.file_uuid,
            trace_id=trace.trace_id,
            actor=actor_for(request),
        ),
        success=success,
    )
    return redirect_back(request, back)
