"""A page of results: page-number paging as the contract defines it (from 1, 1 to 200 per page)."""
from dataclasses import dataclass

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    page_size: int


def page_slice(queryset, *, page, page_size, total=None):
    """Slice an ordered queryset; one COUNT and one SELECT whatever the page size. A page past the
    end is an empty list with the true total."""
    if total is None:
        total = queryset.count()
    offset = (page - 1) * page_size
    items = list(queryset[offset : offset + page_size]) if offset < total else []
    return Page(items=items, total=total, page=page, page_size=page_size)
