"""The merge benchmark command runs end to end and leaves nothing behind (no timing is asserted)."""
import io

import pytest
from django.core.management import call_command

from faces.models import FaceDetection, IdentityCentroid, MediaFile
from history.models import MergeOperation
from identities.models import Identity

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merge_store")]


def test_merge_benchmark_prints_each_size_and_cleans_up(merge_store, settings):
    out = io.StringIO()
    call_command("merge_benchmark", faces=[30, 90], trace_length=7, frame_step=3, files=2, repeat=2, stdout=out)
    lines = out.getvalue().splitlines()
    assert "traces of 7 faces 3 frame(s) apart in 2 file(s)" in lines[0]
    assert [line.split()[0] for line in lines[2:]] == ["30", "90"]
    assert all(line.count("x") == 3 for line in lines[2:])
    assert not Identity.objects.exists() and not FaceDetection.objects.exists() and not MediaFile.objects.exists()
    assert not MergeOperation.objects.exists()
    assert merge_store.count_documents({}) == 0
    identities_dir = settings.MOMENTRY_OUTPUT_DIR / "identities"
    assert not identities_dir.exists() or not any(identities_dir.iterdir())


def test_merge_benchmark_with_embeddings_runs_and_cleans_up(merge_store):
    out = io.StringIO()
    options = {"trace_length": 7, "frame_step": 3, "files": 2, "repeat": 1, "embedding_dimensions": 8}
    call_command("merge_benchmark", faces=[30], **options, stdout=out)
    lines = out.getvalue().splitlines()
    assert "in 2 file(s), 8-float embeddings;" in lines[0]
    assert [line.split()[0] for line in lines[2:]] == ["30"]
    assert not FaceDetection.objects.exists() and not IdentityCentroid.objects.exists()
