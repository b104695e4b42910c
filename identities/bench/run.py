"""One bench run over a built data set: gunicorn up, reads, concurrent clients, then the merges
(last, as they change the data the reads measure)."""
import os
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import override_settings

from ..services.files import identity_sync_files
from .data import BIG_NAMES, FACES_PER_TRACE, SEGMENT_TABLE, identity_uuid
from .endpoints import hot_endpoints
from .measure import HandSql, concurrency_measure, merges_measure, reads_measure, timed_requests, warmup_count
from .server import WORKERS, gunicorn

SMALL_TRACES = (2, 5)  # the small identity: the first ordinary one with this many traces
FLOOR_PATH = f"/api/v1/identity/{uuid.uuid5(uuid.NAMESPACE_URL, 'momentry-bench-unknown').hex}"


@dataclass
class BenchResults:
    built: object
    files_seconds: float
    files_written: int
    floor: list = field(default_factory=list)
    reads: list = field(default_factory=list)
    concurrency: object = None
    merges: list = field(default_factory=list)
    requests: int = 0
    load: list = field(default_factory=list)  # the 1-minute load average before and after measuring


def _small_identity(layout):
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT identity_id, SUM(face_count) FROM {SEGMENT_TABLE} WHERE identity_id >= %s
                GROUP BY identity_id HAVING COUNT(*) BETWEEN %s AND %s ORDER BY identity_id LIMIT 1""",
            [layout.pool_start, *SMALL_TRACES],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValueError(f"No identity has {SMALL_TRACES[0]} to {SMALL_TRACES[1]} traces: give more --faces.")
    return row[0], int(row[1])


@contextmanager
def bench_environment():
    """The run's temporary directory (identity files, merge records, the server's log), with the
    settings pointing there and the in-process test client's host allowed."""
    with tempfile.TemporaryDirectory(prefix="momentry-bench-") as directory:
        directory = Path(directory)
        with override_settings(
            MOMENTRY_OUTPUT_DIR=directory / "output",
            MOMENTRY_EMBEDDED_MONGO_DIR=directory / "mongo",
            MOMENTRY_MONGO_URL="",
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        ):
            yield directory


def bench_run(built, *, requests, clients, concurrency_seconds):
    layout = built.layout
    small_id, small_faces = _small_identity(layout)
    big_uuid, small_uuid = identity_uuid(1).hex, identity_uuid(small_id).hex
    endpoints = hot_endpoints(
        big_uuid=big_uuid,
        big_name=BIG_NAMES[0],
        big_faces=layout.scale.big_faces // FACES_PER_TRACE * FACES_PER_TRACE,
        small_uuid=small_uuid,
        small_faces=small_faces,
    )
    pairs = [
        (faces, source, identity_uuid(source).hex, target, identity_uuid(target).hex)
        for faces, source, target in layout.merge_pairs()
    ]
    with bench_environment() as directory:
        # identity.json only for the identities the merges rewrite: writing all of them
        # (`identity_files_sync_all`) takes 2.1 ms an identity, 3.5 minutes at 100,000.
        started = time.perf_counter()
        merge_identities = [identity_uuid(n) for _, *pair in layout.merge_pairs() for n in pair]
        identity_sync_files(*merge_identities)
        results = BenchResults(
            built=built,
            files_seconds=time.perf_counter() - started,
            files_written=len(merge_identities),
            requests=requests,
        )
        results.load.append(os.getloadavg()[0])
        hand = HandSql()
        try:
            with gunicorn(
                database=connection.settings_dict, directory=directory, api_key=built.api_key, probe_path=FLOOR_PATH
            ) as server:
                for endpoint in endpoints:  # both workers load every view before anything is timed
                    timed_requests(server, endpoint.url(), requests=0, warmup=WORKERS)
                results.floor = timed_requests(
                    server, FLOOR_PATH, requests=requests, warmup=warmup_count(requests), status=404
                )
                results.reads = reads_measure(server, hand, endpoints, api_key=built.api_key, requests=requests)
                results.floor += timed_requests(server, FLOOR_PATH, requests=requests, warmup=0, status=404)
                results.concurrency = concurrency_measure(
                    server, [endpoint.url() for endpoint in endpoints], clients=clients, seconds=concurrency_seconds
                )
                results.merges = merges_measure(server, hand, pairs)
        finally:
            hand.close()
        results.load.append(os.getloadavg()[0])
    return results
