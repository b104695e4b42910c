"""The bench's report: the tables (printed and written) and, in the file only, the plans."""
import os
import statistics

from django.db import connection

from .data import FACES_PER_TRACE, TABLES
from .endpoints import PAGE_SIZES
from .measure import BARE_ROUNDS, OPERATION_PAUSE_SECONDS, percentile, warmup_count
from .server import WORKERS


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def duration(seconds):
    return f"{seconds:.2f} s" if seconds >= 1 else ms(seconds)


def _median(values):
    return statistics.median(values)


def _server_setting(name):
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def machine_line(*, requests, load):
    """The machine, the server and how requests are timed; `load`: the 1-minute load averages."""
    return (
        f"PostgreSQL {_server_setting('server_version')} (shared_buffers {_server_setting('shared_buffers')}), "
        f"{os.cpu_count()} CPUs; gunicorn with {WORKERS} sync workers, real HTTP on "
        f"127.0.0.1; p50/p95 of {requests} requests after {warmup_count(requests)} of warm-up; "
        f"load average {load[0]:.1f} before measuring, {load[-1]:.1f} after (other work on the machine makes "
        "every figure noisier)."
    )


def data_line(built):
    """The data set's rows and how long it took to build (or that it was reused)."""
    identities, files, faces, segments, chunks = (built.counts[table] for table in TABLES)
    line = (
        f"Data: {identities:,} identities, {faces:,} faces in traces of {FACES_PER_TRACE} "
        f"({segments:,} trace segments), "
        f"{chunks:,} chunks over {files:,} files (~3 s `sentence` chunks, a ~71 s `story_child` every minute)."
    )
    if not built.seconds:
        return line + " Reused as an earlier run built it (--reuse)."
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in built.seconds.items() if name != "total")
    return line + f" Built in {built.seconds['total']:.1f} s ({steps})."


def _setup(results):
    return [
        machine_line(requests=results.requests, load=results.load),
        "",
        f"{data_line(results.built)} identity.json of the {results.files_written} identities the merges touch "
        f"written in {duration(results.files_seconds)}.",
    ]


def _reads_table(results):
    floor = _median(results.floor)
    lines = [
        f"Floor: an authenticated GET /api/v1/identity/<unknown uuid> (404), p50 {ms(floor)}, "
        f"p95 {ms(percentile(results.floor, 0.95))}. Hand SQL through psycopg, p50. Queries counted "
        f"in-process per request at page_size (or limit) {PAGE_SIZES[0]} and {PAGE_SIZES[1]}. No API endpoint "
        "lists a file's traces (the console's file page does), so none is timed.",
        "",
        f"| endpoint | p50 | p95 | hand SQL | floor | ratio to (SQL + floor) | queries @{PAGE_SIZES[0]} | "
        f"queries @{PAGE_SIZES[1]} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for read in results.reads:
        p50, sql = _median(read.http), _median(read.sql)
        at_200 = read.queries.get(PAGE_SIZES[1], "–")
        lines.append(
            f"| {read.endpoint.label} | {ms(p50)} | {ms(percentile(read.http, 0.95))} | {ms(sql)} | {ms(floor)} "
            f"| {p50 / (sql + floor):.1f}× | {read.queries[PAGE_SIZES[0]]} | {at_200} |"
        )
    return lines


def _merges_table(results):
    lines = [
        "Through HTTP, what the client waits for (the merge store's pending record included; its completion "
        "and the identity.json rewrites run after the response), each operation sent "
        f"{OPERATION_PAUSE_SECONDS:g} s after the previous one's response, as a curator's clicks come, so none "
        "waits on the work another does after its response. Beside the bare UPDATE of the same face rows plus "
        f"its commit (psycopg, the median of {BARE_ROUNDS}); medians of the rounds (merge, undo, redo, undo: "
        "three rounds up to 10,000 faces, one above).",
        "",
        "| faces | bare UPDATE + commit | merge | ratio | undo | ratio | redo | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for merge in results.merges:
        bare = _median(merge.bare)
        cells = [f"{merge.faces:,}", duration(bare)]
        for samples in (merge.merge, merge.undo, merge.redo):
            cells += [duration(_median(samples)), f"{_median(samples) / bare:.1f}×"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _concurrency_table(results):
    run = results.concurrency
    latencies = run.latencies or [0.0]
    return [
        f"{run.clients} clients at once, each cycling through the read endpoints above for {run.seconds:.0f} s.",
        "",
        "| clients | requests | requests/s | p50 | p95 | failures |",
        "|---|---|---|---|---|---|",
        f"| {run.clients} | {len(run.latencies)} | {len(run.latencies) / run.seconds:.1f} | {ms(_median(latencies))} "
        f"| {ms(percentile(latencies, 0.95))} | {run.failures} |",
    ]


def _notes(results):
    notes = [
        f"- {read.endpoint.label}: the response says {read.api_answer!r}, the hand SQL {read.sql_answer!r}."
        for read in results.reads
        if read.api_answer != read.sql_answer
    ]
    notes += [f"- merge of {merge.faces:,} faces: {note}." for merge in results.merges for note in merge.notes]
    if not notes:
        return ["Every response's totals match its hand SQL's."]
    return ["Where the answers differ (the ratio compares different work):", "", *notes]


def tables(results, *, date):
    """The report without the plans: what the command prints."""
    sections = [
        [f"# Bench {date}", "", *_setup(results)],
        ["## Reads", "", *_reads_table(results)],
        ["## Merge, undo and redo", "", *_merges_table(results)],
        ["## Concurrent clients", "", *_concurrency_table(results)],
        ["## Answers", "", *_notes(results)],
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def _fence(text, language=""):
    return f"```{language}\n{text.strip()}\n```"


def document(results, *, date):
    """The whole report: the tables, then each endpoint's plans (EXPLAIN (ANALYZE, BUFFERS))."""
    parts = [tables(results, date=date), "## Plans", ""]
    for read in results.reads:
        parts += [f"### {read.endpoint.label}", "", f"`GET {read.endpoint.url()}`", ""]
        for title, statement, plan in read.plans:
            parts += [f"{title}:", "", _fence(statement, "sql"), "", _fence(plan), ""]
    return "\n".join(parts)
