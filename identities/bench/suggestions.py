"""`manage.py bench_suggestions`: an identity's suggestions timed through gunicorn on the bench data
set with a centroid for every identity, beside the floor, with where the time goes (the index's
load and memory, numpy's top-k alone, the call in-process) and the queries of each request."""
import os
import statistics
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import connection

from faces.centroid_index import CentroidIndex, centroids_of
from faces.centroids import CENTROID_DTYPE

from ..models import Identity, IdentitySource
from ..suggestions import identity_suggestions
from .data import BIG_NAMES, FACE_TABLE, FACES_PER_TRACE, IDENTITY_TABLE, SEGMENT_TABLE, identity_uuid
from .measure import percentile, queries_client, request_queries, timed_requests, warmup_count
from .report import data_line, duration, machine_line, ms
from .run import FLOOR_PATH, bench_environment
from .server import WORKERS, BenchError, gunicorn

LIMITS = (5, 50)
GOAL_SECONDS = 0.050
TOP_K_RUNS = 100
PER_KIND = 3  # strangers and known people in the sample, beside the first big identity
KIND_TRACES = (2, 5)
JSON_BYTES_A_FLOAT = 10  # "-0.031416," rounded as detectors write them


@dataclass(frozen=True)
class Sampled:
    label: str
    identity_id: int
    uuid_hex: str
    faces: int

    def url(self, limit):
        return f"/api/v1/identity/{self.uuid_hex}/suggestions?limit={limit}"


@dataclass
class SuggestionResults:
    built: object
    centroids: object
    requests: int
    sample: list
    load: list = field(default_factory=list)  # the 1-minute load average before and after measuring
    index_seconds: float = 0.0
    index_resident: int = 0  # bytes
    top_k: dict = field(default_factory=dict)  # k -> [seconds]
    product: list = field(default_factory=list)  # seconds of a matrix × vector alone
    in_process: dict = field(default_factory=dict)  # limit -> [seconds]
    first_requests: list = field(default_factory=list)
    floor: list = field(default_factory=list)
    http: dict = field(default_factory=dict)  # limit -> [(Sampled, seconds)]
    suggested: dict = field(default_factory=dict)  # (identity_id, limit) -> suggestions answered
    queries: dict = field(default_factory=dict)  # (identity_id, limit) -> (queries of one request, their seconds)

    @property
    def matrix_bytes(self):
        return self.centroids.rows * self.centroids.dimensions * np.dtype(CENTROID_DTYPE).itemsize


