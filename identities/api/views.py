from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from momentry.api.pagination import paginate
from momentry.api.schema import filterset_parameters
from momentry.api.views import LOCALE_PARAMETER, PAGE_PARAMETERS, IdentityApiView

from ..filtersets import IdentityFilterSet
from ..selectors import identity_get, identity_list
from .serializers import IdentityDetailResponseSerializer, IdentityListResponseSerializer, IdentitySerializer
from .write_views import DELETE_SCHEMA, PATCH_SCHEMA, identity_delete_response, identity_patch_response

IDENTITY_LIST_DEFAULT_PAGE_SIZE = 20
IDENTITY_FILTER_PARAMETERS = filterset_parameters(IdentityFilterSet)


class IdentityListView(IdentityApiView):
    @extend_schema(
        operation_id="identities_list",
        parameters=[*IDENTITY_FILTER_PARAMETERS, *PAGE_PARAMETERS, LOCALE_PARAMETER],
        responses=IdentityListResponseSerializer,
    )
    def get(self, request):
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
        parameters=[LOCALE_PARAMETER],
        responses=IdentityDetailResponseSerializer,
    )
    def get(self, request, identity_uuid):
        identity = identity_get(identity_uuid)
        return Response(IdentityDetailResponseSerializer(identity, context=self.serializer_context()).data)

    @PATCH_SCHEMA
    def patch(self, request, identity_uuid):
        return identity_patch_response(request, identity_uuid)

    @DELETE_SCHEMA
    def delete(self, request, identity_uuid):
        return identity_delete_response(request, identity_uuid)
