"""Every API endpoint and console page on the demo library: p50/p95 and queries per request.

The issue's goal for a small archive on the default SQLite is ≤ 100 ms p50 for each. Run it on a
demo loaded into a scratch data directory (it adds one API key and one staff user there):
    export MOMENTRY_DATA_DIR=/tmp/demo_bench MOMENTRY_DEBUG=false
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py demo
    .venv/bin/python benchmarks/demo_pages.py [REQUESTS]
(or with DATABASE_URL set, on PostgreSQL). Requests go through Django's whole stack (middleware,
authentication, views, serialisers, templates) in process, without an HTTP server.
"""
import logging
import os
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "momentry.settings")
import django  # noqa: E402

django.setup()
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apikeys.services import api_key_create  # noqa: E402
from faces.models import MediaFile, TraceSegment  # noqa: E402
from identities.models import Identity  # noqa: E402

CARY_GRANT = "2a6e553f05a855d8ab6a82b1c1fc90f0"
WARM_UP = 3


def subjects():
    """The demo's biggest identity, a stranger with the most faces, and the file with most faces."""
    cary = Identity.objects.get(identity_uuid=CARY_GRANT)
    strangers = TraceSegment.objects.filter(identity__source="auto").values("identity_id")
    stranger_id = strangers.annotate(n=django.db.models.Sum("face_count")).order_by("-n")[0]["identity_id"]
    stranger = Identity.objects.get(pk=stranger_id)
    file_id = (
        TraceSegment.objects.values("media_file_id").annotate(n=django.db.models.Sum("face_count")).order_by("-n")[0]
    )["media_file_id"]
    return cary, stranger, MediaFile.objects.get(pk=file_id)


def cases(cary, stranger, media_file):
    api = "/api/v1"
    for who, identity in (("Cary Grant", cary), ("a stranger", stranger)):
        base = f"{api}/identity/{identity.identity_uuid.hex}"
        yield f"API identity ({who})", base
        for endpoint in ("traces", "chunks", "faces", "files", "status", "json"):
            yield f"API {endpoint} ({who})", f"{base}/{endpoint}?page=1&page_size=20"
        yield f"API history ({who})", f"{api}/identity/{identity.identity_uuid.hex}/history"
    yield "API identities page 1", f"{api}/identities?page=1&page_size=20"
    yield "API identity/search?q=Cary Grant", f"{api}/identity/search?q=Cary%20Grant"
    yield "API identities/search?q=Cary Grant", f"{api}/identities/search?q=Cary%20Grant"
    yield "API identities/search?q=a stranger", f"{api}/identities/search?q={stranger.name}"
    yield "API file pending persons", f"{api}/file/{media_file.file_uuid.hex}/pending-persons"
    yield "API merge history", f"{api}/identity/merge/history"
    yield "API floor (authenticated 404)", f"{api}/identity/{'0' * 32}"
    yield "console identity list", "/identities/"
    yield "console identity search", "/identities/?q=Grant"
    yield "console Cary Grant", f"/identities/{cary.identity_uuid.hex}/"
    yield "console a stranger", f"/identities/{stranger.identity_uuid.hex}/"
    yield "console Cary Grant history", f"/identities/{cary.identity_uuid.hex}/history/"
    yield "console file list", "/files/"
    yield "console file", f"/files/{media_file.file_uuid.hex}/"
    yield "console merges", "/merges/"


def measure(client, url, requests, headers):
    for _ in range(WARM_UP):
        response = client.get(url, **headers)
    if response.status_code not in (200, 404):
        raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url, **headers)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries)


def main(requests):
    for noisy in ("django.request", "axes"):  # a 404 per floor request, a line per sign-in
        logging.getLogger(noisy).setLevel(logging.ERROR)
    _, raw_key = api_key_create(name="demo-pages-bench", scopes=["global"])
    curator, _ = User.objects.get_or_create(username="demo-pages-bench", defaults={"is_staff": True})
    console = Client()
    console.force_login(curator)
    api_headers = {"HTTP_X_API_KEY": raw_key}
    print(f"{connection.vendor}, {requests} requests per row after {WARM_UP} warm-up")
    print(f"| {'page':<40} | p50 ms | p95 ms | queries |")
    print(f"|{'-' * 42}|--------|--------|---------|")
    for label, url in cases(*subjects()):
        headers = api_headers if url.startswith("/api/") else {}
        p50, p95, queries = measure(console, url, requests, headers)
        print(f"| {label:<40} | {p50:6.1f} | {p95:6.1f} | {queries:7d} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
