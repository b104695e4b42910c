"""Timing: endpoints through gunicorn, their hand SQL through psycopg, the queries each request
makes (in-process), merges beside the bare UPDATE, and concurrent clients."""
import math
import threading
import time
from dataclasses import dataclass, field

import psycopg
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .data import FACE_TABLE
from .endpoints import PAGE_SIZES
from .server import BenchError

SMALL_MERGE_ROUNDS = 3  # merge, undo, redo, undo: each a sample; one round above SMALL_MERGE_FACES
SMALL_MERGE_FACES = 10_000
# The bare UPDATE is timed at least this often at every size: one sample of 100,000 faces varied
# from 1.1 to 1.7 s between runs, and every ratio of the row with it.
BARE_ROUNDS = 3
OPERATION_PAUSE_SECONDS = 0.5


def percentile(values, fraction):
    """Nearest rank: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def warmup_count(requests):
    return max(3, requests // 8)


class HandSql:
    """A psycopg connection set up as the application's (its options, so `jit=off`; client-side
    binding and no prepared statements, as Django's cursors), for the hand SQL and bare UPDATEs."""

    def __init__(self):
        params = connection.get_connection_params()
        params.pop("context", None)
        params.update(autocommit=True, cursor_factory=psycopg.ClientCursor, prepare_threshold=None)
        self.connection = psycopg.connect(**params)

    def close(self):
        self.connection.close()

    def run(self, statements, params):
        """`(seconds, [rows of each statement])`."""
        results = []
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, params)
                results.append(cursor.fetchall())
        return time.perf_counter() - started, results

    def explain(self, statement, params=None):
        with self.connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    def face_ids(self, identity_id):
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {FACE_TABLE} WHERE identity_id = %s", [identity_id])
            return [row[0] for row in cursor.fetchall()]

    def bare_update(self, *, source_id, target_id, face_ids):
        """Seconds of the UPDATE that re-points the source's faces and its commit; then the same
        rows (and no other face of the target) are put back, untimed."""
        started = time.perf_counter()
        with self.connection.transaction(), self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {FACE_TABLE} SET identity_id = %s WHERE identity_id = %s", [target_id, source_id])
        seconds = time.perf_counter() - started
        with self.connection.transaction(), self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {FACE_TABLE} SET identity_id = %s WHERE id = ANY(%s)", [source_id, face_ids])
        return seconds

    def vacuum(self, table):
        with self.connection.cursor() as cursor:
            cursor.execute(f"VACUUM {table}")


@dataclass
class ReadResult:
    endpoint: object
    http: list
    sql: list
    queries: dict  # page size -> queries of one request
    api_answer: object
    sql_answer: object
    app_query: str = ""
    app_query_seconds: float = 0.0
    plans: list = field(default_factory=list)  # (title, sql, plan)


def timed_requests(server, path, *, requests, warmup, status=200):
    for _ in range(warmup):
        server.expect("GET", path, status=status)
    return [server.expect("GET", path, status=status).seconds for _ in range(requests)]


def queries_client(api_key, url):
    """A Django test client for counting queries in-process (gunicorn is another process), after
    one uncounted GET of `url`: the key's `last_used_at` is written at most once a minute, now
    rather than by a counted request, and this process's caches are warm."""
    client = Client(headers={"X-API-Key": api_key})
    client.get(url)
    return client


