"""URLs of many rows that link to the same view, with one `reverse` for all of them: a reverse a row
cost as much as the rest of the row (20 face links were half a millisecond of a faces page)."""
from django.urls import reverse

# Path arguments for the one reverse, each replaced per row: values the converters accept.
UUID_SENTINEL = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
INT_SENTINEL = 987654321
TEXT_SENTINEL = "momentry-url-sentinel"


def url_maker(viewname, sentinels, *, absolute_for=None):
    """`(*args) -> the URL of viewname with those path arguments`, from one reverse with
    `sentinels` in their places; with `absolute_for` (a request), absolute URLs."""
    url = reverse(viewname, args=sentinels)
    if absolute_for is not None:
        url = absolute_for.build_absolute_uri(url)
    pieces = []
    for sentinel in sentinels:
        head, found, url = url.partition(str(sentinel))
        if not found:
            raise ValueError(f"The URL of {viewname} does not hold its argument {sentinel!r} as given.")
        pieces.append(head)
    tail = url

    def url_of(*args):
        return "".join(f"{piece}{arg}" for piece, arg in zip(pieces, args, strict=True)) + tail

    return url_of
