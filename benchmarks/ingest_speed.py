"""Ingest speed: one synthetic document of N faces and M chunks through `media_file_ingest`.

On a scratch database only (it adds identities and a media file, and removes them at the end),
from the project directory, after `migrate`:
    MOMENTRY_DATA_DIR=/tmp/ingest_bench .venv/bin/python benchmarks/ingest_speed.py 89212 6512
    DATABASE_URL=postgres://.../scratch MOMENTRY_DATA_DIR=/tmp/ingest_bench \
        .venv/bin/python benchmarks/ingest_speed.py 200000 10000 --embedding 0 --profile
The document is shaped like the demo's (traces of ~50 faces two detections a second, some frames
with two faces, 60% of the traces bound to one of 40 identities, bboxes to 0.1 px, confidences to 4
places, embeddings of `--embedding` floats to `--digits` places; 0 dimensions for none, 0 digits for
unrounded doubles). Prints the time of json.loads apart from the service's (and the parsed
document's size), then a new ingest and a `--replace` of it (faces/s), the peak that tracemalloc
sees above the document during a second replace, and with `--profile` the top costs of a new
ingest. Linux only (/proc/self/statm).
"""
import argparse
import cProfile
import functools
import gc
import json
import os
import pstats
import random
import statistics
import sys
import time
import tracemalloc
import uuid

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "momentry.settings")
import django  # noqa: E402

django.setup()
from django.db import connection  # noqa: E402

from faces.models import MediaFile  # noqa: E402
from faces.services import media_file_ingest  # noqa: E402
from identities.models import Identity  # noqa: E402

FPS = 25.0
STRIDE = 12
TRACE_LENGTH = 50
BOUND_SHARE = 0.6
IDENTITIES = 40


def synthetic_document(faces, chunks, *, embedding, digits, identity_uuids, seed=1):
    rng = random.Random(seed)
    rounded = (lambda value: round(value, digits)) if digits else (lambda value: value)
    face_list, trace_id, frame = [], 0, 0
    while len(face_list) < faces:
        trace_id += 1
        identity = rng.choice(identity_uuids) if rng.random() < BOUND_SHARE else None
        index = 1 if trace_id % 3 == 0 else 0  # every third trace shares its frames with the one before
        if index == 0:
            frame += STRIDE * (TRACE_LENGTH + 10)
        x, y = rng.uniform(0, 1600), rng.uniform(0, 800)
        for step in range(min(TRACE_LENGTH, faces - len(face_list))):
            x, y = x + rng.gauss(0, 2), y + rng.gauss(0, 1)
            face = {
                "frame_number": frame + step * STRIDE,
                "index": index,
                "bbox": [round(x, 1), round(y, 1), round(x + 180.0, 1), round(y + 240.0, 1)],
                "confidence": round(rng.uniform(0.6, 0.999), 4),
                "trace_id": trace_id,
            }
            if embedding:
                face["embedding"] = [rounded(rng.gauss(0, 0.25)) for _ in range(embedding)]
            if identity is not None:
                face["identity_uuid"] = identity
            face_list.append(face)
    duration = (frame + STRIDE * TRACE_LENGTH) / FPS
    chunk_list = []
    for number in range(chunks):
        start = duration * number / max(chunks, 1)
        end = start + rng.uniform(1.0, 4.0)
        chunk_list.append(
            {
                "chunk_id": f"chunk_{number}",
                "chunk_type": "story_child" if number % 10 == 0 else "sentence",
                "start_frame": round(start * FPS),
                "end_frame": round(end * FPS),
                "start_time": round(start, 3),
                "end_time": round(end, 3),
                "text": f"Line {number}: where were you\tlast night?",
            }
        )
    return {
        "file_uuid": uuid.uuid4().hex,
        "file_name": "ingest_bench.mp4",
        "fps": FPS,
        "duration": duration + 10,
        "faces": face_list,
        "chunks": chunk_list,
    }


