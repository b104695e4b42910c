"""What the bench commands share before they measure: their data-set options, the database checks,
and the data set built (or, where one asks, the one already there reused)."""
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apikeys.services import api_key_create
from faces.management.progress import ProgressBar

from ..models import Identity, IdentityStatus
from .data import (
    BIG_NAMES,
    CHUNK_TABLE,
    FACE_TABLE,
    FACES_PER_TRACE,
    FILE_TABLE,
    IDENTITY_TABLE,
    BuiltData,
    Layout,
    Scale,
    bench_data_build,
    build_steps,
    identity_uuid,
    table_counts,
    tables_truncate,
    tables_with_rows,
)


def add_data_arguments(parser):
    defaults = Scale()
    parser.add_argument("--identities", type=int, default=defaults.identities)
    parser.add_argument("--faces", type=int, default=defaults.faces, help="In traces of 50 faces.")
    parser.add_argument("--chunks", type=int, default=defaults.chunks)
    parser.add_argument("--files", type=int, default=defaults.files)
    parser.add_argument(
        "--big-faces", type=int, default=defaults.big_faces, help="Faces of each of the three big identities."
    )
    parser.add_argument("--merge-faces", type=int, nargs="+", default=list(defaults.merge_faces))
    parser.add_argument(
        "--reset", action="store_true", help="Delete every row of the project's tables before building."
    )
    parser.add_argument(
        "--reuse", action="store_true", help="Keep the bench data set of this scale already in the database."
    )


def database_check(command):
    """Refuse anything but a migrated PostgreSQL database."""
    if connection.vendor != "postgresql":
        raise CommandError(
            f"{command} runs on PostgreSQL only, and this database is {connection.vendor}: "
            "set DATABASE_URL=postgres://... (an empty database of its own)."
        )
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError("The database has unapplied migrations: run `manage.py migrate` first.")


def scale_of(options):
    scale = Scale(
        identities=options["identities"],
        faces=options["faces"],
        chunks=options["chunks"],
        files=options["files"],
        big_faces=options["big_faces"],
        merge_faces=tuple(options["merge_faces"]),
    )
    try:
        Layout.of(scale)
    except ValueError as error:
        raise CommandError(str(error)) from None
    return scale


def bench_data_reuse(scale):
    """The data set `bench_data_build` made at `scale`, when the database holds it (its row counts,
    its first big identity and no merged identity), with a new API key; else None."""
    layout = Layout.of(scale)
    counts = table_counts()
    expected = {
        IDENTITY_TABLE: scale.identities,
        FILE_TABLE: scale.files,
        FACE_TABLE: layout.traces * FACES_PER_TRACE,
        CHUNK_TABLE: layout.chunks_per_file * scale.files,
    }
    if any(counts[table] != rows for table, rows in expected.items()):
        return None
    first = Identity.objects.filter(pk=1).values_list("identity_uuid", "name").first()
    if first != (identity_uuid(1), BIG_NAMES[0]) or Identity.objects.filter(status=IdentityStatus.MERGED).exists():
        return None
    return BuiltData(layout=layout, api_key=api_key_create(name="bench", scopes=["global"])[1], counts=counts)


def data_prepare(scale, *, reset, stderr, reuse=False):
    """The data set at `scale`: built in an empty database, or after `reset` empties it; with
    `reuse`, the bench data set of the same scale already there is kept."""
    occupied = tables_with_rows()
    if occupied and reuse and not reset:
        built = bench_data_reuse(scale)
        if built is not None:
            stderr.write(f"--reuse: the bench data set of {scale.identities:,} identities is already here")
            return built
    if occupied and not reset:
        which = "data that is not the bench data set at this scale" if reuse else "data"
        raise CommandError(
            f"The database {connection.settings_dict['NAME']} already has {which} ({', '.join(occupied)}). "
            "The bench builds its own data set: give --reset to delete every row of the project's tables "
            "first, or use an empty database."
        )
    if occupied:
        tables_truncate()
        stderr.write(f"--reset: emptied {', '.join(occupied)}")
    progress = ProgressBar(stderr, total=build_steps(scale), label="Building")
    built = bench_data_build(scale, progress=progress.advance)
    progress.finish()
    return built
