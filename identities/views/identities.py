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
from faces.selectors import identity_chunk_page, identity_file_summaries, identity_trace_page
from faces.selectors.images import identity_best_faces
from history.selectors import history_entries_involving
from momentry.console import CONSOLE_PAGE_SIZE, back_url, page_number, page_of, pager, perform, search, with_undo
from momentry.core.errors import error_message
from momentry.core.parsing import parse_int, parse_uuid

from .. import storage
from ..forms import AliasForm, IdentityEditForm, MetadataForm
from ..models import Identity, IdentityStatus
from ..selectors import (
    IDENTITY_SORTS,
    history_described,
    identity_figures,
    identity_get,
    identity_history,
    identity_list,
    identity_list_sorted,
)
from ..services import binding, editing, images, merging
from .history import entry_undo_url, merge_undo_url

TRACES_PER_PAGE = 20
CHUNKS_PER_PAGE = 20
HISTORY_PER_PAGE = 10
MERGE_CANDIDATES = 20
BEST_FACES = 12


# The list's columns that sort, with the direction a first click asks for (figures and changes: most first).
SORT_COLUMNS = [
    ("name", "Name", "name"),
    ("faces", "Faces", "-faces"),
    ("screen_time", "Screen time", "-screen_time"),
    ("status", "Status", "status"),
    ("changed", "Changed", "-changed"),
]


def sort_links(request, sort):
    """The header links of the sortable columns: each keeps the filters, and a second click on the
    column sorted by reverses it. `(key, label, href, arrow)`."""
    query = request.GET.copy()
    query.pop("page", None)
    links = []
    for key, label, first in SORT_COLUMNS:
        current = sort.lstrip("-") == key
        query["sort"] = (key if sort.startswith("-") else f"-{key}") if current else first
        arrow = ("↓" if sort.startswith("-") else "↑") if current else ""
        links.append({"key": key, "label": label, "href": f"?{query.urlencode()}", "arrow": arrow})
    return links


@login_required
def identity_list_view(request):
    filters = request.GET.copy()
    filters.pop("page", None)
    sort = filters.pop("sort", ["name"])[-1] or "name"
    if sort.lstrip("-") not in IDENTITY_SORTS:
        sort = "name"
    try:
        identities = identity_list(filters=filters)
    except ValidationError as exc:
        messages.error(request, error_message(exc))
        identities = Identity.objects.none()
    identities, identities_pager = page_of(request, identity_list_sorted(identities, sort))
    return render(
        request,
        "console/identity_list.html",
        {
            "identities": identities,
            "pager": identities_pager,
            "filters": filters,
            "sort": sort,
            "sort_links": sort_links(request, sort),
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


def _identity_context(identity):
    """The figures the identity's pages and confirmations show: faces, traces, files, screen time."""
    return identity_figures([identity])[identity.pk]


def _aliases(identity):
    aliases = identity.metadata.get("aliases") if isinstance(identity.metadata, dict) else None
    return [alias for alias in aliases if isinstance(alias, dict)] if isinstance(aliases, list) else []


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
            "figures": _identity_context(identity),
            "files": files,
            "metadata_form": MetadataForm(
                initial={"metadata": json.dumps(identity.metadata, indent=2, ensure_ascii=False)}
            ),
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
            "aliases": _aliases(identity),
            "best_faces": identity_best_faces(identity, limit=BEST_FACES),
        },
    )


def history_page(request, identity_uuid, *, page_size):
    """A page of the entries involving an identity (its own, and other identities' writes that
    took faces from it or gave it faces), each as a diff with its undo or redo when next."""
    entries = history_entries_involving(identity_uuid)
    entries, history_pager = page_of(request, entries, page_size=page_size, name="history")
    return {
        "history_entries": history_described(entries),
        "history_pager": history_pager,
        "history_identity_uuid": identity_uuid,
    }


def _detail_url(identity_uuid):
    return reverse("console:identity-detail", args=[identity_uuid.hex])


def _undo_entry(request, result, text, *, back):
    """A success message whose Undo button undoes the write's history entry, then returns to `back`."""
    return with_undo(request, text, undo_url=entry_undo_url(result), back=back)


def _form_errors(form):
    return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())


@login_required
@require_POST
def identity_edit_view(request, identity_uuid):
    identity = identity_get(identity_uuid)
    back = _detail_url(identity.identity_uuid)
    form = IdentityEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        perform(
            request,
            lambda: editing.identity_update(
                identity_uuid=identity.identity_uuid, data=form.changes(), actor=actor_for(request)
            ),
            success=lambda result: _undo_entry(
                request, result, f"Saved {', '.join(result.updated_fields)}.", back=back
            ),
        )
    return redirect(back)


