"""Reads of faces, traces and chunks as they relate to identities.

A trace is every face detection of one file with one `trace_id`; it belongs to an identity when
at least one of its faces is bound to it (contract.md). Trace rows and trace spans therefore cover
the whole trace, not only its bound faces, and the chunks of an identity are the chunks of the
same file whose `[start_time, end_time]` overlaps such a trace's `[first_sec, last_sec]`.

Everything but the faces themselves is read from the trace segments (`TraceSegment`, one row per
file, trace and owner, with the whole trace's figures on each), so the cost follows the traces an
answer covers, not their faces: an identity's segments come from `segment_unique_owner`, a file's
from `segment_file_idx`, and the overlapping chunks from a range scan of `chunk_time_idx` per
island of overlapping spans (`sql.py`). Every function issues a fixed number of queries whatever
the page size.
"""
from .chunks import ChunkPage, IdentityChunkRow, identity_chunk_page, identity_chunk_rows
from .files import (
    frame_seconds,
    identity_bound_file_uuids,
    identity_face_page,
    identity_face_summary,
    identity_file_summaries,
    media_file_get,
    media_file_list,
    media_files_with_uuids,
)
from .images import identity_best_face_page, identity_best_faces
from .traces import TracePage, file_trace_page, identity_strongest_traces, identity_trace_page

__all__ = [
    "ChunkPage",
    "IdentityChunkRow",
    "TracePage",
    "file_trace_page",
    "frame_seconds",
    "identity_best_face_page",
    "identity_best_faces",
    "identity_bound_file_uuids",
    "identity_chunk_page",
    "identity_chunk_rows",
    "identity_face_page",
    "identity_face_summary",
    "identity_file_summaries",
    "identity_strongest_traces",
    "identity_trace_page",
    "media_file_get",
    "media_file_list",
    "media_files_with_uuids",
]
