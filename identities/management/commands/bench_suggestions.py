"""Time an identity's suggestions on the bench data set, every identity given a centroid.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench manage.py bench_suggestions [--reset | --reuse]

The data set is `manage.py bench`'s, built in the configured database (empty, or `--reset`), or
with `--reuse` the one a run left there at the same scale; then every identity gets a centroid
of `--dimensions` floats. Suggestions at limit 5 and 50 through gunicorn beside the floor, the
index's load and memory, numpy's top-k alone and the queries per request are printed and written
to `--output`.
"""
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faces.management.progress import ProgressBar
from identities.bench.centroids import centroid_steps, centroids_build
from identities.bench.command import add_data_arguments, data_prepare, database_check, scale_of
from identities.bench.report import duration
from identities.bench.server import BenchError
from identities.bench.suggestions import suggestion_tables, suggestions_run, summary_line


class Command(BaseCommand):
    help = (
        "Build the bench data set on PostgreSQL (an empty database, --reset, or --reuse) with a centroid for "
        "every identity and time GET /identity/<uuid>/suggestions at limit 5 and 50 through gunicorn beside "
        "the floor; print the tables and write them to --output."
    )

    def add_arguments(self, parser):
        add_data_arguments(parser)
        parser.add_argument("--dimensions", type=int, default=512, help="Floats of each identity's centroid.")
        parser.add_argument("--requests", type=int, default=80, help="Timed requests per limit.")
        parser.add_argument(
            "--output", type=Path, help="Default: benchmarks/bench-suggestions-YYYY-MM-DD.md in the project."
        )

    def handle(self, *args, **options):
        database_check("bench_suggestions")
        scale = scale_of(options)
        if options["requests"] < 1 or options["dimensions"] < 2:
            raise CommandError("--requests must be at least 1 and --dimensions at least 2.")
        built = data_prepare(scale, reset=options["reset"], reuse=options["reuse"], stderr=self.stderr)
        progress = ProgressBar(self.stderr, total=centroid_steps(scale.identities), label="Centroids")
        centroids = centroids_build(built.layout, dimensions=options["dimensions"], progress=progress.advance)
        progress.finish()
        self.stderr.write(
            f"{centroids.rows:,} centroids of {centroids.dimensions} floats written in {duration(centroids.seconds)} "
            "(straight into their rows: the bench's faces carry no such embeddings). "
            "Measuring (in-process, then gunicorn)..."
        )
        try:
            results = suggestions_run(built, centroids, requests=options["requests"])
        except (BenchError, ValueError) as error:
            raise CommandError(str(error)) from None

        today = date.today().isoformat()
        output = options["output"] or Path(settings.BASE_DIR) / "benchmarks" / f"bench-suggestions-{today}.md"
        output.parent.mkdir(parents=True, exist_ok=True)
        text = suggestion_tables(results, date=today)
        output.write_text(text)
        self.stdout.write(text)
        self.stdout.write(f"{summary_line(results)}; written to {output}")
