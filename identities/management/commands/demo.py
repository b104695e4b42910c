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
from identities.demo.crops import crops_drawn, crops_name, film_crops
from identities.demo.library import DEFAULT_SEED, build_demo_library
from identities.demo.naming import film_uuid, selected_films
from identities.demo.reel import reel_film, reel_video_write
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
        "Generate the deterministic demo library (films, known people, strangers, faces and their drawn "
        "crops, chunks, a screen tests video) as identity.json and ingest documents, and load it through "
        "upload and ingest. Safe to run again."
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
            "--no-crops",
            action="store_false",
            dest="crops",
            help="Give the films' faces no crops (none is drawn): quicker, for what does not show faces.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Re-upload the identities that differ from the generated ones and re-ingest the films "
            "(faces keep the bindings a curator gave them).",
        )

    def handle(self, *args, output_dir, films, scale, seed, crops, replace, **options):
        started = time.monotonic()
        try:
            film_list = selected_films(films)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        output_dir = Path(output_dir or Path(settings.DATA_DIR) / "demo").resolve()
        media_dir = output_dir / "media"
        file_uuids = [film_uuid(film) for film in film_list] + [film_uuid(reel_film(film_list[0]))]
        if not replace and MediaFile.objects.filter(file_uuid__in=file_uuids).count() == len(file_uuids):
            self.stdout.write(f"Demo library already loaded: {self._summary(file_uuids)}. Nothing to do.")
            return

        progress = ProgressBar(self.stderr, total=len(film_list), label="Generating")
        library = build_demo_library(films=films, scale=scale, seed=seed, on_film=lambda film: progress.advance(film.title))
        progress.finish()
        # The films' faces get drawn crops; the reel's are cut from its video (`manage.py extract_crops`).
        cropped = {document["file_uuid"] for document in library.media if crops and "media_path" not in document}
        for document in library.media:
            if document["file_uuid"] in cropped:
                crops_name(document)
        self._write_documents(output_dir, library)
        for document in library.media:
            if "media_path" in document:
                performers = library.trace_performers[document["file_uuid"]]
                reel_video_write(document, performers, seed=seed, path=media_dir / document["media_path"])

        loaded_files = MediaFile.objects.filter(file_uuid__in=file_uuids)
        loaded = {file_uuid.hex for file_uuid in loaded_files.values_list("file_uuid", flat=True)}
        to_ingest = [document for document in library.media if replace or document["file_uuid"] not in loaded]
        jobs = [
            film_crops(document, library.trace_performers[document["file_uuid"]], seed=seed, folder=media_dir)
            for document in to_ingest
            if document["file_uuid"] in cropped
        ]
        with crops_drawn(jobs) as drawn:
            uploaded = self._upload_identities(library, replace=replace)
            progress = ProgressBar(self.stderr, total=len(to_ingest), label="Ingesting")
            crop_bytes = 0
            for document in to_ingest:
                if document["file_uuid"] in cropped:
                    crop_bytes += next(drawn)
                media_file_ingest(document=document, replace=replace, document_dir=media_dir)
                progress.advance(document["file_name"])
            progress.finish()
        planner_statistics_refresh()

        drawn_crops = f"with {crop_bytes / 1e6:.1f} MB of drawn crops" if jobs else "without drawn crops"
        self.stdout.write(
            f"Demo library loaded in {time.monotonic() - started:.1f}s: {self._summary(file_uuids)}; "
            f"uploaded {uploaded} identities, ingested {len(to_ingest)} file(s) {drawn_crops}; documents in {output_dir}."
        )

    def _upload_identities(self, library, *, replace):
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
        return len(to_upload)

    def _write_documents(self, output_dir, library):
        for document in library.identities:
            data = json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n"
            write_atomically(output_dir / "identities" / document["identity_uuid"] / "identity.json", data)
        for document in library.media:
            data = json.dumps(document, separators=(",", ":")).encode()
            write_atomically(output_dir / "media" / f"{Path(document['file_name']).stem}.json", data)

    def _summary(self, file_uuids):
        faces = FaceDetection.objects.filter(media_file__file_uuid__in=file_uuids)
        people = Identity.objects.filter(id__in=faces.values("identity_id"))
        return (
            f"{len(file_uuids) - 1} films and a screen tests reel, "
            f"{people.exclude(source='auto').count()} known people, "
            f"{people.filter(source='auto').count()} strangers, {faces.count():,} faces, "
            f"{Chunk.objects.filter(media_file__file_uuid__in=file_uuids).count():,} chunks"
        )
