"""Load `identities/*/identity.json` files back, like `POST /identity/upload`."""
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from identities.models import IdentitySource
from identities.services.documents import identity_upload
from momentry.core.errors import ApplicationError, error_message
from momentry.core.parsing import parse_uuid

ACTOR = "command:import_identities"


class Command(BaseCommand):
    help = (
        "Create or update identities from every identities/*/identity.json under DIR (default: the output "
        "directory). A bad file is reported with its path and reason and the others go on; the exit status "
        "is 1 when any file failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="Directory holding identities/ (default MOMENTRY_OUTPUT_DIR).")

    def handle(self, *args, directory=None, **options):
        root = Path(directory) if directory else Path(settings.MOMENTRY_OUTPUT_DIR)
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory.")
        paths = sorted(root.glob("identities/*/identity.json"))
        counts = {"created": 0, "updated": 0, "failed": 0}
        for position, path in enumerate(paths, start=1):
            try:
                identity, created = identity_upload(document=_read_document(path), actor=ACTOR)
            except (OSError, ValueError, ValidationError, ApplicationError) as exc:
                counts["failed"] += 1
                self.stderr.write(f"[{position}/{len(paths)}] {path}: {_reason(exc)}")
                continue
            outcome = "created" if created else "updated"
            counts[outcome] += 1
            self.stdout.write(f"[{position}/{len(paths)}] {path}: {outcome} {identity.identity_uuid.hex} {identity.name}")
        summary = (
            f"Imported {counts['created'] + counts['updated']} of {len(paths)} identity files from {root}: "
            f"{counts['created']} created, {counts['updated']} updated, {counts['failed']} failed."
        )
        if counts["failed"]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))


def _read_document(path):
    """The document, with `source` `.json` where the file has none; its uuid must name its directory."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError("the file does not hold a JSON object")
    identity_uuid = parse_uuid(document.get("identity_uuid"))
    if identity_uuid is not None and identity_uuid.hex != path.parent.name.replace("-", "").lower():
        raise ValueError(f"identity_uuid {identity_uuid.hex} does not match its directory {path.parent.name}")
    if not document.get("source"):
        document["source"] = IdentitySource.JSON
    return document


def _reason(exc):
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc})"
    return error_message(exc)
