"""Time the curator console's pages on the current database (the demo, as `manage.py demo` loads it).

    MOMENTRY_DATA_DIR=/tmp/x manage.py bench_console [--rounds 20] [--identity <uuid>]

Every page is rendered in-process through Django's test Client, signed in as a staff user (one is
created if none exists): the identity list, a known person's page (Cary Grant's in the demo), a
stranger's, the largest file's (all its traces and the unbound ones), the known person's largest
trace, the review queue, the merges and a history. After a warm-up round, each page is fetched
`--rounds` times; p50 and p95 of the wall time and the queries of one request are printed per
page, then a one-line summary.
"""

import os
import time

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from faces.models import MediaFile, TraceSegment
from identities.bench.measure import percentile
from identities.models import Identity, IdentitySource, IdentityStatus
from momentry.core.parsing import parse_uuid

CARY_GRANT = "2a6e553f05a855d8ab6a82b1c1fc90f0"
BENCH_USER = "bench-console"
GOAL_MS = 300


def _known_person(identity_uuid):
    parsed = parse_uuid(identity_uuid)
    identity = Identity.objects.filter(identity_uuid=parsed).first() if parsed else None
    if identity is None:
        identity = Identity.objects.exclude(source=IdentitySource.AUTO).order_by("id").first()
    return identity


def console_pages(known_uuid):
    """`[(label, path)]`: every console page of the library, or CommandError when it is empty."""
    known = _known_person(known_uuid)
    stranger = Identity.objects.filter(source=IdentitySource.AUTO, status=IdentityStatus.PENDING).order_by("id").first()
    # The file with the most traces (its timeline is the largest) and the known person's largest trace.
    media_file = MediaFile.objects.annotate(traces=Count("segments")).order_by("-traces", "id").first()
    trace = TraceSegment.objects.filter(identity=known).order_by("-face_count", "id").first() if known else None
    if known is None or stranger is None or media_file is None or trace is None:
        raise CommandError(
            "The database needs a known person with faces, a stranger and a file: load the demo (manage.py demo)."
        )
    file_page = reverse("console:file-detail", args=[media_file.file_uuid.hex])
    return [
        ("identity list", reverse("console:identity-list")),
        ("identity list by screen time", reverse("console:identity-list") + "?sort=-screen_time"),
        (f"identity {known.name}", reverse("console:identity-detail", args=[known.identity_uuid.hex])),
        (f"identity {stranger.name}", reverse("console:identity-detail", args=[stranger.identity_uuid.hex])),
        (f"file {media_file.file_name}", file_page),
        (f"file {media_file.file_name}, unbound traces", file_page + "?bound=false"),
        (
            f"trace {trace.trace_id} of {known.name}",
            reverse("console:trace-detail", args=[trace.media_file.file_uuid.hex, trace.trace_id]),
        ),
        ("files", reverse("console:file-list")),
        ("review", reverse("console:review")),
        ("merges", reverse("console:merge-list")),
        (f"history of {known.name}", reverse("console:identity-history", args=[known.identity_uuid.hex])),
    ]


def _staff_client():
    user = User.objects.filter(is_staff=True, is_active=True).order_by("id").first()
    if user is None:
        user = User.objects.create_user(BENCH_USER, is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def _fetch(client, path):
    started = time.perf_counter()
    response = client.get(path)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise CommandError(f"GET {path} answered {response.status_code}.")
    return seconds


class Command(BaseCommand):
    help = (
        "Render every console page through the test Client signed in as staff, --rounds times after a "
        "warm-up, and print p50/p95 ms and the queries per page, then a one-line summary."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=20, help="Timed fetches of each page.")
        parser.add_argument("--identity", default=CARY_GRANT, help="The known person whose pages are timed.")

    def handle(self, *args, **options):
        rounds = options["rounds"]
        if rounds < 1:
            raise CommandError("--rounds must be at least 1.")
        pages = console_pages(options["identity"])
        client = _staff_client()
        for _label, path in pages:
            _fetch(client, path)
        queries = {}
        for _label, path in pages:
            with CaptureQueriesContext(connection) as captured:
                _fetch(client, path)
            queries[path] = len(captured)
        samples = {path: [] for _label, path in pages}
        for _round in range(rounds):
            for _label, path in pages:
                samples[path].append(_fetch(client, path))
        width = max(len(label) for label, _path in pages)
        self.stdout.write(f"{'page':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'queries':>7}")
        slowest = None
        for label, path in pages:
            p50, p95 = (percentile(samples[path], fraction) * 1000 for fraction in (0.5, 0.95))
            self.stdout.write(f"{label:<{width}}  {p50:>8.1f}  {p95:>8.1f}  {queries[path]:>7}")
            if slowest is None or p50 > slowest[1]:
                slowest = (label, p50)
        over = [label for label, path in pages if percentile(samples[path], 0.5) * 1000 > GOAL_MS]
        verdict = f"all ≤ {GOAL_MS} ms p50" if not over else f"over {GOAL_MS} ms p50: {', '.join(over)}"
        self.stdout.write(
            f"{len(pages)} pages, {rounds} rounds on {connection.vendor} (load {os.getloadavg()[0]:.1f}): "
            f"slowest {slowest[0]} {slowest[1]:.1f} ms p50; {verdict}."
        )
