"""The SQL the trace and chunk reads share: the bound traces of identities and their statistics."""
from django.db import connection

from ..models import Chunk, FaceDetection, MediaFile

FACE_TABLE = FaceDetection._meta.db_table
MEDIA_FILE_TABLE = MediaFile._meta.db_table
CHUNK_TABLE = Chunk._meta.db_table

def in_subquery(column, queryset):
    """`column IN (<the queryset's ids>)` as SQL and parameters, to embed in the raw queries below.

    On PostgreSQL, `= ANY(ARRAY(...))`: the ids are computed once, first, and the planner then uses
    the column's index; as a semi-join it guesses far more matches and scans the whole table.
    """
    sql, params = queryset.values("id").order_by().query.sql_with_params()
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({sql}))", list(params)
    return f"{column} IN ({sql})", list(params)


def fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def materialized():
    """PostgreSQL would otherwise inline these CTEs and, misjudging how few traces an identity
    has, hash-join every face of the table, or answer an ORDER BY ... LIMIT by walking every chunk
    in index order; computed first, they drive index scans. SQLite plans them well as they are."""
    return "MATERIALIZED" if connection.vendor == "postgresql" else ""


def bound_traces_cte(identity_ids, media_files=None):
    """The `bound_traces` CTE: (identity, file, trace) of every trace with a face bound to one of
    the identities (an `Identity` id or a queryset of identities), optionally within some files."""
    if isinstance(identity_ids, int):
        where, params = "identity_id = %s", [identity_ids]
    else:
        where, params = in_subquery("identity_id", identity_ids)
    if media_files is not None:
        files_where, files_params = in_subquery("media_file_id", media_files)
        where += f" AND {files_where}"
        params += files_params
    sql = f"""
        bound_traces AS {materialized()} (
            SELECT DISTINCT identity_id, media_file_id, trace_id
            FROM {FACE_TABLE}
            WHERE {where}
        )"""
    return sql, params


TRACE_STATS_CTE = f"""
    trace_stats AS (
        SELECT b.identity_id, b.media_file_id, b.trace_id,
               COUNT(*) AS face_count,
               COUNT(DISTINCT f.frame_number) AS frame_count,
               MIN(f.frame_number) AS first_frame,
               MAX(f.frame_number) AS last_frame,
               AVG(f.confidence) AS avg_confidence
        FROM bound_traces b
        JOIN {FACE_TABLE} f ON f.media_file_id = b.media_file_id AND f.trace_id = b.trace_id
        GROUP BY b.identity_id, b.media_file_id, b.trace_id
    )"""
