"""`manage.py bench` end to end at a tiny scale (gunicorn included), and its refusals; no timing
is asserted."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from faces.models import FaceDetection
from identities.models import Identity
from tests.factories import IdentityFactory

TINY = {
    "identities": 300,
    "faces": 30_000,
    "chunks": 3_000,
    "files": 3,
    "big_faces": 1_000,
    "merge_faces": [100, 500],
    "requests": 3,
    "clients": 4,
    "concurrency_seconds": 1.0,
}
SECTIONS = ("# Bench ", "## Reads", "## Merge, undo and redo", "## Concurrent clients", "## Answers")
ENDPOINTS = 12
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bench builds its data with PostgreSQL's SQL"
)


@pytest.mark.postgres_only
@needs_postgres
@pytest.mark.django_db(transaction=True)  # gunicorn, another process, reads what the command commits
def test_bench_builds_measures_and_writes_every_section(tmp_path):
    IdentityFactory(name="Someone already here")
    output = tmp_path / "bench.md"
    out = io.StringIO()

    call_command("bench", **TINY, reset=True, output=output, stdout=out, stderr=io.StringIO())

    printed = out.getvalue()
    for section in SECTIONS:
        assert section in printed
    assert "| traces, 1,000-face identity |" in printed and "| identities list, page 1 |" in printed
    assert "| 100 |" in printed and "| 500 |" in printed
    assert any(line.startswith("| 4 | ") for line in printed.splitlines())  # the concurrent clients' row
    tables = printed[: printed.index("Written with the plans")]
    written = output.read_text()
    assert written.startswith(tables)
    assert "## Plans" in written and written.count("Execution Time") >= 2 * ENDPOINTS
    assert not Identity.objects.filter(name="Someone already here").exists()
    assert FaceDetection.objects.count() == TINY["faces"]

    again = io.StringIO()
    call_command("bench", **TINY, reuse=True, output=output, stdout=again, stderr=io.StringIO())

    assert "Reused as an earlier run built it (--reuse)." in again.getvalue()  # its merges left it as it was
    assert FaceDetection.objects.count() == TINY["faces"] and Identity.objects.count() == TINY["identities"]


@pytest.mark.postgres_only
@needs_postgres
@pytest.mark.django_db
def test_bench_refuses_a_database_with_data_unless_reset(tmp_path):
    IdentityFactory()

    with pytest.raises(CommandError, match="--reset"):
        call_command("bench", **TINY, output=tmp_path / "bench.md", stdout=io.StringIO(), stderr=io.StringIO())

    assert Identity.objects.count() == 1
    assert not (tmp_path / "bench.md").exists()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal of any other database")
def test_bench_refuses_anything_but_postgresql(tmp_path):
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("bench", **TINY, output=tmp_path / "bench.md", stdout=io.StringIO(), stderr=io.StringIO())
