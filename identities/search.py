"""Text search over identities: name, alias names and metadata text, case-insensitively."""
import json

from django.db import connection
from django.db.models import Func, Q, TextField
from django.db.models.functions import Cast

# PostgreSQL serves every expression below with a pg_trgm GIN index on `UPPER(expression)`
# (migration 0002_read_indexes), which is what `__icontains` compiles to there.


class AliasNames(Func):
    """The names in `metadata.aliases`, one per line, as plain (unescaped) text.

    On PostgreSQL this is the immutable SQL function `identity_alias_names(jsonb)` created by the
    trigram migration, so it can be indexed; on SQLite, a subquery over `json_each`.
    """

    function = "identity_alias_names"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(SELECT group_concat(json_extract(alias.value, '$.name'), char(10))"
                " FROM json_each(%(expressions)s, '$.aliases') AS alias WHERE alias.type = 'object')"
            ),
            **extra_context,
        )


def _with_search_expressions(queryset):
    return queryset.alias(alias_names=AliasNames("metadata"), metadata_text=Cast("metadata", TextField()))


def _metadata_text_forms(q):
    """`q` as it appears in the stored JSON text: itself, and JSON-escaped the way the database
    stores strings (quotes and backslashes on both; non-ASCII too on SQLite, whose JSON text is
    ASCII-only), so a value with such characters is still found by the raw-text match."""
    escaped = json.dumps(q, ensure_ascii=connection.vendor != "postgresql")[1:-1]
    return list(dict.fromkeys([q, escaped]))


def identities_matching_name(queryset, q):
    """Identities whose name or any alias name contains `q`, case-insensitively."""
    return _with_search_expressions(queryset).filter(Q(name__icontains=q) | Q(alias_names__icontains=q))


def identities_matching_text(queryset, q):
    """Identities whose name, any alias name or metadata text contains `q`, case-insensitively.

    The one implementation behind `GET /identity/search` and the `q` filter of the identity list.
    """
    condition = Q(name__icontains=q) | Q(alias_names__icontains=q)
    for form in _metadata_text_forms(q):
        condition |= Q(metadata_text__icontains=form)
    return _with_search_expressions(queryset).filter(condition)
