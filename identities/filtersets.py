"""Filters of the identity list, shared by the API, the console and the tests (NetBox style)."""
import django_filters
from django import forms
from django_filters.widgets import BaseCSVWidget

from momentry.core.parsing import INT32_RANGE, parse_int

from .models import Identity, IdentitySource, IdentityStatus
from .search import identities_matching_text

# Longer search texts are refused (400) rather than sent to the database: SQLite fails a LIKE
# pattern over 50,000 bytes with an error, and no name or alias is anywhere near this long.
SEARCH_TEXT_MAX_LENGTH = 1000


class Int32FormField(forms.IntegerField):
    """The project's one integer rule (`parse_int`: ASCII digits, an optional minus) within the
    32-bit column range: Django's IntegerField also takes "1.0", "+1", " 1" and other scripts'
    digits, and any size (`tmdb_id=2147483648` listed nothing instead of refusing)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", INT32_RANGE[0])
        kwargs.setdefault("max_value", INT32_RANGE[1])
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = parse_int(value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class IntegerFilter(django_filters.NumberFilter):
    """An exact integer: `tmdb_id=1.5` is invalid rather than silently truncated."""

    field_class = Int32FormField


class RepeatableCSVWidget(BaseCSVWidget, forms.TextInput):
    """Comma-separated keys, in one value or in several: `ordering=status,-name` and
    `ordering=status&ordering=-name` both read `["status", "-name"]` (Django's `QueryDict.get`
    alone keeps only the last of repeated keys, so the others were silently dropped)."""

    def value_from_datadict(self, data, files, name):
        if not hasattr(data, "getlist") or name not in data:
            return super().value_from_datadict(data, files, name)
        return [key for value in data.getlist(name) for key in value.split(",")]


class StableOrderingFilter(django_filters.OrderingFilter):
    """Orders by the requested keys, then by `id`, so equal values page in the same order; the keys
    may come comma-separated, repeated, or both."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RepeatableCSVWidget)
        super().__init__(*args, **kwargs)

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
        help_text=(
            "Keys, `-` for descending, comma-separated (`name,-created_at`) or repeated "
            "(`ordering=name&ordering=-created_at`); earlier keys first, ties by id."
        ),
    )

    class Meta:
        model = Identity
        fields = []

    def filter_text(self, queryset, name, value):
        return identities_matching_text(queryset, value)


# The ordering keys, `name` and `-name` and so on: the schema's IdentityOrderingEnum.
IDENTITY_ORDERING_KEYS = [value for value, _label in IdentityFilterSet.base_filters["ordering"].extra["choices"]]
