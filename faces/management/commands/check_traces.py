from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from faces.management.progress import ProgressBar
from faces.models import MediaFile
from faces.segments import SEGMENT_COLUMNS, segments_differences, segments_rebuild_file


def _described(row):
    return ", ".join(f"{column}={value}" for column, value in zip(SEGMENT_COLUMNS, row))


class Command(BaseCommand):
    help = (
        "Recompute every file's trace segments from its faces (the truth) and report each row that differs; "
        "the files that differ get their segments rebuilt. --check rebuilds nothing and exits 1 on a difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only report; exit status 1 if anything differs.")

    def handle(self, *args, check, **options):
        file_ids = list(MediaFile.objects.order_by("pk").values_list("pk", flat=True))
        progress = ProgressBar(self.stderr, total=len(file_ids), label="Checking")
        differing_files = differing_rows = 0
        for file_id in file_ids:
            with transaction.atomic():
                # The file's row lock keeps an ingest from replacing its faces between the
                # comparison and the rebuild; moves of single faces rebuild their own traces.
                MediaFile.objects.select_for_update().filter(pk=file_id).first()
                missing, unexpected = segments_differences(file_id)
                if missing or unexpected:
                    differing_files += 1
                    differing_rows += len(missing) + len(unexpected)
                    for row in missing:
                        self.stderr.write(f"missing segment: {_described(row)}")
                    for row in unexpected:
                        self.stderr.write(f"wrong segment: {_described(row)}")
                    if not check:
                        segments_rebuild_file(file_id)
            progress.advance(f"file {file_id}")
        progress.finish()
        verb = "to rebuild" if check else "rebuilt"
        self.stdout.write(
            f"check_traces: {len(file_ids)} file(s) checked, {differing_files} differ "
            f"({differing_rows} segment row(s)), {differing_files} {verb}"
        )
        if check and differing_files:
            raise CommandError("Trace segments differ from the faces; `manage.py check_traces` rebuilds them.", returncode=1)
