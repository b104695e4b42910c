"""Time a merge, its undo and its redo beside the bare UPDATE (and commit) of the same face rows.

    manage.py merge_benchmark --faces 1000 10000 100000 [--trace-length 50 --frame-step 12] [--files 200]
        [--embedding-dimensions 128]

Runs on the configured database and merge-history store, with throwaway identities, throwaway
media files and their faces (segments built as ingest builds them), all removed afterwards. Faces
come in traces, `--frame-step` frames apart (12: no two faces of a trace in consecutive frames, so
the merge record's runs are one face each), dealt to the files trace by trace. With
`--embedding-dimensions` each face carries an embedding (a direction per trace, each face a little
off it), so the moves keep segment sums and identity centroids as in a library with embeddings.
Each figure includes the commit (and so PostgreSQL's deferred foreign-key checks). Merge, undo and redo are
timed as a request makes them: until the response (the merge-history writes the protocol needs
before the commit included), then apart the work deferred past it (the record's completion, the
identity.json rewrites, the planner statistics after a large move). Undo and redo run `--repeat`
times (undo, redo, undo, ...) and the bare UPDATE as often; the medians are printed.
"""
import math
import shutil
import statistics
import time
import uuid

import numpy as np
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from faces.models import FaceDetection, MediaFile
from faces.segments import segments_rebuild_file
from history.models import IdentityHistory, MergeOperation
from history.mongo import merge_history_collection
from identities import storage
from identities.models import Identity
from identities.services.binding import trace_bind
from identities.services.merging import identity_merge, merge_redo, merge_undo
from identities.services.replay import history_redo, history_undo
from momentry.core.deferred import response_scope

TRACE_LENGTH = 40
BATCH_SIZE = 5000
ACTOR = "benchmark"
OPERATIONS = ("merge", "undo", "redo")
HISTORY_OPERATIONS = ("bind", "undo", "redo")
WARM_UP_FACES = 10
EMBEDDING_NOISE = 0.3  # of a face's embedding around its trace's direction, per component


