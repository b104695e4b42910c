from drf_spectacular.utils import OpenApiParameter
from rest_framework.views import APIView

LOCALE_PARAMETER = OpenApiParameter(
    "locale", str, description="BCP 47 tag; adds `display_name` chosen by the alias fallback."
)
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1."),
    OpenApiParameter("page_size", int, description="Items per page, 1 to 200."),
]


class ApiView(APIView):
    """Base of every endpoint: `serializer_context()` carries the `locale` that adds `display_name`."""

    def serializer_context(self):
        return {"request": self.request, "locale": self.request.query_params.get("locale") or None}


class IdentityApiView(ApiView):
    """Base of the identity-level endpoints."""

    required_scopes = ("identity",)


class FileApiView(ApiView):
    """Base of the file-level endpoints."""

    required_scopes = ("file",)
