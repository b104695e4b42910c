"""The demo's drawn faces: the same seed draws the same bytes, a performer looks like themself from
trace to trace, a look-alike nearly so, anyone else not; `manage.py demo` leaves a crop for every
face of the films and a screen tests video whose frames are the reel document's."""

import io
import itertools
import json
import uuid

import av
import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from faces.crops import file_crops_dir
from faces.models import FaceDetection
from identities.demo.catalogue import LOOKALIKES
from identities.demo.crops import crops_name, film_crops, film_crops_draw
from identities.demo.library import DEFAULT_SEED, build_demo_library
from identities.demo.portraits import Drawings, Looks, face_crop, trace_portrait, trace_pose, trace_pose_generator
from identities.demo.reel import REEL_HEIGHT, REEL_WIDTH

TINY = {"films": 3, "scale": 0.03}
TRACES_EACH = 8
CROP_SIDE = 64


def crop_bytes(seed, label, trace, *, faces=1):
    drawings = Drawings(Looks(seed))
    rng = trace_pose_generator(seed, "screen", f"{label}:{trace}")
    portrait = trace_portrait(drawings[label], trace_pose(rng), side=CROP_SIDE)
    return [face_crop(portrait, rng, side=CROP_SIDE) for _ in range(faces)]


def test_the_same_seed_draws_the_same_bytes():
    first = crop_bytes(DEFAULT_SEED, "bogart", 1, faces=3)
    assert crop_bytes(DEFAULT_SEED, "bogart", 1, faces=3) == first
    assert len(set(first)) > 1  # the faces of a trace differ a little
    assert crop_bytes(7, "bogart", 1, faces=3) != first
    assert crop_bytes(DEFAULT_SEED, "bogart", 2, faces=3) != first
    image = Image.open(io.BytesIO(first[0]))
    assert (image.format, image.size, image.mode) == ("JPEG", (CROP_SIDE, CROP_SIDE), "RGB")


def test_a_films_crops_are_the_same_bytes_each_time(tmp_path):
    library = build_demo_library(films=1, scale=0.01)
    document = library.media[0]
    crops_name(document)
    written = {}
    for folder in ("one", "two"):
        job = film_crops(
            document, library.trace_performers[document["file_uuid"]], seed=DEFAULT_SEED, folder=tmp_path / folder
        )
        film_crops_draw(job)
        written[folder] = {face["crop"]: (tmp_path / folder / face["crop"]).read_bytes() for face in document["faces"]}
    assert written["one"] == written["two"] and len(written["one"]) == len(document["faces"])


def face_pixels(data):
    """The face box of a crop, at zero mean and unit spread (the light of the trace taken out)."""
    pixels = np.asarray(Image.open(io.BytesIO(data)), dtype=np.float32)
    margin_y, margin_x = round(CROP_SIDE * 0.12), round(CROP_SIDE * 0.25)
    pixels = pixels[margin_y:-margin_y, margin_x:-margin_x]
    return (pixels - pixels.mean()) / pixels.std()


def test_a_performer_looks_more_like_themself_than_a_lookalike_does_and_a_lookalike_more_than_anyone_else():
    people = [key for pair in LOOKALIKES for key in pair] + ["grant", "monroe", "gable", "stewart", "peck", "hepburn_a"]
    crops = {
        key: [face_pixels(crop_bytes(DEFAULT_SEED, key, trace)[0]) for trace in range(TRACES_EACH)] for key in people
    }

    def distance(a, b):
        return np.mean([np.abs(x - y).mean() for x in crops[a] for y in crops[b] if x is not y])

    same = np.mean([distance(key, key) for key in people])
    lookalikes = np.mean([distance(a, b) for a, b in LOOKALIKES])
    pairs = {frozenset(pair) for pair in LOOKALIKES}
    others = np.mean([distance(a, b) for a, b in itertools.combinations(people, 2) if frozenset((a, b)) not in pairs])
    assert same < lookalikes < others, (same, lookalikes, others)


@pytest.mark.django_db
def test_demo_leaves_a_crop_for_every_face_of_the_films_and_a_video_of_the_reel(
    tmp_path, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "demo", "--films", str(TINY["films"]), "--scale", str(TINY["scale"]), "--output-dir", str(tmp_path)
        )
    assert "MB of drawn crops" in capsys.readouterr().out
    documents = [json.loads(path.read_text()) for path in sorted((tmp_path / "media").glob("*.json"))]
    films = [document for document in documents if "media_path" not in document]
    (reel,) = [document for document in documents if "media_path" in document]
    assert len(films) == TINY["films"]

    for document in films:
        file_uuid = uuid.UUID(document["file_uuid"])
        stored = {path.name for path in file_crops_dir(file_uuid).iterdir()}
        assert stored == {f"{face['frame_number']}_{face['index']}.jpg" for face in document["faces"]}
        for face in document["faces"][:: max(1, len(document["faces"]) // 20)]:
            given = (tmp_path / "media" / face["crop"]).read_bytes()
            assert (file_crops_dir(file_uuid) / f"{face['frame_number']}_{face['index']}.jpg").read_bytes() == given
        assert FaceDetection.objects.filter(media_file__file_uuid=file_uuid).count() == len(document["faces"])

    assert not any("crop" in face for face in reel["faces"])
    assert not file_crops_dir(uuid.UUID(reel["file_uuid"])).exists()
    with av.open(str(tmp_path / "media" / reel["media_path"])) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == reel["frame_count"]
    assert (frames[0].width, frames[0].height) == (REEL_WIDTH, REEL_HEIGHT)
    # A detection's frame shows a face at its bbox: the box differs from the bare backdrop around it.
    face = reel["faces"][len(reel["faces"]) // 2]
    x1, y1, x2, y2 = (round(value) for value in face["bbox"])
    shown = frames[face["frame_number"]].to_ndarray(format="rgb24").astype(np.float32)
    empty = frames[0].to_ndarray(format="rgb24").astype(np.float32)
    assert np.abs(shown[y1:y2, x1:x2] - empty[y1:y2, x1:x2]).mean() > 20


@pytest.mark.django_db
def test_extract_crops_cuts_the_reels_crops_from_its_video(tmp_path, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", "--films", "1", "--scale", "0.01", "--no-crops", "--output-dir", str(tmp_path))
    (reel,) = [document for document in build_demo_library(films=1, scale=0.01).media if "media_path" in document]
    crops_dir = file_crops_dir(uuid.UUID(reel["file_uuid"]))
    assert not crops_dir.exists()

    call_command("extract_crops", "--file", reel["file_uuid"])
    traces = {face["trace_id"] for face in reel["faces"]}
    crops = sorted(crops_dir.iterdir())
    assert len(crops) == len(traces)  # each trace's best face
    faces = {f"{face['frame_number']}_{face['index']}.jpg": face for face in reel["faces"]}
    for path in crops:
        image = Image.open(path)
        assert image.format == "JPEG" and path.name in faces
        # The crop shows a face, not the bare backdrop: its middle is far from the backdrop's grey.
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
        height, width = pixels.shape[:2]
        middle = pixels[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4]
        assert middle.std() > 15, path.name
