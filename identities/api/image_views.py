"""The face and trace images: a face's crop, and a trace's strongest face's (`faces.selectors.images`),
as JPEG bytes with `?size=`, a strong ETag and `private` Cache-Control (`momentry.api.images`).

A key with the file or the identity scope may read them (the identity reads link to them: a face's
`image_url`); a key limited to files gets a 403 for another file, as on `file/:uuid/traces`. Any
failure is the contract's JSON error body, whatever the Accept header asks.
"""
from drf_spectacular.utils import OpenApiParameter, extend_schema

from apikeys.models import Scope
from faces.keys import FACE_ID
from faces.selectors import media_file_get
from faces.selectors.images import face_crop_path, trace_crop_path
from momentry.api.images import SIZE_MAX, SIZE_MIN, image_response, image_schema, image_size
from momentry.api.negotiation import FallbackContentNegotiation
from momentry.api.schema import INT32_SCHEMA
from momentry.api.views import FileApiView

from .file_limits import allowed_file_uuid

BAD_SIZE = f"`size` is not an integer from {SIZE_MIN} to {SIZE_MAX}."
FILE_FORBIDDEN = "The key has neither the file nor the identity scope, or may not see this file."


class _CropImageView(FileApiView):
    required_scopes = (Scope.FILE, Scope.IDENTITY)
    content_negotiation_class = FallbackContentNegotiation

    def crop_response(self, request, file_uuid, find_path):
        file_uuid = allowed_file_uuid(request, file_uuid)
        size = image_size(request.query_params)
        path = find_path(media_file_get(file_uuid))
        return image_response(request, path, content_type="image/jpeg", size=size)


class FaceImageView(_CropImageView):
    @extend_schema(
        operation_id="file_face_image_retrieve",
        summary="Get a face's image",
        **image_schema(
            described={
                400: BAD_SIZE,
                403: FILE_FORBIDDEN,
                404: "No file with this uuid, no such face in it, or the face has no crop.",
            },
            path_parameters=[
                OpenApiParameter(
                    "face_id",
                    {"type": "string", "pattern": f"^(?:{FACE_ID.pattern})$"},
                    OpenApiParameter.PATH,
                    description="`{frame_number}_{index}` as the faces endpoints give it (or `face_{frame_number}`).",
                )
            ],
        ),
    )
    def get(self, request, file_uuid, face_id):
        """The face's crop as a JPEG (`face_id` as the faces endpoints give it), scaled so that its
        longest side is `size` when given."""
        return self.crop_response(request, file_uuid, lambda media_file: face_crop_path(media_file, face_id))


class TraceImageView(_CropImageView):
    @extend_schema(
        operation_id="file_trace_image_retrieve",
        summary="Get a trace's image",
        **image_schema(
            described={
                400: BAD_SIZE,
                403: FILE_FORBIDDEN,
                404: "No file with this uuid, no such trace in it, or none of its best faces has a crop.",
            },
            path_parameters=[OpenApiParameter("trace_id", INT32_SCHEMA, OpenApiParameter.PATH)],
        ),
    )
    def get(self, request, file_uuid, trace_id):
        """The crop of the trace's strongest face (highest confidence × bbox area) as a JPEG. A trace
        bound in parts has a best face in each part; the strongest of those that has a crop is sent."""
        return self.crop_response(request, file_uuid, lambda media_file: trace_crop_path(media_file, trace_id))
