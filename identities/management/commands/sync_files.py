import math

from django.core.management.base import BaseCommand, CommandError

from faces.management.progress import ProgressBar
from identities.services.files import SWEEP_CHUNK_SIZE, identity_files_sync_all


def _plural(count, word, plural=None):
    return f"{count} {word if count == 1 else plural or word + 's'}"


def summary(report, *, check):
    if check:
        return (
            f"sync_files --check: {_plural(report.checked, 'identity', 'identities')} checked, "
            f"{report.rewritten} to rewrite, {_plural(report.orphans, 'orphan')} to remove, "
            f"{_plural(report.images, 'image')} to fix"
        )
    return (
        f"sync_files: {_plural(report.checked, 'identity', 'identities')} checked, {report.rewritten} rewritten, "
        f"{_plural(report.orphans, 'orphan')} removed, {_plural(report.images, 'image')} fixed, "
        f"{report.pending_cleared} pending cleared"
    )


class Command(BaseCommand):
    help = (
        "Compare every identity's identity.json and profile image under {MOMENTRY_OUTPUT_DIR}/identities with "
        "the database; rewrite what differs, remove the directories of identities that no longer exist, and "
        "clear the outbox of owed file writes. --check writes nothing and exits 1 when anything differs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only report what differs; exit status 1 if anything does."
        )
        parser.add_argument("--chunk-size", type=int, default=SWEEP_CHUNK_SIZE, help="Identities read per batch.")

    def handle(self, *args, check, chunk_size, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        progress = None

        def on_chunk(report, total):
            nonlocal progress
            if progress is None:
                progress = ProgressBar(self.stderr, total=math.ceil(total / chunk_size), label="Checking")
            progress.advance(f"{report.checked}/{total} identities")

        report = identity_files_sync_all(check=check, chunk_size=chunk_size, on_chunk=on_chunk)
        if progress is not None:
            progress.finish()
        self.stdout.write(summary(report, check=check))
        if check and report.differs:
            raise CommandError(
                "The files on disk differ from the database; `manage.py sync_files` rewrites them.", returncode=1
            )
