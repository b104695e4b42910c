"""`url_maker`: one reverse standing for many, giving exactly the URLs reverse gives."""
import pytest
from django.test import RequestFactory
from django.urls import reverse

from momentry.core.urls import INT_SENTINEL, TEXT_SENTINEL, UUID_SENTINEL, url_maker


@pytest.mark.parametrize(
    ("file_hex", "face_id"),
    [("0123456789abcdef0123456789abcdef", "0_0"), ("ffffffffffffffffffffffffffffffff", "123456_7")],
)
def test_url_maker_gives_what_reverse_gives(file_hex, face_id):
    face_url = url_maker("api:file-face-image", [UUID_SENTINEL, TEXT_SENTINEL])
    assert face_url(file_hex, face_id) == reverse("api:file-face-image", args=[file_hex, face_id])


def test_url_maker_makes_absolute_urls_for_a_request():
    request = RequestFactory().get("/")  # host "testserver"
    trace_url = url_maker("api:file-trace-image", [UUID_SENTINEL, INT_SENTINEL], absolute_for=request)
    file_hex = "0123456789abcdef0123456789abcdef"
    assert trace_url(file_hex, 42) == "http://testserver" + reverse("api:file-trace-image", args=[file_hex, 42])


def test_url_maker_needs_every_argument():
    face_url = url_maker("api:file-face-image", [UUID_SENTINEL, TEXT_SENTINEL])
    with pytest.raises(ValueError):
        face_url("0123456789abcdef0123456789abcdef")


def test_url_maker_refuses_a_sentinel_the_url_does_not_hold_as_given():
    with pytest.raises(ValueError, match="does not hold"):  # quoted in the URL as a%20b
        url_maker("api:file-face-image", [UUID_SENTINEL, "a b"])
