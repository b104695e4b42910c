"""A deterministic demo library that looks like the output of a real detection pipeline.

Every film is cut into scenes and shots; each face on screen in a shot is one trace, detected twice
a second with a drifting bounding box and a confidence that follows its size. Most traces of the
cast are bound to the actor's identity; some went to an auto-clustered `stranger_N` (a merge
candidate), some are unbound, and the extras become strangers of their own. Dialogue lines are
`sentence` chunks timed inside the shots, and every scene has a `story_child` summary.

The same seed, films and scale always give the same documents, uuids included.
"""
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from identities.selectors import IDENTITY_JSON_VERSION

from .catalogue import FILMS, GROUP_ACTIONS, LINES, PEOPLE, SOLO_ACTIONS

DEFAULT_SEED = 1942
DEMO_NAMESPACE = uuid.UUID("6f1b7c43-5b8e-4f55-9a51-2c3d0e0f6a10")
STRANGER_NUMBER_START = 10_001
EMBEDDING_DIMENSIONS = 16
DETECTIONS_PER_SECOND = 2
SHOT_KINDS = ("close", "medium", "two", "wide", "cutaway")
SHOT_KIND_WEIGHTS = (26, 22, 18, 8, 26)
# Face height as a fraction of the frame height, and the detector's confidence range, per shot kind.
FACE_HEIGHT = {"close": (0.40, 0.55), "medium": (0.20, 0.30), "two": (0.16, 0.24), "wide": (0.06, 0.12)}
CONFIDENCE = {"close": (0.94, 0.995), "medium": (0.88, 0.98), "two": (0.84, 0.97), "wide": (0.55, 0.86)}
# What became of a cast member's trace: bound to the actor, to a stranger cluster, or left unbound.
CAST_TRACE_FATE_WEIGHTS = (70, 14, 16)
EXTRA_TRACE_BOUND_SHARE = 0.8


def person_uuid(person):
    return uuid.uuid5(DEMO_NAMESPACE, f"tmdb:{person.tmdb_id}")


def film_uuid(film):
    return uuid.uuid5(DEMO_NAMESPACE, f"film:{film.title}:{film.year}")


def film_file_name(film):
    slug = "".join(c if c.isalnum() else "_" for c in film.title.lower()).strip("_")
    return f"{slug}_{film.year}.mp4"


def selected_films(count):
    if not 1 <= count <= len(FILMS):
        raise ValueError(f"The demo has 1 to {len(FILMS)} films, not {count}.")
    return FILMS[:count]


@dataclass
class DemoLibrary:
    """The documents of the library: `identity.json` documents and ingest documents."""

    identities: list = field(default_factory=list)
    media: list = field(default_factory=list)

    @property
    def face_count(self):
        return sum(len(document["faces"]) for document in self.media)

    @property
    def chunk_count(self):
        return sum(len(document["chunks"]) for document in self.media)


class _Bindings:
    """Per identity and file, the traces and faces bound to it (the `file_bindings` of identity.json)."""

    def __init__(self):
        self.by_identity = defaultdict(lambda: defaultdict(lambda: [set(), 0]))

    def add(self, identity_hex, file_hex, trace_id, faces):
        binding = self.by_identity[identity_hex][file_hex]
        binding[0].add(trace_id)
        binding[1] += faces

    def file_bindings(self, identity_hex):
        return [
            {"file_uuid": file_hex, "trace_ids": sorted(traces), "face_count": count}
            for file_hex, (traces, count) in sorted(self.by_identity[identity_hex].items())
        ]


def _identity_document(identity_uuid, *, name, source, status, tmdb_id, metadata):
    return {
        "version": IDENTITY_JSON_VERSION,
        "identity_uuid": identity_uuid.hex,
        "name": name,
        "identity_type": "people",
        "source": source,
        "status": status,
        "tmdb_id": tmdb_id,
        "tmdb_profile": None,
        "metadata": metadata,
        "file_bindings": [],
    }


@dataclass
class _Performer:
    """Someone who appears on screen: the centre their face embeddings scatter around, and
    `bind(rng)`, which decides the identity (or None) one of their traces ends up bound to."""

    label: str
    character: str
    centre: list
    bind: Callable


