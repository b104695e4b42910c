"""`manage.py extract_crops`: each trace's best faces cut from a video generated here with PyAV."""
import re
from fractions import Fraction

import av
import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from faces.crops import crop_path, crops_root
from faces.models import TraceSegment
from faces.services.crops_extract import trace_best_faces, video_frames
from tests.factories import FaceFactory, MediaFileFactory

pytestmark = pytest.mark.django_db

WIDTH, HEIGHT, FPS, FRAMES, KEYFRAME_EVERY = 160, 120, 25.0, 64, 8
# Where the video draws the face of each index, exactly at the faces' bboxes.
BBOXES = {0: [20.0, 40.0, 60.0, 80.0], 1: [100.0, 30.0, 140.0, 90.0]}
BLUE = {0: 200, 1: 40}


def colour(frame_number, index):
    """The colour of a face's rectangle: red and green spell the frame, blue the index."""
    return ((frame_number % 8) * 32 + 16, (frame_number // 8) * 32 + 16, BLUE[index])


def write_video(path, frames=FRAMES, keyframe_every=KEYFRAME_EVERY):
    """A `frames`-frame H.264 (or MPEG-4) video, a keyframe every `keyframe_every` frames."""
    codec = next(name for name in ("libx264", "mpeg4") if name in av.codecs_available)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=Fraction(FPS))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.gop_size = keyframe_every
        for frame_number in range(frames):
            image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
            for index, (x1, y1, x2, y2) in BBOXES.items():
                image[int(y1):int(y2), int(x1):int(x2)] = colour(frame_number, index)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


@pytest.fixture
def video(tmp_path):
    return write_video(tmp_path / "reel.mp4")


def faces_of(media_file, trace_id, index, confidences):
    """A trace of faces at BBOXES[index], one a frame, `{frame_number: confidence}`."""
    return [
        FaceFactory(media_file=media_file, trace_id=trace_id, frame_number=frame_number, index=index,
                    bbox=BBOXES[index], confidence=confidence)
        for frame_number, confidence in confidences.items()
    ]


@pytest.fixture
def film(video):
    """Two traces: trace 1 (index 0) best at frame 13, then 3; trace 2 (index 1) best at 41, then 60."""
    media_file = MediaFileFactory(media_path=str(video), fps=FPS, duration=FRAMES / FPS)
    faces_of(media_file, 1, 0, {frame: 0.5 for frame in range(0, 20)} | {13: 0.99, 3: 0.95})
    faces_of(media_file, 2, 1, {frame: 0.6 for frame in range(30, 62, 2)} | {41: 0.97, 60: 0.9})
    return media_file


def crops_on_disk():
    root = crops_root()
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def assert_cut_from(path, frame_number, index):
    """The crop is the face's rectangle in that frame, with the dark margin around it."""
    with Image.open(path) as crop:
        assert crop.format == "JPEG"
        pixels = crop.convert("RGB")
        centre = pixels.getpixel((crop.width // 2, crop.height // 2))
        want = colour(frame_number, index)
        assert all(abs(got - expected) <= 12 for got, expected in zip(centre, want)), (centre, want)
        assert max(pixels.getpixel((1, 1))) < 40
        return crop.size


def test_each_traces_representative_face_is_cut_from_its_frame(film, capsys):
    call_command("extract_crops", "--size", "48")

    hex_uuid = film.file_uuid.hex
    assert crops_on_disk() == [f"{hex_uuid}/13_0.jpg", f"{hex_uuid}/41_1.jpg"]
    # bbox 40x40, squared and widened to 60x60 inside the frame; index 1's 90x90 is clamped at the right edge.
    assert assert_cut_from(crop_path(film.file_uuid, 13, 0), 13, 0) == (48, 48)
    assert assert_cut_from(crop_path(film.file_uuid, 41, 1), 41, 1) == (45, 48)
    # The face cut first is the trace's representative, as its segment names it.
    best = set(TraceSegment.objects.filter(media_file=film).values_list("best_frame", "best_index"))
    assert best == {(13, 0), (41, 1)}
    out, err = capsys.readouterr()
    assert "Cut 2 crop(s) from 1 of 1 file(s), 1 a trace at most, 48 px; 0 file(s) failed." in out
    assert "Cutting crops [" in err


def test_per_trace_cuts_the_next_best_faces_too(film):
    call_command("extract_crops", "--per-trace", "2", "--file", str(film.file_uuid))
    hex_uuid = film.file_uuid.hex
    assert crops_on_disk() == [f"{hex_uuid}/{name}.jpg" for name in ("13_0", "3_0", "41_1", "60_1")]
    for frame_number, index in ((3, 0), (13, 0), (41, 1), (60, 1)):
        size = assert_cut_from(crop_path(film.file_uuid, frame_number, index), frame_number, index)
        assert max(size) == 128


def test_the_best_faces_rank_by_confidence_times_bbox_area():
    media_file = MediaFileFactory()
    FaceFactory(media_file=media_file, trace_id=1, frame_number=1, confidence=0.9, bbox=[0, 0, 10, 10])
    FaceFactory(media_file=media_file, trace_id=1, frame_number=2, confidence=0.5, bbox=[0, 0, 20, 20])
    FaceFactory(media_file=media_file, trace_id=1, frame_number=3, confidence=0.5, bbox=[0, 0, 20, 20])
    FaceFactory(media_file=media_file, trace_id=2, frame_number=2, index=1, confidence=0.1, bbox=[0, 0, 5, 5])
    wanted = trace_best_faces(media_file=media_file, per_trace=2)
    # Frame 2 beats 3 on the tie (the earlier frame, as segments pick), and both beat frame 1.
    assert [(face.frame_number, face.index) for face in wanted] == [(2, 0), (2, 1), (3, 0)]
    segment = TraceSegment.objects.get(media_file=media_file, trace_id=1)
    assert (segment.best_frame, segment.best_index) == (2, 0)


def test_a_missing_or_undecodable_video_fails_that_file_only(film, tmp_path, capsys):
    missing = MediaFileFactory(media_path=str(tmp_path / "gone.mp4"), fps=FPS, file_name="gone.mp4")
    FaceFactory(media_file=missing, frame_number=1)
    garbage_path = tmp_path / "garbage.mp4"
    garbage_path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not a video at all" * 50)
    garbage = MediaFileFactory(media_path=str(garbage_path), fps=FPS, file_name="garbage.mp4")
    FaceFactory(media_file=garbage, frame_number=1)
    MediaFileFactory(media_path=None)  # no video: not a file to cut from

    with pytest.raises(CommandError, match=re.escape("2 of 3 file(s) failed.")):
        call_command("extract_crops")

    out, err = capsys.readouterr()
    assert f"Failed {missing.file_uuid.hex} (gone.mp4): no such video {tmp_path / 'gone.mp4'}" in err
    assert f"Failed {garbage.file_uuid.hex} (garbage.mp4): cannot open the video {garbage_path}" in err
    assert "Cut 2 crop(s) from 1 of 3 file(s)" in out
    assert crops_on_disk() == [f"{film.file_uuid.hex}/13_0.jpg", f"{film.file_uuid.hex}/41_1.jpg"]


def test_a_file_without_media_path_named_with_file_fails(capsys):
    media_file = MediaFileFactory(media_path=None)
    FaceFactory(media_file=media_file)
    with pytest.raises(CommandError, match=re.escape("1 of 1 file(s) failed.")):
        call_command("extract_crops", "--file", media_file.file_uuid.hex)
    assert "the file has no media_path" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--file", "nope"], "--file must be a file_uuid"),
        (["--file", "0" * 32], "No media file 00000000000000000000000000000000."),
        (["--size", "8"], "--size must be between 16 and 4096 pixels, not 8."),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("extract_crops", *arguments)


def test_faces_beyond_the_videos_end_are_reported_and_the_others_cut(tmp_path, capsys):
    media_file = MediaFileFactory(media_path=str(write_video(tmp_path / "short.mp4", frames=20)), fps=FPS)
    faces_of(media_file, 1, 0, {5: 0.9})
    faces_of(media_file, 2, 0, {30: 0.9})
    faces_of(media_file, 3, 1, {40: 0.9})
    with pytest.raises(CommandError, match=re.escape("1 of 1 file(s) failed.")):
        call_command("extract_crops")
    assert "2 face(s) not in the video's frames: 30_0, 40_1" in capsys.readouterr().err
    assert crops_on_disk() == [f"{media_file.file_uuid.hex}/5_0.jpg"]


def test_a_crop_the_face_had_is_replaced_whole(film):
    path = crop_path(film.file_uuid, 13, 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"an old crop")
    call_command("extract_crops")
    assert_cut_from(path, 13, 0)
    assert not any(name.endswith(".tmp") for name in crops_on_disk())


class CountingContainer:
    """A container that counts its seeks and the frames it decodes."""

    def __init__(self, container):
        self.container, self.seeks, self.decoded = container, 0, 0
        self.streams = container.streams

    def seek(self, *args, **kwargs):
        self.seeks += 1
        return self.container.seek(*args, **kwargs)

    def decode(self, *args):
        for frame in self.container.decode(*args):
            self.decoded += 1
            yield frame


def test_frames_are_reached_by_seeking_to_a_keyframe_and_decoding_forward(video):
    with av.open(str(video)) as opened:
        container = CountingContainer(opened)
        got = [
            (frame_number, frame.to_ndarray(format="rgb24")[60, 40].tolist())
            for frame_number, frame in video_frames(container, [2, 41, 42, 60, 99], FPS)
        ]
    assert [frame_number for frame_number, _ in got] == [2, 41, 42, 60]
    for frame_number, pixel in got:
        assert all(abs(a - b) <= 12 for a, b in zip(pixel, colour(frame_number, 0)))
    # Seeks to the start, to the keyframe at 40 (60 is within a second ahead: decoded to) and, for
    # 99, to the last keyframe (56): frames 0-2, 40-60 and 56-63, 32 of the 64.
    assert (container.seeks, container.decoded) == (3, 32)


def test_frames_between_distant_keyframes_are_decoded_to_once_a_seek_finds_the_same_keyframe(tmp_path):
    """One keyframe in 64 frames: after the seek for 35 lands on frame 0 again, 62 is decoded to."""
    with av.open(str(write_video(tmp_path / "long_gop.mp4", keyframe_every=64))) as opened:
        container = CountingContainer(opened)
        got = [frame_number for frame_number, _ in video_frames(container, [5, 35, 62], FPS)]
    assert got == [5, 35, 62]
    # Frames 0-5, 0-35 and 36-62; seeking for 62 too would have decoded 0-62 a third time.
    assert (container.seeks, container.decoded) == (2, 69)
