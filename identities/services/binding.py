"""Binding faces to identities: one face, a whole trace, and unbinding (a whole trace unbound is
also remembered as "this trace is not the identity", `rejections`)."""
from dataclasses import dataclass

from django.db import transaction
from django.http import Http404

from faces.keys import face_id
from faces.models import FaceDetection
from faces.moves import face_groups, faces_move_locked, locked_face_rows
from faces.selectors import media_file_get
from history.models import HistoryAction
from history.recording import group_owner_uuids, history_record

from ..models import Identity
from .files import identity_sync_files_on_commit
from .rejections import rejections_added, trace_rejection_add
from .rows import identity_for_update, identity_snapshot


@dataclass(frozen=True)
class BindingChange:
    identity: Identity
    rows_affected: int
    history: object


def _faces_in_file(file_uuid, *, frame_number=None, index=None, trace_id=None):
    """`(file, faces)`: one face (frame, index) or a whole trace of a file; 404 when the file or the
    faces don't exist."""
    media_file = media_file_get(file_uuid)
    faces = FaceDetection.objects.filter(media_file=media_file)
    if trace_id is not None:
        faces, what = faces.filter(trace_id=trace_id), f"trace {trace_id}"
    else:
        faces, what = faces.filter(frame_number=frame_number, index=index), f"face {face_id(frame_number, index)}"
    if not faces.exists():
        raise Http404(f"No {what} in file {media_file.file_uuid.hex}.")
    return media_file, faces


def _rebind_faces(*, identity, changing_faces, new_owner, action, actor, rejected_trace=None):
    """Lock the faces that change, point exactly those at `new_owner` (one UPDATE by key) and
    record them on `identity`, with "this trace is not the identity" for a `rejected_trace`
    `(file_uuid, trace_id)` unless a curator said so already.

    Nothing changes (and nothing is recorded) when every face already has that owner.
    """
    rows = locked_face_rows(changing_faces)
    moved = set(faces_move_locked(rows, to_id=new_owner.pk if new_owner else None))
    rows = [row for row in rows if row[:3] in moved]
    if not rows:
        return BindingChange(identity=identity, rows_affected=0, history=None)
    traces = []
    if rejected_trace is not None:
        file_uuid, trace_id = rejected_trace
        if trace_rejection_add(
            identity_uuid=identity.identity_uuid, file_uuid=file_uuid, trace_id=trace_id, actor=actor
        ):
            traces.append(rejected_trace)
    rejections_before, rejections_after = rejections_added(traces=traces)
    before = identity_snapshot(identity, faces=face_groups(rows), **rejections_before)
    after = identity_snapshot(
        identity, faces=face_groups(rows, owner=new_owner.identity_uuid if new_owner else None), **rejections_after
    )
    entry = history_record(
        identity_uuid=identity.identity_uuid, action=action, before=before, after=after, actor=actor
    )
    identity_sync_files_on_commit(identity.identity_uuid, *group_owner_uuids(before["faces"]))
    return BindingChange(identity=identity, rows_affected=len(rows), history=entry)


def face_bind(*, identity_uuid, file_uuid, frame_number, index, actor):
    """Bind one face (`{frame}_{index}`) to the identity, whoever had it before."""
    with transaction.atomic(durable=True):
        identity = identity_for_update(identity_uuid)
        _media_file, faces = _faces_in_file(file_uuid, frame_number=frame_number, index=index)
        return _rebind_faces(
            identity=identity,
            changing_faces=faces.exclude(identity=identity),
            new_owner=identity,
            action=HistoryAction.BIND,
            actor=actor,
        )


def trace_bind(*, identity_uuid, file_uuid, trace_id, actor):
    """Bind every face of a trace to the identity in one UPDATE."""
    with transaction.atomic(durable=True):
        identity = identity_for_update(identity_uuid)
        _media_file, faces = _faces_in_file(file_uuid, trace_id=trace_id)
        return _rebind_faces(
            identity=identity,
            changing_faces=faces.exclude(identity=identity),
            new_owner=identity,
            action=HistoryAction.BIND_TRACE,
            actor=actor,
        )


def faces_unbind(*, identity_uuid, file_uuid, actor, frame_number=None, index=None, trace_id=None):
    """Unbind one face or a whole trace; only the faces bound to this identity are touched. A whole
    trace is also remembered as not this identity, in the same entry (its undo forgets it)."""
    with transaction.atomic(durable=True):
        identity = identity_for_update(identity_uuid)
        media_file, faces = _faces_in_file(file_uuid, frame_number=frame_number, index=index, trace_id=trace_id)
        return _rebind_faces(
            identity=identity,
            changing_faces=faces.filter(identity=identity),
            new_owner=None,
            action=HistoryAction.UNBIND_TRACE if trace_id is not None else HistoryAction.UNBIND,
            actor=actor,
            rejected_trace=(media_file.file_uuid, trace_id) if trace_id is not None else None,
        )
