"""The file-level endpoints of pending persons: create one for some traces, list a file's."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apikeys.permissions import actor_for
from faces.selectors import media_file_get
from momentry.api.schema import errors, links
from momentry.api.views import LOCALE_PARAMETER, FileApiView

from ..selectors import pending_persons_for_file
from ..services.pending import pending_person_create
from .file_limits import allowed_file_uuid
from .links import identity_targets, undo_change_targets
from .pending_serializers import (
    PendingPersonCreateRequestSerializer,
    PendingPersonCreateResponseSerializer,
    PendingPersonListResponseSerializer,
    PendingPersonSerializer,
)


class PendingPersonCreateView(FileApiView):
    @extend_schema(
        operation_id="file_pending_person_create",
        summary="Create a pending person in a file",
        request=PendingPersonCreateRequestSerializer,
        responses={
            200: PendingPersonCreateResponseSerializer,
            **errors(
                {
                    400: "trace_ids not a list of integers, or name not a string of at most 255 characters.",
                    403: "The key lacks the file scope, is read-only, or may not see this file.",
                    404: "No file with this uuid, or no trace with one of trace_ids in it.",
                },
                write=True,
                body=True,
            ),
        },
        extensions=links(**identity_targets("/data/identity_uuid"), **undo_change_targets("/data/history_id")),
        description="A pending, manual identity for this file; binds every face of the given traces (404 for an unknown one).",
    )
    def post(self, request, file_uuid):
        file_uuid = allowed_file_uuid(request, file_uuid)
        serializer = PendingPersonCreateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        creation = pending_person_create(
            file_uuid=file_uuid,
            name=serializer.validated_data.get("name") or None,
            trace_ids=serializer.validated_data["trace_ids"],
            actor=actor_for(request),
        )
        identity = creation.identity
        return Response(
            {
                "success": True,
                "message": f"Created pending person: {identity.name} (uuid: {identity.identity_uuid.hex})",
                "data": {
                    "identity_uuid": identity.identity_uuid.hex,
                    "identity_id": identity.pk,
                    "name": identity.name,
                    "bound_traces": creation.bound_traces,
                    "history_id": str(creation.history.history_id),
                },
            }
        )


class PendingPersonListView(FileApiView):
    @extend_schema(
        operation_id="file_pending_persons_list",
        summary="List a file's pending persons",
        parameters=[LOCALE_PARAMETER],
        responses={
            200: PendingPersonListResponseSerializer,
            **errors(
                {
                    403: "The key lacks the file scope, or may not see this file.",
                    404: "No file with this uuid.",
                }
            ),
        },
    )
    def get(self, request, file_uuid):
        """The pending persons (status pending, source manual) created for this file or with faces
        bound in it, oldest first, each with the trace ids bound to it there."""
        media_file = media_file_get(allowed_file_uuid(request, file_uuid))
        rows = [
            {"identity": person, "trace_ids": trace_ids} for person, trace_ids in pending_persons_for_file(media_file)
        ]
        return Response(
            {
                "success": True,
                "message": f"Found {len(rows)} pending persons for {media_file.file_uuid.hex}",
                "data": PendingPersonSerializer(rows, many=True, context=self.serializer_context()).data,
            }
        )
