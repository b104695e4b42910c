"""Face suggestions: the candidates an identity may be, and a curator's "not this person"."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apikeys.permissions import actor_for
from momentry.api.schema import errors, links
from momentry.api.views import IdentityApiView

from ..services.rejections import suggestion_reject
from .links import undo_change_targets
from .suggestion_serializers import SuggestionRejectResponseSerializer


class SuggestionRejectView(IdentityApiView):
    @extend_schema(
        operation_id="identity_suggestion_reject",
        summary="Reject a suggested identity: not this person",
        request=None,
        responses={
            200: SuggestionRejectResponseSerializer,
            **errors(
                {
                    400: "The candidate is the identity itself (candidate_is_identity), or a curator has "
                    "rejected the pair already, in either direction (already_rejected).",
                    404: "No identity with this uuid, or none with candidate_uuid.",
                },
                write=True,
            ),
        },
        extensions=links(**undo_change_targets("/history_id")),
        description=(
            "Records that the identity is not the candidate: suggestions leave the pair out from then "
            "on, both ways, and a merge carries it to the merged identity. No body; touches no face, so "
            "a key limited to files may reject. One history entry, which undo reverts."
        ),
    )
    def post(self, request, identity_uuid, candidate_uuid):
        rejection = suggestion_reject(
            identity_uuid=identity_uuid, candidate_uuid=candidate_uuid, actor=actor_for(request)
        )
        identity, candidate = rejection.identity, rejection.candidate
        return Response(
            {
                "success": True,
                "identity_uuid": identity.identity_uuid.hex,
                "candidate_uuid": candidate.identity_uuid.hex,
                "history_id": str(rejection.history.history_id),
                "message": f"'{identity.name}' is not '{candidate.name}': suggestions will not pair them again",
            }
        )
