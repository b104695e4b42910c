"""EXPLAIN ANALYZE of the identity read queries (search, traces, chunks) at scale on PostgreSQL.

Load the data into a scratch database first (benchmarks/read_queries_data.sql after `migrate`),
then, from the project directory:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/read_bench .venv/bin/python benchmarks/read_queries_explain.py
The output of the last run is in benchmarks/read_queries_results.txt.
"""
import os
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "momentry.settings")
import django  # noqa: E402

django.setup()
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from faces.selectors import identity_chunk_page, identity_chunk_rows, identity_trace_page  # noqa: E402
from identities.models import Identity  # noqa: E402
from identities.search import identities_matching_name  # noqa: E402
from identities.selectors import identity_list  # noqa: E402


def captured(function):
    with CaptureQueriesContext(connection) as context:
        function()
    return [query["sql"] for query in context.captured_queries]


def explain(title, sql, *, seqscan=False, jit_off=False):
    with connection.cursor() as cursor:
        if seqscan:
            cursor.execute("SET enable_bitmapscan = off; SET enable_indexscan = off")
        if jit_off:
            cursor.execute("SET jit = off")
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_bitmapscan; RESET enable_indexscan; RESET jit")
    print(f"==== {title}\n{sql}\n\n{plan}\n")


def timed(title, function, repeat=5):
    function()
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    print(f"---- {title}: {(time.perf_counter() - started) / repeat * 1000:.1f} ms per call (mean of {repeat})")


with connection.cursor() as cursor:
    cursor.execute("SELECT COUNT(*) FROM identities_identity")
    identities = cursor.fetchone()[0]
    cursor.execute("SELECT COUNT(*), COUNT(DISTINCT media_file_id) FROM faces_chunk")
    chunks, files = cursor.fetchone()
    cursor.execute("SELECT COUNT(*) FROM faces_facedetection")
    faces = cursor.fetchone()[0]
print(f"PostgreSQL {connection.pg_version}; {identities} identities, {chunks} chunks in {files} files, {faces} faces\n")

for label, q in [("name", "fe7ecc4d"), ("alias name", "ジョンe1ea22"), ("metadata text", "1911-08-14")]:
    count_sql, page_sql = captured(lambda q=q: list(identity_list(filters={"q": q})[:20]) and identity_list(filters={"q": q}).count())[::-1]
    explain(f"identity search q={q!r} ({label}), page query, trigram indexes", page_sql)
    explain(f"identity search q={q!r} ({label}), page query, sequential scan forced", page_sql, seqscan=True)
name_sql = captured(lambda: list(identities_matching_name(Identity.objects.all(), "fe7ecc4d")[:50]))[0]
explain("identities/search identity side (name or alias), trigram indexes", name_sql)

identity = Identity.objects.get(pk=7)
trace_count_sql, trace_page_sql = captured(lambda: identity_trace_page(identity, page=1, page_size=20))
explain("trace spans of identity 7 (traces endpoint): count and total_faces", trace_count_sql)
explain("trace spans of identity 7 (traces endpoint): page", trace_page_sql)
chunk_count_sql, chunk_page_sql, chunk_fetch_sql = captured(lambda: identity_chunk_page(identity, page=1, page_size=20))
explain("chunks of identity 7: count", chunk_count_sql)
explain("chunks of identity 7: page of ids", chunk_page_sql)
rows_q = Identity.objects.get(pk=7).name.split()[1]
rows_sql = captured(lambda: identity_chunk_rows(identities=identities_matching_name(Identity.objects.all(), rows_q), limit=50))
explain(f"identities/search rows q={rows_q!r} (identity 7): count, server default jit=on", rows_sql[0])
explain(f"identities/search rows q={rows_q!r} (identity 7): count, jit=off", rows_sql[0], jit_off=True)
explain(f"identities/search rows q={rows_q!r} (identity 7): page, jit=off", rows_sql[1], jit_off=True)

print("==== wall-clock timings through the selectors (Python included)")
for label, q in [("name", "fe7ecc4d"), ("alias name", "ジョンe1ea22"), ("metadata text", "1911-08-14")]:
    timed(f"identity search {label} q={q!r}, count + page of 20", lambda q=q: (identity_list(filters={"q": q}).count(), list(identity_list(filters={"q": q})[:20])))
timed("traces of identity 7, page of 20", lambda: identity_trace_page(identity, page=1, page_size=20))
timed("chunks of identity 7, page of 20", lambda: identity_chunk_page(identity, page=1, page_size=20))
timed("chunks of identity 7, page of 200", lambda: identity_chunk_page(identity, page=1, page_size=200))
for jit in ("on", "off"):
    with connection.cursor() as cursor:
        cursor.execute(f"SET jit = {jit}")
    for q in (rows_q, "Cary"):
        timed(f"identities/search rows q={q!r} limit 50 (count + page + fetch), jit={jit}", lambda q=q: identity_chunk_rows(identities=identities_matching_name(Identity.objects.all(), q), limit=50), repeat=3)
