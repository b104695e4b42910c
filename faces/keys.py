"""The face-key codec: how a face is named outside the database, in each of its three forms.

A face is `(file, frame_number, index)`, stable across a re-ingest with `--replace`. Its forms:
- `face_id`, in the API: `"{frame}_{index}"` (and `"face_{frame}"` for index 0 on input);
- snapshot keys, in identity history: `[frame, index]` pairs per file;
- runs, in merge records: one string per file, `"37974-38127_0,38200_1"` is frames 37974 to
  38127 at index 0 and frame 38200 at index 1, so 100,000 scattered faces take under 1 MB.
"""
import re

from momentry.core.parsing import INT16_MAX, INT32_RANGE

# ASCII digits and fullmatch: `\d` would take other scripts' digits and `$` a trailing newline.
FACE_ID = re.compile(r"(?P<frame>[0-9]{1,10})_(?P<index>[0-9]{1,5})|face_(?P<only_frame>[0-9]{1,10})")
FRAME_MAX, INDEX_MAX = INT32_RANGE[1], INT16_MAX


def face_id(frame_number, index):
    return f"{frame_number}_{index}"


def parse_face_id(value):
    """`(frame_number, index)` from a face_id, or None when it is malformed or out of range."""
    match = FACE_ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    if match["only_frame"] is not None:
        frame_number, index = int(match["only_frame"]), 0
    else:
        frame_number, index = int(match["frame"]), int(match["index"])
    if frame_number > FRAME_MAX or index > INDEX_MAX:
        return None
    return frame_number, index


def runs_encode(keys):
    """The runs string of `(frame_number, index)` keys, each run consecutive frames at one index."""
    runs = []
    for frame_number, index in sorted(keys, key=lambda key: (key[1], key[0])):
        if runs and runs[-1][2] == index and runs[-1][1] == frame_number - 1:
            runs[-1][1] = frame_number
        else:
            runs.append([frame_number, frame_number, index])
    return ",".join(f"{first}_{index}" if first == last else f"{first}-{last}_{index}" for first, last, index in runs)


_EACH_RUN = re.compile(r"([0-9]+)(?:-([0-9]+))?_([0-9]+)")  # first frame, last frame or none, index
_RUNS = re.compile(r"[0-9]+(?:-[0-9]+)?_[0-9]+(?:,[0-9]+(?:-[0-9]+)?_[0-9]+)*")


def runs_columns(text):
    """`(frames, indexes)` of a runs string: one decimal string a face each, in the order of the
    runs, as statements take them as array parameters. No int is made for a face alone in its run:
    a merge's 100,000 scattered faces took 130 ms to become keys and then array text, this 30."""
    if not text:
        return [], []
    if _RUNS.fullmatch(text) is None:
        raise ValueError(f"Not a runs string: {text[:80]!r}")
    frames, indexes = [], []
    for first, last, index in _EACH_RUN.findall(text):
        if last:
            span = range(int(first), int(last) + 1)
            frames += map(str, span)
            indexes += [index] * len(span)
        else:
            frames.append(first)
            indexes.append(index)
    return frames, indexes


def runs_decode(text):
    """`[(first_frame, last_frame, index), ...]` of a runs string."""
    runs = []
    for token in text.split(",") if text else ():
        frames, index = token.split("_")
        first, _, last = frames.partition("-")
        runs.append((int(first), int(last or first), int(index)))
    return runs
