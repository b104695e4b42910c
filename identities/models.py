import uuid

from django.db import models


class IdentityStatus(models.TextChoices):
    CONFIRMED = "confirmed"
    PENDING = "pending"
    INACTIVE = "inactive"
    SKIPPED = "skipped"
    MERGED = "merged"


# What an edit may set: `merged` is only ever set (and taken back) by a merge.
PATCHABLE_STATUSES = (
    IdentityStatus.CONFIRMED,
    IdentityStatus.PENDING,
    IdentityStatus.INACTIVE,
    IdentityStatus.SKIPPED,
)


class IdentitySource(models.TextChoices):
    JSON = ".json"
    AUTO = "auto"
    TMDB = "tmdb"
    USER_DEFINED = "user_defined"
    MERGED = "merged"
    MANUAL = "manual"


class Identity(models.Model):
    """A person, brand or object that appears in the library; `name` may repeat."""

    identity_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=255)
    identity_type = models.CharField(max_length=64, null=True, blank=True)
    source = models.CharField(max_length=16, choices=IdentitySource.choices, default=IdentitySource.USER_DEFINED)
    status = models.CharField(max_length=16, choices=IdentityStatus.choices, default=IdentityStatus.CONFIRMED)
    tmdb_id = models.IntegerField(null=True, blank=True, db_index=True)
    tmdb_profile = models.CharField(max_length=1024, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    reference_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "identities"
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "id"]), models.Index(fields=["source", "id"])]

    def __str__(self):
        return self.name

    @property
    def uuid_hex(self):
        return self.identity_uuid.hex


class FileSyncPending(models.Model):
    """The outbox of the files on disk: an identity whose `identity.json` (and, with `profile_image`,
    its profile image) must be rewritten from the database.

    Inserted in the transaction of the change, so a commit always leaves a trace of the files it
    owes; deleted by the writer once the files match. Rows are only ever inserted and deleted, one
    per write and identity: concurrent writers never wait for each other's rows, and the writer
    deletes exactly the rows it saw before reading the state it wrote, so a change committed after
    that keeps its row.
    """

    identity_uuid = models.UUIDField(db_index=True)
    profile_image = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.identity_uuid.hex


class IdentityRejection(models.Model):
    """A curator's "`identity_uuid` is not `candidate_uuid`", which suggestions respect both ways.

    Kept by uuid, not by foreign key: a rejection outlives a re-ingest, and the undo of a delete
    finds it still there. A curator's own rejection (`merge_id` null) is one row per pair, recorded
    in the identity's history; a row a merge carried to its target names the merge, whose undo
    takes exactly those rows back.
    """

    identity_uuid = models.UUIDField()
    candidate_uuid = models.UUIDField(db_index=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    merge_id = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["identity_uuid", "candidate_uuid"], name="identity_rejection_pair_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["identity_uuid", "candidate_uuid"],
                condition=models.Q(merge_id__isnull=True),
                name="identity_rejection_direct_unique",
            ),
            models.UniqueConstraint(
                fields=["identity_uuid", "candidate_uuid", "merge_id"],
                condition=models.Q(merge_id__isnull=False),
                name="identity_rejection_carried_unique",
            ),
        ]

    def __str__(self):
        return f"{self.identity_uuid.hex} is not {self.candidate_uuid.hex}"


class TraceRejection(models.Model):
    """"Trace `trace_id` of file `file_uuid` is not `identity_uuid`", recorded when a curator unbinds
    the whole trace from that identity. By file uuid and trace id, so it outlives a re-ingest of the
    file; `merge_id` as on `IdentityRejection`."""

    file_uuid = models.UUIDField()
    trace_id = models.IntegerField()
    identity_uuid = models.UUIDField(db_index=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    merge_id = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["file_uuid", "trace_id"], name="trace_rejection_trace_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["file_uuid", "trace_id", "identity_uuid"],
                condition=models.Q(merge_id__isnull=True),
                name="trace_rejection_direct_unique",
            ),
            models.UniqueConstraint(
                fields=["file_uuid", "trace_id", "identity_uuid", "merge_id"],
                condition=models.Q(merge_id__isnull=False),
                name="trace_rejection_carried_unique",
            ),
        ]

    def __str__(self):
        return f"trace {self.trace_id} of {self.file_uuid.hex} is not {self.identity_uuid.hex}"
