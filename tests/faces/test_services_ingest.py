import copy
import itertools
import json
import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from faces.models import Chunk, FaceDetection, MediaFile, TraceSegment
from faces.segments import segments_differences
from faces.services import ingest, ingest_rows, media_file_ingest
from identities.storage import identity_json_path
from momentry.core.errors import Conflict
from tests.factories import ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory

pytestmark = pytest.mark.django_db


def face(frame_number, index=0, *, trace_id=1, identity=None, **extra):
    data = {
        "frame_number": frame_number,
        "index": index,
        "bbox": [100.0 + index * 300, 80.0, 260.0 + index * 300, 290.0],
        "confidence": 0.93,
        "trace_id": trace_id,
        **extra,
    }
    if identity is not None:
        data["identity_uuid"] = identity.identity_uuid.hex
    return data


def chunk(chunk_id, start_time, end_time, *, fps=25.0, chunk_type="sentence"):
    return {
        "chunk_id": chunk_id,
        "chunk_type": chunk_type,
        "start_frame": round(start_time * fps),
        "end_frame": round(end_time * fps),
        "start_time": start_time,
        "end_time": end_time,
        "text": f"[{round(start_time)}s-{round(end_time)}s] Where were you last night?",
    }


def ingest_document(*, file_uuid=None, faces=None, chunks=None, **fields):
    return {
        "file_uuid": (file_uuid or uuid.uuid4()).hex,
        "file_name": "charade_1963.mp4",
        "fps": 25.0,
        "duration": 120.0,
        "faces": faces if faces is not None else [face(10), face(20), face(20, 1, trace_id=2)],
        "chunks": chunks if chunks is not None else [chunk("c1", 0.4, 1.2), chunk("c2", 1.5, 3.0)],
        **fields,
    }


def stored_file_bindings(identity):
    return json.loads(identity_json_path(identity.identity_uuid).read_text())["file_bindings"]


def nothing_written():
    return not any(model.objects.exists() for model in (MediaFile, FaceDetection, Chunk, TraceSegment))


