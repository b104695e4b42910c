"""Filters of the identity list, shared by the API, the console and the tests (NetBox style)."""
import django_filters
from django import forms
from drf_spectacular.utils import OpenApiParameter

from .models import Identity, IdentitySource, IdentityStatus
from .selectors import identities_matching_text

# Longer search texts are refused (400) rather than sent to the database: SQLite fails a LIKE
# pattern over 50,000 bytes with an error, and no name or alias is anywhere near this long.
SEARCH_TEXT_MAX_LENGTH = 1000


class IntegerFilter(django_filters.NumberFilter):
    """An exact integer: `tmdb_id=1.5` is invalid rather than silently truncated."""

    field_class = forms.IntegerField


class StableOrderingFilter(django_filters.OrderingFilter):
    """Orders by the requested keys, then by `id`, so equal values page in the same order."""

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or () if param]
        if not any(key.lstrip("-") == "id" for key in ordering):
            ordering.append("id")
        return qs.order_by(*ordering)


class IdentityFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IdentityStatus.choices, help_text="Exact status.")
    source = django_filters.ChoiceFilter(choices=IdentitySource.choices, help_text="Exact source.")
    identity_type = django_filters.CharFilter(help_text="Exact identity type (people, brand, ...).")
    tmdb_id = IntegerFilter(help_text="Exact TMDb person id.")
    q = django_filters.CharFilter(
        method="filter_text",
        max_length=SEARCH_TEXT_MAX_LENGTH,
        help_text="Case-insensitive substring of the name, of any alias name or of the metadata text.",
    )
    ordering = StableOrderingFilter(
        fields=["name", "created_at", "updated_at", "status", "source", "identity_type", "tmdb_id", "id"],
        help_text="Comma-separated keys, `-` for descending (e.g. `name,-created_at`); ties by id.",
    )

    class Meta:
        model = Identity
        fields = []

    def filter_text(self, queryset, name, value):
        return identities_matching_text(queryset, value)


def openapi_parameters(filterset_class):
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


IDENTITY_FILTER_PARAMETERS = openapi_parameters(IdentityFilterSet)
