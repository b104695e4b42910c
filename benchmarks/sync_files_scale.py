"""`manage.py sync_files` at scale: generate N identities with faces, then time the sweep.

On a scratch database only (it adds N identities and their faces), from the project directory:
    MOMENTRY_DATA_DIR=/tmp/sync_bench .venv/bin/python manage.py migrate
    MOMENTRY_DATA_DIR=/tmp/sync_bench .venv/bin/python benchmarks/sync_files_scale.py 20000
(or with DATABASE_URL=postgres://.../scratch; 0 reuses what an earlier run generated; the
output directory's identities/ is removed first). Prints the time and query count of: the first run
(every identity.json missing: all written), a --check of the result, and a run after a handful of
files were edited, deleted or orphaned; and how long the start-up sweep takes with nothing owed.
"""
import os
import shutil
import sys
import time
import uuid

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "momentry.settings")
import django  # noqa: E402

django.setup()
from django.db import connection  # noqa: E402

from faces.models import FaceDetection, MediaFile  # noqa: E402
from identities.models import Identity  # noqa: E402
from identities.services.files import identity_files_sync_all, identity_files_sync_pending  # noqa: E402
from identities.storage import identities_root, identity_json_path  # noqa: E402

FACES_PER_IDENTITY = 20  # in 4 traces of 5
IDENTITIES_PER_FILE = 200


def generate(count):
    start = Identity.objects.count()
    for offset in range(0, count, IDENTITIES_PER_FILE):
        film = MediaFile.objects.create(
            file_uuid=uuid.uuid4(), file_name=f"bench_{start + offset}.mp4", fps=25.0, duration=3600.0, frame_count=90000
        )
        identities = Identity.objects.bulk_create(
            [
                Identity(name=f"Bench {start + offset + n}", metadata={"n": start + offset + n, "tags": ["bench"]})
                for n in range(min(IDENTITIES_PER_FILE, count - offset))
            ]
        )
        if connection.vendor == "sqlite":  # bulk_create sets no pks on SQLite before 3.35's RETURNING
            identities = list(Identity.objects.order_by("-pk")[: len(identities)])
        FaceDetection.objects.bulk_create(
            [
                FaceDetection(
                    media_file=film,
                    frame_number=position * FACES_PER_IDENTITY + face,
                    index=0,
                    bbox=[1.0, 2.0, 3.0, 4.0],
                    confidence=0.9,
                    trace_id=position * 4 + face // 5,
                    identity=identity,
                )
                for position, identity in enumerate(identities)
                for face in range(FACES_PER_IDENTITY)
            ],
            batch_size=5000,
        )


def timed(label, function):
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.1f} s, {queries} queries -> {result}", flush=True)
    return result


def main(count):
    started = time.perf_counter()
    generate(count)
    total = Identity.objects.count()
    print(f"generated {count} identities in {time.perf_counter() - started:.1f} s; {total} in all", flush=True)
    shutil.rmtree(identities_root(), ignore_errors=True)
    timed("sync_files (first run, all written)", identity_files_sync_all)
    timed("sync_files --check (all match)", lambda: identity_files_sync_all(check=True))
    some = list(Identity.objects.order_by("?").values_list("identity_uuid", flat=True)[:5])
    identity_json_path(some[0]).write_text("{}")
    identity_json_path(some[1]).unlink()
    (identities_root() / uuid.uuid4().hex).mkdir()
    timed("sync_files --check (2 differ, 1 orphan)", lambda: identity_files_sync_all(check=True))
    timed("sync_files (2 rewritten, 1 orphan)", identity_files_sync_all)
    timed("start-up sweep, nothing owed", identity_files_sync_pending)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
