"""Page-number pagination of the API: `page` from 1, `page_size` from 1 to 200; malformed values
are a 400."""
from momentry.core.paging import MAX_PAGE_SIZE, page_slice

from .params import int_param


def page_params(params, *, default_size):
    page = int_param(params, "page", default=1, minimum=1)
    page_size = int_param(params, "page_size", default=default_size, minimum=1, maximum=MAX_PAGE_SIZE)
    return page, page_size


def paginate(queryset, params, *, default_size, total=None):
    """One page of an ordered queryset for the request's paging parameters."""
    page, page_size = page_params(params, default_size=default_size)
    return page_slice(queryset, page=page, page_size=page_size, total=total)