class Command(BaseCommand):
    help = "Time merge, undo and redo against the bare UPDATE of the same face rows, at the given face counts."

    def add_arguments(self, parser):
        parser.add_argument("--faces", type=int, nargs="+", default=[1000, 10_000, 100_000])
        parser.add_argument(
            "--trace-length", type=int, default=TRACE_LENGTH, help="Consecutive frames a trace; 1 scatters every face."
        )
        parser.add_argument(
            "--frame-step", type=int, default=1, help="Frames between a trace's faces; above 1 the keys form no runs."
        )
        parser.add_argument("--files", type=int, default=1, help="Media files the traces are dealt to.")
        parser.add_argument("--repeat", type=int, default=3, help="Runs of undo, redo and the bare UPDATE (medians).")
        parser.add_argument(
            "--embedding-dimensions", type=int, default=0, help="Floats of each face's embedding; 0: no embeddings."
        )
        parser.add_argument(
            "--history",
            action="store_true",
            help="Also time the history undo and redo of a bind/trace of as many faces (one trace).",
        )

    def handle(self, *args, faces, trace_length, frame_step, files, repeat, history, embedding_dimensions, **options):
        self.trace_length, self.frame_step, self.files, self.repeat = trace_length, frame_step, files, repeat
        self.embedding_dimensions = embedding_dimensions
        embeddings = f"{embedding_dimensions}-float embeddings" if embedding_dimensions else "no embeddings"
        self.stdout.write(
            f"database: {connection.vendor}; traces of {trace_length} faces {frame_step} frame(s) apart"
            f" in {files} file(s), {embeddings}; until the response, then the work after it"
        )
        self.stdout.write(
            f"{'faces':>8} {'bare UPDATE':>12}"
            + "".join(f" {name:>9} {'ratio':>6}" for name in OPERATIONS)
            + f"  {'after: ' + ' / '.join(OPERATIONS):>24}"
        )
        self.measure(WARM_UP_FACES)  # clients, connections and caches, as a serving process has them
        for count in faces:
            bare, timings = self.measure(count)
            ratios = "".join(f" {timings[name][0]:>7.3f} s {timings[name][0] / bare:>5.1f}x" for name in OPERATIONS)
            after = " / ".join(f"{timings[name][1]:.3f}" for name in OPERATIONS)
            self.stdout.write(f"{count:>8} {bare:>10.3f} s{ratios}  {after:>22} s")
        if history:
            self.stdout.write(f"history of a bind/trace of one trace:\n{'faces':>8} {'bare UPDATE':>12}" + "".join(
                f" {name:>9} {'ratio':>6}" for name in HISTORY_OPERATIONS
            ))
            for count in faces:
                bare, timings = self.measure_history(count)
                ratios = "".join(
                    f" {timings[name][0]:>7.3f} s {timings[name][0] / bare:>5.1f}x" for name in HISTORY_OPERATIONS
                )
                self.stdout.write(f"{count:>8} {bare:>10.3f} s{ratios}")

    def measure(self, count):
        """The medians of the bare UPDATE (with its commit) and `{operation: (until the response,
        after it)}`."""
        source = Identity.objects.create(name=f"benchmark stranger {count}", source="auto", status="pending")
        target = Identity.objects.create(name=f"benchmark target {count}", source="user_defined")
        media_files = [
            MediaFile.objects.create(
                file_uuid=uuid.uuid4(),
                file_name=f"benchmark_{number}.mp4",
                fps=25.0,
                duration=count * 2 * self.frame_step / 25,
                frame_count=count * 2 * self.frame_step,
            )
            for number in range(self.files)
        ]
        merge_id = None
        try:
            self.create_faces(media_files, source, count)
            self.bare_update(from_id=source.pk, to_id=target.pk)  # warm-up, there and back
            self.bare_update(from_id=target.pk, to_id=source.pk)
            bare = []
            for _ in range(self.repeat):
                bare.append(self.bare_update(from_id=source.pk, to_id=target.pk))
                self.bare_update(from_id=target.pk, to_id=source.pk)

            timings = {name: [] for name in OPERATIONS}
            merged = self.timed(
                timings["merge"],
                lambda: identity_merge(identity_uuid=source.identity_uuid, into_uuid=target.identity_uuid, actor=ACTOR),
            )
            merge_id = merged.merge_id
            for _ in range(self.repeat):
                undone = self.timed(timings["undo"], lambda: merge_undo(merge_id=str(merge_id), actor=ACTOR))
                if undone.undone.faces_reverted != count:
                    raise RuntimeError(f"Undo reverted {undone.undone.faces_reverted} of {count} faces.")
                redone = self.timed(timings["redo"], lambda: merge_redo(merge_id=str(merge_id), actor=ACTOR))
                if redone.faces_transferred != count:
                    raise RuntimeError(f"Redo moved {redone.faces_transferred} of {count} faces.")
            medians = {
                name: tuple(statistics.median(part) for part in zip(*runs)) for name, runs in timings.items()
            }
            return statistics.median(bare), medians
        finally:
            self.clean_up(media_files, (source, target), merge_id)

    def measure_history(self, count):
        """As `measure`, for a bind/trace of `count` unbound faces and its history undo and redo."""
        identity = Identity.objects.create(name=f"benchmark person {count}", source="user_defined")
        media_file = MediaFile.objects.create(
            file_uuid=uuid.uuid4(),
            file_name="benchmark_trace.mp4",
            fps=25.0,
            duration=count * self.frame_step / 25,
            frame_count=count * self.frame_step,
        )
        try:
            embeddings = self.embeddings(count, trace_length=count)
            FaceDetection.objects.bulk_create(
                FaceDetection(
                    media_file=media_file,
                    frame_number=position * self.frame_step,
                    index=0,
                    bbox=[0, 0, 10, 10],
                    confidence=0.9,
                    trace_id=1,
                    embedding=embeddings[position],
                )
                for position in range(count)
            )
            with transaction.atomic():
                segments_rebuild_file(media_file.pk)
            bare = []
            for _ in range(self.repeat + 1):  # the first is a warm-up
                bare.append(self.bare_update(from_id=None, to_id=identity.pk))
                self.bare_update(from_id=identity.pk, to_id=None)
            timings = {name: [] for name in HISTORY_OPERATIONS}
            bound = self.timed(
                timings["bind"],
                lambda: trace_bind(
                    identity_uuid=identity.identity_uuid, file_uuid=media_file.file_uuid, trace_id=1, actor=ACTOR
                ),
            )
            history_id = bound.history.history_id
            for _ in range(self.repeat):
                self.timed(timings["undo"], lambda: history_undo(history_id=history_id, actor=ACTOR))
                self.timed(timings["redo"], lambda: history_redo(history_id=history_id, actor=ACTOR))
            medians = {
                name: tuple(statistics.median(part) for part in zip(*runs)) for name, runs in timings.items()
            }
            return statistics.median(bare[1:]), medians
        finally:
            self.clean_up([media_file], (identity,), None)

    @staticmethod
    def timed(runs, call):
        """Make the call as a request makes it, appending to `runs` the seconds until its response
        and those of the work deferred past it (`response_scope`)."""
        started = time.perf_counter()
        with response_scope():
            result = call()
            answered = time.perf_counter()
        runs.append((answered - started, time.perf_counter() - answered))
        return result

    def create_faces(self, media_files, identity, count):
        """`count` faces in traces of `frame_step`-spaced frames, a gap between traces; trace `n`
        goes to file `n % files`."""
        trace_frames = self.trace_length * self.frame_step + 1
        embeddings = self.embeddings(count, trace_length=self.trace_length)

        def face(position):
            trace = position // self.trace_length
            media_file = media_files[trace % len(media_files)]
            frame = (trace // len(media_files)) * trace_frames + position % self.trace_length * self.frame_step
            return FaceDetection(
                media_file=media_file,
                frame_number=frame,
                index=0,
                bbox=[0, 0, 10, 10],
                confidence=0.9,
                trace_id=trace,
                embedding=embeddings[position],
                identity=identity,
            )

        FaceDetection.objects.bulk_create((face(position) for position in range(count)), batch_size=BATCH_SIZE)
        with transaction.atomic():
            for media_file in media_files:
                segments_rebuild_file(media_file.pk)

    def embeddings(self, count, *, trace_length):
        """`count` embeddings (lists of floats), or Nones without `--embedding-dimensions`: one random
        direction per `trace_length` faces, each face a little off it."""
        if not self.embedding_dimensions:
            return [None] * count
        rng = np.random.default_rng(count)
        directions = rng.standard_normal((math.ceil(count / trace_length), self.embedding_dimensions))
        faces = directions.repeat(trace_length, axis=0)[:count]
        faces += EMBEDDING_NOISE * rng.standard_normal(faces.shape)
        return np.round(faces, 4).tolist()

    def bare_update(self, *, from_id, to_id):
        table = connection.ops.quote_name(FaceDetection._meta.db_table)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET identity_id = %s WHERE identity_id {'IS NULL' if from_id is None else '= %s'}",
                [to_id] if from_id is None else [to_id, from_id],
            )
        return time.perf_counter() - started

    def clean_up(self, media_files, identities, merge_id):
        for media_file in media_files:
            media_file.delete()
        for identity in identities:
            Identity.objects.filter(identity_uuid=identity.identity_uuid).delete()
            IdentityHistory.objects.filter(identity_uuid=identity.identity_uuid).delete()
            shutil.rmtree(storage.identity_dir(identity.identity_uuid), ignore_errors=True)
        if merge_id is not None:
            MergeOperation.objects.filter(merge_id=merge_id).delete()
            merge_history_collection().delete_one({"_id": str(merge_id)})
