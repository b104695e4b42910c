"""The demo's fixed names: the same film and person always get the same uuid."""
import uuid

from .catalogue import FILMS

DEMO_NAMESPACE = uuid.UUID("6f1b7c43-5b8e-4f55-9a51-2c3d0e0f6a10")


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
