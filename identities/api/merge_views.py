"""mergeinto and mergefrom, the undo and redo of a merge, and the merge history."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apikeys.permissions import actor_for
from history.merge_records import merge_clock, merge_history_page
from momentry.api.exceptions import api_error
from momentry.api.pagination import page_params
from momentry.api.params import bool_param, uuid_from_body
from momentry.api.schema import UUID_PATTERN, errors, links
from momentry.api.views import IdentityApiView, page_parameters
from momentry.core.parsing import uuid_from_path

from ..services import merging
from .file_limits import ensure_identity_faces_allowed, ensure_merge_replay_allowed
from .links import redo_merge_targets, undo_merge_targets
from .merge_serializers import (
    FAILED,
    MERGED,
    MergeFromRequestSerializer,
    MergeFromResponseSerializer,
    MergeHistoryResponseSerializer,
    MergeIntoRequestSerializer,
    MergeResponseSerializer,
    MergeUndoResponseSerializer,
)

MERGE_HISTORY_DEFAULT_PAGE_SIZE = 20
MERGE_REPLAY_FORBIDDEN = (
    "The key lacks the scope, is read-only, or is limited to files and the merge would move faces of others."
)


def _merge_response(merge, message):
    return Response(
        MergeResponseSerializer(
            {
                "success": True,
                "message": message,
                "data": {
                    "merge_id": merge.merge_id,
                    "faces_transferred": merge.faces_transferred,
                    "aliases_added": merge.aliases_added,
                    "metadata_fields_added": merge.metadata_fields_added,
                },
            }
        ).data
    )


def _outcome(merge):
    return "history kept" if merge.keep_history else "source deleted"


class MergeIntoView(IdentityApiView):
    @extend_schema(
        operation_id="identity_merge_into",
        summary="Merge an identity into another",
        request=MergeIntoRequestSerializer,
        responses={
            200: MergeResponseSerializer,
            **errors(
                {
                    400: "into_uuid missing or malformed, keep_history not a boolean, a merge into itself, "
                    "into a merged identity, or of a merged identity.",
                    403: "The key lacks the scope, is read-only, or is limited to files and the identity has "
                    "faces in others.",
                    404: "No identity with this uuid, or none with into_uuid.",
                    413: "The target's metadata would be over 1 MiB, or the body is over the upload limit.",
                },
                write=True,
                body=True,
            ),
        },
        extensions=links(**undo_merge_targets("/data/merge_id")),
        description=(
            "Moves every face of this identity to `into_uuid`, adds its aliases (tagged source: merge) and "
            "the metadata the target lacks (deep merge; the target's values win), then marks this identity "
            "`merged` or deletes it. 404 for an unknown identity; 400 for a merge into itself, into a merged "
            "identity, of a merged identity, or a malformed body."
        ),
    )
    def post(self, request, identity_uuid):
        serializer = MergeIntoRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Every face of the source moves: a key limited to some files may not when some are elsewhere.
        ensure_identity_faces_allowed(request, identity_uuid, change="merging this identity")
        merge = merging.identity_merge(
            identity_uuid=identity_uuid,
            into_uuid=serializer.validated_data["into_uuid"],
            keep_history=serializer.validated_data["keep_history"],
            actor=actor_for(request),
        )
        message = (
            f"Merged '{merge.source_name}' into '{merge.target_name}' "
            f"({merge.faces_transferred} faces transferred, {_outcome(merge)})"
        )
        return _merge_response(merge, message)


def _merge_from_source(request, source_uuid, *, target_uuid, keep_history):
    """One source of a mergefrom as mergeinto of it would go (the key's file limit, then the merge),
    answered as an item: a refusal becomes the code and message the request would have had."""
    try:
        ensure_identity_faces_allowed(request, source_uuid, change=f"merging identity {source_uuid.hex}")
        merge = merging.identity_merge(
            identity_uuid=source_uuid, into_uuid=target_uuid, keep_history=keep_history, actor=actor_for(request)
        )
    except Exception as exc:
        error = api_error(exc)
        if error is None:
            raise
        error_body = {"code": error.code, "message": error.message}
        return {"source_uuid": source_uuid.hex, "status": FAILED, "error": error_body}
    return {
        "source_uuid": source_uuid.hex,
        "status": MERGED,
        "merge_id": merge.merge_id,
        "faces_transferred": merge.faces_transferred,
        "aliases_added": merge.aliases_added,
        "metadata_fields_added": merge.metadata_fields_added,
    }


class MergeFromView(IdentityApiView):
    @extend_schema(
        operation_id="identity_merge_from",
        summary="Merge several identities into this one",
        request=MergeFromRequestSerializer,
        responses={
            200: MergeFromResponseSerializer,
            207: OpenApiResponse(
                MergeFromResponseSerializer,
                description="Some sources did not merge: their items say why; the others merged.",
            ),
            **errors(
                {
                    400: "Nothing merged: the body is not an object; source_uuids missing, not a list, empty, over "
                    "100, with an entry that is not a uuid, twice the same uuid or this identity; keep_history not "
                    "a boolean; or this identity is merged.",
                    404: "No identity with this uuid.",
                },
                write=True,
                body=True,
            ),
        },
        extensions=links(**undo_merge_targets("/results/0/merge_id")),
        description=(
            "Merges each of `source_uuids` into this identity, in the order given, as mergeinto of it would: "
            "each its own merge, with its own `merge_id` and undo. A source that cannot merge (unknown, merged "
            "already, with faces in files a file-limited key may not change, ...) is an `error` item with the "
            "code mergeinto would answer, and the others still merge; a failure leaves the merges before it "
            "standing. 200 when every source merged, 207 otherwise; 400 (nothing merged) for a malformed body, "
            "404 for an unknown identity."
        ),
    )
    def post(self, request, target_uuid):
        target_uuid = uuid_from_path(target_uuid, what="identity")
        serializer = MergeFromRequestSerializer(data=request.data, context={"target_uuid": target_uuid})
        serializer.is_valid(raise_exception=True)
        merging.merge_target_check(identity_uuid=target_uuid)
        results = [
            _merge_from_source(
                request, source_uuid, target_uuid=target_uuid, keep_history=serializer.validated_data["keep_history"]
            )
            for source_uuid in serializer.validated_data["source_uuids"]
        ]
        merged = sum(result["status"] == MERGED for result in results)
        body = {
            "success": merged == len(results),
            "target_uuid": target_uuid.hex,
            "merged": merged,
            "failed": len(results) - merged,
            "results": results,
        }
        return Response(
            MergeFromResponseSerializer(body).data,
            status=status.HTTP_200_OK if body["success"] else status.HTTP_207_MULTI_STATUS,
        )


class MergeUndoView(IdentityApiView):
    @extend_schema(
        operation_id="identity_merge_undo",
        summary="Undo a merge",
        request=None,
        responses={
            200: MergeUndoResponseSerializer,
            **errors(
                {
                    400: "The merge is undone already, its undo window has passed, or an identity it needs is gone.",
                    403: MERGE_REPLAY_FORBIDDEN,
                    404: "No merge with this merge_id.",
                },
                write=True,
            ),
        },
        extensions=links(**redo_merge_targets("/data/merge_id")),
        description=(
            "Within the undo window: faces the merge moved and still on the target go back, the aliases and "
            "metadata paths it added leave the target (a value edited since stays), the source is restored. "
            "400 when undone already or expired, 404 for an unknown merge."
        ),
    )
    def post(self, request, merge_id):
        ensure_merge_replay_allowed(request, merge_id, undo=True)
        result = merging.merge_undo(merge_id=merge_id, actor=actor_for(request))
        undone = result.undone
        message = f"Undo merge completed: '{undone.source.name}' restored, {undone.faces_reverted} faces reverted"
        if undone.faces_not_reverted:
            message += f"; {undone.faces_not_reverted} faces had left '{result.target_name}' and stay where they are"
        body = {
            "success": True,
            "message": message,
            "data": {
                "merge_id": result.merge_id,
                "source_identity_restored": {
                    "uuid": undone.source.identity_uuid.hex,
                    "name": undone.source.name,
                    "status": undone.source.status,
                },
                "faces_reverted": undone.faces_reverted,
                "faces_not_reverted": undone.faces_not_reverted,
                "faces_moved_away": undone.faces_moved_away,
                "aliases_removed_from_target": undone.aliases_removed,
                "metadata_fields_removed_from_target": undone.metadata_fields_removed,
            },
        }
        return Response(MergeUndoResponseSerializer(body).data)


class MergeRedoView(IdentityApiView):
    @extend_schema(
        operation_id="identity_merge_redo",
        summary="Redo an undone merge",
        request=None,
        responses={
            200: MergeResponseSerializer,
            **errors(
                {
                    400: "The merge is not undone, or can no longer be made (an identity gone or merged since).",
                    403: MERGE_REPLAY_FORBIDDEN,
                    404: "No merge with this merge_id.",
                },
                write=True,
            ),
        },
        extensions=links(**undo_merge_targets("/data/merge_id")),
        description=(
            "Merges an undone merge again, from the identities as they are now; a new undo window starts. "
            "400 when the merge is not undone or can no longer be made, 404 for an unknown merge."
        ),
    )
    def post(self, request, merge_id):
        ensure_merge_replay_allowed(request, merge_id, undo=False)
        merge = merging.merge_redo(merge_id=merge_id, actor=actor_for(request))
        message = (
            f"Redo merge completed: '{merge.source_name}' merged into '{merge.target_name}' again "
            f"({merge.faces_transferred} faces transferred, {_outcome(merge)})"
        )
        return _merge_response(merge, message)


class MergeHistoryView(IdentityApiView):
    @extend_schema(
        operation_id="identity_merge_history",
        summary="List merges",
        parameters=[
            OpenApiParameter(
                "source_uuid", str, pattern=UUID_PATTERN, description="Merges of this identity."
            ),
            OpenApiParameter(
                "target_uuid", str, pattern=UUID_PATTERN, description="Merges into this identity."
            ),
            OpenApiParameter("merge_id", str, pattern=UUID_PATTERN, description="One merge."),
            OpenApiParameter("undone", bool, description="Only undone (true) or standing (false) merges."),
            *page_parameters(default_size=MERGE_HISTORY_DEFAULT_PAGE_SIZE),
        ],
        responses={
            200: MergeHistoryResponseSerializer,
            **errors({400: "A uuid, `undone`, `page` or `page_size` is malformed or out of range."}),
        },
        extensions=links(**undo_merge_targets("/results/0/merge_id"), **redo_merge_targets("/results/0/merge_id")),
    )
    def get(self, request):
        """Merges newest first, 20 a page by default."""
        params = request.query_params
        page_number, page_size = page_params(params, default_size=MERGE_HISTORY_DEFAULT_PAGE_SIZE)
        page = merge_history_page(
            page=page_number,
            page_size=page_size,
            source_uuid=uuid_from_body(params, "source_uuid", required=False),
            target_uuid=uuid_from_body(params, "target_uuid", required=False),
            merge_id=uuid_from_body(params, "merge_id", required=False),
            undone=bool_param(params, "undone"),
        )
        body = {
            "success": True,
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
            "results": page.items,
        }
        return Response(MergeHistoryResponseSerializer(body, context={"now": merge_clock()}).data)
