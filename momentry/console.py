"""What the curator console's views share: paging without 400s, running a service with its
refusal shown to the curator instead of an error page, and success messages that can be undone."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from momentry.core.errors import ApplicationError, error_message
from momentry.core.paging import page_slice
from momentry.core.parsing import parse_int

CONSOLE_PAGE_SIZE = 50
# Beyond this a page number is malformed: its OFFSET would overflow the database's 64-bit integer.
MAX_PAGE_NUMBER = 2**31 - 1


def page_number(request, name="page"):
    """A page number from the query string; anything malformed or absurdly large is page 1."""
    page = parse_int(request.GET.get(name, "1"))
    return page if page is not None and 1 <= page <= MAX_PAGE_NUMBER else 1


def pager(*, page, page_size, total, name="page"):
    pages = max(1, -(-total // page_size))
    return {
        "page": page,
        "pages": pages,
        "total": total,
        "name": name,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < pages else None,
    }


def page_of(request, queryset, *, page_size=CONSOLE_PAGE_SIZE, name="page"):
    """One page of a queryset for a console list: `(items, pager)`; a COUNT and a SELECT."""
    result = page_slice(queryset, page=page_number(request, name), page_size=page_size)
    return result.items, pager(page=result.page, page_size=page_size, total=result.total, name=name)


def perform(request, action, *, success):
    """Run a service; on refusal show why. Returns the service's result, or None if refused."""
    try:
        result = action()
    except (ValidationError, ApplicationError, Http404) as exc:
        messages.error(request, error_message(exc))
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def with_undo(request, text, *, undo_url, back):
    """A success message with its own Undo button, which posts to `undo_url` and returns to `back`.

    A message is rendered as it was stored, outside any form, so the button carries the CSRF token.
    """
    return format_html(
        '{} <form method="post" action="{}" class="inline undo">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}"><button class="link">Undo</button></form>',
        text,
        undo_url,
        get_token(request),
        back,
    )


def search(request, query):
    """Run a console search; a refused query (`ValidationError`) is shown to the curator, with no results."""
    try:
        return query()
    except ValidationError as exc:
        messages.error(request, error_message(exc))
        return []


def back_url(request, fallback):
    """The page the form was on (the `next` field) when it is on this site, else `fallback` (a URL)."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def redirect_back(request, fallback):
    """Back to the page the form was on (the `next` field), or to `fallback` (a URL).

    `next` is a URL, never a view name: `redirect()` would try to reverse a bare word and fail.
    """
    return HttpResponseRedirect(back_url(request, fallback))
