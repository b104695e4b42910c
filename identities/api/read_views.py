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
    identity_best_face_page,
    identity_chunk_page,
    identity_chunk_rows,
    identity_face_page,
    identity_face_summary,
    identity_file_summaries,
    identity_trace_page,
    media_file_get,
)
from momentry.api.pagination import page_params
from momentry.api.params import bool_param, int_param
from momentry.api.schema import UUID_PATTERN, errors, links, trimmed_text_pattern
from momentry.api.views import LOCALE_PARAMETER, IdentityApiView, page_parameters
from momentry.core.parsing import parse_uuid
from momentry.core.urls import TEXT_SENTINEL, UUID_SENTINEL, url_maker

from ..filtersets import SEARCH_TEXT_MAX_LENGTH
from ..models import Identity
from ..search import identities_matching_name
from ..selectors import identity_document, identity_get
from ..storage import profile_image_path
from .file_limits import visible_file_rows, visible_media_files
from .links import identity_targets
from .read_serializers import (
    ChunkSerializer,
    IdentitiesSearchResponseSerializer,
    IdentityChunksResponseSerializer,
    IdentityDocumentSerializer,
    IdentityFacesResponseSerializer,
    IdentityFilesResponseSerializer,
    IdentityStatusResponseSerializer,
    IdentityTracesResponseSerializer,
)
from .serializers import IdentityListResponseSerializer
from .views import IDENTITY_FILTER_PARAMETERS, IDENTITY_LIST_DEFAULT_PAGE_SIZE, IdentityListView

FACES_DEFAULT_PAGE_SIZE = 50
TRACES_DEFAULT_PAGE_SIZE = 20
CHUNKS_DEFAULT_PAGE_SIZE = 20
IDENTITIES_SEARCH_DEFAULT_LIMIT = 50
IDENTITIES_SEARCH_MAX_LIMIT = 200
NOT_FOUND = errors({404: "No identity with this uuid."})
PAGED_ERRORS = errors({400: "`page` or `page_size` is malformed or out of range.", 404: "No identity with this uuid."})
# `_required_query_text`: 1 to SEARCH_TEXT_MAX_LENGTH characters once trimmed, no NUL. The pattern
# implies a minLength of 1; none is written beside it, which schemathesis 4 would fold into the
# pattern's last quantifier as `{0,4294966296}`, a regex too large to compile (seconds per case).
SEARCH_TEXT_SCHEMA = {"type": "string", "pattern": trimmed_text_pattern(SEARCH_TEXT_MAX_LENGTH)}


def faces_with_image_urls(request, faces):
    """Face rows (`FaceRow`) as their items, each with the absolute URL of its image."""
    image_url = url_maker("api:file-face-image", [UUID_SENTINEL, TEXT_SENTINEL], absolute_for=request)
    return [{**vars(face), "image_url": image_url(face.file_uuid.hex, face.face_id)} for face in faces]


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
    @extend_schema(
        operation_id="identity_files_list",
        summary="List the files an identity appears in",
        responses={200: IdentityFilesResponseSerializer, **NOT_FOUND},
    )
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
        summary="List an identity's faces",
        parameters=[
            *page_parameters(default_size=FACES_DEFAULT_PAGE_SIZE),
            OpenApiParameter(
                "best",
                bool,
                description="Only the best face of each trace (highest confidence × bbox area of the faces "
                "bound to the identity), strongest traces first: most faces, then most confident.",
            ),
        ],
        responses={
            200: IdentityFacesResponseSerializer,
            **errors(
                {
                    400: "`page`, `page_size` or `best` is malformed or out of range.",
                    404: "No identity with this uuid.",
                }
            ),
        },
    )
    def get(self, request, identity_uuid):
        """The faces bound to the identity by file, frame and index; 50 a page by default. With
        `best=true`, one face a trace instead (`total` counts the traces): what a client shows of
        who an identity is. Each face links to its image (`image_url`)."""
        identity = identity_get(identity_uuid)
        number, size = page_params(request.query_params, default_size=FACES_DEFAULT_PAGE_SIZE)
        select = identity_best_face_page if bool_param(request.query_params, "best") else identity_face_page
        page = select(identity, page=number, page_size=size, media_files=visible_media_files(request))
        body = {
            "success": True,
            "identity_uuid": identity.identity_uuid,
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
            "faces": faces_with_image_urls(request, page.items),
        }
        return Response(IdentityFacesResponseSerializer(body).data)