def _of_kind(layout, source, kind):
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT s.identity_id, SUM(s.face_count) FROM {SEGMENT_TABLE} s
                JOIN {IDENTITY_TABLE} i ON i.id = s.identity_id
                WHERE s.identity_id >= %s AND i.source = %s
                GROUP BY s.identity_id HAVING COUNT(*) BETWEEN %s AND %s
                ORDER BY md5(s.identity_id::text) LIMIT %s""",
            [layout.pool_start, source, *KIND_TRACES, PER_KIND],
        )
        rows = cursor.fetchall()
    return [Sampled(f"{kind} {n:,}", n, identity_uuid(n).hex, int(faces)) for n, faces in rows]


def _sample(layout):
    """Strangers and known people with a few traces, and the first big identity."""
    sample = _of_kind(layout, IdentitySource.AUTO, "stranger") + _of_kind(layout, IdentitySource.TMDB, "known")
    if len(sample) < 2 * PER_KIND:
        raise ValueError(f"Too few identities with {KIND_TRACES[0]} to {KIND_TRACES[1]} traces: give more --faces.")
    big_faces = layout.scale.big_faces // FACES_PER_TRACE * FACES_PER_TRACE
    return [*sample, Sampled(f"{BIG_NAMES[0]} (big)", 1, identity_uuid(1).hex, big_faces)]


def _resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _in_process(results):
    """A fresh index loaded and its resident memory, numpy's top-k on it, then `identity_suggestions`
    called directly (this process's own index, loaded by the first call, untimed)."""
    sample = results.sample
    resident, started = _resident_bytes(), time.perf_counter()
    index = CentroidIndex()
    index.refresh()
    results.index_seconds = time.perf_counter() - started
    results.index_resident = _resident_bytes() - resident
    vectors = centroids_of([item.identity_id for item in sample])
    for k in LIMITS:
        runs = []
        for run in range(TOP_K_RUNS):
            item = sample[run % len(sample)]
            begun = time.perf_counter()
            index.nearest(vectors[item.identity_id], count=k, excluding={item.identity_id})
            runs.append(time.perf_counter() - begun)
        results.top_k[k] = runs
    del index  # before this process's own index loads
    centroids = results.centroids
    matrix = np.random.default_rng(0).standard_normal((centroids.rows, centroids.dimensions), dtype=CENTROID_DTYPE)
    for run in range(TOP_K_RUNS):
        vector = vectors[sample[run % len(sample)].identity_id]
        begun = time.perf_counter()
        matrix @ vector
        results.product.append(time.perf_counter() - begun)
    del matrix
    identities = Identity.objects.in_bulk([item.identity_id for item in sample])
    identity_suggestions(identities[sample[0].identity_id], limit=LIMITS[0])
    for limit in LIMITS:
        runs = []
        for run in range(results.requests):
            identity = identities[sample[run % len(sample)].identity_id]
            begun = time.perf_counter()
            identity_suggestions(identity, limit=limit)
            runs.append(time.perf_counter() - begun)
        results.in_process[limit] = runs


def _first_requests(server, sample):
    """One request per worker at once: a sync worker serves one at a time, so each takes one and
    loads its index."""
    seconds = []

    def first(item):
        seconds.append(server.expect("GET", item.url(LIMITS[0])).seconds)

    threads = [threading.Thread(target=first, args=(sample[position],)) for position in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(seconds) < WORKERS:
        raise BenchError("A worker's first suggestions request failed (see above).")
    return sorted(seconds)


def _answered(results, item, limit, response):
    body = response.json()
    if not body.get("success") or len(body.get("suggestions", [])) > limit:
        raise BenchError(f"GET {item.url(limit)} answered {response.body[:300]!r}")
    results.suggested[(item.identity_id, limit)] = len(body["suggestions"])


def _timed_cycle(results, server, limit):
    """Warm-up, then `requests` requests cycling through the sample."""
    sample, timed = results.sample, []
    for run in range(warmup_count(results.requests) + results.requests):
        item = sample[run % len(sample)]
        response = server.expect("GET", item.url(limit))
        _answered(results, item, limit, response)
        if run >= warmup_count(results.requests):
            timed.append((item, response.seconds))
    return timed


def _count_queries(results):
    client = queries_client(results.built.api_key, results.sample[0].url(LIMITS[0]))
    for item in results.sample:
        for limit in LIMITS:
            queries, _ = request_queries(client, item.url(limit))
            results.queries[(item.identity_id, limit)] = (len(queries), sum(float(query["time"]) for query in queries))


def suggestions_run(built, centroids, *, requests):
    results = SuggestionResults(built=built, centroids=centroids, requests=requests, sample=_sample(built.layout))
    with bench_environment() as directory:
        results.load.append(os.getloadavg()[0])
        _in_process(results)
        with gunicorn(
            database=connection.settings_dict, directory=directory, api_key=built.api_key, probe_path=FLOOR_PATH
        ) as server:
            results.first_requests = _first_requests(server, results.sample)
            results.floor = timed_requests(
                server, FLOOR_PATH, requests=requests, warmup=warmup_count(requests), status=404
            )
            for limit in LIMITS:
                results.http[limit] = _timed_cycle(results, server, limit)
            results.floor += timed_requests(server, FLOOR_PATH, requests=requests, warmup=0, status=404)
        _count_queries(results)
        results.load.append(os.getloadavg()[0])
    return results


def _p50(values):
    return statistics.median(values)


def _queries_at(results, limit):
    counts = sorted({results.queries[(item.identity_id, limit)][0] for item in results.sample})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def _sql_at(results, limit):
    return _p50([results.queries[(item.identity_id, limit)][1] for item in results.sample])


def _queries_equal(results):
    return all(len({results.queries[(item.identity_id, limit)][0] for limit in LIMITS}) == 1 for item in results.sample)


def _requests_table(results):
    floor = _p50(results.floor)
    lines = [
        f"{results.requests} requests per limit, cycling through the {len(results.sample)} identities below "
        f"(`include=known`, the default); floor: an authenticated GET /api/v1/identity/<unknown uuid> (404) in "
        f"the same run; in-process: `identity_suggestions` called directly, {results.requests} calls (no HTTP, "
        "no serialisation); queries counted in-process per request, with the p50 over the identities of their "
        "time (Django's, one request each).",
        "",
        "| request | p50 | p95 | in-process p50 | floor p50 | queries | their time | goal: p50 ≤ 50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for limit in LIMITS:
        seconds = [taken for _, taken in results.http[limit]]
        goal = "met" if _p50(seconds) <= GOAL_SECONDS else "missed"
        lines.append(
            f"| suggestions?limit={limit} | {ms(_p50(seconds))} | {ms(percentile(seconds, 0.95))} "
            f"| {ms(_p50(results.in_process[limit]))} | {ms(floor)} | {_queries_at(results, limit)} "
            f"| {ms(_sql_at(results, limit))} | {goal} |"
        )
    lines.append(f"| floor (404) | {ms(floor)} | {ms(percentile(results.floor, 0.95))} | – | – | – | – | – |")
    return lines


def _identities_table(results):
    header = " | ".join(f"p50 @{limit}" for limit in LIMITS)
    header += " | " + " | ".join(f"suggested @{limit}" for limit in LIMITS)
    header += " | " + " | ".join(f"queries (time) @{limit}" for limit in LIMITS)
    lines = [f"| identity | faces | {header} |", "|---" * (2 + 3 * len(LIMITS)) + "|"]
    for item in results.sample:
        cells = [item.label, f"{item.faces:,}"]
        for limit in LIMITS:
            timed = [taken for sampled, taken in results.http[limit] if sampled == item]
            cells.append(ms(_p50(timed)) if timed else "–")
        cells += [str(results.suggested[(item.identity_id, limit)]) for limit in LIMITS]
        for limit in LIMITS:
            count, seconds = results.queries[(item.identity_id, limit)]
            cells.append(f"{count} ({ms(seconds)})")
        lines.append("| " + " | ".join(cells) + " |")
    verdict = "equal" if _queries_equal(results) else "NOT equal"
    lines += ["", f"Queries per request at limit {LIMITS[0]} and {LIMITS[1]}: {verdict} for every identity."]
    return lines


def _index_table(results):
    centroids = results.centroids
    first = ", ".join(duration(seconds) for seconds in results.first_requests)
    lines = [
        "| per process | |",
        "|---|---|",
        f"| matrix | {centroids.rows:,} × {centroids.dimensions} float32 = {results.matrix_bytes / 1e6:.1f} MB |",
        f"| resident memory a fresh index took loading (this process) | {results.index_resident / 1e6:.1f} MB |",
        f"| load in-process (every row, on a process's first use) | {duration(results.index_seconds)} |",
        f"| first request of each of the {WORKERS} gunicorn workers (loads the index) | {first} |",
    ]
    for k, runs in results.top_k.items():
        lines.append(
            f"| numpy top-k alone (`nearest`, k = {k}, {len(runs)} runs in-process): p50 / p95 "
            f"| {ms(_p50(runs))} / {ms(percentile(runs, 0.95))} |"
        )
    lines.append(
        f"| of which the matrix × vector product (a matrix of that shape, {len(results.product)} runs): p50 / p95 "
        f"| {ms(_p50(results.product))} / {ms(percentile(results.product, 0.95))} |"
    )
    return lines


def _data(results):
    centroids = results.centroids
    faces = results.built.counts[FACE_TABLE]
    return (
        f"{data_line(results.built)} Centroids: every identity one of {centroids.dimensions} floats, near one of "
        f"{centroids.clusters} random directions (cosine ~{centroids.cosine_within:.2f} within one, ~0 across), "
        f"written with binary COPY in {duration(centroids.seconds)}. The faces of the bench carry no "
        f"{centroids.dimensions}-float embeddings ({faces:,} × {centroids.dimensions} floats as JSON would be "
        f"~{faces * centroids.dimensions * JSON_BYTES_A_FLOAT / 1e9:.1f} GB), so the bench writes the centroids "
        "directly and the segments' sums are not theirs: `check_traces` would flag them; the bench database is "
        "disposable."
    )


def suggestion_tables(results, *, date):
    setup = machine_line(requests=results.requests, load=results.load)
    sections = [
        [f"# Suggestions bench {date}", "", setup, "", _data(results)],
        ["## Requests", "", *_requests_table(results)],
        ["## Per identity", "", *_identities_table(results)],
        ["## The index", "", *_index_table(results)],
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def summary_line(results):
    p50s = " and ".join(
        f"{ms(_p50([taken for _, taken in results.http[limit]]))} at limit={limit}" for limit in LIMITS
    )
    met = all(_p50([taken for _, taken in results.http[limit]]) <= GOAL_SECONDS for limit in LIMITS)
    return (
        f"bench_suggestions: p50 {p50s} (goal ≤ 50 ms: {'met' if met else 'missed'}), floor {ms(_p50(results.floor))}, "
        f"queries {_queries_at(results, LIMITS[0])} / {_queries_at(results, LIMITS[1])}; index "
        f"{results.matrix_bytes / 1e6:.1f} MB a process, loaded in {duration(results.index_seconds)}"
    )
