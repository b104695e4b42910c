"""manage.py bench_console: every console page timed on the current database, with its queries."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory

pytestmark = pytest.mark.django_db


def test_every_console_page_is_timed_with_its_queries():
    film = MediaFileFactory(file_name="Charade (1963).mp4")
    cary = IdentityFactory(name="Cary Grant", source="tmdb")
    stranger = StrangerFactory(name="stranger_7")
    for frame in range(10):
        FaceFactory(media_file=film, frame_number=frame, trace_id=1, identity=cary)
        FaceFactory(media_file=film, frame_number=100 + frame, trace_id=2, identity=stranger)
    out = StringIO()
    call_command("bench_console", rounds=2, identity=cary.identity_uuid.hex, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["page", "p50", "ms", "p95", "ms", "queries"]
    pages = lines[1:-1]
    labels = ["identity list", "identity Cary Grant", "identity stranger_7", "file Charade (1963).mp4", "review"]
    extra = ["file Charade (1963).mp4, unbound traces", "trace 1 of Cary Grant", "merges", "history of Cary Grant"]
    for label in [*labels, *extra]:
        row = next(line for line in pages if line.startswith(label + " "))
        assert re.search(r"\d+\.\d +\d+\.\d +\d+$", row), row
    assert re.match(r"11 pages, 2 rounds on \w+ \(load [\d.]+\): slowest .+ ms p50; ", lines[-1])


def test_an_empty_database_is_refused():
    with pytest.raises(CommandError, match="load the demo"):
        call_command("bench_console", rounds=1, stdout=StringIO())
