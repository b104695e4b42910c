"""The demo films' face crops: a JPEG per face, beside the film's ingest document.

A face's crop is `crops/{file name's stem}/{face_id}.jpg` in the documents' folder, and the
face's `crop` names it relative to that folder, as a detection pipeline saves its aligned crops.
It shows the drawn face of the trace's performer (`portraits`): each trace's portrait is drawn
once, posed and lit by the trace, and each face's crop is a square of it a pixel or two off
centre, as high as the face is on screen (at most `portraits.CROP_SIZE`). The full demo's 89k
crops take 16 s of CPU (and 9 s of the system's, writing them) and 190 MB (2 kB each, 350 MB of
4 kB blocks); a large library is drawn one film a process (one process a CPU), a small one in this
process (starting processes would cost more than its drawing).

The same seed gives the same bytes.
"""

import multiprocessing
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from faces.keys import face_id

from .portraits import Drawings, Looks, crop_side, face_crop, trace_portrait, trace_pose, trace_pose_generator

CROPS_FOLDER = "crops"
PARALLEL_FROM_FACES = 20_000


def crops_name(document):
    """Give every face of the document its `crop`: the path of its crop, relative to the document's folder."""
    stem = Path(document["file_name"]).stem
    for face in document["faces"]:
        face["crop"] = f"{CROPS_FOLDER}/{stem}/{face_id(face['frame_number'], face['index'])}.jpg"


@dataclass(frozen=True)
class FilmCrops:
    """What drawing one film's crops needs (small enough to send to another process): the crops'
    paths are `{folder}/{crop}` and each trace is `(trace_id, performer label, side, crops)`."""

    seed: int
    file_hex: str
    folder: Path
    traces: tuple


def film_crops(document, trace_performers, *, seed, folder):
    """The crops of a document whose faces name theirs (`crops_name`), to be drawn under `folder`."""
    traces = {}
    for face in document["faces"]:
        trace = traces.get(face["trace_id"])
        if trace is None:
            _, y1, _, y2 = face["bbox"]
            label = trace_performers[face["trace_id"]]
            trace = traces[face["trace_id"]] = (face["trace_id"], label, crop_side(y2 - y1), [])
        trace[3].append(face["crop"])
    return FilmCrops(seed=seed, file_hex=document["file_uuid"], folder=Path(folder), traces=tuple(traces.values()))


def film_crops_draw(job):
    """Draw and write one film's crops; returns the bytes written."""
    drawings = Drawings(Looks(job.seed))
    written = 0
    for directory in {Path(crop).parent for _, _, _, crops in job.traces for crop in crops[:1]}:
        (job.folder / directory).mkdir(parents=True, exist_ok=True)
    for trace_id, label, side, crops in job.traces:
        rng = trace_pose_generator(job.seed, job.file_hex, trace_id)
        portrait = trace_portrait(drawings[label], trace_pose(rng), side=side)
        for crop in crops:
            data = face_crop(portrait, rng, side=side)
            with open(job.folder / crop, "wb") as handle:
                handle.write(data)
            written += len(data)
    return written


@contextmanager
def crops_drawn(jobs):
    """Start drawing the films' crops; yields an iterator of the bytes written for each job, in
    order, each as it is done (in other processes, meanwhile, when the library is large)."""
    faces = sum(len(crops) for job in jobs for _, _, _, crops in job.traces)
    processes = min(os.cpu_count() or 1, len(jobs))
    if faces < PARALLEL_FROM_FACES or processes < 2:
        yield map(film_crops_draw, jobs)
        return
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        yield pool.imap(film_crops_draw, jobs)
