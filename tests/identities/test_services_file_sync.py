"""The outbox of the identity files: owed in the change's transaction, cleared by the writer once
the files match, written at the next start when the process died in between.

The kill tests run real processes (`python -c ...`) on a database of their own: a file-backed
SQLite database under tmp_path, or on PostgreSQL the test database itself (the test commits with
transaction=True, so the processes see its rows). They die with os._exit inside the first
on-commit callback of a merge, after the commit and before any file is written.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection, transaction

from history.recording import recorded_profile_image
from identities.models import FileSyncPending, Identity
from identities.selectors import identity_document, identity_documents
from identities.services import files
from identities.services.editing import identity_delete, identity_update
from identities.services.images import identity_profile_image_set
from identities.storage import identity_dir, identity_json_bytes, identity_json_path, profile_image_path
from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, image_bytes, image_upload, make_trace

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = Path(__file__).resolve().parents[2]


def on_disk(identity):
    return json.loads(identity_json_path(identity.identity_uuid).read_text())


def owed():
    return sorted((row.identity_uuid, row.profile_image) for row in FileSyncPending.objects.all())


# --- in one process -----------------------------------------------------------------------------


def test_a_change_owes_the_files_in_its_transaction_and_the_writer_clears_them():
    identity = IdentityFactory(name="Old")
    seen_inside = []
    real_sync = files.identity_sync_files

    def sync_after_looking(*identity_uuids, **kwargs):
        seen_inside.append(owed())
        return real_sync(*identity_uuids, **kwargs)

    with mock.patch.object(files, "identity_sync_files", sync_after_looking):
        identity_update(identity_uuid=identity.identity_uuid, data={"name": "New"}, actor="t")

    assert seen_inside == [[(identity.identity_uuid, False)]]
    assert owed() == []
    assert on_disk(identity)["name"] == "New"


def test_a_change_rolled_back_owes_nothing():
    identity = IdentityFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        files.identity_sync_files_on_commit(identity.identity_uuid)
        raise RuntimeError
    assert owed() == []


def test_a_row_committed_after_the_writer_read_the_rows_is_kept():
    """The writer deletes the rows it saw, not the identity's rows: a change that commits while
    the file is being written stays owed."""
    identity = IdentityFactory()
    files.identity_files_owed(identity.identity_uuid)
    real = files._files_sync_locked

    def a_change_commits_meanwhile(identity_uuids, **kwargs):
        files.identity_files_owed(identity.identity_uuid)
        return real(identity_uuids, **kwargs)

    with mock.patch.object(files, "_files_sync_locked", a_change_commits_meanwhile):
        diffs = files.identity_sync_files(identity.identity_uuid)

    assert diffs[identity.identity_uuid].pending == 1
    assert FileSyncPending.objects.filter(identity_uuid=identity.identity_uuid).count() == 1


@pytest.mark.parametrize("returning", [True, pytest.param(False, id="sqlite-before-3.35")])
def test_the_writer_takes_exactly_the_owed_rows_with_their_image_flag(returning, monkeypatch):
    if not returning:
        if connection.vendor != "sqlite":
            pytest.skip("the fallback is SQLite's")
        monkeypatch.setattr(connection.Database, "sqlite_version_info", (3, 31, 1))
    first, second, other = IdentityFactory(), IdentityFactory(), IdentityFactory()
    files.identity_files_owed(first.identity_uuid, second.identity_uuid)
    files.identity_files_owed(second.identity_uuid, other.identity_uuid, profile_image=True)
    with transaction.atomic():
        taken = files._owed_rows_take([first.identity_uuid, second.identity_uuid])
    assert sorted(taken) == sorted(
        [(first.identity_uuid, False), (second.identity_uuid, False), (second.identity_uuid, True)]
    )
    assert owed() == [(other.identity_uuid, True)]


def test_a_failed_file_write_leaves_the_rows_for_the_next_sweep(settings):
    identity = IdentityFactory(name="Old")
    with mock.patch("identities.storage.write_atomically", side_effect=OSError("disk full")):
        with pytest.raises(OSError):
            identity_update(identity_uuid=identity.identity_uuid, data={"name": "New"}, actor="t")
    assert Identity.objects.get(pk=identity.pk).name == "New"
    assert owed() == [(identity.identity_uuid, False)]

    assert files.identity_files_sync_pending() == 1
    assert on_disk(identity)["name"] == "New"
    assert owed() == []


def test_a_profile_image_install_is_owed_and_healed_from_the_history(settings):
    identity = IdentityFactory()
    data = image_bytes("PNG", color=(1, 2, 3))
    with mock.patch("identities.services.images._profile_image_sync"):  # the install never runs
        with mock.patch.object(files, "identity_sync_files"):  # nor does the identity.json write
            identity_profile_image_set(identity_uuid=identity.identity_uuid, upload=image_upload(data), actor="t")
    assert profile_image_path(identity.identity_uuid) is None
    assert (identity.identity_uuid, True) in owed()

    assert files.identity_files_sync_pending() == 1
    recorded, stashed = recorded_profile_image(identity.identity_uuid)  # the image as the write kept it
    assert recorded and stashed.name == "profile.png"
    assert profile_image_path(identity.identity_uuid).read_bytes() == stashed.read_bytes()
    assert owed() == []


def test_a_delete_whose_files_were_never_removed_is_healed_whole():
    identity = IdentityFactory()
    identity_profile_image_set(identity_uuid=identity.identity_uuid, upload=image_upload(), actor="t")
    with mock.patch("identities.services.images._profile_image_sync"), mock.patch.object(files, "identity_sync_files"):
        identity_delete(identity_uuid=identity.identity_uuid, actor="t")
    assert identity_dir(identity.identity_uuid).is_dir()

    files.identity_files_sync_pending()
    assert not identity_dir(identity.identity_uuid).exists()
    assert owed() == []


def test_the_start_up_sweep_skips_what_another_process_cleared():
    identity = IdentityFactory()
    files.identity_files_owed(identity.identity_uuid)
    real = files.identity_sync_files

    def another_process_got_there_first(*identity_uuids, **kwargs):
        FileSyncPending.objects.all().delete()
        return real(*identity_uuids, **kwargs)

    with mock.patch.object(files, "identity_sync_files", another_process_got_there_first):
        assert files.identity_files_sync_pending() == 0
    assert not identity_json_path(identity.identity_uuid).exists()


def test_set_based_documents_are_the_documents():
    films = [MediaFileFactory(), MediaFileFactory()]
    aliased = IdentityFactory(metadata={"aliases": [{"locale": "ja", "name": "名前"}]})
    people = [aliased, IdentityFactory(), StrangerFactory()]
    for position, film in enumerate(films):
        make_trace(media_file=film, trace_id=7, size=3, identity=people[0], first_frame=position * 100)
        make_trace(media_file=film, trace_id=2, size=2, identity=people[0], first_frame=position * 100 + 50)
    make_trace(media_file=films[1], trace_id=9, size=4, identity=people[2], first_frame=500)

    documents = identity_documents(people)

    assert documents == {person.pk: identity_document(person) for person in people}
    assert [binding["trace_ids"] for binding in documents[people[0].pk]["file_bindings"]] == [[2, 7], [2, 7]]
    assert documents[people[1].pk]["file_bindings"] == []
    files.identity_sync_files(*(person.identity_uuid for person in people))
    for person in Identity.objects.filter(pk__in=[person.pk for person in people]):  # as stored (jsonb orders keys)
        assert identity_json_path(person.identity_uuid).read_bytes() == identity_json_bytes(identity_document(person))


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_two_transactions_owing_the_same_identities_in_opposite_orders_neither_wait_nor_fail():
    first, second = IdentityFactory(), IdentityFactory()
    barrier = threading.Barrier(2, timeout=10)
    outcomes = []

    def owe(order):
        try:
            with transaction.atomic():
                files.identity_files_owed(order[0])
                barrier.wait()  # both hold an uncommitted row of the other's next identity
                files.identity_files_owed(order[1])
                barrier.wait()
            outcomes.append("committed")
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=owe, args=(order,))
        for order in ((first.identity_uuid, second.identity_uuid), (second.identity_uuid, first.identity_uuid))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == ["committed", "committed"]
    assert FileSyncPending.objects.count() == 4


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_writers_of_overlapping_identities_in_opposite_orders_do_not_deadlock():
    people = [IdentityFactory() for _ in range(4)]
    uuids = [person.identity_uuid for person in people]
    for _ in range(5):
        files.identity_files_owed(*uuids)
        barrier = threading.Barrier(2, timeout=10)
        outcomes = []

        def write(order):
            try:
                barrier.wait()
                outcomes.append(sorted(files.identity_sync_files(*order)) == sorted(order))
            except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
                outcomes.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=(order,)) for order in (uuids, uuids[::-1])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcomes == [True, True]
        assert owed() == []
    assert all(on_disk(person) == identity_document(person) for person in people)


# --- killed between the commit and the file write ------------------------------------------------

KILL_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, uuid
    import django
    django.setup()
    from identities.models import Identity
    from identities.selectors import identity_document
    from identities.storage import identity_json_path

    def files_right(uuids):
        right = {}
        for hex_uuid in uuids:
            identity = Identity.objects.filter(identity_uuid=uuid.UUID(hex_uuid)).first()
            path = identity_json_path(uuid.UUID(hex_uuid))
            on_disk = json.loads(path.read_text()) if path.exists() else None
            right[hex_uuid] = on_disk == (identity_document(identity) if identity else None)
        return right

    step = sys.argv[1]
    if step == "setup":
        from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, make_trace
        film = MediaFileFactory()
        pairs = []
        for n in range(int(sys.argv[2])):
            source, target = StrangerFactory(), IdentityFactory()
            make_trace(media_file=film, trace_id=n, size=4, identity=source, first_frame=n * 10)
            pairs.append((source.identity_uuid.hex, target.identity_uuid.hex))
        from identities.services.files import identity_sync_files
        identity_sync_files(*(uuid.UUID(u) for pair in pairs for u in pair))
        print(json.dumps(pairs))
    elif step in ("merge", "merges"):
        from django.db import transaction
        from identities.services.merging import identity_merge

        real_on_commit = transaction.on_commit

        def die_in_the_first_callback(func, *args, **kwargs):
            real_on_commit(lambda: os._exit(9), *args, **kwargs)

        def dropped(func, *args, **kwargs):
            pass

        # "merge": die in the first merge's first callback; "merges": commit every merge, none of
        # their callbacks running, then die.
        transaction.on_commit = die_in_the_first_callback if step == "merge" else dropped
        for source, target in json.loads(sys.argv[2]):
            identity_merge(identity_uuid=source, into_uuid=target, actor="test:kill")
        if step == "merges":
            os._exit(9)
        sys.exit("not killed")
    elif step == "serve":
        import momentry.wsgi  # noqa: F401
        print(json.dumps("serving"))
    elif step == "check":
        print(json.dumps(files_right(json.loads(sys.argv[2]))))
    elif step == "start":
        import momentry.wsgi  # noqa: F401 - the start-up sweep
        from identities.models import FileSyncPending
        print(json.dumps({"right": files_right(json.loads(sys.argv[2])), "owed": FileSyncPending.objects.count()}))
    """
)


