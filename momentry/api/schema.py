"""What the schema says beyond the serializers: the contract's error body on every operation, and
the query parameters of a FilterSet."""
import django_filters
from django import forms
from drf_spectacular.utils import OpenApiParameter

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "snake_case, e.g. not_found, validation_error."},
                "message": {"type": "string", "description": "For a person."},
            },
            "required": ["code", "message"],
        },
    },
    "required": ["success", "error"],
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation answers any failure (400, 401, 403, 404,
    409, 413, 415, ...) with the one error body, so generated clients get a type for it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {
        "description": "Any failure: the status tells which; the body is always this.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation["responses"].setdefault("default", error)
    return result


def filterset_parameters(filterset_class):
    """The query parameters of a FilterSet for the schema, with the choices as enums; an ordering is
    a comma-separated list of its keys (`name,-created_at`), so each key is checked, not the whole."""
    parameters = []
    for name, declared in filterset_class.base_filters.items():
        is_integer = issubclass(declared.field_class, forms.IntegerField)
        choices = declared.extra.get("choices")
        is_ordering = isinstance(declared, django_filters.OrderingFilter)
        parameters.append(
            OpenApiParameter(
                name,
                int if is_integer else str,
                description=str(declared.extra.get("help_text", "")),
                enum=[value for value, _label in choices] if choices else None,
                many=is_ordering or None,
                style="form" if is_ordering else None,
                explode=False if is_ordering else None,
            )
        )
    return parameters
