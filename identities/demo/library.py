"""A deterministic demo library that looks like the output of a real detection pipeline.

Every film is cut into scenes and shots; each face on screen in a shot is one trace, detected twice
a second with a drifting bounding box and a confidence that follows its size. Most traces of the
cast are bound to the actor's identity; some went to an auto-clustered `stranger_N` (a merge
candidate), some are unbound, and the extras become strangers of their own. Dialogue lines are
`sentence` chunks timed inside the shots, and every scene has a `story_child` summary. The first
film's cast also sat for screen tests, a short video of their faces (`reel`). Face embeddings
scatter around a centre per person (`embeddings`), and the library knows which cast member each
stranger really is (`DemoLibrary.stranger_cast_members`), which no identity document says.

The same seed, films and scale always give the same documents, uuids included.
"""
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from identities.selectors import IDENTITY_JSON_VERSION

from .catalogue import FILMS, PEOPLE
from .embeddings import FaceEmbeddings
from .film import FilmBuilder
from .naming import DEMO_NAMESPACE, film_uuid, person_uuid, selected_films
from .reel import ReelBuilder

DEFAULT_SEED = 1942
STRANGER_NUMBER_START = 10_001


@dataclass
class DemoLibrary:
    """The documents of the library: `identity.json` documents and ingest documents.

    `media` holds a document per film, then the screen tests reel's (`reel`).
    `stranger_cast_members` is the ground truth a curator has to find out: `{stranger identity_uuid:
    identity_uuid of the cast member whose traces the stranger's cluster holds, or None for an extra}`,
    every uuid as 32 hex digits, for each `stranger_N` of `identities`.
    """

    identities: list = field(default_factory=list)
    media: list = field(default_factory=list)
    stranger_cast_members: dict = field(default_factory=dict)
    # {file_uuid hex: {trace_id: label of the performer the trace follows}}, for drawing their faces.
    trace_performers: dict = field(default_factory=dict)

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


class _Strangers:
    """The `stranger_N` identities, numbered in order of first appearance across the library."""

    def __init__(self, seed):
        self.seed = seed
        self.by_label = {}
        self.documents = []
        self.cast_members = {}

    def create(self, label, *, file_hex, first_seen_sec, cast_member):
        number = STRANGER_NUMBER_START + len(self.documents)
        identity_uuid = uuid.uuid5(DEMO_NAMESPACE, f"{self.seed}:stranger:{label}")
        self.by_label[label] = identity_uuid
        self.cast_members[identity_uuid.hex] = None if cast_member is None else cast_member.hex
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
    strangers, bindings, embeddings = _Strangers(seed), _Bindings(), FaceEmbeddings(seed)
    credits = defaultdict(list)
    library = DemoLibrary(stranger_cast_members=strangers.cast_members)
    film_list = selected_films(films)
    for film in film_list:
        builder = FilmBuilder(
            film, seed=seed, scale=scale, strangers=strangers, bindings=bindings, embeddings=embeddings
        )
        library.media.append(builder.build())
        library.trace_performers[builder.file_uuid.hex] = builder.trace_performers
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
    reel = ReelBuilder(film_list[0], seed=seed, strangers=strangers, bindings=bindings, embeddings=embeddings)
    library.media.append(reel.build())
    library.trace_performers[reel.file_uuid.hex] = reel.trace_performers
    library.identities = [_person_document(PEOPLE[key], person_credits) for key, person_credits in credits.items()]
    library.identities += strangers.documents
    for document in library.identities:
        document["file_bindings"] = bindings.file_bindings(document["identity_uuid"])
    return library
