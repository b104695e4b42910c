"""The reads that help a curator decide who a stranger is: suggestions for an identity, a file's
traces with the likeliest identity of each anonymous one, and the queue of strangers to review."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from faces.selectors import file_trace_page, media_file_get
from momentry.api.pagination import page_params
from momentry.api.params import bool_param, choice_param, int_param, uuid_from_body
from momentry.api.schema import UUID_SCHEMA, errors
from momentry.api.views import LOCALE_PARAMETER, FileApiView, IdentityApiView, page_parameters

from ..selectors import identity_get
from ..suggestions import (
    INCLUDE_CHOICES,
    INCLUDE_KNOWN,
    REVIEW_ORDERS,
    file_trace_suggestions,
    identity_suggestions,
    review_strangers,
)
from .file_limits import allowed_file_uuid, visible_media_files
from .review_serializers import (
    FileTracesResponseSerializer,
    ReviewStrangersResponseSerializer,
    SuggestionsResponseSerializer,
)

SUGGESTIONS_DEFAULT_LIMIT = 5
SUGGESTIONS_MAX_LIMIT = 50
FILE_TRACES_DEFAULT_PAGE_SIZE = 50
REVIEW_DEFAULT_PAGE_SIZE = 20


class IdentitySuggestionsView(IdentityApiView):
    @extend_schema(
        operation_id="identity_suggestions_list",
        summary="Suggest who an identity is",
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": SUGGESTIONS_MAX_LIMIT},
                default=SUGGESTIONS_DEFAULT_LIMIT,
            ),
            OpenApiParameter(
                "include",
                {"type": "string", "enum": list(INCLUDE_CHOICES)},
                default=INCLUDE_KNOWN,
                description="`known`: confirmed identities only; `all`: strangers and pending persons too.",
            ),
            OpenApiParameter(
                "explain",
                bool,
                default=False,
                description="Also list the close candidates left out, with `reason`: `shared_frames` or `rejected`.",
            ),
            LOCALE_PARAMETER,
        ],
        responses={
            200: SuggestionsResponseSerializer,
            **errors({400: "`limit`, `include` or `explain` is malformed or out of range.", 404: "No identity with this uuid."}),
        },
    )
    def get(self, request, identity_uuid):
        """Candidate identities ranked by the cosine similarity of their face centroids, each with its
        evidence. A candidate that shares a frame with the identity is never suggested (one person is
        not twice in a frame), nor one a curator rejected; an identity without embeddings gets an empty
        list and `reason: no_embeddings`. Evidence counts only the files the key may see."""
        params = request.query_params
        limit = int_param(params, "limit", default=SUGGESTIONS_DEFAULT_LIMIT, minimum=1, maximum=SUGGESTIONS_MAX_LIMIT)
        include = choice_param(params, "include", INCLUDE_CHOICES, default=INCLUDE_KNOWN)
        explain = bool(bool_param(params, "explain"))
        identity = identity_get(identity_uuid)
        found = identity_suggestions(
            identity, limit=limit, include=include, explain=explain, media_files=visible_media_files(request)
        )
        body = {
            "success": True,
            "identity_uuid": identity.identity_uuid,
            "include": include,
            "suggestions": found.suggestions,
            "reason": found.reason,
        }
        return Response(SuggestionsResponseSerializer(body, context=self.serializer_context()).data)


class FileTracesView(FileApiView):
    @extend_schema(
        operation_id="file_traces_list",
        summary="List a file's traces",
        parameters=[
            *page_parameters(default_size=FILE_TRACES_DEFAULT_PAGE_SIZE),
            OpenApiParameter(
                "bound", bool, description="Only traces with some face bound (true) or none bound (false)."
            ),
            LOCALE_PARAMETER,
        ],
        responses={
            200: FileTracesResponseSerializer,
            **errors(
                {
                    400: "`page`, `page_size` or `bound` is malformed or out of range.",
                    403: "The key lacks the file scope, or may not see this file.",
                    404: "No file with this uuid.",
                }
            ),
        },
    )
    def get(self, request, file_uuid):
        """The file's traces by first frame, each with the identities its faces are bound to and, for a
        trace with unbound faces or a stranger's, its likeliest known identity."""
        media_file = media_file_get(allowed_file_uuid(request, file_uuid))
        page, page_size = page_params(request.query_params, default_size=FILE_TRACES_DEFAULT_PAGE_SIZE)
        bound = bool_param(request.query_params, "bound")
        traces = file_trace_page(media_file, page=page, page_size=page_size, bound=bound)
        best = file_trace_suggestions(media_file, [row["trace_id"] for row in traces.rows])
        body = {
            "success": True,
            "file_uuid": media_file.file_uuid,
            "total": traces.total,
            "page": page,
            "page_size": page_size,
            "traces": [{**row, "suggestion": best.get(row["trace_id"])} for row in traces.rows],
        }
        return Response(FileTracesResponseSerializer(body, context=self.serializer_context()).data)


class ReviewStrangersView(IdentityApiView):
    @extend_schema(
        operation_id="review_strangers_list",
        summary="List the strangers to review",
        parameters=[
            OpenApiParameter(
                "order",
                {"type": "string", "enum": list(REVIEW_ORDERS)},
                default=REVIEW_ORDERS[0],
                description="Most screen time, most faces, or most similar to someone known first.",
            ),
            OpenApiParameter("file_uuid", UUID_SCHEMA, description="Only the strangers with faces in this file."),
            *page_parameters(default_size=REVIEW_DEFAULT_PAGE_SIZE),
            LOCALE_PARAMETER,
        ],
        responses={
            200: ReviewStrangersResponseSerializer,
            **errors(
                {
                    400: "`order`, `file_uuid`, `page` or `page_size` is malformed or out of range.",
                    403: "The key lacks the scope, or may not see the file named by `file_uuid`.",
                    404: "No file with the uuid `file_uuid`.",
                }
            ),
        },
    )
    def get(self, request):
        """Strangers and pending persons (status pending) with faces, each with its face count, screen
        time, files and top suggestion; `POST /identity/:uuid/mergeinto` accepts a suggestion.
        Figures count only the files the key may see."""
        params = request.query_params
        order = choice_param(params, "order", REVIEW_ORDERS, default=REVIEW_ORDERS[0])
        file_uuid = uuid_from_body(params, "file_uuid", required=False)
        media_file = media_file_get(allowed_file_uuid(request, file_uuid)) if file_uuid else None
        page, page_size = page_params(params, default_size=REVIEW_DEFAULT_PAGE_SIZE)
        queue = review_strangers(
            order=order, page=page, page_size=page_size, media_files=visible_media_files(request), media_file=media_file
        )
        body = {
            "success": True,
            "order": order,
            "total": queue.total,
            "page": page,
            "page_size": page_size,
            "strangers": queue.items,
        }
        return Response(ReviewStrangersResponseSerializer(body, context=self.serializer_context()).data)
