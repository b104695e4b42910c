"""The curator console's file pages: a file's traces, who they are bound to, and binding them."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apikeys.permissions import actor_for
from faces.selectors import file_trace_page, media_file_get, media_file_list
from momentry.console import CONSOLE_PAGE_SIZE, page_number, page_of, pager, perform, redirect_back, search
from momentry.core.parsing import parse_int, uuid_from_path

from ..models import IdentityStatus
from ..selectors import identity_get, identity_list
from ..services.binding import trace_bind

BIND_CANDIDATES = 20


@login_required
def file_list_view(request):
    files, files_pager = page_of(request, media_file_list())
    return render(request, "console/file_list.html", {"files": files, "pager": files_pager})


@login_required
def file_detail_view(request, file_uuid):
    media_file = media_file_get(uuid_from_path(file_uuid, what="file"))
    page = page_number(request)
    traces = file_trace_page(media_file, page=page, page_size=CONSOLE_PAGE_SIZE)
    query = request.GET.get("q", "").strip()
    candidates = []
    if query:
        candidates = search(
            request,
            lambda: list(identity_list(filters={"q": query}).exclude(status=IdentityStatus.MERGED)[:BIND_CANDIDATES]),
        )
    return render(
        request,
        "console/file_detail.html",
        {
            "media_file": media_file,
            "traces": traces,
            "pager": pager(page=page, page_size=CONSOLE_PAGE_SIZE, total=traces.total),
            "query": query,
            "candidates": candidates,
        },
    )


@login_required
@require_POST
def trace_bind_view(request, file_uuid):
    media_file = media_file_get(uuid_from_path(file_uuid, what="file"))
    fallback = reverse("console:file-detail", args=[media_file.file_uuid.hex])
    trace_id = parse_int(request.POST.get("trace_id", ""))
    try:
        identity = identity_get(request.POST.get("identity_uuid", ""))
    except Http404:
        identity = None
    if identity is None or trace_id is None:
        messages.error(request, "Choose a trace and an identity.")
        return redirect_back(request, fallback)
    perform(
        request,
        lambda: trace_bind(
            identity_uuid=identity.identity_uuid, file_uuid=media_file.file_uuid, trace_id=trace_id, actor=actor_for(request)
        ),
        success=lambda result: f"Bound trace {trace_id} to {identity.name}: {result.rows_affected} faces.",
    )
    return redirect_back(request, fallback)
