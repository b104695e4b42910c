from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from momentry.api.exceptions import json_error


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """CSRF-exempt like every API view, so a POST to a malformed path is this 404, not an HTML 403."""
    return json_error(404, "not_found", f"No API endpoint at {request.path}.")


api_patterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include("identities.api.urls")),
    re_path(r"^[\s\S]*$", api_not_found),  # not `.*`, which stops at a line break in the path
]

console_patterns = [
    path("", include("identities.urls")),
]

urlpatterns = [
    path("api/v1/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", RedirectView.as_view(pattern_name="console:identity-list"), name="home"),
    path("", include((console_patterns, "console"))),
]


def handler500(request):
    if request.path.startswith("/api/"):
        return json_error(500, "server_error", "Internal server error.")
    from django.views.defaults import server_error

    return server_error(request)
