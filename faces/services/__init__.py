"""Writes of media files, faces and chunks: ingest of one detection document per media file.

`ingest` writes a document whole or not at all; `ingest_checks` refuses a malformed one before
anything is written; `ingest_rows` streams the rows (COPY on PostgreSQL, one executemany on SQLite).
"""
from .ingest import IngestResult, media_file_ingest

__all__ = ["IngestResult", "media_file_ingest"]
