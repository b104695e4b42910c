from django.db import models
from django.db.models import F, Q

from .keys import face_id


class MediaFile(models.Model):
    file_uuid = models.UUIDField(unique=True)
    file_name = models.CharField(max_length=1024)
    fps = models.FloatField()
    duration = models.FloatField()
    frame_count = models.IntegerField()
    # The video, an absolute path as ingest resolved the document's `media_path`; what
    # `manage.py extract_crops` cuts face crops from.
    media_path = models.CharField(max_length=4096, null=True, blank=True)
    ingested_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.file_name


class FaceDetection(models.Model):
    """One detected face; `(frame_number, index)` is its `face_id` within the file.

    The indexes are only those reads need (unique key, faces of a trace, faces of an identity):
    every extra index makes re-pointing 100k faces in a merge measurably slower.
    """

    media_file = models.ForeignKey(MediaFile, on_delete=models.CASCADE, related_name="faces", db_index=False)
    frame_number = models.IntegerField()
    index = models.SmallIntegerField()
    bbox = models.JSONField()
    confidence = models.FloatField()
    trace_id = models.IntegerField()
    embedding = models.JSONField(null=True, blank=True)
    identity = models.ForeignKey(
        "identities.Identity", on_delete=models.SET_NULL, null=True, blank=True, related_name="faces", db_index=False
    )

    class Meta:
        ordering = ["media_file_id", "frame_number", "index"]
        constraints = [
            models.UniqueConstraint(fields=["media_file", "frame_number", "index"], name="face_unique_per_frame"),
        ]
        indexes = [
            models.Index(fields=["media_file", "trace_id"], name="face_trace_idx"),
            models.Index(fields=["identity", "media_file", "trace_id"], name="face_identity_idx"),
        ]

    @property
    def face_id(self):
        return face_id(self.frame_number, self.index)


def identity_model():
    """The model faces are bound to, known to this app only through the foreign key's model string."""
    return FaceDetection._meta.get_field("identity").related_model


class Chunk(models.Model):
    """A piece of speech (or story text) timed within a file."""

    media_file = models.ForeignKey(MediaFile, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    chunk_id = models.CharField(max_length=255)
    chunk_type = models.CharField(max_length=64)
    start_frame = models.IntegerField()
    end_frame = models.IntegerField()
    start_time = models.FloatField()
    end_time = models.FloatField()
    text = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["media_file_id", "start_time", "id"]
        constraints = [
            models.UniqueConstraint(fields=["media_file", "chunk_id"], name="chunk_unique_per_file"),
        ]
        indexes = [
            # end_time in the key: the chunk reads (faces.selectors.sql) count the chunks overlapping
            # a span by one range of this index, testing end_time without visiting the table.
            models.Index(fields=["media_file", "start_time", "end_time"], name="chunk_time_idx"),
            # The longest chunk of a file in one index step: it bounds the time-range scan that
            # finds the chunks overlapping a span (faces.selectors).
            models.Index(F("media_file"), F("end_time") - F("start_time"), name="chunk_duration_idx"),
        ]


class TraceSegment(models.Model):
    """The faces of one trace bound to one identity, or to none: one row per (file, trace, owner).

    The faces are the truth; segments are what reads of traces, chunks and files scan instead of
    every face of an identity (100k faces are 2,000 segments). Each write that moves faces rebuilds
    the segments of the traces it touched in its own transaction (`faces.segments`), and
    `manage.py check_traces` compares them with the faces. A segment also carries its whole
    trace's figures (`trace_*`), which the API reports for any trace an identity appears in.
    """

    media_file = models.ForeignKey(MediaFile, on_delete=models.CASCADE, related_name="segments", db_index=False)
    trace_id = models.IntegerField()
    # No cascade and no SET_NULL: an identity is deleted only after its faces moved, and the
    # database refuses (at commit) a delete that left a segment naming it.
    identity = models.ForeignKey(
        "identities.Identity", on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_index=False
    )
    face_count = models.IntegerField()
    frame_count = models.IntegerField()
    first_frame = models.IntegerField()
    last_frame = models.IntegerField()
    avg_confidence = models.FloatField()
    embedding_count = models.IntegerField()
    # The face a crop or a suggestion shows first: highest confidence × bbox area.
    best_frame = models.IntegerField()
    best_index = models.SmallIntegerField()
    # The sum of the segment's face embeddings, each scaled to unit length (float32, `faces.centroids`):
    # sums add, so a merge that re-points a segment moves its share of the centroid with it.
    embedding_sum = models.BinaryField(null=True, blank=True)
    trace_face_count = models.IntegerField()
    trace_frame_count = models.IntegerField()
    trace_first_frame = models.IntegerField()
    trace_last_frame = models.IntegerField()
    trace_avg_confidence = models.FloatField()

    class Meta:
        ordering = ["media_file_id", "trace_first_frame", "trace_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["identity", "media_file", "trace_id"],
                condition=Q(identity__isnull=False),
                name="segment_unique_owner",
            ),
            models.UniqueConstraint(
                fields=["media_file", "trace_id"], condition=Q(identity__isnull=True), name="segment_unique_unbound"
            ),
        ]
        indexes = [
            models.Index(fields=["media_file", "trace_first_frame", "trace_id"], name="segment_file_idx"),
            # An identity's traces in page order: without it PostgreSQL walks segment_file_idx for
            # the order and filters every segment of the library (15 ms at 100k segments).
            models.Index(fields=["identity", "media_file", "trace_first_frame", "trace_id"], name="segment_owner_idx"),
        ]


class IdentityCentroid(models.Model):
    """The direction of an identity's faces in embedding space: what suggestions compare.

    `embedding_sum` (float64) is the sum of its segments' `embedding_sum`, kept by adding what each
    move brought and took away (`faces.centroids`); `centroid` is that sum at unit length (float32),
    null while no face of the identity has an embedding. `changed_at` lets a process that holds the
    centroids in memory fetch only the rows changed since it last looked.
    """

    identity = models.OneToOneField(
        "identities.Identity", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    embedding_count = models.IntegerField()
    embedding_sum = models.BinaryField(null=True, blank=True)
    centroid = models.BinaryField(null=True, blank=True)
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["identity_id"]
