"""One film of the demo library: scenes, shots, a trace per face on screen, lines and summaries."""
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from .catalogue import GROUP_ACTIONS, LINES, PEOPLE, SOLO_ACTIONS
from .embeddings import trace_embeddings
from .naming import film_file_name, film_uuid, person_uuid

DETECTIONS_PER_SECOND = 2
SHOT_KINDS = ("close", "medium", "two", "wide", "cutaway")
SHOT_KIND_WEIGHTS = (26, 22, 18, 8, 26)
# Face height as a fraction of the frame height, and the detector's confidence range, per shot kind.
FACE_HEIGHT = {"close": (0.40, 0.55), "medium": (0.20, 0.30), "two": (0.16, 0.24), "wide": (0.06, 0.12)}
CONFIDENCE = {"close": (0.94, 0.995), "medium": (0.88, 0.98), "two": (0.84, 0.97), "wide": (0.55, 0.86)}
# What became of a cast member's trace: bound to the actor, to a stranger cluster, or left unbound.
CAST_TRACE_FATE_WEIGHTS = (70, 14, 16)
EXTRA_TRACE_BOUND_SHARE = 0.8


@dataclass(eq=False)
class _Performer:
    """Someone who appears on screen: the centre their face embeddings scatter around (a unit
    vector), and `bind(rng)`, which decides the identity (or None) one of their traces ends up bound to."""

    label: str
    character: str
    centre: object
    bind: Callable


