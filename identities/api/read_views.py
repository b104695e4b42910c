"""The identity read endpoints: files, faces, traces, chunks, status, json and both searches.

Views only parse parameters, call the selectors and render through the response serializers;
every error is raised and rendered by the project's exception handler.
"""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apikeys.models import Scope
from apikeys.permissions import ensure_file_allowed
from faces.models import MediaFile
from faces.selectors import (
    identity_chunk_page,
    identity_chunk_rows,
    identity_face_summary,
    identity_faces,
    identity_file_summaries,
    identity_trace_page,
    media_file_get,
)
from momentry.api.pagination import page_params, paginate
from momentry.api.params import int_param
from momentry.api.views import LOCALE_PARAMETER, PAGE_PARAMETERS, IdentityApiView
from momentry.core.parsing import parse_uuid

from ..filtersets import SEARCH_TEXT_MAX_LENGTH
from ..models import Identity
from ..search import identities_matching_name
from ..selectors import identity_document, identity_get
from ..storage import profile_image_path
from .file_limits import visible_file_rows, visible_media_files
from .read_serializers import (
    IdentitiesSearchResponseSerializer,
    IdentityChunksResponseSerializer,
    IdentityDocumentSerializer,
    IdentityFacesResponseSerializer,
    IdentityFilesResponseSerializer,
    IdentityStatusResponseSerializer,
    IdentityTracesResponseSerializer,
)
from .serializers import IdentityListResponseSerializer
from .views import IDENTITY_FILTER_PARAMETERS, IdentityListView

FACES_DEFAULT_PAGE_SIZE = 50
TRACES_DEFAULT_PAGE_SIZE = 20
CHUNKS_DEFAULT_PAGE_SIZE = 20
IDENTITIES_SEARCH_DEFAULT_LIMIT = 50
IDENTITIES_SEARCH_MAX_LIMIT = 200


def _required_query_text(params, name="q"):
    value = (params.get(name) or "").strip()
    if not value:
        raise ValidationError({name: "This parameter is required and may not be blank."})
    if "\x00" in value:
        raise ValidationError({name: "Null characters are not allowed."})
    if len(value) > SEARCH_TEXT_MAX_LENGTH:
        raise ValidationError({name: f"Ensure this value has at most {SEARCH_TEXT_MAX_LENGTH} characters."})
    return value


class IdentityFilesView(IdentityApiView):
    @extend_schema(operation_id="identity_files_list", responses=IdentityFilesResponseSerializer)
    def get(self, request, identity_uuid):
        """Every file with faces bound to the identity, in ingest order (not paginated: one row per file).

        For a key limited to some files, only those (here and in every read below).
        """
        identity = identity_get(identity_uuid)
        files = identity_file_summaries(identity, media_files=visible_media_files(request))
        body = {"success": True, "identity_uuid": identity.identity_uuid, "total": len(files), "files": files}
        return Response(IdentityFilesResponseSerializer(body).data)


class IdentityFacesView(IdentityApiView):
    @extend_schema(
        operation_id="identity_faces_list",
        parameters=PAGE_PARAMETERS,
        responses=IdentityFacesResponseSerializer,
    )
    def get(self, request, identity_uuid):
        """The faces bound to the identity by file, frame and index; 50 a page by default."""
        identity = identity_get(identity_uuid)
        faces = identity_faces(identity, media_files=visible_media_files(request))
        page = paginate(faces, request.query_params, default_size=FACES_DEFAULT_PAGE_SIZE)
        body = {
            "success": True,
            "identity_uuid": identity.identity_uuid,
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
            "faces": page.items,
        }
        return Response(IdentityFacesResponseSerializer(body).data)


class IdentityTracesView(IdentityApiView):
    @extend_schema(
        operation_id="identity_traces_list",
        parameters=[*PAGE_PARAMETERS, LOCALE_PARAMETER],
        responses=IdentityTracesResponseSerializer,
    )
    def get(self, request, identity_uuid):
        """The traces with a face bound to the identity, by file and first frame; 20 a page by default.

        A trace row describes the whole trace (every face of its file and `trace_id`);
        `total_faces` sums the faces of all the identity's traces, not only of this page.
        """
        identity = identity_get(identity_uuid)
        page, page_size = page_params(request.query_params, default_size=TRACES_DEFAULT_PAGE_SIZE)
        traces = identity_trace_page(identity, page=page, page_size=page_size, media_files=visible_media_files(request))
        body = {
            "success": True,
            "identity": identity,
            "identity_uuid": identity.identity_uuid,
            "total": traces.total,
            "page": page,
            "page_size": page_size,
            "total_faces": traces.total_faces,
            "traces": traces.rows,
        }
        return Response(IdentityTracesResponseSerializer(body, context=self.serializer_context()).data)