def timed(label, faces, function, *, repeat=1, before_each=lambda: None):
    """Run `function` `repeat` times; print the best time and rate, and the median. Returns the last result."""
    elapsed = []
    for _ in range(repeat):
        before_each()
        gc.collect()
        started = time.perf_counter()
        result = function()
        elapsed.append(time.perf_counter() - started)
    best, median = min(elapsed), statistics.median(elapsed)
    runs = f" (median {median:.2f} s, {faces / median:,.0f} faces/s, of {repeat})" if repeat > 1 else ""
    print(f"{label}: {best:.2f} s, {faces / best:,.0f} faces/s{runs}", flush=True)
    return result


def wal_position():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        return cursor.fetchone()[0]


def wal_mb_since(lsn):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [lsn])
        return float(cursor.fetchone()[0]) / 2**20


PHASES = [
    ("ingest_checks.py", "ingest_document_check", "checks"),
    ("ingest_rows.py", "rows_insert", "rows in"),
    ("segments.py", "segments_rebuild_file", "segments"),
    ("base/base.py", "commit", "commit"),
]


def phases(profiler):
    """The cumulative seconds of the ingest's phases in a profile (the old code's names differ)."""
    found = {}
    for (filename, _, name), (_, _, _, cumulative, _) in pstats.Stats(profiler).stats.items():
        for suffix, function, label in PHASES:
            if filename.endswith(suffix) and name == function:
                found[label] = found.get(label, 0) + cumulative
    return ", ".join(f"{label} {found[label]:.2f} s" for _, _, label in PHASES if label in found)


def resident_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def traced_peak(function):
    gc.collect()
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main(faces, chunks, *, embedding, digits, profile, repeat):
    identities = Identity.objects.bulk_create(
        [Identity(identity_uuid=uuid.uuid4(), name=f"Ingest bench {n}") for n in range(IDENTITIES)]
    )
    identity_uuids = [identity.identity_uuid.hex for identity in identities]
    raw = json.dumps(
        synthetic_document(faces, chunks, embedding=embedding, digits=digits, identity_uuids=identity_uuids)
    ).encode()
    print(
        f"{connection.vendor}: {faces:,} faces, {chunks:,} chunks, embedding {embedding} floats"
        f"{f' to {digits} places' if digits and embedding else ''}; document {len(raw) / 2**20:.0f} MB of JSON",
        flush=True,
    )
    before = resident_mb()
    document = timed("json.loads (the command's, not the service's)", faces, functools.partial(json.loads, raw))
    print(f"  parsed document in memory: {resident_mb() - before:.0f} MB (resident set growth)", flush=True)
    del raw
    file_uuid = document["file_uuid"]

    def remove_file():
        MediaFile.objects.filter(file_uuid=file_uuid).delete()

    try:
        timed("ingest (new file)", faces, lambda: media_file_ingest(document=document), repeat=repeat,
              before_each=remove_file)
        if connection.vendor == "postgresql":
            remove_file()
            lsn = wal_position()
            media_file_ingest(document=document)
            print(f"  WAL written by one new ingest: {wal_mb_since(lsn):.0f} MB", flush=True)
        result = timed("ingest --replace", faces, lambda: media_file_ingest(document=document, replace=True),
                       repeat=repeat)
        print(f"  bindings kept {result.bindings_kept:,}, dropped {result.bindings_dropped:,}", flush=True)
        peak = traced_peak(lambda: media_file_ingest(document=document, replace=True))
        print(f"peak above the document during ingest --replace: {peak:.0f} MB (tracemalloc)", flush=True)
        if profile:
            remove_file()
            profiler = cProfile.Profile()
            profiler.runcall(media_file_ingest, document=document)
            print(f"profile of ingest (new file): {phases(profiler)}; top 15 by own time:")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    finally:
        MediaFile.objects.filter(file_uuid=file_uuid).delete()
        Identity.objects.filter(pk__in=[identity.pk for identity in identities]).delete()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faces", type=int, nargs="?", default=89_212)
    parser.add_argument("chunks", type=int, nargs="?", default=6_512)
    parser.add_argument("--embedding", type=int, default=16, help="floats per embedding; 0 for none")
    parser.add_argument("--digits", type=int, default=4, help="decimal places of the embeddings; 0 for unrounded")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed ingest (best and median shown)")
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    main(
        options.faces,
        options.chunks,
        embedding=options.embedding,
        digits=options.digits,
        profile=options.profile,
        repeat=options.repeat,
    )