def process_env(directory):
    """The project's settings for a process, its data under `directory`, nothing from this one's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MOMENTRY_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="momentry.settings",
        PYTHONPATH=str(PROJECT),
        MOMENTRY_DATA_DIR=str(directory / "data"),
        MOMENTRY_OUTPUT_DIR=str(directory / "output"),
    )
    return env


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A migrated SQLite database file, made once: each SQLite kill test's processes start on a copy
    of it (a migrate took seconds in every test's first process)."""
    directory = tmp_path_factory.mktemp("migrated")
    database = directory / "momentry.sqlite3"
    env = {**process_env(directory), "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return database


@pytest.fixture
def kill_env(tmp_path, request):
    """The environment of the processes: their own migrated SQLite file, or the PostgreSQL test database."""
    env = process_env(tmp_path)
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        credentials = f"{db['USER']}:{db['PASSWORD'] or ''}"
        env["DATABASE_URL"] = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        database = tmp_path / "migrated.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), database)
        env["DATABASE_URL"] = f"sqlite:///{database}"
    return env


def run(env, *args, expect=0):
    done = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, *args], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == expect, done.stderr
    assert "not written at start-up" not in done.stderr, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]) if expect == 0 else None


def test_a_process_starting_before_migrate_serves_and_logs_nothing(kill_env):
    env = {key: value for key, value in kill_env.items() if key != "DATABASE_URL"}
    assert run(env, "serve") == "serving"


