import uuid

from django.db import models


class IdentityHistory(models.Model):
    """One curation write on one identity, with what undo and redo need.

    `before_snapshot`/`after_snapshot` hold the whole identity row (metadata included) plus the
    keys of the faces whose binding changed, so undo and redo are set-based statements.
    """

    history_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identity_uuid = models.UUIDField()
    action = models.CharField(max_length=32)
    before_snapshot = models.JSONField(null=True, blank=True)
    after_snapshot = models.JSONField(null=True, blank=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.CharField(max_length=150, blank=True, default="")
    redone_by = models.CharField(max_length=150, blank=True, default="")
    # Set when a later change on the same identity dropped this undone entry from the redo stack.
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "identity history"
        indexes = [models.Index(fields=["identity_uuid", "-id"], name="history_identity_idx")]
