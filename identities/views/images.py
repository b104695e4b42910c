"""The console's face and trace images, for `<img>` tags: the crops as the API serves them
(`momentry.api.images`: `?size=`, ETag, Cache-Control), behind the curator's session.

An unknown file, face or trace is a 404, as anywhere in the console; a known one whose crop is not
cut yet is a redirect to a neutral silhouette (static, `no-cache` here so the crop shows once it
exists), so pages never show a broken image while crops are being extracted.
"""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from rest_framework.exceptions import ValidationError

from faces.selectors import media_file_get
from faces.selectors.images import NoCrop, face_crop_path, trace_crop_path
from momentry.api.images import SIZE_MAX, SIZE_MIN, image_response, image_size
from momentry.core.parsing import uuid_from_path

PLACEHOLDER = "console/face-placeholder.svg"


def _crop_response(request, find_path):
    try:
        size = image_size(request.GET)
    except ValidationError:
        raise BadRequest(f"size must be an integer from {SIZE_MIN} to {SIZE_MAX}.") from None
    try:
        path = find_path()
    except NoCrop:
        response = HttpResponseRedirect(static(PLACEHOLDER))
        response["Cache-Control"] = "private, no-cache"
        return response
    return image_response(request, path, content_type="image/jpeg", size=size)


@login_required
def face_image_view(request, file_uuid, face_id):
    media_file = media_file_get(uuid_from_path(file_uuid, what="file"))
    return _crop_response(request, lambda: face_crop_path(media_file, face_id))


@login_required
def trace_image_view(request, file_uuid, trace_id):
    media_file = media_file_get(uuid_from_path(file_uuid, what="file"))
    return _crop_response(request, lambda: trace_crop_path(media_file, trace_id))
