"""Time a merge and its undo beside the bare UPDATE that re-points the same face rows.

    manage.py merge_benchmark --faces 1000 10000 100000

Runs on the configured database and merge-history store, with throwaway identities, a throwaway
media file and its faces, all removed afterwards. Faces come in traces of consecutive frames, as
ingest makes them. Each figure includes the commit (and so PostgreSQL's deferred foreign-key
checks); merge and undo also include their merge-history writes and the identity.json rewrites.
"""
import shutil
import time
import uuid

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from faces.models import FaceDetection, MediaFile
from history.models import MergeOperation
from history.mongo import merge_history_collection
from identities import storage
from identities.models import Identity
from identities.services.merging import identity_merge, merge_undo

TRACE_LENGTH = 40
BATCH_SIZE = 5000
ACTOR = "benchmark"


class Command(BaseCommand):
    help = "Time merge and undo against the bare UPDATE of the same face rows, at the given face counts."

    def add_arguments(self, parser):
        parser.add_argument("--faces", type=int, nargs="+", default=[1000, 10_000, 100_000])
        parser.add_argument(
            "--trace-length", type=int, default=TRACE_LENGTH, help="Consecutive frames a trace; 1 scatters every face."
        )

    def handle(self, *args, faces, trace_length, **options):
        self.trace_length = trace_length
        self.stdout.write(f"database: {connection.vendor}; traces of {trace_length} frames")
        self.stdout.write(f"{'faces':>8} {'bare UPDATE':>12} {'merge':>9} {'ratio':>6} {'undo':>9} {'ratio':>6}")
        for count in faces:
            bare, merge, undo = self.measure(count)
            self.stdout.write(
                f"{count:>8} {bare:>10.3f} s {merge:>7.3f} s {merge / bare:>5.1f}x {undo:>7.3f} s {undo / bare:>5.1f}x"
            )

    def measure(self, count):
        source = Identity.objects.create(name=f"benchmark stranger {count}", source="auto", status="pending")
        target = Identity.objects.create(name=f"benchmark target {count}", source="user_defined")
        media_file = MediaFile.objects.create(
            file_uuid=uuid.uuid4(), file_name="benchmark.mp4", fps=25.0, duration=count * 2 / 25, frame_count=count * 2
        )
        merge_id = None
        try:
            self.create_faces(media_file, source, count)
            self.bare_update(from_id=source.pk, to_id=target.pk)  # warm-up, there and back
            self.bare_update(from_id=target.pk, to_id=source.pk)
            bare = self.bare_update(from_id=source.pk, to_id=target.pk)
            self.bare_update(from_id=target.pk, to_id=source.pk)

            started = time.perf_counter()
            merged = identity_merge(identity_uuid=source.identity_uuid, into_uuid=target.identity_uuid, actor=ACTOR)
            merge_id = merged.merge_id
            merge = time.perf_counter() - started

            started = time.perf_counter()
            undone = merge_undo(merge_id=str(merge_id), actor=ACTOR)
            undo = time.perf_counter() - started
            if undone.undone.faces_reverted != count:
                raise RuntimeError(f"Undo reverted {undone.undone.faces_reverted} of {count} faces.")
            return bare, merge, undo
        finally:
            self.clean_up(media_file, (source, target), merge_id)

    def create_faces(self, media_file, identity, count):
        """`count` faces in traces of consecutive frames, a gap of one frame between traces."""
        faces = (
            FaceDetection(
                media_file=media_file,
                frame_number=position + position // self.trace_length,
                index=0,
                bbox=[0, 0, 10, 10],
                confidence=0.9,
                trace_id=position // self.trace_length,
                identity=identity,
            )
            for position in range(count)
        )
        batch = []
        for face in faces:
            batch.append(face)
            if len(batch) == BATCH_SIZE:
                FaceDetection.objects.bulk_create(batch)
                batch = []
        FaceDetection.objects.bulk_create(batch)

    def bare_update(self, *, from_id, to_id):
        table = connection.ops.quote_name(FaceDetection._meta.db_table)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET identity_id = %s WHERE identity_id = %s", [to_id, from_id])
        return time.perf_counter() - started

    def clean_up(self, media_file, identities, merge_id):
        media_file.delete()
        for identity in identities:
            Identity.objects.filter(identity_uuid=identity.identity_uuid).delete()
            shutil.rmtree(storage.identity_dir(identity.identity_uuid), ignore_errors=True)
        if merge_id is not None:
            MergeOperation.objects.filter(merge_id=merge_id).delete()
            merge_history_collection().delete_one({"_id": str(merge_id)})
