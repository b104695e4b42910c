"""Merging a stranger into a known person, and the undo and redo of a merge.

These entry points lock both identities, check the merge's rules and order the steps of the
two-store protocol (`history.merge_records`); the relational changes are in `merge_steps`.
"""
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from faces.statistics import planner_statistics_refresh_after_large_move
from history import merge_records
from history.models import HistoryAction
from history.recording import history_records, snapshot
from history.stack import merge_entries_mark_undone
from momentry.core.errors import ApplicationError
from momentry.core.parsing import parse_uuid, uuid_from_path

from ..models import IdentityStatus
from ..selectors import identity_get
from .files import identity_sync_files_on_commit
from .merge_steps import MergeUndone, merge_apply, undo_apply
from .rows import identities_locked, identity_row


@dataclass(frozen=True)
class IdentityMerge:
    merge_id: uuid.UUID
    source_name: str
    target_name: str
    keep_history: bool
    faces_transferred: int
    aliases_added: int
    metadata_fields_added: int


@dataclass(frozen=True)
class MergeUndo:
    merge_id: uuid.UUID
    target_name: str
    undone: MergeUndone


def _merge_pair_for_update(source_uuid, target_uuid):
    """Lock both identities in the writers' order; None for one that is gone."""
    locked = identities_locked([source_uuid, target_uuid])
    return locked.get(source_uuid), locked.get(target_uuid)


def _ensure_mergeable(source, target):
    if source.pk == target.pk:
        raise ApplicationError("An identity cannot be merged into itself.", code="merge_into_itself")
    if source.status == IdentityStatus.MERGED:
        raise ApplicationError(
            f"Identity {source.identity_uuid.hex} is already merged into another identity.", code="already_merged"
        )
    _ensure_target_open(target)


def _ensure_target_open(target):
    if target.status == IdentityStatus.MERGED:
        raise ApplicationError(
            f"Cannot merge into {target.identity_uuid.hex}: it is merged into another identity.", code="target_merged"
        )


def merge_target_check(*, identity_uuid):
    """404 for no such identity, 400 for a merged one: checked once before a batch of merges into
    it starts (mergefrom), so none begins for a target that takes none; each merge checks again
    under its locks."""
    _ensure_target_open(identity_get(identity_uuid))


def _rows(*identities):
    return [identity_row(identity) if identity is not None else None for identity in identities]


def _record_on_both(*, action, merge_id, actor, identity_uuids, before, after):
    """The merge's entries on the stacks of its source and its target (rows before and after)."""
    history_records(
        [
            {
                "identity_uuid": identity_uuid,
                "action": action,
                "before": snapshot(row_before),
                "after": snapshot(row_after),
                "actor": actor,
                "merge_id": merge_id,
            }
            for identity_uuid, row_before, row_after in zip(identity_uuids, before, after)
        ]
    )


def _merge_result(merge_id, source_name, target_name, keep_history, applied):
    return IdentityMerge(
        merge_id=merge_id,
        source_name=source_name,
        target_name=target_name,
        keep_history=keep_history,
        faces_transferred=applied.faces_transferred,
        aliases_added=applied.aliases_added,
        metadata_fields_added=applied.metadata_fields_added,
    )


def identity_merge(*, identity_uuid, into_uuid, keep_history=True, actor):
    """Merge the identity into `into_uuid`: its faces, aliases and missing metadata go to the target;
    it is kept with status `merged` and `metadata.merged_into`, or deleted."""
    if not isinstance(keep_history, bool):
        raise ValidationError({"keep_history": ["Must be true or false."]})
    source_uuid = uuid_from_path(identity_uuid, what="identity")
    target_uuid = parse_uuid(into_uuid)
    if target_uuid is None:
        raise ValidationError({"into_uuid": ["Must be a UUID: 32 hex digits or the dashed form."]})
    merge_id = uuid.uuid4()
    with transaction.atomic(durable=True):
        source, target = _merge_pair_for_update(source_uuid, target_uuid)
        if source is None:
            raise Http404(f"No identity with uuid {source_uuid.hex}.")
        if target is None:
            raise Http404(f"No identity with uuid {target_uuid.hex} to merge into.")
        _ensure_mergeable(source, target)
        now = merge_records.merge_clock()
        merge_records.operation_begin(operation_id=merge_id, merge_id=merge_id, kind=merge_records.MERGE)
        source_name = source.name
        before = _rows(source, target)
        applied = merge_apply(
            source=source, target=target, keep_history=keep_history, merge_id=merge_id, now=now, actor=actor
        )
        planner_statistics_refresh_after_large_move(applied.faces_transferred)
        _record_on_both(
            action=HistoryAction.MERGE,
            merge_id=merge_id,
            actor=actor,
            identity_uuids=(source_uuid, target_uuid),
            before=before,
            after=_rows(source if keep_history else None, target),
        )
        merge_records.record_insert_pending(
            merge_records.new_record(
                merge_id=merge_id,
                source_uuid=source_uuid,
                target_uuid=target_uuid,
                keep_history=keep_history,
                actor=actor,
                now=now,
                fields=applied.fields,
            )
        )
        identity_sync_files_on_commit(source_uuid, target_uuid)
    merge_records.operation_complete(merge_id=merge_id, operation_id=merge_id)
    return _merge_result(merge_id, source_name, target.name, keep_history, applied)


