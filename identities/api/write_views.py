"""Identity curation endpoints: upload, profile image, bind and unbind.

PATCH and DELETE of `/identity/:uuid` live on `IdentityDetailView` (same URL as its GET) and use
`identity_patch_response`/`identity_delete_response` below.
"""
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apikeys.permissions import actor_for, ensure_file_allowed
from momentry.api.images import image_response, image_schema
from momentry.api.negotiation import FallbackContentNegotiation
from momentry.api.schema import errors, links
from momentry.api.views import IdentityApiView

from .. import storage
from ..selectors import identity_get
from ..services import binding, documents, editing, images
from .file_limits import ensure_identity_faces_allowed
from .links import identity_targets, undo_change_targets
from .write_serializers import (
    BindingResponseSerializer,
    FaceBindRequestSerializer,
    IdentityDeleteResponseSerializer,
    IdentityPatchRequestSerializer,
    IdentityPatchResponseSerializer,
    IdentityUploadRequestSerializer,
    IdentityUploadResponseSerializer,
    ProfileImageRequestSerializer,
    ProfileImageResponseSerializer,
    TraceBindRequestSerializer,
    UnbindRequestSerializer,
)

BINDING_ERRORS = errors(
    {
        400: "The body is malformed: file_uuid, face_id or trace_id missing or of the wrong form.",
        403: "The key lacks the scope, is read-only, or may not see this file.",
        404: "No identity with this uuid, no file with file_uuid, or no such face or trace in it.",
    },
    write=True,
    body=True,
)
PATCH_SCHEMA = extend_schema(
    operation_id="identity_partial_update",
    summary="Update an identity",
    request=IdentityPatchRequestSerializer,
    responses={
        200: IdentityPatchResponseSerializer,
        **errors(
            {
                400: "Empty body, unknown field, or a field of the wrong form (blank name, status merged, "
                "metadata not an object, aliases not [{locale, name}], a NUL character).",
                404: "No identity with this uuid.",
                413: "The metadata would be over 1 MiB once merged, or the body is over the upload limit.",
            },
            write=True,
            body=True,
        ),
    },
    description=(
        "Only the given fields change; metadata is merged shallowly into the existing object. Unknown "
        "fields and an empty body are a 400. One history entry, which undo reverts."
    ),
    extensions=links(**identity_targets("/identity_uuid"), **undo_change_targets("/history_id")),
)
DELETE_SCHEMA = extend_schema(
    operation_id="identity_destroy",
    summary="Delete an identity",
    responses={
        200: IdentityDeleteResponseSerializer,
        **errors(
            {
                403: "The key lacks the scope, is read-only, or is limited to files and the identity has "
                "faces in others.",
                404: "No identity with this uuid.",
            },
            write=True,
        ),
    },
    description="Unbinds the identity's faces, deletes it and its files; undo brings all of it back.",
    extensions=links(**undo_change_targets("/history_id")),
)


def identity_patch_response(request, identity_uuid):
    update = editing.identity_update(identity_uuid=identity_uuid, data=request.data, actor=actor_for(request))
    return Response(
        {
            "success": True,
            "identity_uuid": update.identity.identity_uuid.hex,
            "updated_fields": update.updated_fields,
            "history_id": str(update.history.history_id),
        }
    )


def identity_delete_response(request, identity_uuid):
    """A key limited to some files may not delete an identity with faces in other files: the
    delete unbinds every face of it."""
    ensure_identity_faces_allowed(request, identity_uuid, change="deleting this identity")
    deletion = editing.identity_delete(identity_uuid=identity_uuid, actor=actor_for(request))
    return Response(
        {
            "success": True,
            "identity_uuid": deletion.identity_uuid.hex,
            "message": f"Deleted identity '{deletion.name}' ({deletion.faces_unbound} faces unbound)",
            "faces_unbound": deletion.faces_unbound,
            "history_id": str(deletion.history.history_id),
        }
    )


class IdentityUploadView(IdentityApiView):
    @extend_schema(
        operation_id="identity_upload",
        summary="Upload an identity.json document",
        request=IdentityUploadRequestSerializer,
        responses={
            200: IdentityUploadResponseSerializer,
            **errors(
                {
                    400: "The document is malformed: identity_uuid or name missing or of the wrong form, a "
                    "field of the wrong type, an unknown source or status, a NUL character.",
                    409: "The identity is merged into another: its status and metadata.merged_into change "
                    "only when that merge is undone.",
                    413: "The metadata is over 1 MiB, or the body is over the upload limit.",
                },
                write=True,
                body=True,
            ),
        },
        description=(
            "Create or update by identity_uuid, in the identity.json format; metadata is replaced. "
            "Updating an existing identity records a history entry."
        ),
        extensions=links(**identity_targets("/identity_uuid")),
    )
    def post(self, request):
        identity, created = documents.identity_upload(document=request.data, actor=actor_for(request))
        return Response(
            {
                "success": True,
                "identity_uuid": identity.identity_uuid.hex,
                "name": identity.name,
                "message": "Identity uploaded successfully",
                "created": created,
            }
        )


