"""The screen tests of the library's first film: a short real video and what a detector found in it.

The films' media are not there (their documents carry a drawn crop per face, `crops`); the reel
is a video file, REEL_WIDTH x REEL_HEIGHT at REEL_FPS, in which the first film's cast sit one
after another for a close-up (CLOSE_SECONDS each) and then two by two (TWO_SHOT_SECONDS). Its
document names the video (`media_path`, relative to the document's folder) and carries no crops,
so the reel's crops are cut from its frames at the document's bboxes (`manage.py extract_crops`).
Every trace of a screen test is bound to its actor.

Each frame shows the drawn faces (`portraits`) of the traces that span it: at a detection's frame
with its face box exactly at the detection's bbox, between two detections where the bbox moves.
"""

import math
from dataclasses import replace
from fractions import Fraction

import av
import numpy as np

from .catalogue import PEOPLE, Film
from .film import FilmBuilder
from .naming import person_uuid
from .portraits import FACE_BOX, Drawings, Looks, lit, over, posed_face, trace_pose, trace_pose_generator

REEL_WIDTH, REEL_HEIGHT, REEL_FPS = 320, 180, 12.0
CLOSE_SECONDS, TWO_SHOT_SECONDS = 3.0, 3.0
REEL_SETTING = "on the sound stage"
VIDEO_FOLDER = "video"
# The sound stage: a backdrop lighter at the top, in (r, g, b) at the top and at the bottom.
BACKDROP = ((118, 112, 104), (58, 54, 52))
ENCODERS = ("libx264", "mpeg4")


def reel_film(film):
    """The reel as a film of the catalogue's shape (its runtime is the reel's own, not read)."""
    return Film(
        f"{film.title} screen tests", film.year, 1, REEL_FPS, REEL_WIDTH, REEL_HEIGHT, film.cast, (REEL_SETTING,)
    )


class ReelBuilder(FilmBuilder):
    """The reel's shots, filmed as the films' are, in a fixed order; every trace bound to its actor."""

    def __init__(self, film, *, seed, strangers, bindings, embeddings):
        super().__init__(
            reel_film(film), seed=seed, scale=1.0, strangers=strangers, bindings=bindings, embeddings=embeddings
        )

    def _cast_member(self, key, character):
        member = super()._cast_member(key, character)
        identity = person_uuid(PEOPLE[key])
        member.bind = lambda rng: identity
        return member

    def build(self):
        time = 0.5
        shots = [("close", [member], CLOSE_SECONDS) for member in self.cast]
        shots += [("two", list(pair), TWO_SHOT_SECONDS) for pair in zip(self.cast[0::2], self.cast[1::2])]
        for kind, visible, seconds in shots:
            self.current_time = time
            self._filmed(time, time + seconds, kind, visible, visible, REEL_SETTING)
            time += seconds
        self.duration = round(time + 0.5, 3)
        self._story_chunk(0, self.duration, self.cast, REEL_SETTING)
        document = self._document()
        document["media_path"] = f"{VIDEO_FOLDER}/{document['file_name']}"
        return document


def _backdrop():
    top, bottom = (np.array(colour, dtype=np.float32) for colour in BACKDROP)
    share = np.linspace(0, 1, REEL_HEIGHT, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top + (bottom - top) * share, (REEL_HEIGHT, REEL_WIDTH, 3)).copy()


def _boxes_by_frame(document):
    """`{frame_number: [(trace_id, bbox)]}` for every frame a trace spans, the bbox moving evenly
    from one detection to the next."""
    detections = {}
    for face in document["faces"]:
        detections.setdefault(face["trace_id"], []).append((face["frame_number"], face["bbox"]))
    frames = {}
    for trace_id, trace in detections.items():
        for (frame, bbox), (next_frame, next_bbox) in zip(trace, trace[1:] + trace[-1:]):
            steps = max(1, next_frame - frame)
            for step in range(steps):
                share = step / steps
                moved = [a + (b - a) * share for a, b in zip(bbox, next_bbox)]
                frames.setdefault(frame + step, []).append((trace_id, moved))
    return frames


def _draw_face(frame, face, left, top):
    """The premultiplied face composited over the frame with its top left corner at (left, top)."""
    height, width = face.shape[:2]
    x1, y1 = max(left, 0), max(top, 0)
    x2, y2 = min(left + width, REEL_WIDTH), min(top + height, REEL_HEIGHT)
    if x1 < x2 and y1 < y2:
        region = face[y1 - top : y2 - top, x1 - left : x2 - left]
        frame[y1:y2, x1:x2] = over(frame[y1:y2, x1:x2], region)


def _lit_face(face, light):
    """The premultiplied face under the trace's light (its colours lit, its opacity kept)."""
    alpha = face[..., 3:] / 255
    straight = face[..., :3] / np.maximum(alpha, 1 / 255)
    return np.concatenate([lit(straight, light) * alpha, face[..., 3:]], axis=-1)


def reel_frames(document, trace_performers, *, seed):
    """The reel's frames as (REEL_HEIGHT, REEL_WIDTH, 3) arrays of bytes, in order."""
    drawings = Drawings(Looks(seed))
    poses = {}
    for trace_id in trace_performers:
        pose = trace_pose(trace_pose_generator(seed, document["file_uuid"], trace_id))
        # The face box is where the detector's bbox is: no offset and no zoom beside it.
        poses[trace_id] = replace(pose, shift=(0.0, 0.0), zoom=1.0)
    boxes, backdrop = _boxes_by_frame(document), _backdrop()
    # A face's drawing spans its box's share of it around the bbox (hair, neck and shoulders).
    box_width, box_height = FACE_BOX[2] - FACE_BOX[0], FACE_BOX[3] - FACE_BOX[1]
    for frame_number in range(document["frame_count"]):
        frame = backdrop.copy()
        for trace_id, (x1, y1, x2, y2) in boxes.get(frame_number, ()):
            width, height = math.ceil((x2 - x1) / box_width), math.ceil((y2 - y1) / box_height)
            centre_x, centre_y = (x1 + x2) / 2, (y1 + y2) / 2
            left, top = math.floor(centre_x - width / 2), math.floor(centre_y - height / 2)
            pose = poses[trace_id]
            face = posed_face(
                drawings[trace_performers[trace_id]],
                pose,
                unit=((x2 - x1) / box_width, (y2 - y1) / box_height),
                size=(width, height),
                centre=(centre_x - left, centre_y - top),
            )
            _draw_face(frame, _lit_face(face, pose.light), left, top)
        yield np.clip(frame, 0, 255).astype(np.uint8)


def reel_video_write(document, trace_performers, *, seed, path):
    """Encode the reel's frames into `path` (an MP4 file, written beside and renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    codec = next(name for name in ENCODERS if name in av.codecs_available)
    with av.open(str(partial), "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=Fraction(document["fps"]).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = REEL_WIDTH, REEL_HEIGHT, "yuv420p"
        stream.thread_count = 1
        for image in reel_frames(document, trace_performers, seed=seed):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    partial.replace(path)
