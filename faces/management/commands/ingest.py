import json
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from faces.crops import CROP_MAX_SIDE
from faces.management.progress import ProgressBar
from faces.services import media_file_ingest
from faces.statistics import planner_statistics_refresh
from momentry.core.errors import Conflict, error_message


def ingest_paths(paths):
    """The documents to ingest: JSON files as given, and every `*.json` of a directory, sorted."""
    found = []
    for path in map(Path, paths):
        found.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return found


def read_document(path):
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ValidationError("no such file") from None
    except OSError as exc:
        raise ValidationError(f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValidationError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not valid JSON: {exc}") from None


def ingest_timed(path, *, replace):
    """Ingest one document: its result, and the seconds of JSON parsing and of the service, counted
    apart (json.loads is not the service's cost). The document is freed on return, so the command
    never holds two."""
    started = time.perf_counter()
    document = read_document(path)
    parsed = time.perf_counter()
    result = media_file_ingest(document=document, replace=replace, document_dir=path.parent)
    return result, parsed - started, time.perf_counter() - parsed


class Command(BaseCommand):
    help = (
        "Ingest detection documents, one JSON document per media file: "
        "{file_uuid, file_name, fps, duration, media_path?, faces: [...], chunks: [...]}. "
        "media_path names the video (relative to the document's folder, or absolute), stored resolved "
        "for extract_crops. A face may give a crop: the path of a JPEG or PNG relative to the document's "
        f"folder (at most {CROP_MAX_SIDE} pixels a side), stored as {{output}}/faces/{{file_uuid}}/{{face_id}}.jpg. "
        "Each document is written whole or not at all, its crops included; a refused one is reported "
        "and the others go on."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="JSON files, or directories of *.json files")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace files already ingested, keeping the bindings of faces whose (frame_number, index) "
            "remain, and their crops where the new document gives none.",
        )

    def handle(self, *args, paths, replace, **options):
        documents = ingest_paths(paths)
        if not documents:
            raise CommandError("No JSON documents found in the given paths.")
        progress = ProgressBar(self.stderr, total=len(documents), label="Ingesting")
        ingested, refused, faces, crops, chunks = 0, [], 0, 0, 0
        parsing = writing = 0.0
        for path in documents:
            try:
                result, document_parsing, document_writing = ingest_timed(path, replace=replace)
            except (ValidationError, Conflict) as exc:
                refused.append((path, error_message(exc)))
            else:
                ingested += 1
                faces += result.faces
                crops += result.crops
                chunks += result.chunks
                parsing += document_parsing
                writing += document_writing
            progress.advance(path.name)
        progress.finish()
        if ingested:
            planner_statistics_refresh()
        for path, reason in refused:
            self.stderr.write(f"Refused {path}: {reason}")
        written = f"{faces:,} faces, {crops:,} crops" if crops else f"{faces:,} faces"
        written += f" and {chunks:,} chunks"
        self.stdout.write(
            f"Ingested {ingested} file(s), refused {len(refused)}; wrote {written} "
            f"in {writing:.1f} s, after {parsing:.1f} s of JSON parsing."
        )
        if refused:
            raise CommandError(f"{len(refused)} of {len(documents)} document(s) refused.")
