from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from momentry.api.pagination import paginate
from momentry.api.schema import errors, filterset_parameters, links
from momentry.api.views import LOCALE_PARAMETER, IdentityApiView, page_parameters

from ..filtersets import IdentityFilterSet
from ..selectors import identity_get, identity_list
from .links import identity_targets
from .serializers import IdentityDetailResponseSerializer, IdentityListResponseSerializer, IdentitySerializer
from .write_views import DELETE_SCHEMA, PATCH_SCHEMA, identity_delete_response, identity_patch_response

IDENTITY_LIST_DEFAULT_PAGE_SIZE = 20
IDENTITY_FILTER_PARAMETERS = filterset_parameters(IdentityFilterSet)


class IdentityListView(IdentityApiView):
    repeatable_parameters = ("ordering",)

    @extend_schema(
        operation_id="identities_list",
        summary="List identities",
        parameters=[
            *IDENTITY_FILTER_PARAMETERS,
            *page_parameters(default_size=IDENTITY_LIST_DEFAULT_PAGE_SIZE),
            LOCALE_PARAMETER,
        ],
        responses={
            200: IdentityListResponseSerializer,
            **errors({400: "A filter, `ordering`, `page` or `page_size` is malformed or out of range."}),
        },
        extensions=links(**identity_targets("/identities/0/identity_uuid")),
    )
    def get(self, request):
        """Every identity, filtered by status, source, identity type, TMDb id or a text (`q`: name,
        alias names or metadata text), in `ordering` (by id when none), 20 a page by default;
        `count` is the total across pages."""
        page = paginate(
            identity_list(filters=request.query_params),
            request.query_params,
            default_size=IDENTITY_LIST_DEFAULT_PAGE_SIZE,
        )
        identities = IdentitySerializer(page.items, many=True, context=self.serializer_context()).data
        return Response(
            {"success": True, "count": page.total, "page": page.page, "page_size": page.page_size, "identities": identities}
        )


class IdentityDetailView(IdentityApiView):
    @extend_schema(
        operation_id="identity_retrieve",
        summary="Get an identity",
        parameters=[LOCALE_PARAMETER],
        responses={200: IdentityDetailResponseSerializer, **errors({404: "No identity with this uuid."})},
    )
    def get(self, request, identity_uuid):
        """The identity record: its fields, metadata (aliases included) and TMDb references, with
        `display_name` for a `locale`."""
        identity = identity_get(identity_uuid)
        return Response(IdentityDetailResponseSerializer(identity, context=self.serializer_context()).data)

    @PATCH_SCHEMA
    def patch(self, request, identity_uuid):
        return identity_patch_response(request, identity_uuid)

    @DELETE_SCHEMA
    def delete(self, request, identity_uuid):
        return identity_delete_response(request, identity_uuid)
