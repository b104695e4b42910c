"""Disk follows the database: `identity.json` and the profile image written from committed state,
under a per-identity lock, with an outbox that outlives a process killed after a commit.

Every write that changes an identity's files records an outbox row (`FileSyncPending`) in its own
transaction and writes the files once it has committed; the writer takes (deletes) the rows in the
transaction that writes the files, so they go only once the files match. A process killed between
the commit and the file write leaves its rows behind: the next start writes what they name
(`identity_files_sync_pending`, from `momentry/wsgi.py`), and `manage.py sync_files` compares
every identity's files with the database (`identity_files_sync_all`).
"""
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from history.models import IdentityHistory
from history.recording import recorded_profile_image
from momentry.core.deferred import after_response

from .. import storage
from ..models import FileSyncPending, Identity
from ..selectors import identity_documents

logger = logging.getLogger(__name__)

SWEEP_CHUNK_SIZE = 1000
# Identities put right in one lock transaction by the sweeps (on SQLite a transaction holds the
# database's write lock; on PostgreSQL one advisory lock each).
REPAIR_GROUP_SIZE = 100


@contextmanager
def identity_files_lock(*identity_uuids):
    """Serialise the disk writes of identities across threads and processes.

    On PostgreSQL transaction-scoped advisory locks keyed by the uuids, taken in key order (so two
    writers of overlapping identities wait for each other instead of deadlocking); on SQLite the
    transaction itself, which takes the database's write lock (transaction_mode IMMEDIATE). Each
    disk write reads the committed state under this lock, so of two writes racing after two
    commits the one that runs last also writes the latest state.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            keys = sorted({int.from_bytes(u.bytes[:8], "big", signed=True) for u in identity_uuids})
            with connection.cursor() as cursor:
                for key in keys:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        yield


def identity_files_owed(*identity_uuids, profile_image=False):
    """Record in the current transaction that the identities' files must be written from the
    database (with `profile_image`, their profile images too): one outbox row per identity.

    Plain inserts of new rows, never an upsert: two transactions owing the same identity's files
    neither wait for each other nor conflict, on PostgreSQL as on SQLite.
    """
    FileSyncPending.objects.bulk_create(
        [FileSyncPending(identity_uuid=identity_uuid, profile_image=profile_image) for identity_uuid in identity_uuids]
    )


@dataclass
class FilesDiff:
    """What differed between an identity's files and the database (and was put right unless
    checking); `pending`: the outbox rows the write cleared."""

    identity_json: bool = False
    orphan: bool = False
    profile_image: bool = False
    pending: int = 0


def _profile_image_differs(identity_uuid, *, write):
    """Whether the identity's profile image on disk is not the one its committed history records
    (`recorded_profile_image`, the rule the image installs follow); put it right when `write`.

    An identity whose image no recorded write changed keeps whatever its directory has."""
    recorded, source = recorded_profile_image(identity_uuid)
    if not recorded:
        return False
    if source is not None and not source.is_file():
        logger.warning(
            "Profile image of %s: the history's copy %s is missing; left as it is.",
            identity_uuid.hex,
            source,
        )
        return False
    directory = storage.identity_dir(identity_uuid)
    wanted = source.name if source is not None else None
    differs = False
    for extension in storage.PROFILE_EXTENSIONS:
        path = directory / f"profile.{extension}"
        if path.name != wanted:
            differs = differs or path.exists()
        else:
            same_size = path.is_file() and path.stat().st_size == source.stat().st_size
            differs = differs or not (same_size and path.read_bytes() == source.read_bytes())
    if differs and write:
        if source is None:
            storage.remove_profile_images(identity_uuid)
        else:
            storage.write_profile_image(identity_uuid, wanted, source.read_bytes())
    return differs


def _files_sync_locked(identity_uuids, *, profile_images, write):
    """`{uuid: FilesDiff}`: compare the identities' files with the committed state and, when
    `write`, rewrite what differs; the caller holds `identity_files_lock` on them. The profile
    image is compared for the identities in `profile_images`. An identity that no longer exists
    has no directory: all of it goes (its history keeps the image undo needs, in its stash)."""
    identities = list(Identity.objects.filter(identity_uuid__in=identity_uuids))
    documents = identity_documents(identities) if identities else {}
    existing = {identity.identity_uuid: identity for identity in identities}
    diffs = {}
    for identity_uuid in identity_uuids:
        diff = diffs[identity_uuid] = FilesDiff()
        identity = existing.get(identity_uuid)
        if identity is None:
            diff.orphan = storage.identity_dir_exists(identity_uuid)
            if diff.orphan and write:
                storage.remove_identity_dir(identity_uuid)
            continue
        data = storage.identity_json_bytes(documents[identity.pk])
        diff.identity_json = storage.read_identity_json_bytes(identity_uuid) != data
        if diff.identity_json and write:
            storage.write_atomically(storage.identity_json_path(identity_uuid), data)
        if identity_uuid in profile_images:
            diff.profile_image = _profile_image_differs(identity_uuid, write=write)
    return diffs


def identity_sync_files(*identity_uuids, recorded_images=False, only_pending=False):
    """Make the identities' files match the database (rewrite `identity.json`, or remove the
    directory of an identity that is gone), then clear the outbox rows this write covers.
    Returns `{uuid: FilesDiff}`.

    The rows are taken (`_owed_rows_take`) before the state is read, under the lock: each names a
    change committed before the state was read, so the files written include it. A change
    committed later keeps its row, and its own writer (or the next sweep) writes it. The delete
    commits with the lock's transaction, after the files are in place, so a process killed in
    between only leaves a row to do again.
    The profile image is healed where a row owes it and, with `recorded_images`, wherever a
    history entry set it. With `only_pending`, identities with no row (another process cleared
    them) are skipped.
    """
    identity_uuids = sorted(set(identity_uuids))
    if not identity_uuids:
        return {}
    with identity_files_lock(*identity_uuids):
        rows = _owed_rows_take(identity_uuids)
        if only_pending:
            identity_uuids = sorted({identity_uuid for identity_uuid, _ in rows})
        images = {identity_uuid for identity_uuid, image in rows if image}
        if recorded_images:
            images |= _identities_with_recorded_images(identity_uuids)
        diffs = _files_sync_locked(identity_uuids, profile_images=images, write=True)
        for identity_uuid, _ in rows:
            diffs[identity_uuid].pending += 1
    return diffs


def _owed_rows_take(identity_uuids):
    """Delete the identities' committed outbox rows; `[(identity_uuid, profile_image)]` of each.

    One `DELETE ... RETURNING` (PostgreSQL; SQLite from 3.35) inside the caller's transaction:
    it deletes the rows committed when it runs (on PostgreSQL a row of a transaction still open
    is not visible to it, and stays), and the delete only takes effect when the caller commits.
    """
    field = FileSyncPending._meta.get_field("identity_uuid")
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 35):
        rows = list(
            FileSyncPending.objects.filter(identity_uuid__in=identity_uuids).values_list(
                "pk", "identity_uuid", "profile_image"
            )
        )
        FileSyncPending.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        return [(identity_uuid, owes_image) for _, identity_uuid, owes_image in rows]
    table = connection.ops.quote_name(FileSyncPending._meta.db_table)
    column, image = (connection.ops.quote_name(name) for name in (field.column, "profile_image"))
    placeholders = ", ".join(["%s"] * len(identity_uuids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {column} IN ({placeholders}) RETURNING {column}, {image}",
            [field.get_db_prep_value(identity_uuid, connection) for identity_uuid in identity_uuids],
        )
        return [(field.to_python(identity_uuid), bool(owes_image)) for identity_uuid, owes_image in cursor.fetchall()]


def identity_sync_files_on_commit(*identity_uuids):
    """Owe the identities' files in the surrounding transaction (the outbox), and write them once
    it has committed and the response is sent (the outbox keeps them owed until then)."""
    identity_uuids = list(dict.fromkeys(identity_uuids))
    if not identity_uuids:
        return
    identity_files_owed(*identity_uuids)
    transaction.on_commit(lambda: after_response(lambda: identity_sync_files(*identity_uuids)))


def sync_files_of_changed_owners(sender, *, identity_uuids, **kwargs):
    """Receiver of `faces.signals.face_owners_changed` (an ingest re-bound faces)."""
    identity_sync_files_on_commit(*identity_uuids)


# --- sweeps: at start-up (the outbox) and `manage.py sync_files` (everything) -------------------


def outbox_table_exists():
    """False before `migrate` has created the outbox (a start-up sweep then has nothing to do)."""
    return FileSyncPending._meta.db_table in connection.introspection.table_names()


def identity_files_sync_pending(*, batch_size=100):
    """Write the files the outbox still owes, i.e. those of the changes whose process was killed
    after the commit and before the file write. Returns how many identities were written.

    Cheap (the outbox is empty unless a process died), so it runs at every start. Several
    processes starting at once take turns (the locks, taken in key order); an identity whose rows
    another one has cleared meanwhile is skipped.
    """
    if not outbox_table_exists():
        return 0
    identity_uuids = list(
        FileSyncPending.objects.order_by("identity_uuid").values_list("identity_uuid", flat=True).distinct()
    )
    written = 0
    for start in range(0, len(identity_uuids), batch_size):
        written += len(identity_sync_files(*identity_uuids[start : start + batch_size], only_pending=True))
    return written


def write_owed_files_at_start(sender, **kwargs):
    """Receiver of `momentry.core.signals.process_started`: a new process first writes what a
    killed one still owed; `manage.py sync_files` compares everything."""
    written = identity_files_sync_pending()
    if written:
        logger.info("Start-up: wrote the files a stopped process still owed (identities: %d).", written)
    return written


@dataclass
class FilesSyncReport:
    checked: int = 0
    rewritten: int = 0
    orphans: int = 0
    images: int = 0
    pending_cleared: int = 0

    @property
    def differs(self):
        return bool(self.rewritten or self.orphans or self.images)

    def count(self, diff):
        self.rewritten += diff.identity_json
        self.orphans += diff.orphan
        self.images += diff.profile_image
        self.pending_cleared += diff.pending


def _identities_with_recorded_images(identity_uuids):
    """Those of the identities whose profile image a history entry set (the others keep whatever
    their directory has, so there is nothing to compare)."""
    return set(
        IdentityHistory.objects.filter(identity_uuid__in=identity_uuids, after_snapshot__has_key="profile_image")
        .values_list("identity_uuid", flat=True)
        .distinct()
    )


def _recheck(identity_uuids, report, *, write):
    """Compare again (and put right, clearing the identities' outbox rows) under the lock, from a
    fresh read, a group at a time: a difference seen from a batch read may be a write that
    committed since."""
    identity_uuids = sorted(identity_uuids)
    for start in range(0, len(identity_uuids), REPAIR_GROUP_SIZE):
        group = identity_uuids[start : start + REPAIR_GROUP_SIZE]
        if write:
            diffs = identity_sync_files(*group, recorded_images=True)
        else:
            with identity_files_lock(*group):
                diffs = _files_sync_locked(group, profile_images=_identities_with_recorded_images(group), write=False)
        for diff in diffs.values():
            report.count(diff)


def identity_files_sync_all(*, check=False, chunk_size=SWEEP_CHUNK_SIZE, on_chunk=None):
    """Compare every identity's `identity.json` and profile image with the database, rewrite what
    differs, remove the directories of identities that no longer exist, and clear the outbox;
    with `check`, only count what differs and write nothing. Returns a `FilesSyncReport`.

    Identities are read in batches by primary key and their documents built set-based (three
    queries a batch, plus two for each identity whose profile image a history entry set). What
    differs, and every identity the outbox names, is compared again under the identities' locks,
    a group at a time, before anything is written (the outbox rows are cleared only there, under
    the locks the writers take). Directories under `{output}/identities/` not named as an
    identity uuid, and everything else under `{output}` (the history's `.history` stashes), are
    left alone. `on_chunk(report, total)` is called after each batch.
    """
    report = FilesSyncReport()
    pending = set() if check else set(FileSyncPending.objects.values_list("identity_uuid", flat=True).distinct())
    total = Identity.objects.count()
    seen = set()
    last_pk = 0
    while True:
        batch = list(Identity.objects.filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        documents = identity_documents(batch)
        with_images = _identities_with_recorded_images([identity.identity_uuid for identity in batch])
        differing = []
        for identity in batch:
            identity_uuid = identity.identity_uuid
            seen.add(identity_uuid)
            same = identity_uuid not in pending and storage.read_identity_json_bytes(
                identity_uuid
            ) == storage.identity_json_bytes(documents[identity.pk])
            if same and identity_uuid in with_images:
                same = not _profile_image_differs(identity_uuid, write=False)
            if not same:
                differing.append(identity_uuid)
        _recheck(differing, report, write=not check)
        report.checked += len(batch)
        if on_chunk is not None:
            on_chunk(report, total)
    # Directories of identities that were not in the batches (gone, or created since), and the
    # outbox rows of identities that are gone.
    _recheck((set(storage.identity_dir_uuids()) | pending) - seen, report, write=not check)
    return report
