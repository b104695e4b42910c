import uuid

from django.db import models


class HistoryAction(models.TextChoices):
    """The writes that record an identity history entry, one value each."""

    CREATE = "create", "create (pending person)"
    UPLOAD = "upload", "upload of identity.json"
    UPDATE = "update", "edit"
    DELETE = "delete", "delete"
    PROFILE_IMAGE = "profile_image", "profile image"
    BIND = "bind", "bind a face"
    BIND_TRACE = "bind_trace", "bind a trace"
    UNBIND = "unbind", "unbind a face"
    UNBIND_TRACE = "unbind_trace", "unbind a trace"
    TMDB_PROBE = "tmdb_probe", "TMDb probe"
    MERGE = "merge", "merge"
    MERGE_UNDO = "merge_undo", "undo of a merge"
    MERGE_REDO = "merge_redo", "redo of a merge"
    REJECT = "reject", "not this person"


# The entries a merge leaves on both identities' stacks. A merge (or its redo) stands until the
# merge is undone, which marks it undone; it is undone and redone only through the merge's own
# endpoints. The entry of a merge's undo records that undo; it is never a head of the stack.
MERGE_ACTIONS = (HistoryAction.MERGE, HistoryAction.MERGE_REDO)


class IdentityHistory(models.Model):
    """One curation write on one identity, with what undo and redo need.

    `before_snapshot`/`after_snapshot` hold the identity row (metadata only where the write changed
    it) plus the keys of the faces whose binding changed, so undo and redo are set-based statements.
    The entries of a merge name it by `merge_id`; its faces are in the merge record.
    """

    history_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identity_uuid = models.UUIDField()
    action = models.CharField(max_length=32, choices=HistoryAction.choices)
    before_snapshot = models.JSONField(null=True, blank=True)
    after_snapshot = models.JSONField(null=True, blank=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.CharField(max_length=150, blank=True, default="")
    redone_by = models.CharField(max_length=150, blank=True, default="")
    merge_id = models.UUIDField(null=True, blank=True, db_index=True)
    # Set when a later change on the same identity dropped this undone entry from the redo stack.
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "identity history"
        indexes = [models.Index(fields=["identity_uuid", "-id"], name="history_identity_idx")]


class HistoryInvolvement(models.Model):
    """An identity an entry involves: its own, and each that owned any of its faces before or after
    the write (a bind that takes a trace from another identity involves that one too). "Every entry
    involving identity X" is one range of the unique key, newest first."""

    entry = models.ForeignKey(IdentityHistory, on_delete=models.CASCADE, related_name="involvements")
    identity_uuid = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["identity_uuid", "entry"], name="history_involvement_unique"),
        ]


class MergeOperation(models.Model):
    """The relational half of a merge, undo or redo, written in the same transaction as its changes.

    The merge record in `merge_history` (MongoDB) is written `pending` before the commit and
    completed after it; a reader that finds it still pending looks here to learn whether the
    transaction committed. A reader that finds no row writes one with `committed=False` (the unique
    key makes it wait for a transaction still in flight), so the outcome can never change later.
    The row whose `operation_id` equals the `merge_id` also serialises every write of that record.
    """

    class Kind(models.TextChoices):
        MERGE = "merge"
        UNDO = "undo"
        REDO = "redo"

    operation_id = models.UUIDField(unique=True)
    merge_id = models.UUIDField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    committed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
