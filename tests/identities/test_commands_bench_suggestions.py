"""`manage.py bench_suggestions` end to end at a tiny scale (gunicorn included), and its refusals;
no timing is asserted."""
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from faces.models import IdentityCentroid
from identities.models import Identity
from tests.factories import IdentityFactory

TINY = {
    "identities": 300,
    "faces": 30_000,
    "chunks": 3_000,
    "files": 3,
    "big_faces": 1_000,
    "merge_faces": [100, 500],
    "requests": 7,  # one a sampled identity
    "dimensions": 16,
}
SECTIONS = ("# Suggestions bench ", "## Requests", "## Per identity", "## The index")
SAMPLE = ("stranger ", "known ", "Ingrid Bergstrand (big)")
FIRST_REQUESTS = r"\| first request of each of the 2 gunicorn workers \(loads the index\) \| [\d.]+ m?s, [\d.]+ m?s \|"
QUERIES = r"\d+ \([\d.]+ ms\)"  # queries of one request and their time
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bench builds its data with PostgreSQL's SQL"
)


def _bench(tmp_path, **options):
    """What the command printed; `tmp_path / "bench.md"` is its output."""
    out = io.StringIO()
    options = {**TINY, "output": tmp_path / "bench.md", **options}
    call_command("bench_suggestions", **options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _cells(printed, first_cell):
    """The cells of each table row whose first cell starts with `first_cell`."""
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in printed.splitlines()
        if line.startswith(f"| {first_cell}")
    ]


@pytest.mark.postgres_only
@needs_postgres
@pytest.mark.django_db(transaction=True)  # gunicorn, another process, reads what the command commits
def test_bench_suggestions_builds_centroids_and_prints_every_table(tmp_path):
    IdentityFactory(name="Someone already here")

    printed = _bench(tmp_path, reset=True)

    for section in SECTIONS:
        assert section in printed
    limits = _cells(printed, "suggestions?limit=")
    assert [cells[0] for cells in limits] == ["suggestions?limit=5", "suggestions?limit=50"]
    assert all(len(cells) == 8 and cells[-1] in ("met", "missed") for cells in limits)
    assert all(re.fullmatch(r"\d+(–\d+)?", cells[5]) for cells in limits)  # queries per request
    assert limits[0][5] == limits[1][5]
    identities = [cells for kind in SAMPLE for cells in _cells(printed, kind)]
    assert len(identities) == 7  # three strangers, three known people, the first big identity
    for name, faces, *timings, suggested_5, suggested_50, queries_5, queries_50 in identities:
        assert len(timings) == 2 and int(suggested_5) <= 5 and int(suggested_50) <= 50
        assert re.fullmatch(QUERIES, queries_5) and re.fullmatch(QUERIES, queries_50)
        assert queries_5.split()[0] == queries_50.split()[0]
    assert "Queries per request at limit 5 and 50: equal for every identity." in printed
    assert "| matrix | 300 × 16 float32 = 0.0 MB |" in printed
    assert re.search(FIRST_REQUESTS, printed)
    assert printed.splitlines()[-1].startswith("bench_suggestions: p50 ")
    assert (tmp_path / "bench.md").read_text() in printed
    assert not Identity.objects.filter(name="Someone already here").exists()
    assert IdentityCentroid.objects.count() == TINY["identities"]
    assert {len(bytes(row)) for row in IdentityCentroid.objects.values_list("centroid", flat=True)} == {16 * 4}

    again = _bench(tmp_path, reuse=True)

    assert "Reused as an earlier run built it (--reuse)." in again and "## The index" in again
    assert Identity.objects.count() == TINY["identities"] and IdentityCentroid.objects.count() == TINY["identities"]


@pytest.mark.postgres_only
@needs_postgres
@pytest.mark.django_db
def test_bench_suggestions_refuses_data_it_cannot_reuse(tmp_path):
    IdentityFactory()

    with pytest.raises(CommandError, match="not the bench data set at this scale.*--reset"):
        _bench(tmp_path, reuse=True)

    assert Identity.objects.count() == 1
    assert not (tmp_path / "bench.md").exists()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal of any other database")
def test_bench_suggestions_refuses_anything_but_postgresql(tmp_path):
    with pytest.raises(CommandError, match="bench_suggestions runs on PostgreSQL only"):
        _bench(tmp_path)
