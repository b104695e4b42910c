from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from momentry.core.paging import MAX_PAGE_SIZE

LOCALE_PARAMETER = OpenApiParameter(
    "locale", str, description="BCP 47 tag; adds `display_name` chosen by the alias fallback."
)


def page_parameters(*, default_size):
    """`page` and `page_size` as `momentry.api.pagination.page_params` reads them."""
    return [
        OpenApiParameter(
            "page",
            {"type": "integer", "minimum": 1},
            default=1,
            description="Page number, from 1; a page past the end is empty, with the true total.",
        ),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            default=default_size,
            description=f"Items per page, 1 to {MAX_PAGE_SIZE}.",
        ),
    ]


PAGE_PARAMETERS = page_parameters(default_size=20)


class ApiView(APIView):
    """Base of every endpoint: `serializer_context()` carries the `locale` that adds `display_name`.

    A query parameter is given once: Django's `QueryDict.get` would silently keep the last of
    `page_size=5&page_size=50`. Only the parameters a view names in `repeatable_parameters` (an
    ordering's keys) may repeat; any other given twice is a 400, after the key's 401 and 403.
    """

    repeatable_parameters = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        repeated = sorted(
            name
            for name, values in request.query_params.lists()
            if len(values) > 1 and name not in self.repeatable_parameters
        )
        if repeated:
            raise ValidationError({repeated[0]: "Give this query parameter once."})

    def serializer_context(self):
        return {"request": self.request, "locale": self.request.query_params.get("locale") or None}


class IdentityApiView(ApiView):
    """Base of the identity-level endpoints."""

    required_scopes = ("identity",)


class FileApiView(ApiView):
    """Base of the file-level endpoints."""

    required_scopes = ("file",)