class IdentityProfileImageView(IdentityApiView):
    parser_classes = [MultiPartParser, FormParser]
    content_negotiation_class = FallbackContentNegotiation

    @extend_schema(
        operation_id="identity_profile_image_retrieve",
        summary="Get an identity's profile image",
        **image_schema(
            described={404: "No identity with this uuid, or it has no profile image."},
            content_types=tuple(images.PROFILE_CONTENT_TYPES.values()),
            sized=False,
        ),
    )
    def get(self, request, identity_uuid):
        """The image's bytes with its type (image/jpeg or image/png), whatever the Accept header asks;
        a failure is the JSON error body. Revalidated on every use (an upload or an undo replaces it)."""
        identity = identity_get(identity_uuid)
        path = storage.profile_image_path(identity.identity_uuid)
        missing = f"Identity {identity.identity_uuid.hex} has no profile image."
        if path is None:
            raise Http404(missing)
        content_type = images.PROFILE_CONTENT_TYPES[path.suffix.lstrip(".")]
        return image_response(request, path, content_type=content_type, max_age=0, missing=missing)

    @extend_schema(
        operation_id="identity_profile_image_upload",
        summary="Upload an identity's profile image",
        request={"multipart/form-data": ProfileImageRequestSerializer},
        responses={
            200: ProfileImageResponseSerializer,
            **errors(
                {
                    400: "No image field, or the image is corrupt or truncated.",
                    404: "No identity with this uuid.",
                    413: "The image is over MOMENTRY_PROFILE_IMAGE_MAX_BYTES or MOMENTRY_PROFILE_IMAGE_MAX_PIXELS.",
                    415: "The body is not multipart/form-data, or the image is neither JPEG nor PNG.",
                },
                write=True,
                negotiates=False,
            ),
        },
        extensions=links(**undo_change_targets("/history_id")),
        description=(
            "JPEG or PNG told by the bytes (415 otherwise); 413 above MOMENTRY_PROFILE_IMAGE_MAX_BYTES "
            "or MOMENTRY_PROFILE_IMAGE_MAX_PIXELS; 400 without the image field or for a corrupt image."
        ),
    )
    def post(self, request, identity_uuid):
        change = images.identity_profile_image_set(
            identity_uuid=identity_uuid, upload=request.FILES.get("image"), actor=actor_for(request)
        )
        return Response(
            {
                "success": True,
                "identity_uuid": change.identity.identity_uuid.hex,
                "url": request.build_absolute_uri(
                    reverse("api:identity-profile-image", args=[change.identity.identity_uuid.hex])
                ),
                "message": f"Profile image saved: {change.path.name}",
                "history_id": str(change.history.history_id),
            }
        )


def _binding_response(change, message):
    """`history_id` is null, and the message says so, when no face changed (nothing was recorded)."""
    history_id = str(change.history.history_id) if change.history else None
    if not change.rows_affected:
        message = f"Nothing changed: {message[0].lower()}{message[1:]} already"
    return Response(
        {"success": True, "message": message, "data": {"rows_affected": change.rows_affected, "history_id": history_id}}
    )


def _validated(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    ensure_file_allowed(request, serializer.validated_data["file_uuid"])
    return serializer.validated_data


class IdentityBindView(IdentityApiView):
    @extend_schema(
        operation_id="identity_bind_face",
        summary="Bind one face to an identity",
        request=FaceBindRequestSerializer,
        responses={200: BindingResponseSerializer, **BINDING_ERRORS},
        description=(
            "Bind one face, `{frame}_{index}` (or `face_{frame}` for index 0), whoever had it. "
            "Nothing changes, and nothing is recorded, when it is bound to this identity already."
        ),
        extensions=links(**undo_change_targets("/data/history_id")),
    )
    def post(self, request, identity_uuid):
        body = _validated(FaceBindRequestSerializer, request)
        frame_number, index = body["face_id"]
        change = binding.face_bind(
            identity_uuid=identity_uuid,
            file_uuid=body["file_uuid"],
            frame_number=frame_number,
            index=index,
            actor=actor_for(request),
        )
        return _binding_response(
            change, f"Bound face {frame_number}_{index} of {body['file_uuid'].hex} to {change.identity.name}"
        )


class IdentityTraceBindView(IdentityApiView):
    @extend_schema(
        operation_id="identity_bind_trace",
        summary="Bind a whole trace to an identity",
        request=TraceBindRequestSerializer,
        responses={200: BindingResponseSerializer, **BINDING_ERRORS},
        description="Bind every face of a trace with one UPDATE, whoever had them; one history entry.",
        extensions=links(**undo_change_targets("/data/history_id")),
    )
    def post(self, request, identity_uuid):
        body = _validated(TraceBindRequestSerializer, request)
        change = binding.trace_bind(
            identity_uuid=identity_uuid, file_uuid=body["file_uuid"], trace_id=body["trace_id"], actor=actor_for(request)
        )
        return _binding_response(
            change, f"Bound trace {body['trace_id']} of {body['file_uuid'].hex} to {change.identity.name}"
        )


class IdentityUnbindView(IdentityApiView):
    @extend_schema(
        operation_id="identity_unbind",
        summary="Unbind a face or a trace from an identity",
        request=UnbindRequestSerializer,
        responses={200: BindingResponseSerializer, **BINDING_ERRORS},
        description=(
            "Unbind one face (`face_id`) or a whole trace (`trace_id`), exactly one of them; only faces "
            "bound to this identity are touched."
        ),
        extensions=links(**undo_change_targets("/data/history_id")),
    )
    def post(self, request, identity_uuid):
        body = _validated(UnbindRequestSerializer, request)
        frame_number, index = body.get("face_id", (None, None))
        change = binding.faces_unbind(
            identity_uuid=identity_uuid,
            file_uuid=body["file_uuid"],
            frame_number=frame_number,
            index=index,
            trace_id=body.get("trace_id"),
            actor=actor_for(request),
        )
        what = f"trace {body['trace_id']}" if "trace_id" in body else f"face {frame_number}_{index}"
        return _binding_response(change, f"Unbound {what} of {body['file_uuid'].hex} from {change.identity.name}")
