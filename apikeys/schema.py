"""How the OpenAPI schema describes `ApiKeyAuthentication`: the `X-API-Key` header scheme."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .authentication import HEADER


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": HEADER,
            "description": "An API key (`manage.py create_api_key`); its scopes decide what it may do.",
        }
