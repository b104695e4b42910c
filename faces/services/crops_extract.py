"""Face crops cut from a media file's video (`MediaFile.media_path`) with PyAV: `manage.py extract_crops`.

For each trace of the file its best faces are cut, ranked as a segment's representative face is
(`TraceSegment.best_frame`: highest confidence × bbox area, then the earliest frame and index), so
the first of a trace is its representative and the others are the next best. The frames are read
in one pass forward: sorted by frame, each reached by seeking to the keyframe before it (unless it
is a few frames ahead of the last one decoded) and decoding forward to it; a frame's number is
round((pts - start) × time_base × fps), fps the file's. Each crop is the face's bbox squared and
widened by CROP_MARGIN of its side each way, clamped to the frame, resized so its longer side is
`size` pixels, and written whole (`write_atomically`) over any crop the face had.
"""
import heapq
import math
from dataclasses import dataclass, field

import av
from PIL import Image

from momentry.core.files import write_atomically

from ..crops import crop_jpeg, crop_path
from ..models import FaceDetection
from ..segments import face_strength

CROP_MARGIN = 0.25
DEFAULT_CROP_SIZE = 128
# A frame at most this many seconds ahead of the last one decoded is decoded to, not sought, until
# the video's keyframes are known to be further apart (`video_frames`).
DECODE_AHEAD_SECONDS = 1.0


class CropExtractionFailed(Exception):
    """Why a file's crops cannot be cut: a sentence naming the video."""


@dataclass(frozen=True)
class WantedFace:
    frame_number: int
    index: int
    bbox: list


@dataclass
class CropExtraction:
    written: int = 0
    # Faces whose frame the video does not have, or whose bbox lies outside the frame.
    missing: list = field(default_factory=list)


def trace_best_faces(*, media_file, per_trace):
    """The `per_trace` best faces of each trace of the file, as WantedFace sorted by frame and index."""
    ranked = {}
    rows = FaceDetection.objects.filter(media_file=media_file).values_list(
        "trace_id", "frame_number", "index", "bbox", "confidence"
    )
    for trace_id, frame_number, index, bbox, confidence in rows.iterator(chunk_size=5000):
        ranked.setdefault(trace_id, []).append((-face_strength(confidence, bbox), frame_number, index, bbox))
    wanted = [
        WantedFace(frame_number, index, bbox)
        for faces in ranked.values()
        for _, frame_number, index, bbox in heapq.nsmallest(per_trace, faces, key=lambda face: face[:3])
    ]
    return sorted(wanted, key=lambda face: (face.frame_number, face.index))


def crop_box(bbox, width, height):
    """The region to cut for a bbox: the bbox squared and widened by CROP_MARGIN each way, clamped
    to the frame; None when nothing of it is inside the frame."""
    x1, y1, x2, y2 = bbox
    side = max(x2 - x1, y2 - y1, 1.0) * (1 + 2 * CROP_MARGIN)
    centre_x, centre_y = (x1 + x2) / 2, (y1 + y2) / 2
    left, top = max(0, math.floor(centre_x - side / 2)), max(0, math.floor(centre_y - side / 2))
    right, bottom = min(width, math.ceil(centre_x + side / 2)), min(height, math.ceil(centre_y + side / 2))
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def face_crop_image(image, bbox, size):
    """The face's crop of a frame (a Pillow image), its longer side `size` pixels; None outside it."""
    box = crop_box(bbox, image.width, image.height)
    if box is None:
        return None
    region = image.crop(box)
    scale = size / max(region.size)
    return region.resize(
        (max(1, round(region.width * scale)), max(1, round(region.height * scale))), Image.Resampling.LANCZOS
    )


def _open_video(path):
    try:
        container = av.open(path)
    except FileNotFoundError:
        raise CropExtractionFailed(f"no such video {path}") from None
    except (av.FFmpegError, OSError) as exc:
        raise CropExtractionFailed(f"cannot open the video {path}: {exc}") from None
    if not container.streams.video:
        container.close()
        raise CropExtractionFailed(f"{path} has no video stream")
    return container


def video_frames(container, frame_numbers, fps):
    """`(frame_number, av.VideoFrame)` for each of the sorted `frame_numbers` that the video has,
    in one pass forward: a seek to the keyframe before a frame, then decoding forward to it.

    A seek is worth it only past a keyframe: a frame at most `spacing` frames ahead of the last one
    decoded is decoded to. `spacing` starts at DECODE_AHEAD_SECONDS and grows to the longest run
    between keyframes seen, from two keyframes decoded in a row or from a seek's keyframe to its
    frame. Seeking before each frame more than a second ahead, 50 frames of a 3,000-frame video
    with a keyframe every 250 took 17 s, back to the same keyframe for most (decoding all of it
    took 6.7 s); so, it takes 4 seeks and decodes 2,549 frames."""
    stream = container.streams.video[0]
    time_base = stream.time_base
    start = stream.start_time or 0
    spacing = max(1, round(DECODE_AHEAD_SECONDS * fps))
    decoded = None  # an iterator over the decoded frames
    last = last_keyframe = -1  # the numbers of the last frame decoded and of the last keyframe
    pending = iter(frame_numbers)
    wanted = next(pending, None)
    while wanted is not None:
        if decoded is None or wanted - last > spacing:
            # Half a frame early, so rounding never puts the keyframe found after the wanted frame.
            container.seek(start + max(0, math.floor((wanted - 0.5) / fps / time_base)), stream=stream, backward=True)
            decoded, last_keyframe, sought = container.decode(stream), -1, wanted
        else:
            sought = None
        for frame in decoded:
            if frame.pts is None:
                continue
            last = round((frame.pts - start) * time_base * fps)
            if frame.key_frame:
                if sought is not None:
                    spacing = max(spacing, sought - last)
                elif last_keyframe >= 0:
                    spacing = max(spacing, last - last_keyframe)
                last_keyframe = last
            sought = None
            if last >= wanted:
                break
        else:
            return  # the video ends before the wanted frame
        while wanted is not None and wanted < last:
            wanted = next(pending, None)  # a frame the video does not have
        if wanted == last:
            yield wanted, frame
            wanted = next(pending, None)


def media_file_crops_extract(*, media_file, faces, size=DEFAULT_CROP_SIZE, on_face=None):
    """Cut the crops of `faces` (WantedFace, sorted by frame) from the file's video; returns a
    CropExtraction. CropExtractionFailed when the video cannot be opened or decoded (the crops
    written until then stay, each whole). `on_face(face)` is called after each face."""
    if not media_file.media_path:
        raise CropExtractionFailed("the file has no media_path")
    result = CropExtraction()
    by_frame = {}
    for face in faces:
        by_frame.setdefault(face.frame_number, []).append(face)
    container = _open_video(media_file.media_path)
    try:
        for frame_number, frame in video_frames(container, sorted(by_frame), media_file.fps):
            image = frame.to_image()
            for face in by_frame.pop(frame_number):
                crop = face_crop_image(image, face.bbox, size)
                if crop is None:
                    result.missing.append(face)
                else:
                    write_atomically(crop_path(media_file.file_uuid, face.frame_number, face.index), crop_jpeg(crop))
                    result.written += 1
                if on_face is not None:
                    on_face(face)
    except av.FFmpegError as exc:
        raise CropExtractionFailed(f"cannot decode the video {media_file.media_path}: {exc}") from None
    finally:
        container.close()
    for frame_faces in by_frame.values():
        result.missing.extend(frame_faces)
        if on_face is not None:
            for face in frame_faces:
                on_face(face)
    return result
