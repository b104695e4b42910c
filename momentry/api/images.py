"""Serving an image file over HTTP: one path on disk, optionally scaled, with a strong ETag and
Cache-Control, for the API's views and the console's alike (no app imports: callers find the path).

- `?size=` (`image_size`) is the longest side in pixels, SIZE_MIN to SIZE_MAX; without it the file
  is sent as it is stored. Scaling is done per request with Pillow, so nothing is written beside
  the images and nothing can go stale: from a 160×200 or 320×400 crop, about 1 ms at 128 and
  20-30 ms at 512 (mostly the encoding) on a busy 2-CPU machine, and clients keep what they got
  for `max_age`, then revalidate for a 304.
- The ETag is the opened file's identity as the service writes it (an image is replaced whole, by
  a rename: a new mtime) and its length, with the size asked for: `"<mtime_ns>-<bytes>-<size>"` (hex).
  A matching If-None-Match is a 304 with the same ETag and Cache-Control and no body.
- Cache-Control is `private` (an API key or a session decides who may see an image, so no shared
  cache may keep one), with a `max_age` after which a client must revalidate (`no-cache`: always).
- The bytes are labelled with the image's type, or `application/octet-stream` when the Accept
  header prefers it: generated clients read a body of that type as a file, and most of them none
  of an `image/*` type (openapi-python-client parses such an answer as the JSON error body).
"""
import io
import os

from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from PIL import Image

from .params import int_param
from .schema import errors

SIZE_MIN, SIZE_MAX = 64, 512
# Crops change only when they are cut again (a re-ingest, extract_crops): an hour, then a 304.
CROP_MAX_AGE = 3600
JPEG_QUALITY = 85
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
OCTET_STREAM = "application/octet-stream"


def image_size(params, name="size"):
    """The `size` query parameter: the longest side asked for, or None for the stored image; a
    malformed or out-of-range value is a 400 naming it (DRF's ValidationError)."""
    return int_param(params, name, minimum=SIZE_MIN, maximum=SIZE_MAX)


def _scaled(source, size, content_type):
    """The image of the open file `source` scaled so that its longest side is `size`, encoded again."""
    with Image.open(source) as image:
        width, height = image.size
        scale = size / max(width, height)
        target = (max(1, round(width * scale)), max(1, round(height * scale)))
        image.draft("RGB", target)  # a JPEG decodes at the smallest DCT scale at least this large
        pillow_format = PILLOW_FORMATS[content_type]
        if pillow_format == "JPEG" and image.mode != "RGB":
            image = image.convert("RGB")
        scaled = image.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)
    output = io.BytesIO()
    scaled.save(output, pillow_format, **({"quality": JPEG_QUALITY} if pillow_format == "JPEG" else {}))
    return output.getvalue()


def image_response(request, path, *, content_type, size=None, max_age=CROP_MAX_AGE, missing="No image."):
    """The response for the image at `path`: its bytes (scaled to `size` when given), or a 304 for
    a matching If-None-Match; Http404(`missing`) when there is no file at `path`."""
    try:
        source = open(path, "rb")  # noqa: SIM115  (a FileResponse closes it)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise Http404(missing) from None
    stat = os.fstat(source.fileno())  # of the file opened, even if another replaces it meanwhile
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}-{size or 0}"'
    cache_control = f"private, max-age={max_age}, must-revalidate" if max_age else "private, no-cache"
    labelled = request.get_preferred_type([content_type, OCTET_STREAM]) or content_type
    response = get_conditional_response(request, etag=etag)
    if response is not None:
        source.close()
    elif size is None:
        response = FileResponse(source, content_type=labelled)
    else:
        with source:
            response = HttpResponse(_scaled(source, size, content_type), content_type=labelled)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    patch_vary_headers(response, ["Accept"])
    return response


# --- schema ------------------------------------------------------------------------------------

SIZE_PARAMETER = OpenApiParameter(
    "size",
    {"type": "integer", "minimum": SIZE_MIN, "maximum": SIZE_MAX},
    description=f"The longest side in pixels, {SIZE_MIN} to {SIZE_MAX}; without it, the image as stored.",
)
_CACHE_HEADERS = [
    OpenApiParameter(
        "If-None-Match",
        str,
        OpenApiParameter.HEADER,
        description="An ETag this operation sent for the same image and size: 304 while it still matches.",
    ),
    OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="Strong; changes when the image is replaced or another size is asked.",
    ),
    OpenApiParameter(
        "Cache-Control",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="`private` (the key decides who may see it), with how long before revalidating.",
    ),
]


def image_schema(*, described, content_types=("image/jpeg",), sized=True, path_parameters=()):
    """`extend_schema` keywords of an operation answering an image (`image_response`): the bytes,
    typed `format: binary` under each of `content_types` and `application/octet-stream` (which
    generated clients read as a file, see the module); a 304 without a body for If-None-Match; the
    JSON error body for the 4xx `described` and the key's 401 and 403 (an image operation never
    refuses an Accept header, see `FallbackContentNegotiation`); `?size=` unless not `sized`; and
    the operation's `path_parameters`."""
    responses = {
        (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The image's bytes.")
        for content_type in (*content_types, OCTET_STREAM)
    }
    responses[304] = OpenApiResponse(description="If-None-Match named the image's current ETag: no body.")
    responses.update(errors(described, negotiates=False, media_type="application/json"))
    parameters = [*path_parameters, *([SIZE_PARAMETER] if sized else []), *_CACHE_HEADERS]
    return {"parameters": parameters, "responses": responses}
