"""The merge-history store: every collection operation the merge code uses behaves the same in the
embedded engine and (marked `mongo`, with MOMENTRY_TEST_MONGO_URL) in a real MongoDB; the
embedded engine keeps its data on disk across restarts and kills."""
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

from history import mongo

T0 = datetime(2026, 5, 27, 10, 0, 0, 123000, tzinfo=timezone.utc)


def record(merge_id, *, minutes=0, **fields):
    return {"_id": merge_id, "merge_id": merge_id, "state": "applied", "pending": None,
            "merged_at": T0 + timedelta(minutes=minutes), "undone": False, **fields}


def ids(cursor):
    return [document["_id"] for document in cursor]


def test_the_collection_operations_the_merge_code_uses(merge_store):
    merge_store.insert_one(record("a", minutes=0, source_uuid="s1"))
    merge_store.insert_one(record("b", minutes=2, source_uuid="s2", undone=True))
    merge_store.insert_one(record("c", minutes=1, source_uuid="s1", state="pending"))
    undo_in_flight = {"operation_id": "op", "kind": "undo", "changes": {"undone": True}}
    merge_store.insert_one(record("d", minutes=2, pending=undo_in_flight))

    found = merge_store.find_one({"_id": "a"})
    assert found["merged_at"] == T0 and found["merged_at"].utcoffset() == timedelta(0)
    assert merge_store.find_one({"_id": "missing"}) is None
    assert sorted(ids(merge_store.find({"pending": None}))) == ["a", "b", "c"]
    assert ids(merge_store.find({"pending": {"$ne": None}})) == ["d"]
    assert ids(merge_store.find({"pending.operation_id": "op"})) == ["d"]
    newest_first = merge_store.find({"state": "applied"}).sort([("merged_at", -1), ("_id", -1)])
    assert ids(newest_first) == ["d", "b", "a"]
    page = merge_store.find({"state": "applied"}).sort([("merged_at", -1), ("_id", -1)]).skip(1).limit(1)
    assert ids(page) == ["b"]
    assert merge_store.count_documents({"state": "applied", "source_uuid": "s1"}) == 1
    assert merge_store.count_documents({"undone": True}) == 1
    projected = merge_store.find_one({"_id": "a"}, {"source_uuid": 0, "pending": 0})
    assert "source_uuid" not in projected and "pending" not in projected and projected["state"] == "applied"

    missed = merge_store.update_one({"_id": "d", "pending.operation_id": "other"}, {"$set": {"pending": None}})
    assert missed.matched_count == 0
    changes = merge_store.find_one({"_id": "d"})["pending"]["changes"]
    hit = merge_store.update_one({"_id": "d", "pending.operation_id": "op"}, {"$set": {**changes, "pending": None}})
    assert hit.matched_count == 1
    updated = merge_store.find_one({"_id": "d"})
    assert updated["undone"] is True and updated["pending"] is None


def test_records_survive_a_restart_of_the_client(merge_store):
    merge_store.insert_one(record("kept"))
    mongo.close_clients()
    assert mongo.merge_history_collection().find_one({"_id": "kept"})["merged_at"] == T0


def test_the_embedded_store_is_shared_by_processes_and_survives_a_killed_one(settings, tmp_path):
    """Another worker's record, written by a process killed without closing anything, is seen at
    once by this process's open client, and neither overwrites the other."""
    settings.MOMENTRY_MONGO_URL = ""
    settings.MOMENTRY_EMBEDDED_MONGO_DIR = directory = tmp_path / "deep" / "mongo"
    collection = mongo.merge_history_collection()
    collection.insert_one({"_id": "mine", "state": "applied"})
    script = (
        "import os, django; django.setup()\n"
        "from history.mongo import merge_history_collection\n"
        "merge_history_collection().insert_one({'_id': 'survivor', 'state': 'pending'})\n"
        "os._exit(0)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "momentry.settings",
        "MOMENTRY_MONGO_URL": "",
        "MOMENTRY_EMBEDDED_MONGO_DIR": str(directory),
    }
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=settings.BASE_DIR, timeout=60)

    assert collection.find_one({"_id": "survivor"}) == {"_id": "survivor", "state": "pending"}
    collection.update_one({"_id": "mine"}, {"$set": {"state": "aborted"}})
    mongo.close_clients()
    assert sorted(ids(mongo.merge_history_collection().find({}))) == ["mine", "survivor"]
    mongo.close_clients()


def test_the_embedded_store_follows_its_directory_setting(settings, tmp_path):
    settings.MOMENTRY_MONGO_URL = ""
    settings.MOMENTRY_EMBEDDED_MONGO_DIR = tmp_path / "one"
    mongo.merge_history_collection().insert_one({"_id": "x"})
    settings.MOMENTRY_EMBEDDED_MONGO_DIR = tmp_path / "two"
    assert mongo.merge_history_collection().find_one({"_id": "x"}) is None
    assert (tmp_path / "one").is_dir() and (tmp_path / "two").is_dir()
    mongo.close_clients()


def test_the_embedded_store_serves_threads_at_once(merge_store):
    """montydb's SQLite engine keeps the connection of the operation in progress on the client, so
    a threaded server needs one client per thread; many threads writing and reading at once work."""
    errors = []

    def work(thread_number):
        try:
            for n in range(15):
                collection = mongo.merge_history_collection()
                collection.insert_one({"_id": f"{thread_number}-{n}", "state": "applied"})
                assert collection.find_one({"_id": f"{thread_number}-{n}"})["state"] == "applied"
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert merge_store.count_documents({}) == 90


def test_the_embedded_store_keeps_its_log_between_operations(settings, tmp_path):
    """montydb closes its connection after every operation; the process's idle one keeps the file
    open, so no operation is the last to close it and none pays the checkpoint (the log, which
    SQLite removes when the last connection closes, stays between operations)."""
    settings.MOMENTRY_MONGO_URL = ""
    settings.MOMENTRY_EMBEDDED_MONGO_DIR = tmp_path / "store"
    collection = mongo.merge_history_collection()
    collection.insert_one({"_id": "a", "state": "pending"})
    collection.update_one({"_id": "a"}, {"$set": {"state": "applied"}})
    log = tmp_path / "store" / mongo.EMBEDDED_DATABASE / f"{mongo.COLLECTION_NAME}.collection-wal"
    assert log.exists()
    mongo.close_clients()
    assert not log.exists()
    assert mongo.merge_history_collection().find_one({"_id": "a"})["state"] == "applied"
    mongo.close_clients()
