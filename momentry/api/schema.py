"""What the schema says of the API's query parameters."""
import django_filters
from django import forms
from drf_spectacular.utils import OpenApiParameter


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
