"""A key's file limit on the identity endpoints (contract.md: a key limited to files sees and
changes only those files' faces, traces, chunks and bindings, on every endpoint).

Which files a key may see is decided in one place, `ApiKey.file_limit`; this module only turns
that into what the views need: the `media_files` the selectors filter by, the rows of rendered
documents that are keyed by file, and the 403 for a write that would move faces of other files.

- Reads that list or count faces, traces, chunks or bindings are filtered to the key's files.
- A request naming another file (a path, `file_uuid` in the query or the body) is a 403.
- Identity records themselves are identity-level and stay visible; PATCH, upload, the profile
  image and the rejection of a suggestion change no face and stay allowed.
- DELETE and mergeinto move every face of the identity, merge undo/redo and history undo/redo
  move the faces their record names: refused (403, nothing changed) when any lies in another file.
"""
import uuid

from apikeys.permissions import ensure_file_allowed, ensure_files_allowed, file_limit_of
from faces.selectors import identity_bound_file_uuids, media_files_with_uuids
from history.merge_records import merge_record_get
from history.selectors import history_entry_get
from momentry.core.parsing import parse_uuid, uuid_from_path

from ..models import Identity


def visible_media_files(request):
    """The MediaFile queryset of the files the request's key may see; None when it sees them all."""
    return media_files_with_uuids(file_limit_of(request))


def allowed_file_uuid(request, file_uuid):
    """The file uuid of a path (or query) parameter, parsed; 403 when the key may not see it."""
    parsed = file_uuid if isinstance(file_uuid, uuid.UUID) else uuid_from_path(file_uuid, what="media file")
    ensure_file_allowed(request, parsed)
    return parsed


def visible_file_rows(request, rows):
    """The rows (dicts with a hex `file_uuid`) of the files the key may see."""
    limit = file_limit_of(request)
    if limit is None:
        return list(rows)
    return [row for row in rows if row["file_uuid"] in limit]


def ensure_identity_faces_allowed(request, identity_uuid, *, change):
    """403 when the identity (a uuid, hex or dashed) has faces bound in a file the key may not see:
    for DELETE, mergeinto and merge redo, which move all of them. An unknown identity is left to
    the write to answer (404); no query for an unlimited key."""
    if file_limit_of(request) is None:
        return
    parsed = parse_uuid(identity_uuid)
    identity = Identity.objects.filter(identity_uuid=parsed).first() if parsed is not None else None
    if identity is not None:
        ensure_files_allowed(request, identity_bound_file_uuids(identity), change=change)


def _ensure_face_groups_allowed(request, *groups, change):
    """403 when recorded face groups (`[{"file_uuid": hex, ...}]`, as history snapshots and merge
    records keep them) name a file the key may not see."""
    ensure_files_allowed(request, [group["file_uuid"] for faces in groups for group in faces or ()], change=change)


def ensure_merge_replay_allowed(request, merge_id, *, undo):
    """403 when the merge's undo would move back faces of other files (those its record names),
    or its redo would move the source's faces as they are now and some are in other files.
    An unknown merge is the same 404 the replay gives."""
    if file_limit_of(request) is None:
        return
    record = merge_record_get(merge_id)
    if undo:
        _ensure_face_groups_allowed(request, record.get("faces"), change=f"undoing merge {record['merge_id']}")
    else:
        ensure_identity_faces_allowed(request, record["source_uuid"], change=f"redoing merge {record['merge_id']}")


def ensure_history_replay_allowed(request, history_id, *, undo):
    """403 when the entry's undo or redo would move faces of other files (its snapshots name them)."""
    if file_limit_of(request) is None:
        return
    entry = history_entry_get(history_id)
    verb = "undoing" if undo else "redoing"
    _ensure_face_groups_allowed(
        request,
        (entry.before_snapshot or {}).get("faces"),
        (entry.after_snapshot or {}).get("faces"),
        change=f"{verb} history entry {entry.history_id}",
    )