class FilmBuilder:
    def __init__(self, film, *, seed, scale, strangers, bindings, embeddings):
        self.film = film
        self.rng = random.Random(f"{seed}:{film.title}:{film.year}")
        self.embeddings = embeddings
        self.embedding_rng = embeddings.generator(f"{film.title}:{film.year}")
        self.file_uuid = film_uuid(film)
        self.duration = round(film.runtime_minutes * 60 * scale, 3)
        self.stride = max(1, round(film.fps / DETECTIONS_PER_SECOND))
        self.strangers = strangers
        self.bindings = bindings
        self.current_time = 0.0
        self.faces = []
        self.chunks = []
        self.next_trace_id = 1
        # The label of the performer each trace follows (whose drawn face its crops show).
        self.trace_performers = {}
        self.cast = [self._cast_member(key, character) for key, character in film.cast]
        self.cast_weights = [1 / (order + 1) ** 0.6 for order in range(len(self.cast))]
        self.extras = [self._extra(number) for number in range(self.rng.randint(18, 28))]

    # People on screen.

    def _cast_member(self, key, character):
        person = PEOPLE[key]
        identity = person_uuid(person)

        def bind(rng):
            fate = rng.choices(("actor", "stranger", "unbound"), weights=CAST_TRACE_FATE_WEIGHTS)[0]
            if fate == "actor":
                return identity
            if fate == "stranger":
                return self._shadow_stranger(key, identity)
            return None

        return _Performer(label=key, character=character, centre=self.embeddings.cast_centres[key], bind=bind)

    def _extra(self, number):
        label = f"{self.file_uuid.hex}:extra:{number}"

        def bind(rng):
            return self._stranger(label) if rng.random() < EXTRA_TRACE_BOUND_SHARE else None

        return _Performer(label=label, character="", centre=self.embeddings.extra_centre(label), bind=bind)

    def _stranger(self, label, cast_member=None):
        """The auto-clustered identity of an anonymous face, created when its first trace is bound;
        `cast_member` is the identity of the actor whose faces it really holds (None for an extra)."""
        if label not in self.strangers.by_label:
            self.strangers.create(
                label, file_hex=self.file_uuid.hex, first_seen_sec=self.current_time, cast_member=cast_member
            )
        return self.strangers.by_label[label]

    def _shadow_stranger(self, key, identity):
        return self._stranger(f"{self.file_uuid.hex}:cluster-of:{key}", identity)

    # The film.

    def build(self):
        rng, duration = self.rng, self.duration
        time = duration * rng.uniform(0.005, 0.02)
        end = duration * (1 - rng.uniform(0.02, 0.04))
        while end - time > 8:
            scene_end = min(time + rng.uniform(45, 160), end)
            self._scene(time, scene_end)
            time = scene_end + rng.uniform(15, 75)
        return self._document()

    def _document(self):
        return {
            "file_uuid": self.file_uuid.hex,
            "file_name": film_file_name(self.film),
            "fps": self.film.fps,
            "duration": self.duration,
            "frame_count": round(self.duration * self.film.fps),
            "faces": self.faces,
            "chunks": self.chunks,
        }

    def _scene(self, start, end):
        rng = self.rng
        present_count = min(rng.choice((1, 2, 2, 2, 3, 3, 4)), len(self.cast))
        present = []
        while len(present) < present_count:
            member = rng.choices(self.cast, weights=self.cast_weights)[0]
            if member not in present:
                present.append(member)
        extras = rng.sample(self.extras, rng.choice((0, 0, 0, 1, 1, 2)))
        place = rng.choice(self.film.settings)
        time = start
        while end - time > 1.5:
            shot_end = min(time + rng.uniform(2.5, 9.0), end)
            self._shot(time, shot_end, present, extras, place)
            time = shot_end
        self._story_chunk(start, end, present, place)

    def _shot(self, start, end, present, extras, place):
        rng = self.rng
        self.current_time = start
        kind = rng.choices(SHOT_KINDS, weights=SHOT_KIND_WEIGHTS)[0]
        if kind == "close":
            visible = [rng.choice(present)]
        elif kind == "medium":
            visible = [rng.choice(present + extras)]
        elif kind == "two":
            visible = rng.sample(present + extras, min(2, len(present + extras)))
        elif kind == "wide":
            visible = rng.sample(present + extras, min(rng.randint(2, 4), len(present + extras)))
        else:
            visible = []
        self._filmed(start, end, kind, visible, present, place)

    def _filmed(self, start, end, kind, visible, present, place):
        """The traces of the `visible` people in a shot of `kind`, and its dialogue."""
        rng = self.rng
        shot_faces = []
        for slot, person in enumerate(visible):
            shot_faces.extend(self._trace(person, start, end, kind, slot, len(visible)))
        by_frame = defaultdict(list)
        for face in shot_faces:
            by_frame[face["frame_number"]].append(face)
        for frame_number in sorted(by_frame):
            for index, face in enumerate(sorted(by_frame[frame_number], key=lambda f: f["bbox"][0])):
                face["index"] = index
                self.faces.append(face)
        speakers = [person for person in visible if person.character] or present
        self._dialogue(start, end, rng.choice(speakers), present, place)

    def _trace(self, person, start, end, kind, slot, slots):
        """One face followed through a shot; the detector loses it for a moment at either end."""
        rng, fps, stride = self.rng, self.film.fps, self.stride
        width, height = self.film.width, self.film.height
        length = end - start
        first = math.ceil((start + length * rng.uniform(0, 0.2)) * fps / stride) * stride
        last = math.floor((end - length * rng.uniform(0, 0.2)) * fps)
        frames = range(first, last + 1, stride)
        if not frames:
            return []
        trace_id = self.next_trace_id
        self.next_trace_id += 1
        self.trace_performers[trace_id] = person.label
        identity = person.bind(rng)

        face_height = height * rng.uniform(*FACE_HEIGHT[kind])
        face_width = face_height * rng.uniform(0.72, 0.82)
        centre_x = width * (slot + 0.5) / slots + rng.gauss(0, width * 0.03)
        centre_y = height * rng.uniform(0.30, 0.45)
        drift_x, drift_y = rng.gauss(0, face_width * 0.01), rng.gauss(0, face_height * 0.005)
        zoom = 1 + rng.gauss(0, 0.004)
        low, high = CONFIDENCE[kind]
        confidence = rng.uniform(low, high)
        embeddings = trace_embeddings(self.embedding_rng, person.centre, count=len(frames), kind=kind)
        faces = []
        for frame_number, embedding in zip(frames, embeddings):
            centre_x += drift_x + rng.gauss(0, face_width * 0.006)
            centre_y += drift_y + rng.gauss(0, face_height * 0.004)
            face_width, face_height = face_width * zoom, face_height * zoom
            x1 = min(max(centre_x - face_width / 2, 0), width - 2)
            y1 = min(max(centre_y - face_height / 2, 0), height - 2)
            x2 = min(max(centre_x + face_width / 2, x1 + 1), width)
            y2 = min(max(centre_y + face_height / 2, y1 + 1), height)
            face = {
                "frame_number": frame_number,
                "index": 0,
                "bbox": [round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1)],
                "confidence": round(min(max(confidence + rng.gauss(0, 0.012), low - 0.05), 0.999), 4),
                "trace_id": trace_id,
                "embedding": embedding,
            }
            if identity is not None:
                face["identity_uuid"] = identity.hex
            faces.append(face)
        if identity is not None:
            self.bindings.add(identity.hex, self.file_uuid.hex, trace_id, len(faces))
        return faces

    def _dialogue(self, start, end, speaker, present, place):
        rng = self.rng
        time = start + rng.uniform(0.2, 1.2)
        for _ in range(rng.choices((0, 1, 2), weights=(6, 9, 1))[0]):
            others = [p.character for p in present if p is not speaker] or [speaker.character]
            line = rng.choice(LINES).format(name=rng.choice(others).split(" ")[0], place=place)
            line_end = time + 0.45 + 0.32 * len(line.split())
            if line_end > end + 0.5:
                break
            self._chunk("sentence", f"{self.file_uuid.hex}_{len(self.chunks)}", time, line_end, line)
            time = line_end + rng.uniform(0.2, 0.9)

    def _story_chunk(self, start, end, present, place):
        names = [member.character for member in present]
        if len(names) == 1:
            text = f"{names[0]} {self.rng.choice(SOLO_ACTIONS)} {place}."
        else:
            text = f"{', '.join(names[:-1])} and {names[-1]} {self.rng.choice(GROUP_ACTIONS)} {place}."
        self._chunk("story_child", f"llm_parent_{self.file_uuid.hex}_{math.floor(start)}_{math.floor(end)}", start, end, text)

    def _chunk(self, chunk_type, chunk_id, start, end, text):
        fps = self.film.fps
        self.chunks.append(
            {
                "chunk_id": chunk_id,
                "chunk_type": chunk_type,
                "start_frame": round(start * fps),
                "end_frame": round(end * fps),
                "start_time": round(start, 3),
                "end_time": round(end, 3),
                "text": f"[{round(start)}s-{round(end)}s] {text}",
            }
        )


