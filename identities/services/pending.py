"""Pending persons: a new, unnamed identity for some traces of one file."""
import re
from dataclasses import dataclass

from django.db import transaction
from django.http import Http404

from faces.models import FaceDetection, MediaFile
from faces.moves import face_groups, faces_move_locked, locked_face_rows
from history.models import HistoryAction
from history.recording import group_owner_uuids, history_record

from ..models import Identity, IdentitySource, IdentityStatus
from ..validators import clean_name
from .files import identity_sync_files_on_commit
from .rows import identity_snapshot

PERSON_NAME = re.compile(r"^Person (\d+)$")


def _next_person_number(media_file):
    """One more than the highest N used in the file: by the `Person N` names of the pending persons
    created for it, and by the numbers recorded when they were auto-named (so a renamed one still
    counts)."""
    used = [0]
    created_for_file = Identity.objects.filter(reference_data__pending_for_file=media_file.file_uuid.hex)
    for name, reference_data in created_for_file.values_list("name", "reference_data"):
        match = PERSON_NAME.match(name)
        if match:
            used.append(int(match.group(1)))
        number = reference_data.get("person_number") if isinstance(reference_data, dict) else None
        if isinstance(number, int):
            used.append(number)
    return max(used) + 1


@dataclass(frozen=True)
class PendingPersonCreation:
    identity: Identity
    bound_traces: int
    history: object


def pending_person_create(*, file_uuid, actor, name=None, trace_ids=()):
    """Create a pending, manual identity for a file and bind all faces of the given traces to it.

    The file is recorded in `reference_data.pending_for_file`; the file row is locked so two
    curators creating pending persons at once get different numbers.
    """
    trace_ids = sorted(set(trace_ids))
    with transaction.atomic(durable=True):
        media_file = MediaFile.objects.select_for_update().filter(file_uuid=file_uuid).first()
        if media_file is None:
            raise Http404(f"No media file with uuid {file_uuid.hex}.")
        faces = FaceDetection.objects.filter(media_file=media_file, trace_id__in=trace_ids)
        missing = sorted(set(trace_ids) - set(faces.values_list("trace_id", flat=True).distinct()))
        if missing:
            raise Http404(f"No trace {', '.join(map(str, missing))} in file {media_file.file_uuid.hex}.")
        reference_data = {"pending_for_file": media_file.file_uuid.hex}
        if name:
            name = clean_name(name)
        else:
            reference_data["person_number"] = _next_person_number(media_file)
            name = f"Person {reference_data['person_number']}"
        identity = Identity.objects.create(
            name=name,
            identity_type="people",
            source=IdentitySource.MANUAL,
            status=IdentityStatus.PENDING,
            reference_data=reference_data,
        )
        rows = locked_face_rows(faces)
        before = identity_snapshot(None, faces=face_groups(rows))
        faces_move_locked(rows, to_id=identity.pk)
        entry = history_record(
            identity_uuid=identity.identity_uuid,
            action=HistoryAction.CREATE,
            before=before,
            after=identity_snapshot(identity, faces=face_groups(rows, owner=identity.identity_uuid)),
            actor=actor,
        )
        identity_sync_files_on_commit(identity.identity_uuid, *group_owner_uuids(before["faces"]))
    return PendingPersonCreation(identity=identity, bound_traces=len(trace_ids), history=entry)
