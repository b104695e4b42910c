"""The curator console's undo and redo buttons, for identity history entries and for merges."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apikeys.permissions import actor_for
from history.merge_records import merge_clock, merge_history_page, merge_is_expired
from history.selectors import history_entry_get
from momentry.console import CONSOLE_PAGE_SIZE, page_number, pager, perform, redirect_back
from momentry.core.parsing import parse_uuid

from ..services import replay
from ..services.merging import merge_redo, merge_undo


def entry_undo_url(result):
    """Where the Undo of a write's message posts: its history entry's undo (`result.history`)."""
    return reverse("console:history-undo", args=[result.history.history_id])


def merge_undo_url(result):
    """Where the Undo of a merge's message posts (`result.merge_id`)."""
    return reverse("console:merge-undo", args=[result.merge_id])


def _replay(request, history_id, *, service, verb):
    entry = history_entry_get(history_id)
    perform(
        request,
        lambda: service(history_id=entry.history_id, actor=actor_for(request)),
        success=f"{verb} {entry.action} of {entry.created_at:%Y-%m-%d %H:%M}.",
    )
    return redirect_back(request, reverse("console:identity-history", args=[entry.identity_uuid.hex]))


@login_required
@require_POST
def history_undo_view(request, history_id):
    return _replay(request, history_id, service=replay.history_undo, verb="Undid")


@login_required
@require_POST
def history_redo_view(request, history_id):
    return _replay(request, history_id, service=replay.history_redo, verb="Redid")


@login_required
def merge_list_view(request):
    page = page_number(request)
    filters = {name: parse_uuid(request.GET.get(name, "")) for name in ("source_uuid", "target_uuid")}
    merges_page = merge_history_page(
        page=page,
        page_size=CONSOLE_PAGE_SIZE,
        **{name: value for name, value in filters.items() if value is not None},
    )
    now = merge_clock()
    for record in merges_page.items:
        record["undo_expired"] = merge_is_expired(record, now)
    return render(
        request,
        "console/merge_list.html",
        {
            "merges": merges_page.items,
            "pager": pager(page=page, page_size=CONSOLE_PAGE_SIZE, total=merges_page.total),
        },
    )


@login_required
@require_POST
def merge_undo_view(request, merge_id):
    perform(
        request,
        lambda: merge_undo(merge_id=merge_id, actor=actor_for(request)),
        success=lambda result: (
            f"Undid the merge into {result.target_name}: {result.undone.source.name} restored, "
            f"{result.undone.faces_reverted} faces moved back."
        ),
    )
    return redirect_back(request, reverse("console:merge-list"))


@login_required
@require_POST
def merge_redo_view(request, merge_id):
    perform(
        request,
        lambda: merge_redo(merge_id=merge_id, actor=actor_for(request)),
        success=lambda result: f"Merged {result.source_name} into {result.target_name} again.",
    )
    return redirect_back(request, reverse("console:merge-list"))
