import json
from collections import defaultdict

import pytest
from django.core.management import call_command

from faces.models import Chunk, FaceDetection, MediaFile
from identities.demo.catalogue import PEOPLE
from identities.demo.library import build_demo_library
from identities.demo.naming import person_uuid
from identities.models import Identity
from identities.storage import identity_json_path
from identities.validators import validate_aliases

TINY = {"films": 3, "scale": 0.03}


@pytest.fixture
def tiny_library():
    return build_demo_library(**TINY)


def test_generation_is_deterministic(tiny_library):
    assert build_demo_library(**TINY) == tiny_library
    other_seed = build_demo_library(**TINY, seed=7)
    assert other_seed != tiny_library
    people = {d["identity_uuid"] for d in tiny_library.identities if d["source"] == "tmdb"}
    assert people == {d["identity_uuid"] for d in other_seed.identities if d["source"] == "tmdb"}


def test_library_looks_like_a_real_one(tiny_library):
    people = [d for d in tiny_library.identities if d["source"] == "tmdb"]
    strangers = [d for d in tiny_library.identities if d["source"] == "auto"]
    assert people and strangers
    assert all(d["status"] == "confirmed" and isinstance(d["tmdb_id"], int) for d in people)
    assert all(d["status"] == "pending" and d["name"].startswith("stranger_") for d in strangers)
    locales = set()
    for document in people:
        validate_aliases(document["metadata"]["aliases"])
        locales |= {alias["locale"] for alias in document["metadata"]["aliases"]}
        assert {"tmdb_character", "cast_order"} <= document["metadata"].keys()
    assert {"en", "zh-TW", "ja", "ko"} <= locales

    for document in tiny_library.media:
        stride = round(document["fps"] / 2)  # two detections a second
        traces = defaultdict(list)
        for face in document["faces"]:
            assert 0 <= face["frame_number"] < document["frame_count"]
            x1, y1, x2, y2 = face["bbox"]
            assert 0 <= x1 < x2 and 0 <= y1 < y2 and 0 < face["confidence"] < 1
            traces[face["trace_id"]].append(face["frame_number"])
        for frames in traces.values():
            assert frames == list(range(frames[0], frames[-1] + 1, stride))
        frames = defaultdict(list)
        for face in document["faces"]:
            frames[face["frame_number"]].append(face["index"])
        assert all(indexes == list(range(len(indexes))) for indexes in frames.values())
        types = {chunk["chunk_type"] for chunk in document["chunks"]}
        assert types == {"sentence", "story_child"}
        assert all(0 <= chunk["start_time"] <= chunk["end_time"] <= document["duration"] for chunk in document["chunks"])


def run_demo(output_dir, *extra):
    call_command("demo", "--films", str(TINY["films"]), "--scale", str(TINY["scale"]), "--output-dir", str(output_dir), *extra)


def database_state():
    return {
        "identities": sorted(Identity.objects.values_list("identity_uuid", "name", "status")),
        "files": sorted(MediaFile.objects.values_list("file_uuid", flat=True)),
        "faces": sorted(
            FaceDetection.objects.values_list("media_file__file_uuid", "frame_number", "index", "trace_id", "identity_id")
        ),
        "chunks": Chunk.objects.count(),
    }


@pytest.mark.django_db
def test_demo_loads_the_library_and_writes_identity_files(tmp_path, tiny_library, api, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_demo(tmp_path / "demo", "--no-crops")

    out = capsys.readouterr().out
    assert f"{tiny_library.face_count:,} faces, {tiny_library.chunk_count:,} chunks" in out
    assert Identity.objects.count() == len(tiny_library.identities)
    assert FaceDetection.objects.count() == tiny_library.face_count
    for document in tiny_library.identities:
        written = json.loads((tmp_path / "demo" / "identities" / document["identity_uuid"] / "identity.json").read_text())
        assert written == document
        stored = json.loads(identity_json_path(Identity.objects.get(identity_uuid=document["identity_uuid"]).identity_uuid).read_text())
        assert stored == document  # what the service wrote matches what the generator meant, bindings included
    assert len(list((tmp_path / "demo" / "media").glob("*.json"))) == TINY["films"] + 1  # and the screen tests

    body = api.get("/api/v1/identities?page=1&page_size=20").json()
    assert body["count"] == len(tiny_library.identities) and body["identities"]
    grant = api.get(f"/api/v1/identity/{person_uuid(PEOPLE['grant']).hex}?locale=ja").json()
    assert (grant["name"], grant["display_name"], grant["source"]) == ("Cary Grant", "ケーリー・グラント", "tmdb")


@pytest.mark.django_db
def test_demo_runs_again_without_duplicates_and_replace_keeps_curation(tmp_path, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_demo(tmp_path / "demo", "--no-crops")
    loaded = database_state()

    run_demo(tmp_path / "demo", "--no-crops")
    assert "already loaded" in capsys.readouterr().out
    assert database_state() == loaded

    # A curator binds an unbound trace to Cary Grant; --replace re-ingests and keeps that binding.
    grant = Identity.objects.get(identity_uuid=person_uuid(PEOPLE["grant"]))
    unbound = FaceDetection.objects.filter(identity__isnull=True, media_file__file_name__startswith="charade").first()
    curated = FaceDetection.objects.filter(media_file=unbound.media_file, trace_id=unbound.trace_id)
    curated.update(identity=grant)
    curated_keys = sorted(curated.values_list("frame_number", "index"))

    with django_capture_on_commit_callbacks(execute=True):
        run_demo(tmp_path / "demo", "--replace", "--no-crops")
    assert "uploaded 0 identities" in capsys.readouterr().out
    replaced = database_state()
    assert replaced["identities"] == loaded["identities"]
    assert replaced["chunks"] == loaded["chunks"] and len(replaced["faces"]) == len(loaded["faces"])
    rebound = FaceDetection.objects.filter(media_file=unbound.media_file, trace_id=unbound.trace_id)
    assert sorted(rebound.values_list("frame_number", "index")) == curated_keys
    assert set(rebound.values_list("identity_id", flat=True)) == {grant.id}
    written = json.loads(identity_json_path(grant.identity_uuid).read_text())
    assert unbound.trace_id in next(b for b in written["file_bindings"] if b["file_uuid"] == unbound.media_file.file_uuid.hex)["trace_ids"]


@pytest.mark.django_db
def test_demo_documents_are_ingest_documents(tmp_path, capsys):
    run_demo(tmp_path / "demo")  # with the films' crops, which the documents name relative to their folder
    capsys.readouterr()
    call_command("ingest", "--replace", str(tmp_path / "demo" / "media"))
    assert f"Ingested {TINY['films'] + 1} file(s), refused 0" in capsys.readouterr().out