class IdentityChunksView(IdentityApiView):
    @extend_schema(
        operation_id="identity_chunks_list",
        parameters=PAGE_PARAMETERS,
        responses=IdentityChunksResponseSerializer,
    )
    def get(self, request, identity_uuid):
        """The chunks of the same file overlapping in time a trace bound to the identity, each once,
        by file, start time and id; 20 a page by default. The list is sent as `chunks` (the
        fuller document) and as `data` (the earlier one)."""
        identity = identity_get(identity_uuid)
        page, page_size = page_params(request.query_params, default_size=CHUNKS_DEFAULT_PAGE_SIZE)
        chunks = identity_chunk_page(identity, page=page, page_size=page_size, media_files=visible_media_files(request))
        body = {
            "success": True,
            "identity_uuid": identity.identity_uuid,
            "total": chunks.total,
            "page": page,
            "page_size": page_size,
            "chunks": chunks.chunks,
            "data": chunks.chunks,
        }
        return Response(IdentityChunksResponseSerializer(body).data)


class IdentityStatusView(IdentityApiView):
    @extend_schema(
        operation_id="identity_status_retrieve",
        parameters=[LOCALE_PARAMETER],
        responses=IdentityStatusResponseSerializer,
    )
    def get(self, request, identity_uuid):
        identity = identity_get(identity_uuid)
        body = {
            "success": True,
            "identity": identity,
            **identity_face_summary(identity, media_files=visible_media_files(request)),
            "has_profile_image": profile_image_path(identity.identity_uuid) is not None,
        }
        return Response(IdentityStatusResponseSerializer(body, context=self.serializer_context()).data)


class IdentityJsonView(IdentityApiView):
    @extend_schema(operation_id="identity_json_retrieve", responses=IdentityDocumentSerializer)
    def get(self, request, identity_uuid):
        """The identity's `identity.json` document, exactly as written on disk.

        Deliberately without `success`: the contract makes this body "the GET .../json format"
        of the file on disk and the upload's input, and the fuller document's example has no
        `success`; adding it would make the response differ from the file it mirrors. For a key
        limited to some files, `file_bindings` lists only those.
        """
        document = identity_document(identity_get(identity_uuid))
        document["file_bindings"] = visible_file_rows(request, document["file_bindings"])
        return Response(document)


class IdentitySearchView(IdentityListView):
    @extend_schema(
        operation_id="identity_search",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                required=True,
                description="Case-insensitive substring of the name, of any alias name or of the metadata text.",
            ),
            *[parameter for parameter in IDENTITY_FILTER_PARAMETERS if parameter.name != "q"],
            *PAGE_PARAMETERS,
            LOCALE_PARAMETER,
        ],
        responses=IdentityListResponseSerializer,
    )
    def get(self, request):
        """Identity records matching `q`: the identity list with a required `q`, so its shape,
        paging (20 by default), filters and ordering are the list's."""
        _required_query_text(request.query_params)
        return super().get(request)


class IdentitiesSearchView(IdentityApiView):
    required_scopes = (Scope.FILE, Scope.IDENTITY)

    @extend_schema(
        operation_id="identities_search",
        parameters=[
            OpenApiParameter("q", str, required=True, description="Case-insensitive substring of the name or of an alias name."),
            OpenApiParameter("file_uuid", str, description="Only this file (32 hex digits or dashed)."),
            OpenApiParameter("limit", int, description="Rows to return, 1 to 200 (default 50)."),
            LOCALE_PARAMETER,
        ],
        responses=IdentitiesSearchResponseSerializer,
    )
    def get(self, request):
        """Identity-to-chunk rows: the chunks of every identity whose name or alias matches `q`.

        A key limited to some files sees only rows of those files; asking for another file is a
        403, an unknown file a 404, a malformed `file_uuid` a 400.
        """
        params = request.query_params
        q = _required_query_text(params)
        limit = int_param(
            params, "limit", default=IDENTITIES_SEARCH_DEFAULT_LIMIT, minimum=1, maximum=IDENTITIES_SEARCH_MAX_LIMIT
        )
        media_files = visible_media_files(request)
        if params.get("file_uuid"):
            file_uuid = parse_uuid(params["file_uuid"])
            if file_uuid is None:
                raise ValidationError({"file_uuid": "Must be a UUID: 32 hex digits or the dashed form."})
            ensure_file_allowed(request, file_uuid)
            media_files = MediaFile.objects.filter(pk=media_file_get(file_uuid).pk)
        total, rows = identity_chunk_rows(
            identities=identities_matching_name(Identity.objects.all(), q), media_files=media_files, limit=limit
        )
        body = {"success": True, "total": total, "results": rows}
        return Response(IdentitiesSearchResponseSerializer(body, context=self.serializer_context()).data)
