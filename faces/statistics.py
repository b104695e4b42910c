"""Planner statistics of the face tables, refreshed after writes that change their shape.

Without them SQLite plans with no idea of the tables' sizes (the demo's chunk reads took seconds
instead of milliseconds) and PostgreSQL plans from figures autovacuum may not have refreshed yet.
"""
from django.db import connection, transaction

from momentry.core.deferred import after_response

from .models import Chunk, FaceDetection, MediaFile, TraceSegment

# A merge or undo that moves at least this many faces changes the tables enough to re-analyse.
LARGE_MOVE_FACES = 50_000

_TABLES = [model._meta.db_table for model in (MediaFile, FaceDetection, TraceSegment, Chunk)]


def planner_statistics_refresh():
    """ANALYZE the face, segment, chunk and file tables (a sample: well under a second at 5M faces)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Sampled like PostgreSQL's ANALYZE, so the demo's tables take milliseconds.
            cursor.execute("PRAGMA analysis_limit = 1000")
            for table in _TABLES:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            cursor.execute("PRAGMA optimize")
        else:
            cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in _TABLES)}")


def planner_statistics_refresh_after_large_move(faces_moved):
    """After the commit of a write that moved `faces_moved` faces, refresh the statistics if many
    (once the response is sent, so the caller does not wait for the ANALYZE)."""
    if faces_moved >= LARGE_MOVE_FACES:
        transaction.on_commit(lambda: after_response(planner_statistics_refresh))