def _merge_for_replay(merge_id):
    """The merge's settled record and its identities, all locked until the transaction ends: the
    merge first, whose record names the identities (one read of the record, not two), then the
    identities in the writers' order. No writer holds an identity while it waits for a merge."""
    record = merge_records.merge_record_locked(merge_id)
    source, target = _merge_pair_for_update(uuid.UUID(record["source_uuid"]), uuid.UUID(record["target_uuid"]))
    return record, source, target


def merge_undo(*, merge_id, actor):
    """Undo a merge within the undo window, keeping what was changed by hand since (`merge_rules`)."""
    operation_id = uuid.uuid4()
    with transaction.atomic(durable=True):
        record, source, target = _merge_for_replay(merge_id)
        now = merge_records.merge_clock()
        if record["undone"]:
            raise ApplicationError(f"Merge {record['merge_id']} is already undone.", code="merge_already_undone")
        if merge_records.merge_is_expired(record, now):
            raise ApplicationError(
                f"The undo deadline of merge {record['merge_id']} passed at {record['undo_deadline'].isoformat()}.",
                code="merge_undo_expired",
            )
        if target is None:
            raise ApplicationError(f"The target identity {record['target_uuid']} no longer exists.", code="identity_gone")
        if record["keep_history"] and source is None:
            raise ApplicationError(f"The merged identity {record['source_uuid']} no longer exists.", code="identity_gone")
        if not record["keep_history"] and source is not None:
            raise ApplicationError(
                f"An identity with uuid {record['source_uuid']} exists again; it cannot be recreated.",
                code="identity_exists",
            )
        merge_records.operation_begin(operation_id=operation_id, merge_id=record["merge_id"], kind=merge_records.UNDO)
        before = _rows(source, target)
        undone = undo_apply(record=record, source=source, target=target, now=now)
        planner_statistics_refresh_after_large_move(undone.faces_reverted)
        _record_on_both(
            action=HistoryAction.MERGE_UNDO,
            merge_id=record["merge_id"],
            actor=actor,
            identity_uuids=(undone.source.identity_uuid, target.identity_uuid),
            before=before,
            after=_rows(undone.source, target),
        )
        merge_entries_mark_undone(record["merge_id"], actor=actor)
        merge_records.record_begin_operation(
            merge_id=record["merge_id"],
            operation_id=operation_id,
            kind=merge_records.UNDO,
            undone=False,
            changes={
                "undone": True,
                "undone_at": now,
                "undone_by": actor,
                "faces_reverted": undone.faces_reverted,
                "faces_not_reverted": undone.faces_not_reverted,
            },
        )
        identity_sync_files_on_commit(target.identity_uuid, undone.source.identity_uuid)
    merge_records.operation_complete(merge_id=record["merge_id"], operation_id=operation_id)
    return MergeUndo(merge_id=uuid.UUID(record["merge_id"]), target_name=target.name, undone=undone)


def merge_redo(*, merge_id, actor):
    """Merge again what an undo took apart: the source's faces, aliases and missing metadata as they
    are now; the undo window starts again."""
    operation_id = uuid.uuid4()
    with transaction.atomic(durable=True):
        record, source, target = _merge_for_replay(merge_id)
        if not record["undone"]:
            raise ApplicationError(
                f"Merge {record['merge_id']} is not undone; there is nothing to redo.", code="merge_not_undone"
            )
        if source is None:
            raise ApplicationError(f"The merged identity {record['source_uuid']} no longer exists.", code="identity_gone")
        if target is None:
            raise ApplicationError(f"The target identity {record['target_uuid']} no longer exists.", code="identity_gone")
        _ensure_mergeable(source, target)
        now = merge_records.merge_clock()
        merge_records.operation_begin(operation_id=operation_id, merge_id=record["merge_id"], kind=merge_records.REDO)
        source_name = source.name
        before = _rows(source, target)
        applied = merge_apply(
            source=source,
            target=target,
            keep_history=record["keep_history"],
            merge_id=record["merge_id"],
            now=now,
            actor=actor,
        )
        planner_statistics_refresh_after_large_move(applied.faces_transferred)
        _record_on_both(
            action=HistoryAction.MERGE_REDO,
            merge_id=record["merge_id"],
            actor=actor,
            identity_uuids=(source.identity_uuid, target.identity_uuid),
            before=before,
            after=_rows(source if record["keep_history"] else None, target),
        )
        merge_records.record_begin_operation(
            merge_id=record["merge_id"],
            operation_id=operation_id,
            kind=merge_records.REDO,
            undone=True,
            changes={
                **applied.fields,
                **{field: None for field in ("undone_at", "undone_by", "faces_reverted", "faces_not_reverted")},
                "undone": False,
                "redone_at": now,
                "redone_by": actor,
            },
        )
        identity_sync_files_on_commit(source.identity_uuid, target.identity_uuid)
    merge_records.operation_complete(merge_id=record["merge_id"], operation_id=operation_id)
    return _merge_result(uuid.UUID(record["merge_id"]), source_name, target.name, record["keep_history"], applied)
