"""The `merge_history` collection, through pymongo's collection API.

With `MOMENTRY_MONGO_URL` set, a pymongo `MongoClient` on that server (database
`MOMENTRY_MONGO_DB`). Without it, montydb, an embedded engine that speaks the same collection API,
keeps the collection under `MOMENTRY_EMBEDDED_MONGO_DIR`. montydb (maintained, pure Python) is used
with its SQLite storage: every write is its own committed SQLite transaction (`synchronous=FULL`)
and every read goes to the file, so a record survives the process being killed and several worker
processes share one store. Its flat-file storage instead rewrites the whole file in place on each
write from a cache private to each process, so two workers would overwrite each other's records.

montydb opens and closes a SQLite connection for every operation, and closing the last connection
to a WAL database checkpoints it and removes the log: two more fsyncs, which made a write take
20-23 ms instead of 6-7. Each process therefore keeps one idle connection to the collection's file open
(`_keepers`): the operations' connections are never the last, and SQLite checkpoints on its own
as the log grows. Durability is the same: each commit still syncs the log (`synchronous=FULL`).

The merge code uses only what both engines do alike: `insert_one`, `find_one`, `find` with a filter,
`sort`, `skip` and `limit`, `update_one` with `$set`, `count_documents`, and `create_index` (a no-op
in montydb). Documents hold datetimes in UTC (milliseconds, as BSON keeps them) and uuids as strings.
"""
import sqlite3
import threading
from pathlib import Path

from django.conf import settings

COLLECTION_NAME = "merge_history"
EMBEDDED_DATABASE = "momentry"
INDEXES = ("source_uuid", "target_uuid", "state", [("merged_at", -1)])

# pymongo clients are thread-safe: one per server URL and database. A montydb client is not: its
# SQLite engine keeps the connection of the operation in progress on the client, so two threads
# would run on each other's connection. Each thread gets its own (they open a connection per
# operation, so a client is cheap and holds nothing between operations).
_shared_clients = {}
_thread_clients = threading.local()
_clients_lock = threading.Lock()
# {embedded store directory: the process's idle connection to its collection file}
_keepers = {}


def _clients_for(url):
    if url:
        return _shared_clients
    if not hasattr(_thread_clients, "clients"):
        _thread_clients.clients = {}
    return _thread_clients.clients


def merge_history_collection():
    """The collection for the current settings (read at each call, so a changed setting applies)."""
    url = settings.MOMENTRY_MONGO_URL
    if url:
        database = settings.MOMENTRY_MONGO_DB
        key = (url, database)
    else:
        database = EMBEDDED_DATABASE
        key = (str(Path(settings.MOMENTRY_EMBEDDED_MONGO_DIR).resolve()), database)
    clients = _clients_for(url)
    with _clients_lock:
        client = clients.get(key)
        if client is None:
            client = _mongo_client(url) if url else _embedded_client(key[0])
            for index in INDEXES:
                client[database][COLLECTION_NAME].create_index(index)
            clients[key] = client
    return client[database][COLLECTION_NAME]


def _mongo_client(url):
    from pymongo import MongoClient

    return MongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)


def _embedded_client(directory):
    from montydb import MontyClient, set_storage

    Path(directory).mkdir(parents=True, exist_ok=True)
    if not (Path(directory) / ".monty.storage").exists():
        set_storage(directory, storage="sqlite", use_bson=True)
    client = MontyClient(directory, tz_aware=True, synchronous="FULL")
    # montydb creates a collection's table at its first write, racing any thread that writes at the
    # same moment ("no such table"); creating it here, under the clients' lock, settles that.
    database = client[EMBEDDED_DATABASE]
    if COLLECTION_NAME not in database.list_collection_names():
        database.create_collection(COLLECTION_NAME)
    _keep_open(directory)
    return client


def _keep_open(directory):
    """Hold the process's idle connection to the collection file (called under the clients' lock);
    those of stores whose directory is gone (tests' temporary ones) are closed."""
    for gone in [kept for kept in _keepers if not Path(kept).is_dir()]:
        _keepers.pop(gone).close()
    if directory not in _keepers:
        path = Path(directory) / EMBEDDED_DATABASE / f"{COLLECTION_NAME}.collection"
        keeper = sqlite3.connect(path, check_same_thread=False)
        keeper.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # a read opens the WAL's index
        _keepers[directory] = keeper


def close_clients():
    """Close the server clients and this thread's embedded ones (at shutdown; tests that restart)."""
    with _clients_lock:
        clients = [*_shared_clients.values(), *_clients_for("").values()]
        _shared_clients.clear()
        _clients_for("").clear()
        keepers = list(_keepers.values())
        _keepers.clear()
    for client in clients:
        client.close()
    for keeper in keepers:
        keeper.close()
