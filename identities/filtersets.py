"""Filters of the identity list, shared by the API, the console and the tests (NetBox style)."""
import django_filters
from django import forms

from .models import Identity, IdentitySource, IdentityStatus
from .search import identities_matching_text

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
