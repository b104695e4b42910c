"""Build an archive-sized data set on PostgreSQL and time the hot endpoints against it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench manage.py bench [--reset | --reuse]

The data set is built in the configured database, which must be empty (or `--reset`, which
truncates the project's tables first; or `--reuse`, which keeps the one an earlier run left at the
same scale, its merges undone): reads through gunicorn beside their hand SQL, merges
beside the bare UPDATE, concurrent clients. The tables are printed; with the plans they are
written to `--output`.
"""
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from identities.bench.command import add_data_arguments, data_prepare, database_check, scale_of
from identities.bench.report import document, tables
from identities.bench.run import bench_run
from identities.bench.server import BenchError


class Command(BaseCommand):
    help = (
        "Build a data set of the given size on PostgreSQL (an empty database, or --reset) and time the hot "
        "endpoints through gunicorn beside hand-written SQL, merges beside the bare UPDATE, and concurrent "
        "clients; print the tables and write them with the plans to --output."
    )

    def add_arguments(self, parser):
        add_data_arguments(parser)
        parser.add_argument("--requests", type=int, default=80, help="Timed requests per endpoint.")
        parser.add_argument("--clients", type=int, default=16, help="Concurrent clients.")
        parser.add_argument("--concurrency-seconds", type=float, default=15.0)
        parser.add_argument("--output", type=Path, help="Default: benchmarks/bench-YYYY-MM-DD.md in the project.")

    def handle(self, *args, **options):
        database_check("bench")
        scale = scale_of(options)
        if options["requests"] < 1 or options["clients"] < 1:
            raise CommandError("--requests and --clients must be at least 1.")
        built = data_prepare(scale, reset=options["reset"], reuse=options["reuse"], stderr=self.stderr)
        self.stderr.write("Measuring (gunicorn, reads, concurrent clients, merges)...")
        try:
            results = bench_run(
                built,
                requests=options["requests"],
                clients=options["clients"],
                concurrency_seconds=options["concurrency_seconds"],
            )
        except (BenchError, ValueError) as error:
            raise CommandError(str(error)) from None

        today = date.today().isoformat()
        output = options["output"] or Path(settings.BASE_DIR) / "benchmarks" / f"bench-{today}.md"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(document(results, date=today))
        self.stdout.write(tables(results, date=today))
        self.stdout.write(f"Written with the plans to {output}")