class IdentityTracesView(IdentityApiView):
    @extend_schema(
        operation_id="identity_traces_list",
        summary="List an identity's traces",
        parameters=[*page_parameters(default_size=TRACES_DEFAULT_PAGE_SIZE), LOCALE_PARAMETER],
        responses={200: IdentityTracesResponseSerializer, **PAGED_ERRORS},
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
        summary="List the chunks where an identity appears",
        parameters=page_parameters(default_size=CHUNKS_DEFAULT_PAGE_SIZE),
        responses={200: IdentityChunksResponseSerializer, **PAGED_ERRORS},
    )
    def get(self, request, identity_uuid):
        """The chunks of the same file overlapping in time a trace bound to the identity, each once,
        by file, start time and id; 20 a page by default. The list is sent as `chunks` (the
        fuller document) and as `data` (the earlier one)."""
        identity = identity_get(identity_uuid)
        page, page_size = page_params(request.query_params, default_size=CHUNKS_DEFAULT_PAGE_SIZE)
        chunks = identity_chunk_page(identity, page=page, page_size=page_size, media_files=visible_media_files(request))
        rendered = ChunkSerializer(chunks.chunks, many=True).data  # once, for both keys
        body = {
            "success": True,
            "identity_uuid": identity.identity_uuid.hex,
            "total": chunks.total,
            "page": page,
            "page_size": page_size,
            "chunks": rendered,
            "data": rendered,
        }
        return Response(body)


class IdentityStatusView(IdentityApiView):
    @extend_schema(
        operation_id="identity_status_retrieve",
        summary="Get an identity's status",
        parameters=[LOCALE_PARAMETER],
        responses={200: IdentityStatusResponseSerializer, **NOT_FOUND},
        description=(
            "The identity's status with its counts: faces bound and files they are in, whether any has an "
            "embedding, and whether a profile image is stored."
        ),
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
    @extend_schema(
        operation_id="identity_json_retrieve",
        summary="Get an identity's identity.json document",
        responses={200: IdentityDocumentSerializer, **NOT_FOUND},
    )
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
        summary="Search identities by text",
        parameters=[
            OpenApiParameter(
                "q",
                SEARCH_TEXT_SCHEMA,
                required=True,
                description="Case-insensitive substring of the name, of any alias name or of the metadata text.",
            ),
            *[parameter for parameter in IDENTITY_FILTER_PARAMETERS if parameter.name != "q"],
            *page_parameters(default_size=IDENTITY_LIST_DEFAULT_PAGE_SIZE),
            LOCALE_PARAMETER,
        ],
        responses={
            200: IdentityListResponseSerializer,
            **errors(
                {
                    400: "`q` missing, blank or over 1000 characters, or a filter, `ordering`, `page` or "
                    "`page_size` malformed or out of range."
                }
            ),
        },
        extensions=links(**identity_targets("/identities/0/identity_uuid")),
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
        summary="Search identities by name, with their chunks",
        parameters=[
            OpenApiParameter(
                "q",
                SEARCH_TEXT_SCHEMA,
                required=True,
                description="Case-insensitive substring of the name or of an alias name.",
            ),
            OpenApiParameter(
                "file_uuid",
                str,
                pattern=UUID_PATTERN,
                description="Only this file (32 hex digits or dashed); empty means every file.",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": IDENTITIES_SEARCH_MAX_LIMIT},
                default=IDENTITIES_SEARCH_DEFAULT_LIMIT,
                description=f"Rows to return, 1 to {IDENTITIES_SEARCH_MAX_LIMIT}.",
            ),
            LOCALE_PARAMETER,
        ],
        responses={
            200: IdentitiesSearchResponseSerializer,
            **errors(
                {
                    400: "`q` missing, blank or over 1000 characters, `limit` out of range, or `file_uuid` malformed.",
                    403: "The key has neither the file nor the identity scope, or may not see file_uuid.",
                    404: "No file with file_uuid.",
                }
            ),
        },
        extensions=links(**identity_targets("/results/0/identity_uuid")),
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
