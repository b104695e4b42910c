"""The rows of a checked ingest document, streamed into their tables.

PostgreSQL takes them through COPY (psycopg 3), SQLite through executemany in batches; either way
the rows are made from the document as the database reads them, so no model instance is built and
memory holds the document and little more. Both run on the connection of the caller's
transaction, so a failure half-way, inside the COPY included, takes everything with it.
"""
import itertools

from django.db import connection

from ..centroids import EmbeddingSums
from ..models import FaceDetection
from .ingest_checks import FACE_KEY_STRIDE, only_floats

FACE_COLUMNS = ["media_file_id", "frame_number", "index", "bbox", "confidence", "trace_id", "embedding", "identity_id"]
CHUNK_COLUMNS = [
    "media_file_id", "chunk_id", "chunk_type", "start_frame", "end_frame", "start_time", "end_time", "text"
]

SQLITE_BATCH_ROWS = 2000

def _floats_json(values):
    """The JSON text of the values as floats, as JSONField stored them (an integer becomes 1.0).

    `repr` of a list of finite floats is what json.dumps writes, without an encoder to set up for
    each list: a bbox takes 0.6 µs instead of 1.5, 16 floats 2.9 instead of 3.7."""
    if not only_floats(values):
        values = [float(value) for value in values]
    return repr(values)


class FaceRows:
    """The rows of a checked document's faces in FACE_COLUMNS order, made as they are read.

    `identity_ids` maps each `identity_uuid` value of the document to its identity's id. A face
    whose key is in `previous_bindings` (`{face key: identity_id}` of the faces a replace removed)
    keeps that identity instead, and `kept` counts those faces once the rows have been read.
    """

    def __init__(self, faces, *, media_file_id, identity_ids, previous_bindings):
        self.faces = faces
        self.media_file_id = media_file_id
        self.identity_ids = identity_ids
        self.previous_bindings = previous_bindings
        self.kept = 0
        self.embedding_sums = EmbeddingSums()  # of the faces' segments, once the rows have been read

    def __iter__(self):
        media_file_id, identity_ids, previous_bindings = self.media_file_id, self.identity_ids, self.previous_bindings
        for face in self.faces:
            frame_number, index = int(face["frame_number"]), int(face["index"])
            identity = face.get("identity_uuid")
            identity_id = None if identity is None else identity_ids[identity]
            if previous_bindings:
                kept_identity_id = previous_bindings.get(frame_number * FACE_KEY_STRIDE + index)
                if kept_identity_id is not None:
                    identity_id = kept_identity_id
                    self.kept += 1
            embedding = face.get("embedding")
            trace_id = int(face["trace_id"])
            if embedding is not None:
                self.embedding_sums.add((trace_id, identity_id), embedding)
            yield (
                media_file_id,
                frame_number,
                index,
                _floats_json(face["bbox"]),
                float(face["confidence"]),
                trace_id,
                None if embedding is None else _floats_json(embedding),
                identity_id,
            )


def chunk_rows(chunks, *, media_file_id):
    """The rows of a checked document's chunks in CHUNK_COLUMNS order."""
    return ((media_file_id, *chunk) for chunk in chunks)


def rows_insert(model, columns, rows):
    """Insert `rows` (tuples in `columns` order) into the model's table, reading them one by one."""
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's error types, as for any other statement; psycopg ends the COPY with the error
            # of an exception raised inside it, and the transaction then rolls back.
            copy_in = f"COPY {table} ({column_list}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(copy_in) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # In batches: Django's SQLite executemany keeps every row of an iterator it is given
            # (it peeks at the first through itertools.tee).
            sql = f"INSERT INTO {table} ({column_list}) VALUES ({', '.join(['%s'] * len(columns))})"
            rows = iter(rows)
            while batch := list(itertools.islice(rows, SQLITE_BATCH_ROWS)):
                cursor.executemany(sql, batch)


def face_bindings_of_file(media_file_id):
    """`{face key: identity_id}` of the file's bound faces: two integers a face, read in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT CAST(frame_number AS BIGINT) * {FACE_KEY_STRIDE} + "index", identity_id '
            f"FROM {connection.ops.quote_name(FaceDetection._meta.db_table)} "
            "WHERE media_file_id = %s AND identity_id IS NOT NULL",
            [media_file_id],
        )
        return dict(cursor.fetchall())

