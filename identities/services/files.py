"""Disk follows the database: `identity.json` written from committed state, under a per-identity lock."""
from contextlib import contextmanager

from django.db import connection, transaction

from .. import storage
from ..models import Identity
from ..selectors import identity_document


@contextmanager
def identity_files_lock(identity_uuid):
    """Serialise the disk writes of one identity across threads and processes.

    On PostgreSQL a transaction-scoped advisory lock keyed by the uuid; on SQLite the transaction
    itself, which takes the database's write lock (transaction_mode IMMEDIATE). Each disk write
    reads the committed state under this lock, so of two writes racing after two commits the
    one that runs last also writes the latest state.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                key = int.from_bytes(identity_uuid.bytes[:8], "big", signed=True)
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        yield


def identity_sync_file(*, identity_uuid):
    """Make `identity.json` match the database: rewrite it, or remove it if the identity is gone."""
    with identity_files_lock(identity_uuid):
        identity = Identity.objects.filter(identity_uuid=identity_uuid).first()
        if identity is None:
            storage.remove_identity_json(identity_uuid)
        else:
            storage.write_identity_json(identity_uuid, identity_document(identity))


def identity_sync_files_on_commit(*identity_uuids):
    """Rewrite the identities' files once the surrounding transaction has committed."""
    for identity_uuid in dict.fromkeys(identity_uuids):
        transaction.on_commit(lambda u=identity_uuid: identity_sync_file(identity_uuid=u))


def sync_files_of_changed_owners(sender, *, identity_uuids, **kwargs):
    """Receiver of `faces.signals.face_owners_changed` (an ingest re-bound faces)."""
    identity_sync_files_on_commit(*identity_uuids)
