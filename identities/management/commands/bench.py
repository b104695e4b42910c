"""Build an archive-sized data set on PostgreSQL and time the hot endpoints against it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench manage.py bench [--reset]

The data set is built in the configured database, which must be empty (or `--reset`, which
truncates the project's tables first): reads through gunicorn beside their hand SQL, merges
beside the bare UPDATE, concurrent clients. The tables are printed; with the plans they are
written to `--output`.
"""
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from faces.management.progress import ProgressBar
from identities.bench.data import Layout, Scale, bench_data_build, build_steps, tables_truncate, tables_with_rows
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
        defaults = Scale()
        parser.add_argument("--identities", type=int, default=defaults.identities)
        parser.add_argument("--faces", type=int, default=defaults.faces, help="In traces of 50 faces.")
        parser.add_argument("--chunks", type=int, default=defaults.chunks)
        parser.add_argument("--files", type=int, default=defaults.files)
        parser.add_argument(
            "--big-faces", type=int, default=defaults.big_faces, help="Faces of each of the three big identities."
        )
        parser.add_argument("--merge-faces", type=int, nargs="+", default=list(defaults.merge_faces))
        parser.add_argument("--requests", type=int, default=80, help="Timed requests per endpoint.")
        parser.add_argument("--clients", type=int, default=16, help="Concurrent clients.")
        parser.add_argument("--concurrency-seconds", type=float, default=15.0)
        parser.add_argument("--output", type=Path, help="Default: benchmarks/bench-YYYY-MM-DD.md in the project.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete every row of the project's tables before building."
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"bench runs on PostgreSQL only, and this database is {connection.vendor}: "
                "set DATABASE_URL=postgres://... (an empty database of its own)."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run `manage.py migrate` first.")
        scale = Scale(
            identities=options["identities"],
            faces=options["faces"],
            chunks=options["chunks"],
            files=options["files"],
            big_faces=options["big_faces"],
            merge_faces=tuple(options["merge_faces"]),
        )
        if options["requests"] < 1 or options["clients"] < 1:
            raise CommandError("--requests and --clients must be at least 1.")
        try:
            Layout.of(scale)
        except ValueError as error:
            raise CommandError(str(error)) from None
        occupied = tables_with_rows()
        if occupied and not options["reset"]:
            raise CommandError(
                f"The database {connection.settings_dict['NAME']} already has data ({', '.join(occupied)}). "
                "bench builds its own data set: give --reset to delete every row of the project's tables "
                "first, or use an empty database."
            )
        if occupied:
            tables_truncate()
            self.stderr.write(f"--reset: emptied {', '.join(occupied)}")

        progress = ProgressBar(self.stderr, total=build_steps(scale), label="Building")
        built = bench_data_build(scale, progress=progress.advance)
        progress.finish()
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
