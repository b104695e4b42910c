"""The identity history endpoints: the list, and the undo and redo of one entry."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apikeys.permissions import actor_for
from momentry.api.pagination import paginate
from momentry.api.schema import errors, links
from momentry.api.views import IdentityApiView, page_parameters

from ..selectors import identity_history
from ..services.replay import history_redo, history_undo
from .file_limits import ensure_history_replay_allowed
from .history_serializers import HistoryEntrySerializer, HistoryListResponseSerializer, HistoryReplayResponseSerializer
from .links import redo_change_targets, undo_change_targets

HISTORY_DEFAULT_PAGE_SIZE = 20
REPLAY_ERRORS = errors(
    {
        403: "The key lacks the scope, is read-only, or is limited to files and the entry moves faces of others.",
        404: "No history entry with this history_id.",
        409: "Another entry must be undone or redone first (named in the message), or a later write changed "
        "what this entry would restore.",
    },
    write=True,
)


class IdentityHistoryView(IdentityApiView):
    @extend_schema(
        operation_id="identity_history_list",
        summary="List an identity's history",
        parameters=page_parameters(default_size=HISTORY_DEFAULT_PAGE_SIZE),
        responses={
            200: HistoryListResponseSerializer,
            **errors(
                {
                    400: "`page` or `page_size` is malformed or out of range.",
                    404: "No identity with this uuid, and no history of one.",
                }
            ),
        },
        extensions=links(
            **undo_change_targets("/history/0/history_id"), **redo_change_targets("/history/0/history_id")
        ),
        description="The identity's curation history, newest first; also for a deleted identity.",
    )
    def get(self, request, identity_uuid):
        parsed, entries = identity_history(identity_uuid)
        page = paginate(entries, request.query_params, default_size=HISTORY_DEFAULT_PAGE_SIZE)
        return Response(
            {
                "success": True,
                "identity_uuid": parsed.hex,
                "total": page.total,
                "page": page.page,
                "page_size": page.page_size,
                "history": HistoryEntrySerializer(page.items, many=True, context=self.serializer_context()).data,
            }
        )


def _replay_response(replay, verb):
    entry = replay.entry
    return Response(
        {
            "success": True,
            "message": f"{verb} {entry.action} {entry.history_id} of identity {entry.identity_uuid.hex}",
            "data": {
                "history_id": str(entry.history_id),
                "identity_uuid": entry.identity_uuid.hex,
                "action": entry.action,
                "faces_moved": replay.faces_moved,
            },
        }
    )


class HistoryUndoView(IdentityApiView):
    @extend_schema(
        operation_id="identity_history_undo",
        summary="Undo a history entry",
        request=None,
        responses={200: HistoryReplayResponseSerializer, **REPLAY_ERRORS},
        extensions=links(**redo_change_targets("/data/history_id")),
        description="Undo the identity's newest change not undone; 409 names the entry that must go first.",
    )
    def post(self, request, history_id):
        ensure_history_replay_allowed(request, history_id, undo=True)
        return _replay_response(history_undo(history_id=history_id, actor=actor_for(request)), "Undid")


class HistoryRedoView(IdentityApiView):
    @extend_schema(
        operation_id="identity_history_redo",
        summary="Redo a history entry",
        request=None,
        responses={200: HistoryReplayResponseSerializer, **REPLAY_ERRORS},
        extensions=links(**undo_change_targets("/data/history_id")),
        description="Redo the identity's most recently undone change; 409 names the entry that must go first.",
    )
    def post(self, request, history_id):
        ensure_history_replay_allowed(request, history_id, undo=False)
        return _replay_response(history_redo(history_id=history_id, actor=actor_for(request)), "Redid")
