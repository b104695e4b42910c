"""Many rows of integers passed as statement parameters and read as a relation.

PostgreSQL plans a join from the rows it expects: `jsonb_array_elements` is always guessed at 100
rows, so 100,000 keys got a nested loop; `unnest` of array literals (Django's psycopg cursor binds
on the client, so the planner sees constants) is guessed at exactly their length. SQLite, which
has no arrays, reads one JSON array with `json_each`.
"""
import json

from django.db import connection

# The columns of a relation of trace keys, `(media_file_id, trace_id)` rows.
TRACE_KEY_COLUMNS = [("file_id", "bigint"), ("trace_id", "integer")]


def rows_relation(alias, columns, rows):
    """`(sql, params)`: `rows` (tuples of ints or None) as the FROM item `alias(name, ...)`, one
    column per `(name, sql type)`."""
    if connection.vendor == "postgresql":
        values = list(zip(*rows)) if rows else [()] * len(columns)
        return _unnest(alias, columns, [_array_literal(column) for column in values])
    return _json_rows(alias, columns, json.dumps([list(row) for row in rows]))


def digit_columns_relation(alias, columns, values):
    """`rows_relation` of one sequence per column, each of decimal strings (`faces.keys.runs_columns`)
    or ints, none None: on PostgreSQL the arrays' text is joined from them as they are."""
    if connection.vendor == "postgresql":
        return _unnest(alias, columns, ["{" + ",".join(map(str, column)) + "}" for column in values])
    return _json_rows(alias, columns, json.dumps([[int(value) for value in row] for row in zip(*values)]))


def _unnest(alias, columns, array_literals):
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"%s::{sql_type}[]" for _, sql_type in columns)
    return f"unnest({arrays}) AS {alias}({names})", array_literals


def _json_rows(alias, columns, rows_json):
    selected = ", ".join(
        f"json_extract(e.value, '$[{position}]') AS {name}" for position, (name, _) in enumerate(columns)
    )
    return f"(SELECT {selected} FROM json_each(%s) AS e) AS {alias}", [rows_json]


def ints_in(expression, values):
    """`(sql, params)`: the condition that `expression` is one of the integers `values`.

    On the faces' file: a statement joined to many keys, told which files they are in, reads
    those files' faces by index instead of hashing the whole table.
    """
    values = sorted(set(values))
    if connection.vendor == "postgresql":
        return f"{expression} = ANY(%s::bigint[])", [_array_literal(values)]
    return f"{expression} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


def _array_literal(values):
    """An integer array as text (`int` first, so nothing but digits reaches the SQL): a third of the
    time psycopg takes to adapt a list of 100,000."""
    if None in values:
        return "{" + ",".join("NULL" if value is None else str(int(value)) for value in values) + "}"
    return "{" + ",".join(map(str, map(int, values))) + "}"