class _FilmBuilder:
    def __init__(self, film, *, seed, scale, strangers, bindings):
        self.film = film
        self.rng = random.Random(f"{seed}:{film.title}:{film.year}")
        self.seed = seed
        self.file_uuid = film_uuid(film)
        self.duration = round(film.runtime_minutes * 60 * scale, 3)
        self.stride = max(1, round(film.fps / DETECTIONS_PER_SECOND))
        self.strangers = strangers
        self.bindings = bindings
        self.current_time = 0.0
        self.faces = []
        self.chunks = []
        self.next_trace_id = 1
        self.cast = [self._cast_member(key, character) for key, character in film.cast]
        self.cast_weights = [1 / (order + 1) ** 0.6 for order in range(len(self.cast))]
        self.extras = [self._extra(number) for number in range(self.rng.randint(18, 28))]

    # People on screen.

    def _centre(self, label):
        rng = random.Random(f"{self.seed}:embedding:{label}")
        return [rng.gauss(0, 1) for _ in range(EMBEDDING_DIMENSIONS)]

    def _cast_member(self, key, character):
        person = PEOPLE[key]
        identity = person_uuid(person)

        def bind(rng):
            fate = rng.choices(("actor", "stranger", "unbound"), weights=CAST_TRACE_FATE_WEIGHTS)[0]
            if fate == "actor":
                return identity
            if fate == "stranger":
                return self._shadow_stranger(key)
            return None

        return _Performer(label=key, character=character, centre=self._centre(key), bind=bind)

    def _extra(self, number):
        label = f"{self.file_uuid.hex}:extra:{number}"

        def bind(rng):
            return self._stranger(label) if rng.random() < EXTRA_TRACE_BOUND_SHARE else None

        return _Performer(label=label, character="", centre=self._centre(label), bind=bind)

    def _stranger(self, label):
        """The auto-clustered identity of an anonymous face, created when its first trace is bound."""
        if label not in self.strangers.by_label:
            self.strangers.create(label, file_hex=self.file_uuid.hex, first_seen_sec=self.current_time)
        return self.strangers.by_label[label]

    def _shadow_stranger(self, key):
        return self._stranger(f"{self.file_uuid.hex}:cluster-of:{key}")

    # The film.

    def build(self):
        rng, duration = self.rng, self.duration
        time = duration * rng.uniform(0.005, 0.02)
        end = duration * (1 - rng.uniform(0.02, 0.04))
        while end - time > 8:
            scene_end = min(time + rng.uniform(45, 160), end)
            self._scene(time, scene_end)
            time = scene_end + rng.uniform(15, 75)
        return {
            "file_uuid": self.file_uuid.hex,
            "file_name": film_file_name(self.film),
            "fps": self.film.fps,
            "duration": duration,
            "frame_count": round(duration * self.film.fps),
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
        identity = person.bind(rng)

        face_height = height * rng.uniform(*FACE_HEIGHT[kind])
        face_width = face_height * rng.uniform(0.72, 0.82)
        centre_x = width * (slot + 0.5) / slots + rng.gauss(0, width * 0.03)
        centre_y = height * rng.uniform(0.30, 0.45)
        drift_x, drift_y = rng.gauss(0, face_width * 0.01), rng.gauss(0, face_height * 0.005)
        zoom = 1 + rng.gauss(0, 0.004)
        low, high = CONFIDENCE[kind]
        confidence = rng.uniform(low, high)
        faces = []
        for frame_number in frames:
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
                "embedding": self._embedding(person.centre),
            }
            if identity is not None:
                face["identity_uuid"] = identity.hex
            faces.append(face)
        if identity is not None:
            self.bindings.add(identity.hex, self.file_uuid.hex, trace_id, len(faces))
        return faces

    def _embedding(self, centre):
        gauss = self.rng.gauss
        vector = [value + gauss(0, 0.35) for value in centre]
        norm = math.sqrt(sum(value * value for value in vector)) or 1.0
        return [round(value / norm, 4) for value in vector]

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


class _Strangers:
    """The `stranger_N` identities, numbered in order of first appearance across the library."""

    def __init__(self, seed):
        self.seed = seed
        self.by_label = {}
        self.documents = []

    def create(self, label, *, file_hex, first_seen_sec):
        number = STRANGER_NUMBER_START + len(self.documents)
        identity_uuid = uuid.uuid5(DEMO_NAMESPACE, f"{self.seed}:stranger:{label}")
        self.by_label[label] = identity_uuid
        metadata = {"cluster": {"file_uuid": file_hex, "first_seen_sec": round(first_seen_sec, 2)}}
        self.documents.append(
            _identity_document(
                identity_uuid, name=f"stranger_{number}", source="auto", status="pending", tmdb_id=None, metadata=metadata
            )
        )


def _person_document(person, credits):
    first = credits[0]
    metadata = {
        "aliases": [{"locale": "en", "name": person.name}]
        + [{"locale": locale, "name": name} for locale, name in person.aliases],
        "tmdb_known_for_department": "Acting",
        "tmdb_character": first["tmdb_character"],
        "cast_order": first["cast_order"],
        "credits": credits,
    }
    return _identity_document(
        person_uuid(person), name=person.name, source="tmdb", status="confirmed", tmdb_id=person.tmdb_id, metadata=metadata
    )


def build_demo_library(*, films=len(FILMS), scale=1.0, seed=DEFAULT_SEED, on_film=None):
    """The documents of the demo library; `on_film(film)` is called as each film is done."""
    if not 0 < scale <= 4:
        raise ValueError(f"The scale must be above 0 and at most 4, not {scale}.")
    strangers, bindings = _Strangers(seed), _Bindings()
    credits = defaultdict(list)
    library = DemoLibrary()
    for film in selected_films(films):
        library.media.append(_FilmBuilder(film, seed=seed, scale=scale, strangers=strangers, bindings=bindings).build())
        for order, (key, character) in enumerate(film.cast):
            credits[key].append(
                {
                    "title": film.title,
                    "year": film.year,
                    "file_uuid": film_uuid(film).hex,
                    "tmdb_character": character,
                    "cast_order": order,
                }
            )
        if on_film is not None:
            on_film(film)
    library.identities = [_person_document(PEOPLE[key], person_credits) for key, person_credits in credits.items()]
    library.identities += strangers.documents
    for document in library.identities:
        document["file_bindings"] = bindings.file_bindings(document["identity_uuid"])
    return library