@login_required
@require_POST
def identity_alias_view(request, identity_uuid):
    """Add, change or remove one alias; the whole list goes through the same checks as a PATCH."""
    identity = identity_get(identity_uuid)
    back = _detail_url(identity.identity_uuid) + "#aliases"
    form = AliasForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(back)
    edit = form.edit()

    def said(result):
        alias, expected = edit.get("alias"), edit.get("expected")
        if alias is None:
            text = f"Removed the alias {expected['name']!r} ({expected['locale']})."
        elif expected is None:
            text = f"Added the alias {alias['name']!r} ({alias['locale']})."
        else:
            text = (
                f"Changed the alias {expected['name']!r} ({expected['locale']}) "
                f"to {alias['name']!r} ({alias['locale']})."
            )
        return _undo_entry(request, result, text, back=back)

    perform(
        request,
        lambda: editing.identity_alias_edit(identity_uuid=identity.identity_uuid, actor=actor_for(request), **edit),
        success=said,
    )
    return redirect(back)


@login_required
@require_POST
def identity_metadata_view(request, identity_uuid):
    """Replace the metadata with the editor's JSON object; refused as a whole, with why, on any error."""
    identity = identity_get(identity_uuid)
    back = _detail_url(identity.identity_uuid) + "#metadata"
    form = MetadataForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(back)
    perform(
        request,
        lambda: editing.identity_metadata_replace(
            identity_uuid=identity.identity_uuid, metadata=form.cleaned_data["metadata"], actor=actor_for(request)
        ),
        success=lambda result: _undo_entry(request, result, "Saved the metadata.", back=back),
    )
    return redirect(back)


@login_required
def identity_delete_view(request, identity_uuid):
    """GET asks (saying what the delete does to the faces), POST deletes."""
    identity = identity_get(identity_uuid)
    if request.method != "POST":
        return render(
            request,
            "console/identity_confirm.html",
            {
                "identity": identity,
                "figures": _identity_context(identity),
                "action": "delete",
                "confirm_url": reverse("console:identity-delete", args=[identity.identity_uuid.hex]),
            },
        )
    history_url = reverse("console:identity-history", args=[identity.identity_uuid.hex])
    deleted = perform(
        request,
        lambda: editing.identity_delete(identity_uuid=identity.identity_uuid, actor=actor_for(request)),
        success=lambda result: _undo_entry(
            request, result, f"Deleted {result.name!r} ({result.faces_unbound} faces unbound).", back=history_url
        ),
    )
    if deleted is None:
        return redirect(_detail_url(identity.identity_uuid))
    return redirect(history_url)


@login_required
@require_POST
def trace_unbind_view(request, identity_uuid):
    identity = identity_get(identity_uuid)
    back = back_url(request, _detail_url(identity.identity_uuid))
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
            success=lambda result: _undo_entry(
                request, result, f"Unbound trace {trace_id}: {result.rows_affected} faces.", back=back
            ),
        )
    return redirect(back)


@login_required
def identity_merge_view(request, identity_uuid):
    """GET asks ("Merge A (312 faces in 14 traces) into B?"), POST merges; the message can undo it."""
    identity = identity_get(identity_uuid)
    params = request.POST if request.method == "POST" else request.GET
    target_uuid = parse_uuid(params.get("into_uuid", ""))
    if target_uuid is None:
        messages.error(request, "Choose the identity to merge into.")
        return redirect(_detail_url(identity.identity_uuid))
    if request.method != "POST":
        target = identity_get(target_uuid.hex)
        figures = identity_figures([identity, target])
        return render(
            request,
            "console/identity_confirm.html",
            {
                "identity": identity,
                "figures": figures[identity.pk],
                "target": target,
                "target_figures": figures[target.pk],
                "action": "merge",
                "confirm_url": reverse("console:identity-merge", args=[identity.identity_uuid.hex]),
            },
        )
    keep_history = request.POST.get("keep_history") == "on"
    target_url = _detail_url(target_uuid)

    def said(result):
        text = f"Merged {result.source_name!r} into {result.target_name!r} ({result.faces_transferred} faces)."
        return with_undo(request, text, undo_url=merge_undo_url(result), back=target_url)

    merged = perform(
        request,
        lambda: merging.identity_merge(
            identity_uuid=identity.identity_uuid,
            into_uuid=target_uuid,
            keep_history=keep_history,
            actor=actor_for(request),
        ),
        success=said,
    )
    return redirect(target_url if merged is not None else _detail_url(identity.identity_uuid))


@login_required
def identity_history_view(request, identity_uuid):
    """The history of an identity, also after it was deleted (so the delete can be undone)."""
    parsed, _entries = identity_history(identity_uuid)
    history = history_page(request, parsed, page_size=CONSOLE_PAGE_SIZE)
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