def test_good_document_writes_rows_and_identity_json(django_capture_on_commit_callbacks):
    grant = IdentityFactory(name="Cary Grant")
    file_uuid = uuid.uuid4()
    document = ingest_document(
        file_uuid=file_uuid,
        faces=[
            face(10, identity=grant, embedding=[0.1, -0.2, 0.3]),
            face(15, identity=grant),
            face(15, 1, trace_id=2),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = media_file_ingest(document=document)

    assert (result.faces, result.chunks, result.replaced) == (3, 2, False)
    media_file = MediaFile.objects.get(file_uuid=file_uuid)
    assert (media_file.file_name, media_file.fps, media_file.duration) == ("charade_1963.mp4", 25.0, 120.0)
    assert media_file.frame_count == 3000
    faces = list(media_file.faces.order_by("frame_number", "index"))
    assert [(f.face_id, f.trace_id, f.identity_id) for f in faces] == [
        ("10_0", 1, grant.id),
        ("15_0", 1, grant.id),
        ("15_1", 2, None),
    ]
    assert faces[0].bbox == [100.0, 80.0, 260.0, 290.0]
    assert faces[0].embedding == [0.1, -0.2, 0.3] and faces[1].embedding is None
    assert list(media_file.chunks.order_by("start_time").values_list("chunk_id", "start_frame", "end_frame")) == [
        ("c1", 10, 30),
        ("c2", 38, 75),
    ]
    assert stored_file_bindings(grant) == [{"file_uuid": file_uuid.hex, "trace_ids": [1], "face_count": 2}]


def test_dashed_file_uuid_and_given_frame_count_are_accepted():
    file_uuid = uuid.uuid4()
    media_file_ingest(document={**ingest_document(), "file_uuid": str(file_uuid), "frame_count": 2999})
    assert MediaFile.objects.get(file_uuid=file_uuid).frame_count == 2999


def test_empty_lists_are_a_valid_document():
    result = media_file_ingest(document=ingest_document(faces=[], chunks=[]))
    assert (result.faces, result.chunks) == (0, 0)
    assert MediaFile.objects.count() == 1


def _set(path, value):
    """A mutation setting `document[path...] = value`; the path walks dicts and lists."""

    def mutate(document):
        target = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def _delete(path):
    def mutate(document):
        target = document
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


MALFORMED = {
    "missing file_uuid": (_delete(["file_uuid"]), "file_uuid is required"),
    "file_uuid not a uuid": (_set(["file_uuid"], "charade"), "file_uuid must be a UUID"),
    "fps zero": (_set(["fps"], 0), "fps must be greater than 0"),
    "duration negative": (_set(["duration"], -1), "duration must be at least 0"),
    "faces missing": (_delete(["faces"]), "faces is required"),
    "faces not a list": (_set(["faces"], {"0": {}}), "faces must be a list"),
    "face not an object": (_set(["faces", 2], [20, 1]), "faces[2] must be a JSON object"),
    "bbox of three numbers": (_set(["faces", 2, "bbox"], [1, 2, 3]), "faces[2].bbox must be [x1, y1, x2, y2]"),
    "bbox inverted": (_set(["faces", 2, "bbox"], [300, 10, 200, 40]), "faces[2].bbox must have x1 <= x2"),
    "confidence above 1": (_set(["faces", 2, "confidence"], 1.5), "faces[2].confidence must be between 0 and 1"),
    "confidence NaN": (_set(["faces", 2, "confidence"], float("nan")), "faces[2].confidence must be a finite number"),
    "bbox beyond a float": (_set(["faces", 2, "bbox"], [0, 0, 10**400, 5]), "faces[2].bbox must be [x1, y1, x2, y2]"),
    "frame_number beyond 32 bits": (_set(["faces", 2, "frame_number"], 2**31), "faces[2].frame_number must be between"),
    "frame count overflows": (_set(["duration"], 1e300), "frame_count (duration × fps) must be between"),
    "trace_id a string": (_set(["faces", 2, "trace_id"], "7"), "faces[2].trace_id must be an integer"),
    "index a boolean": (_set(["faces", 2, "index"], True), "faces[2].index must be an integer"),
    "index beyond a small integer": (_set(["faces", 2, "index"], 40_000), "faces[2].index must be between 0 and 32767"),
    "frame_number missing": (_delete(["faces", 2, "frame_number"]), "faces[2].frame_number is required"),
    "embedding of strings": (_set(["faces", 2, "embedding"], ["a"]), "faces[2].embedding must be"),
    "identity_uuid malformed": (_set(["faces", 2, "identity_uuid"], "cary"), "faces[2].identity_uuid must be a UUID"),
    "identity_uuid unknown": (_set(["faces", 2, "identity_uuid"], uuid.UUID(int=7).hex), "names no identity"),
    "duplicate face": (_set(["faces", 2], face(20)), "faces[2] repeats face 20_0 of faces[1]"),
    "duplicate chunk_id": (_set(["chunks", 1, "chunk_id"], "c1"), "chunks[1] repeats chunk_id 'c1' of chunks[0]"),
    "chunk ends before it starts": (_set(["chunks", 1, "end_time"], 0.5), "chunks[1].end_time (0.5) is before"),
    "chunk text missing": (_delete(["chunks", 1, "text"]), "chunks[1].text is required"),
    "chunk text with NUL": (_set(["chunks", 1, "text"], "a\x00b"), "chunks[1].text must not contain NUL"),
    "chunk_type empty": (_set(["chunks", 1, "chunk_type"], " "), "chunks[1].chunk_type must not be empty"),
    "confidence missing": (_delete(["faces", 2, "confidence"]), "faces[2].confidence is required"),
    "bbox with a boolean": (_set(["faces", 2, "bbox"], [True, 0.0, 10.0, 10.0]), "faces[2].bbox must be [x1, y1"),
    "bbox infinite": (_set(["faces", 2, "bbox"], [0.0, 0.0, float("inf"), 5.0]), "faces[2].bbox must be [x1, y1"),
    "embedding with NaN": (_set(["faces", 2, "embedding"], [0.1, float("nan")]), "faces[2].embedding must be"),
    "embedding of infinities": (_set(["faces", 2, "embedding"], [float("inf"), float("-inf")]), "faces[2].embedding"),
    "embedding with a boolean": (_set(["faces", 2, "embedding"], [0.1, False]), "faces[2].embedding must be"),
    "embedding empty": (_set(["faces", 2, "embedding"], []), "faces[2].embedding must be a non-empty list"),
    "identity_uuid a list": (_set(["faces", 2, "identity_uuid"], ["cary"]), "faces[2].identity_uuid must be a UUID"),
    "trace_id below 32 bits": (_set(["faces", 2, "trace_id"], -(2**31) - 1), "faces[2].trace_id must be between -2147"),
    "confidence a negative integer": (_set(["faces", 2, "confidence"], -1), "faces[2].confidence must be between 0"),
    # Every face is checked before any two are compared: the malformed face is the reason given.
    "malformed face after a duplicate": (
        lambda document: document["faces"].extend([face(20), face(40, confidence=2)]),
        "faces[4].confidence must be between 0 and 1",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_document_is_refused_with_reason_and_writes_nothing(case):
    mutate, reason = MALFORMED[case]
    IdentityFactory()
    document = ingest_document()
    mutate(document)
    with pytest.raises(ValidationError) as refused:
        media_file_ingest(document=document)
    assert reason in "; ".join(refused.value.messages)
    assert nothing_written()


def test_document_that_is_not_an_object_is_refused():
    with pytest.raises(ValidationError, match="must be a JSON object"):
        media_file_ingest(document=[ingest_document()])
    assert nothing_written()


def test_existing_file_is_refused_without_replace_and_left_as_it_was():
    document = ingest_document()
    media_file_ingest(document=document)
    with pytest.raises(Conflict, match="already ingested"):
        media_file_ingest(document={**document, "faces": [], "chunks": [], "file_name": "other.mp4"})
    media_file = MediaFile.objects.get()
    assert media_file.file_name == "charade_1963.mp4"
    assert (media_file.faces.count(), media_file.chunks.count()) == (3, 2)


def test_replace_keeps_bindings_of_faces_that_still_exist_and_drops_the_others(django_capture_on_commit_callbacks):
    grant, hepburn, matthau = IdentityFactory.create_batch(3)
    file_uuid = uuid.uuid4()
    original = ingest_document(
        file_uuid=file_uuid,
        faces=[face(10), face(20), face(20, 1, trace_id=2), face(30, trace_id=3)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        media_file_ingest(document=original)
    # A curator's bindings, made after the first ingest.
    media_file = MediaFile.objects.get(file_uuid=file_uuid)
    media_file.faces.filter(frame_number__in=[10, 20], index=0).update(identity=grant)
    media_file.faces.filter(frame_number=30).update(identity=hepburn)

    replacement = ingest_document(
        file_uuid=file_uuid,
        faces=[
            face(10, trace_id=7, identity=matthau),  # still exists: the curator's binding wins
            face(20, trace_id=7, bbox=[90, 70, 250, 280], confidence=0.97),
            face(25, trace_id=8, identity=matthau),  # new face: bound as the document says
            # 20_1 and 30_0 are gone, and with 30_0 Hepburn's only face.
        ],
        chunks=[chunk("c9", 5.0, 6.0)],
        duration=90.0,
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = media_file_ingest(document=replacement, replace=True)

    assert (result.replaced, result.faces, result.chunks) == (True, 3, 1)
    assert (result.bindings_kept, result.bindings_dropped) == (2, 1)
    media_file.refresh_from_db()
    assert media_file.frame_count == 2250
    rows = media_file.faces.order_by("frame_number", "index").values_list("frame_number", "index", "trace_id", "identity_id")
    assert list(rows) == [(10, 0, 7, grant.id), (20, 0, 7, grant.id), (25, 0, 8, matthau.id)]
    assert media_file.faces.get(frame_number=20).confidence == 0.97
    assert list(media_file.chunks.values_list("chunk_id", flat=True)) == ["c9"]
    assert stored_file_bindings(grant) == [{"file_uuid": file_uuid.hex, "trace_ids": [7], "face_count": 2}]
    assert stored_file_bindings(hepburn) == []
    assert stored_file_bindings(matthau) == [{"file_uuid": file_uuid.hex, "trace_ids": [8], "face_count": 1}]


def test_malformed_replacement_leaves_the_file_as_it_was():
    grant = IdentityFactory()
    document = ingest_document(faces=[face(10, identity=grant), face(20)])
    media_file_ingest(document=document)
    broken = copy.deepcopy(document)
    broken["faces"][1]["bbox"] = "wide"
    with pytest.raises(ValidationError, match=r"faces\[1\]\.bbox"):
        media_file_ingest(document=broken, replace=True)
    assert list(FaceDetection.objects.order_by("frame_number").values_list("frame_number", "identity_id")) == [
        (10, grant.id),
        (20, None),
    ]
    assert Chunk.objects.count() == 2


# The command.


def write_json(path, document):
    path.write_text(json.dumps(document))
    return path


def test_command_ingests_good_documents_and_reports_the_bad_one(tmp_path, capsys):
    library = tmp_path / "library"
    library.mkdir()
    write_json(library / "a_good.json", ingest_document())
    broken = ingest_document()
    broken["chunks"][0]["start_time"] = "soon"
    write_json(library / "b_broken.json", broken)
    (library / "c_not_json.json").write_text("{not json")
    write_json(library / "d_good.json", ingest_document())
    (library / "notes.txt").write_text("not a document")

    with pytest.raises(CommandError, match="2 of 4 document"):
        call_command("ingest", str(library))

    out, err = capsys.readouterr()
    summary = r"Ingested 2 file\(s\), refused 2; wrote 6 faces and 4 chunks in [0-9.]+ s, after [0-9.]+ s of JSON"
    assert re.search(summary, out)
    assert f"Refused {library / 'b_broken.json'}: chunks[0].start_time must be a finite number" in err
    assert f"Refused {library / 'c_not_json.json'}: not valid JSON" in err
    assert "Ingesting [" in err
    assert MediaFile.objects.count() == 2
    assert FaceDetection.objects.count() == 6


def test_command_refuses_existing_file_unless_replace(tmp_path, capsys):
    path = write_json(tmp_path / "charade.json", ingest_document())
    call_command("ingest", str(path))
    with pytest.raises(CommandError):
        call_command("ingest", str(path))
    assert "already ingested" in capsys.readouterr().err

    write_json(path, {**json.loads(path.read_text()), "faces": [face(99)]})
    call_command("ingest", "--replace", str(path))
    assert "Ingested 1 file(s), refused 0; wrote 1 faces and 2 chunks in " in capsys.readouterr().out
    assert list(FaceDetection.objects.values_list("frame_number", flat=True)) == [99]


def test_command_reports_a_missing_path(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("ingest", str(tmp_path / "missing.json"))
    assert f"Refused {tmp_path / 'missing.json'}: no such file" in capsys.readouterr().err


def test_numbers_are_stored_as_floats_and_finite_numbers_beyond_a_float_sum_are_accepted():
    file_uuid = uuid.uuid4()
    document = ingest_document(
        file_uuid=file_uuid,
        faces=[
            face(10, bbox=[10, 20, 110, 220], confidence=1, embedding=[1, -2, 0.5]),
            face(20, embedding=[1e308, 1e308, 1e308]),  # each finite, though their sum is not
        ],
    )
    assert media_file_ingest(document=document).faces == 2
    stored = FaceDetection.objects.get(media_file__file_uuid=file_uuid, frame_number=10)
    assert json.dumps(stored.bbox) == "[10.0, 20.0, 110.0, 220.0]"
    assert json.dumps(stored.embedding) == "[1.0, -2.0, 0.5]"
    assert stored.confidence == 1.0


def test_faces_with_and_without_embeddings_round_trip_exactly():
    grant = IdentityFactory()
    # One length for all (a library has one embedding space): 512, as face recognisers give.
    embeddings = [
        [0.1, 1 / 3, -2.5e-8, 123456.789, 5e-324, -0.999999999999] * 85 + [0.5, 0.25],
        [0.12345678901234568] * 512,
        None,
    ]
    faces = [
        face(position * 10, trace_id=position, identity=grant if position else None, embedding=embedding,
             bbox=[0.1 + position, 1 / 7, 640.25 + position, 480.000001], confidence=0.1 + position / 10)
        for position, embedding in enumerate(embeddings)
    ]
    document = ingest_document(faces=copy.deepcopy(faces))
    media_file_ingest(document=document)

    stored = FaceDetection.objects.filter(media_file__file_uuid=document["file_uuid"]).order_by("frame_number")
    for given, face_row in zip(faces, stored, strict=True):
        assert json.dumps(face_row.bbox) == json.dumps(given["bbox"])
        assert face_row.confidence == given["confidence"]
        assert json.dumps(face_row.embedding) == json.dumps(given.get("embedding"))
        assert face_row.identity_id == (grant.id if "identity_uuid" in given else None)


def test_an_identity_named_in_both_forms_is_one_identity():
    grant = IdentityFactory()
    dashed = str(grant.identity_uuid).upper()
    document = ingest_document(faces=[face(10, identity=grant), {**face(20), "identity_uuid": dashed}])
    media_file_ingest(document=document)
    assert list(FaceDetection.objects.values_list("identity_id", flat=True)) == [grant.id, grant.id]


def test_re_ingest_of_a_file_keeps_the_bindings_and_rebuilds_its_segments(django_capture_on_commit_callbacks):
    """A file as the factories leave it (faces bound by hand, segments beside them), replaced."""
    grant, hepburn = IdentityFactory.create_batch(2)
    media_file = MediaFileFactory()
    for frame_number in (10, 11, 12):
        FaceFactory(media_file=media_file, frame_number=frame_number, trace_id=1, identity=grant)
    FaceFactory(media_file=media_file, frame_number=12, index=1, trace_id=2, identity=hepburn)
    FaceFactory(media_file=media_file, frame_number=40, trace_id=3)
    ChunkFactory(media_file=media_file, chunk_id="old")

    replacement = ingest_document(
        file_uuid=media_file.file_uuid,
        faces=[
            face(10, trace_id=5),
            face(11, trace_id=5, identity=hepburn),  # still there: stays Grant's
            face(12, trace_id=6),
            face(13, trace_id=6, identity=hepburn),  # new: the document's
            face(40, trace_id=7, embedding=[0.5, 0.25]),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = media_file_ingest(document=replacement, replace=True)

    assert (result.replaced, result.faces, result.bindings_kept, result.bindings_dropped) == (True, 5, 3, 1)
    rows = media_file.faces.order_by("frame_number", "index").values_list("frame_number", "trace_id", "identity_id")
    assert list(rows) == [(10, 5, grant.id), (11, 5, grant.id), (12, 6, grant.id), (13, 6, hepburn.id), (40, 7, None)]
    assert list(media_file.chunks.values_list("chunk_id", flat=True)) == ["c1", "c2"]
    assert segments_differences(media_file.pk) == ([], [])
    segments = TraceSegment.objects.filter(media_file=media_file).order_by("trace_id", "identity_id")
    assert list(segments.values_list("trace_id", "identity_id", "face_count", "embedding_count")) == [
        (5, grant.id, 2, 0),
        (6, grant.id, 1, 0),
        (6, hepburn.id, 1, 0),
        (7, None, 1, 1),
    ]
    assert stored_file_bindings(hepburn) == [{"file_uuid": media_file.file_uuid.hex, "trace_ids": [6], "face_count": 1}]


def after_calls(calls, function, then):
    """`function` for its first `calls` calls, `then` for the others."""
    counter = itertools.count()
    return lambda *args: function(*args) if next(counter) < calls else then(*args)


def disk_full(*args, **kwargs):
    raise RuntimeError("disk full")


def big_document(faces=3000):
    """Enough faces that the rows sent before face 2,000 fill several of psycopg's COPY buffers."""
    return ingest_document(faces=[face(n, trace_id=n // 50, embedding=[0.25] * 16) for n in range(faces)])


def test_a_failure_half_way_through_the_faces_leaves_nothing(monkeypatch):
    """Raised while the rows stream in: on PostgreSQL inside the COPY, with 2,000 faces sent."""
    monkeypatch.setattr(ingest_rows, "_floats_json", after_calls(4000, ingest_rows._floats_json, disk_full))
    with pytest.raises(RuntimeError, match="disk full"):
        media_file_ingest(document=big_document())
    assert nothing_written()


def test_a_row_the_database_refuses_half_way_leaves_nothing(monkeypatch):
    """Text that is not JSON from face 2,000 on: refused by PostgreSQL's COPY or SQLite's JSON check."""
    not_json = after_calls(4000, ingest_rows._floats_json, lambda values: "[1.0,")
    monkeypatch.setattr(ingest_rows, "_floats_json", not_json)
    with pytest.raises(DatabaseError):
        media_file_ingest(document=big_document())
    assert nothing_written()


def test_a_failure_on_the_chunks_takes_the_faces_with_it(monkeypatch):
    monkeypatch.setattr(ingest, "chunk_rows", disk_full)
    with pytest.raises(RuntimeError, match="disk full"):
        media_file_ingest(document=ingest_document())
    assert nothing_written()


def test_a_failed_replace_leaves_the_file_as_it_was(monkeypatch):
    grant = IdentityFactory()
    document = ingest_document(faces=[face(10, identity=grant), face(20)])
    media_file_ingest(document=document)
    before = list(FaceDetection.objects.order_by("pk").values_list("pk", "frame_number", "identity_id"))
    segments_before = list(TraceSegment.objects.order_by("pk").values_list("pk", "trace_id", "identity_id"))
    monkeypatch.setattr(ingest_rows, "_floats_json", after_calls(2, ingest_rows._floats_json, disk_full))
    with pytest.raises(RuntimeError, match="disk full"):
        media_file_ingest(document={**document, "faces": [face(10), face(30), face(40)]}, replace=True)
    assert list(FaceDetection.objects.order_by("pk").values_list("pk", "frame_number", "identity_id")) == before
    assert list(TraceSegment.objects.order_by("pk").values_list("pk", "trace_id", "identity_id")) == segments_before
    assert Chunk.objects.count() == 2