def test_killed_after_a_merge_commits_the_next_start_writes_both_identities_files(kill_env):
    pairs = run(kill_env, "setup", "1")
    identities = [u for pair in pairs for u in pair]

    run(kill_env, "merge", json.dumps(pairs), expect=9)

    # The merge committed, the files still show the faces where they were.
    assert run(kill_env, "check", json.dumps(identities)) == {u: False for u in identities}
    started = run(kill_env, "start", json.dumps(identities))
    assert started == {"right": {u: True for u in identities}, "owed": 0}


def test_several_processes_starting_at_once_write_the_owed_files_once_and_right(kill_env):
    pairs = run(kill_env, "setup", "8")
    identities = [u for pair in pairs for u in pair]
    run(kill_env, "merges", json.dumps(pairs), expect=9)
    assert not any(run(kill_env, "check", json.dumps(identities)).values())

    starts = [
        subprocess.Popen(
            [sys.executable, "-c", KILL_SCRIPT, "start", json.dumps(identities)],
            env=kill_env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(3)
    ]
    results = []
    for process in starts:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert "not written at start-up" not in stderr, stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    assert all(result["right"] == {u: True for u in identities} for result in results)
    assert run(kill_env, "start", json.dumps(identities))["owed"] == 0


def test_the_command_also_repairs_files_a_killed_process_owed(kill_env, tmp_path):
    pairs = run(kill_env, "setup", "2")
    run(kill_env, "merge", json.dumps(pairs), expect=9)
    command = [sys.executable, "manage.py", "sync_files"]
    check = subprocess.run([*command, "--check"], env=kill_env, cwd=PROJECT, capture_output=True, text=True)
    assert check.returncode == 1, check.stderr
    assert check.stdout.strip() == (
        "sync_files --check: 4 identities checked, 2 to rewrite, 0 orphans to remove, 0 images to fix"
    )
    repair = subprocess.run(command, env=kill_env, cwd=PROJECT, capture_output=True, text=True)
    assert repair.returncode == 0, repair.stderr
    # Only the first merge committed; both of its identities are rewritten, and its outbox rows cleared.
    assert repair.stdout.strip() == (
        "sync_files: 4 identities checked, 2 rewritten, 0 orphans removed, 0 images fixed, 2 pending cleared"
    )
    identities = [u for pair in pairs for u in pair]
    assert all(run(kill_env, "check", json.dumps(identities)).values())
