"""The relational steps of a merge and of its undo, on two identities their caller has locked.

What undo keeps: faces return only if the merge (or the last redo) moved them and they are still
on the target; what the metadata gets back is decided in `merge_rules`. The source's rejections
are carried to the target as copies naming the merge, which its undo deletes (`rejections`).
"""
import json
from dataclasses import dataclass

from faces.moves import face_key_groups, face_keys_of_groups, faces_described, faces_move_all, faces_move_groups
from history.merge_records import undo_window

from ..models import Identity, IdentityStatus
from . import merge_rules
from .merge_rules import MERGED_INTO
from .rejections import rejections_carry, rejections_uncarry
from .rows import identity_row, identity_row_restore

FACES_MOVED_AWAY_LISTED = 100


@dataclass(frozen=True)
class MergeApplied:
    """The counts for the response and the record fields a merge (or redo) sets."""

    faces_transferred: int
    aliases_added: int
    metadata_fields_added: int
    fields: dict


def merge_apply(*, source, target, keep_history, merge_id, now, actor):
    """Move the faces, merge aliases and metadata, carry the rejections, then mark or delete the
    source (both locked)."""
    source_snapshot = identity_row(source)
    moved = faces_move_all(from_id=source.pk, to_id=target.pk)
    rejections_carry(
        source_uuid=source.identity_uuid, target_uuid=target.identity_uuid, merge_id=merge_id, actor=actor
    )
    face_groups, faces_transferred = face_key_groups(moved)
    merge = merge_rules.metadata_merge(target.metadata, source.metadata)
    target.metadata = merge.metadata
    target.updated_at = now
    target.save(update_fields=["metadata", "updated_at"])
    if keep_history:
        source_metadata = source.metadata if isinstance(source.metadata, dict) else {}
        source.metadata = {
            **source_metadata,
            MERGED_INTO: {
                "uuid": target.identity_uuid.hex,
                "at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "merge_id": str(merge_id),
            },
        }
        source.status = IdentityStatus.MERGED
        source.updated_at = now
        source.save(update_fields=["metadata", "status", "updated_at"])
    else:
        Identity.objects.filter(pk=source.pk).delete()
    paths = [".".join(str(key) for key in path) for path, _ in merge.added]
    fields = {
        "source_name": source.name,
        "target_name": target.name,
        "applied_at": now,
        "undo_deadline": now + undo_window(),
        "faces_transferred": faces_transferred,
        "faces": face_groups,
        "aliases_added": merge.aliases_added,
        "aliases_key_created": merge.aliases_key_created,
        "metadata_fields_added": len(merge.added),
        "metadata_fields_added_paths": paths,
        # Values as JSON text: user keys may hold "." or "$", which BSON field names may not.
        "metadata_added": json.dumps(merge.added),
        "source_snapshot": json.dumps(source_snapshot),
    }
    return MergeApplied(faces_transferred, len(merge.aliases_added), len(merge.added), fields)


@dataclass(frozen=True)
class MergeUndone:
    source: Identity
    faces_reverted: int
    faces_not_reverted: int
    faces_moved_away: list
    aliases_removed: int
    metadata_fields_removed: int


def undo_apply(*, record, source, target, now):
    """Take the merge out of the target and put the source back (source and target locked)."""
    snapshot = json.loads(record["source_snapshot"])
    rejections_uncarry(merge_id=record["merge_id"])
    if record["keep_history"]:
        if isinstance(snapshot["metadata"], dict) and isinstance(source.metadata, dict):
            source.metadata = {key: value for key, value in source.metadata.items() if key != MERGED_INTO}
        else:
            source.metadata = snapshot["metadata"]
        source.status = snapshot["status"]
        source.updated_at = now
        source.save(update_fields=["metadata", "status", "updated_at"])
    else:
        source = identity_row_restore(snapshot)
    reverted = faces_move_groups(record["faces"], from_id=target.pk, to_id=source.pk)
    not_reverted = set()
    if len(reverted) < record["faces_transferred"]:  # some moved away since, or are gone
        not_reverted = set(face_keys_of_groups(record["faces"])) - set(reverted)
    faces_missing = record["faces_transferred"] - len(reverted) - len(not_reverted)
    listed = sorted(not_reverted)[:FACES_MOVED_AWAY_LISTED]
    target.metadata, aliases_removed, fields_removed = merge_rules.metadata_unmerge(
        target.metadata,
        aliases_added=record["aliases_added"],
        aliases_key_created=record["aliases_key_created"],
        added=json.loads(record["metadata_added"]),
    )
    target.updated_at = now
    target.save(update_fields=["metadata", "updated_at"])
    return MergeUndone(
        source=source,
        faces_reverted=len(reverted),
        faces_not_reverted=len(not_reverted) + faces_missing,
        faces_moved_away=faces_described(listed),
        aliases_removed=aliases_removed,
        metadata_fields_removed=fields_removed,
    )
