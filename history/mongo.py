"""The `merge_history` collection, through pymongo's collection API.

With `MOMENTRY_MONGO_URL` set, a pymongo `MongoClient` on that server (database
`MOMENTRY_MONGO_DB`). Without it, montydb, an embedded engine that speaks the same collection API,
keeps the collection under `MOMENTRY_EMBEDDED_MONGO_DIR`. montydb (maintained, pure Python) is used
with its SQLite storage: every write is its own committed SQLite transaction (`synchronous=FULL`)
and every read goes to the file, so a record survives the process being killed and several worker
processes share one store. Its flat-file storage instead rewrites the whole file in place on each
write from a cache private to each process, so two workers would overwrite each other's records.

The merge code uses only what both engines do alike: `insert_one`, `find_one`, `find` with a filter,
`sort`, `skip` and `limit`, `update_one` with `$set`, `count_documents`, and `create_index` (a no-op
in montydb). Documents hold datetimes in UTC (milliseconds, as BSON keeps them) and uuids as strings.
"""
import threading
from pathlib import Path

from django.conf import settings

COLLECTION_NAME = "merge_history"
EMBEDDED_DATABASE = "momentry"
INDEXES = ("source_uuid", "target_uuid", "state", [("merged_at", -1)])

_clients = {}
_clients_lock = threading.Lock()


def merge_history_collection():
    """The collection for the current settings; one client per server URL and database, or directory."""
    url = settings.MOMENTRY_MONGO_URL
    if url:
        database = settings.MOMENTRY_MONGO_DB
        key = ("mongo", url, database)
    else:
        database = EMBEDDED_DATABASE
        key = ("embedded", str(Path(settings.MOMENTRY_EMBEDDED_MONGO_DIR).resolve()), database)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _mongo_client(url) if url else _embedded_client(key[1])
            for index in INDEXES:
                client[database][COLLECTION_NAME].create_index(index)
            _clients[key] = client
    return client[database][COLLECTION_NAME]


def _mongo_client(url):
    from pymongo import MongoClient

    return MongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)


def _embedded_client(directory):
    from montydb import MontyClient, set_storage

    Path(directory).mkdir(parents=True, exist_ok=True)
    if not (Path(directory) / ".monty.storage").exists():
        set_storage(directory, storage="sqlite", use_bson=True)
    return MontyClient(directory, tz_aware=True, synchronous="FULL")


def close_clients():
    """Close every client (at shutdown, and in tests that restart the store)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