def request_queries(client, url):
    """The queries of one GET through `client` and its response (which must be a 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise BenchError(f"In-process GET {url} answered {response.status_code}.")
    return captured.captured_queries, response


def _queries_in_process(api_key, endpoint):
    """Queries per request at each page size, the response at the timed size, and the slowest
    query of that request."""
    client = queries_client(api_key, endpoint.url())
    counts, body, slowest = {}, None, ("", 0.0)
    for size in PAGE_SIZES if endpoint.paged else PAGE_SIZES[:1]:
        queries, response = request_queries(client, endpoint.url(size))
        counts[size] = len(queries)
        if size == PAGE_SIZES[0]:
            body = response.json()
            reads = [q for q in queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
            if reads:
                query = max(reads, key=lambda q: float(q["time"]))
                slowest = (query["sql"], float(query["time"]))
    return counts, body, slowest


def reads_measure(server, hand, endpoints, *, api_key, requests):
    warmup = warmup_count(requests)
    results = []
    for endpoint in endpoints:
        http = timed_requests(server, endpoint.url(), requests=requests, warmup=warmup)
        params = endpoint.sql_params()
        for _ in range(warmup):
            hand.run(endpoint.sql, params)
        sql, answers = [], None
        for _ in range(requests):
            seconds, answers = hand.run(endpoint.sql, params)
            sql.append(seconds)
        counts, body, (app_query, app_seconds) = _queries_in_process(api_key, endpoint)
        result = ReadResult(
            endpoint=endpoint,
            http=http,
            sql=sql,
            queries=counts,
            api_answer=endpoint.api_answer(body),
            sql_answer=endpoint.sql_answer(answers),
            app_query=app_query,
            app_query_seconds=app_seconds,
        )
        for position, statement in enumerate(endpoint.sql, start=1):
            title = "hand SQL" if len(endpoint.sql) == 1 else f"hand SQL, statement {position}"
            title += f" with {params}"
            result.plans.append((title, statement, hand.explain(statement, params)))
        if app_query:
            title = f"the application's slowest query ({app_seconds * 1000:.1f} ms in-process)"
            result.plans.append((title, app_query, hand.explain(app_query)))
        results.append(result)
    return results


@dataclass
class MergeResult:
    faces: int
    bare: list
    merge: list
    undo: list
    redo: list
    notes: list = field(default_factory=list)


def merges_measure(server, hand, pairs):
    """`pairs`: (faces, source_id, source_uuid, target_id, target_uuid). Each round: merge, undo,
    redo and undo again through HTTP (the last leaves the source as it was)."""
    results = []
    for faces, source_id, source_uuid, target_id, target_uuid in pairs:
        rounds = SMALL_MERGE_ROUNDS if faces <= SMALL_MERGE_FACES else 1
        face_ids = hand.face_ids(source_id)
        bare = [
            hand.bare_update(source_id=source_id, target_id=target_id, face_ids=face_ids)
            for _ in range(max(rounds, BARE_ROUNDS) + 1)
        ][1:]
        hand.vacuum(FACE_TABLE)  # the merges start from a table without the bare rounds' dead rows
        result = MergeResult(faces=faces, bare=bare, merge=[], undo=[], redo=[])
        for _ in range(rounds):
            body = {"into_uuid": target_uuid, "keep_history": True}
            merged = server.expect("POST", f"/api/v1/identity/{source_uuid}/mergeinto", body=body)
            result.merge.append(merged.seconds)
            data = merged.json()["data"]
            if data["faces_transferred"] != faces:
                result.notes.append(f"merge moved {data['faces_transferred']} faces, not {faces}")
            replay = f"/api/v1/identity/merge/{data['merge_id']}"
            for timings, operation in ((result.undo, "undo"), (result.redo, "redo"), (result.undo, "undo")):
                time.sleep(OPERATION_PAUSE_SECONDS)
                timings.append(server.expect("POST", f"{replay}/{operation}").seconds)
            time.sleep(OPERATION_PAUSE_SECONDS)
        results.append(result)
    return results


@dataclass
class ConcurrencyResult:
    clients: int
    seconds: float
    latencies: list
    failures: int


def concurrency_measure(server, paths, *, clients, seconds):
    """`clients` threads, each cycling through `paths` from its own place until `seconds` pass."""
    deadline = time.monotonic() + seconds
    latencies, failures, lock = [], [], threading.Lock()

    def run(offset):
        position = offset
        while time.monotonic() < deadline:
            path = paths[position % len(paths)]
            position += 1
            try:
                response = server.request("GET", path)
            except OSError as error:
                with lock:
                    failures.append(repr(error))
                continue
            with lock:
                latencies.append(response.seconds)
                if response.status != 200:
                    failures.append(f"{path}: {response.status}")

    threads = [threading.Thread(target=run, args=(offset,)) for offset in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ConcurrencyResult(
        clients=clients, seconds=time.perf_counter() - started, latencies=latencies, failures=len(failures)
    )
