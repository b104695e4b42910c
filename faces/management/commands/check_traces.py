from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from faces.centroids import centroids_differences, centroids_replace, segment_sums_differences
from faces.management.progress import ProgressBar
from faces.models import MediaFile
from faces.segments import SEGMENT_COLUMNS, segments_differences, segments_rebuild_file


def _described(row):
    return ", ".join(f"{column}={value}" for column, value in zip(SEGMENT_COLUMNS, row))


class Command(BaseCommand):
    help = (
        "Recompute every file's trace segments (with their embedding sums) from its faces (the truth) and every "
        "identity's centroid from the segments, and report each row that differs; the files that differ get their "
        "segments rebuilt and the centroids that differ are rewritten. --check rebuilds nothing and exits 1 on a "
        "difference."
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
                wrong_sums = segment_sums_differences(file_id)
                if missing or unexpected or wrong_sums:
                    differing_files += 1
                    differing_rows += len(missing) + len(unexpected) + len(wrong_sums)
                    for row in missing:
                        self.stderr.write(f"missing segment: {_described(row)}")
                    for row in unexpected:
                        self.stderr.write(f"wrong segment: {_described(row)}")
                    for trace_id, identity_id in wrong_sums:
                        self.stderr.write(
                            f"wrong embedding sum: media_file_id={file_id}, trace_id={trace_id}, identity_id={identity_id}"
                        )
                    if not check:
                        segments_rebuild_file(file_id)
            progress.advance(f"file {file_id}")
        progress.finish()
        with transaction.atomic():
            wrong_centroids = centroids_differences()
            for identity_id, (faces, _) in sorted(wrong_centroids.items()):
                self.stderr.write(f"wrong centroid: identity_id={identity_id} (its segments hold {faces} embedding(s))")
            if wrong_centroids and not check:
                centroids_replace(wrong_centroids)
        verb = "to rebuild" if check else "rebuilt"
        self.stdout.write(
            f"check_traces: {len(file_ids)} file(s) checked, {differing_files} differ "
            f"({differing_rows} segment row(s)), {differing_files} {verb}; "
            f"{len(wrong_centroids)} identity centroid(s) differ"
        )
        if check and (differing_files or wrong_centroids):
            raise CommandError("Trace segments differ from the faces; `manage.py check_traces` rebuilds them.", returncode=1)
