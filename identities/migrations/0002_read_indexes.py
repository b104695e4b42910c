"""Indexes behind the identity reads.

Trigram indexes for the substring search of identities, on PostgreSQL only: `__icontains`
compiles to `UPPER(<expression>::text) LIKE UPPER('%q%')` there, so each GIN index is on exactly
`UPPER(<expression>)` of what `identities.selectors` filters on: the name, the alias names
(through the immutable `identity_alias_names(jsonb)` function, which the `AliasNames` expression
calls) and the metadata text. SQLite has neither pg_trgm nor the need.
"""
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

ALIAS_NAMES_FUNCTION = r"""
CREATE OR REPLACE FUNCTION identity_alias_names(metadata jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(alias ->> 'name', E'\n')
    FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof(metadata -> 'aliases') = 'array' THEN metadata -> 'aliases' ELSE '[]'::jsonb END
    ) AS alias
$$
"""

INDEXES = {
    "identity_name_trgm": "UPPER(name::text)",
    "identity_alias_names_trgm": "UPPER(identity_alias_names(metadata))",
    "identity_metadata_trgm": "UPPER(metadata::text)",
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(ALIAS_NAMES_FUNCTION)
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON identities_identity USING gin (({expression}) gin_trgm_ops)"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS identity_alias_names(jsonb)")


class Migration(migrations.Migration):
    dependencies = [("identities", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
