import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faces.management.progress import ProgressBar
from faces.models import Chunk, FaceDetection, MediaFile
from faces.services import media_file_ingest
from faces.statistics import planner_statistics_refresh
from identities.demo.catalogue import FILMS
from identities.demo.library import DEFAULT_SEED, build_demo_library
from identities.demo.naming import film_file_name, film_uuid, selected_films
from identities.models import Identity
from identities.services.documents import clean_identity_document, identity_upload
from momentry.core.files import write_atomically

DEMO_ACTOR = "command:demo"


def identity_differs(identity, document):
    """Whether uploading the document would change the identity (an unchanged one is not re-uploaded,
    so `--replace` adds no empty history entries)."""
    _, values = clean_identity_document(document)
    return any(getattr(identity, field) != value for field, value in values.items())


def positive_scale(value):
    scale = float(value)
    if not 0 < scale <= 4:
        raise ValueError(value)
    return scale


class Command(BaseCommand):
    help = (
        "Generate the deterministic demo library (films, known people, strangers, faces, chunks) as "
        "identity.json and ingest documents, and load it through upload and ingest. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            type=Path,
            help="Where the generated documents go (identities/*/identity.json, media/*.json). "
            "Default: {MOMENTRY_DATA_DIR}/demo.",
        )
        parser.add_argument("--films", type=int, default=len(FILMS), help=f"How many films, 1 to {len(FILMS)}.")
        parser.add_argument(
            "--scale", type=positive_scale, default=1.0, help="Length of each film relative to its real runtime (0 to 4]."
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Re-upload the identities that differ from the generated ones and re-ingest the films "
            "(faces keep the bindings a curator gave them).",
        )

    def handle(self, *args, output_dir, films, scale, seed, replace, **options):
        started = time.monotonic()
        try:
            film_list = selected_films(films)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        output_dir = Path(output_dir or Path(settings.DATA_DIR) / "demo").resolve()
        file_uuids = [film_uuid(film) for film in film_list]
        if not replace and MediaFile.objects.filter(file_uuid__in=file_uuids).count() == len(file_uuids):
            self.stdout.write(f"Demo library already loaded: {self._summary(file_uuids)}. Nothing to do.")
            return

        progress = ProgressBar(self.stderr, total=len(film_list), label="Generating")
        library = build_demo_library(films=films, scale=scale, seed=seed, on_film=lambda film: progress.advance(film.title))
        progress.finish()
        self._write_documents(output_dir, film_list, library)

        existing = {
            identity.identity_uuid.hex: identity
            for identity in Identity.objects.filter(
                identity_uuid__in=[document["identity_uuid"] for document in library.identities]
            )
        }
        to_upload = [
            document
            for document in library.identities
            if document["identity_uuid"] not in existing
            or replace and identity_differs(existing[document["identity_uuid"]], document)
        ]
        progress = ProgressBar(self.stderr, total=len(to_upload), label="Identities")
        for document in to_upload:
            identity_upload(document=document, actor=DEMO_ACTOR)
            progress.advance()
        progress.finish()

        loaded = set(MediaFile.objects.filter(file_uuid__in=file_uuids).values_list("file_uuid", flat=True))
        to_ingest = [(film, d) for film, d in zip(film_list, library.media) if replace or film_uuid(film) not in loaded]
        progress = ProgressBar(self.stderr, total=len(to_ingest), label="Ingesting")
        for film, document in to_ingest:
            media_file_ingest(document=document, replace=replace)
            progress.advance(film.title)
        progress.finish()
        planner_statistics_refresh()

        self.stdout.write(
            f"Demo library loaded in {time.monotonic() - started:.1f}s: {self._summary(file_uuids)}; "
            f"uploaded {len(to_upload)} identities, ingested {len(to_ingest)} film(s); documents in {output_dir}."
        )

    def _write_documents(self, output_dir, film_list, library):
        for document in library.identities:
            data = json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n"
            write_atomically(output_dir / "identities" / document["identity_uuid"] / "identity.json", data)
        for film, document in zip(film_list, library.media):
            data = json.dumps(document, separators=(",", ":")).encode()
            write_atomically(output_dir / "media" / film_file_name(film).replace(".mp4", ".json"), data)

    def _summary(self, file_uuids):
        faces = FaceDetection.objects.filter(media_file__file_uuid__in=file_uuids)
        people = Identity.objects.filter(id__in=faces.values("identity_id"))
        return (
            f"{len(file_uuids)} films, {people.exclude(source='auto').count()} known people, "
            f"{people.filter(source='auto').count()} strangers, {faces.count():,} faces, "
            f"{Chunk.objects.filter(media_file__file_uuid__in=file_uuids).count():,} chunks"
        )
