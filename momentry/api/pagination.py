"""Page-number pagination as the contract defines it.

`page` from 1, `page_size` from 1 to 200; a page past the end is an empty list with the true
total; malformed values are a 400.
"""
from dataclasses import dataclass

from .params import int_param

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    page_size: int


def page_params(params, *, default_size):
    page = int_param(params, "page", default=1, minimum=1)
    page_size = int_param(params, "page_size", default=default_size, minimum=1, maximum=MAX_PAGE_SIZE)
    return page, page_size


def paginate(queryset, params, *, default_size, total=None):
    """Slice an ordered queryset; one COUNT and one SELECT whatever the page size."""
    page, page_size = page_params(params, default_size=default_size)
    if total is None:
        total = queryset.count()
    offset = (page - 1) * page_size
    items = list(queryset[offset : offset + page_size]) if offset < total else []
    return Page(items=items, total=total, page=page, page_size=page_size)
