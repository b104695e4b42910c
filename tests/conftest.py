import pytest
from django.contrib.auth.models import User
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory

# A transactional test (`django_db(transaction=True)`) ends with a flush of every table. PostgreSQL's
# flush is one TRUNCATE of all of them, which gives each table and index new files: about 0.1 s on an
# idle machine (0.6 s on a busy one) after each of some 300 such tests, where a DELETE of the few rows a
# test leaves takes milliseconds. Tables a test filled (the bench's 30,000 faces) are still truncated,
# so no table is left full of dead rows. Sequence resets (`reset_sequences`) keep Django's TRUNCATE.
LARGE_TABLE_ROWS = 1_000
_truncate = PostgresOperations.sql_flush


def _sql_flush_deleting_small_tables(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    if reset_sequences or not tables:
        return _truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    quoted = {table: self.quote_name(table) for table in tables}
    with self.connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {name} OFFSET {LARGE_TABLE_ROWS})" for name in quoted.values()
            ),
            list(quoted),
        )
        large = sorted(row[0] for row in cursor.fetchall())
    # Foreign keys are deferred to the commit, so the tables may be emptied in any order; CASCADE lets
    # a large table go before the tables that refer to it, which are emptied as well.
    truncated = _truncate(self, style, large, allow_cascade=True) if large else []
    return truncated + [
        f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(quoted[table])};" for table in tables if table not in large
    ]


PostgresOperations.sql_flush = _sql_flush_deleting_small_tables


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    """Every test writes identity files and merge history under its own temporary directory."""
    settings.MOMENTRY_OUTPUT_DIR = tmp_path / "output"
    settings.MOMENTRY_EMBEDDED_MONGO_DIR = tmp_path / "mongo"
    return tmp_path


def client_for(api_key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.raw)
    client.api_key = api_key
    return client


@pytest.fixture
def make_client(db):
    """A client authenticated with a new key: `make_client(scopes=[...], read_only=..., files=[...])`."""

    def make(**kwargs):
        return client_for(ApiKeyFactory(**kwargs))

    return make


@pytest.fixture
def api(make_client):
    """A client with a global read-write key."""
    return make_client(scopes=["global"])


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture
def curator(client):
    """Django's test client signed in to the console as a plain (non-staff) user."""
    client.force_login(User.objects.create_user("curator", password="pw-for-tests"))
    return client


@pytest.fixture
def world_state(settings):
    """A callable returning everything a curation write can change: identity rows, face bindings,
    and every file under the output directory (identity.json, profile images) with its bytes."""
    from faces.models import FaceDetection
    from identities.models import Identity

    def capture():
        output = settings.MOMENTRY_OUTPUT_DIR / "identities"
        files = {
            str(path.relative_to(output)): path.read_bytes()
            for path in sorted(output.rglob("*"))
            if path.is_file() and not path.name.endswith(".tmp")
        } if output.exists() else {}
        return {
            "identities": list(Identity.objects.order_by("pk").values()),
            "faces": list(FaceDetection.objects.order_by("pk").values_list("pk", "identity_id")),
            "files": files,
        }

    return capture


@pytest.fixture(params=["embedded", pytest.param("mongo", marks=pytest.mark.mongo)])
def merge_store(request, settings):
    """The `merge_history` collection a test runs against: the embedded engine under tmp_path, and
    (marked `mongo`) a real MongoDB at MOMENTRY_TEST_MONGO_URL, a fresh database dropped after."""
    import os
    import uuid as uuid_module

    from history import mongo

    if request.param == "mongo":
        url = os.environ.get("MOMENTRY_TEST_MONGO_URL")
        if not url:
            pytest.skip("MOMENTRY_TEST_MONGO_URL is not set")
        settings.MOMENTRY_MONGO_URL = url
        settings.MOMENTRY_MONGO_DB = f"momentry_test_{uuid_module.uuid4().hex}"
    else:
        settings.MOMENTRY_MONGO_URL = ""
    collection = mongo.merge_history_collection()
    yield collection
    if request.param == "mongo":
        collection.database.client.drop_database(settings.MOMENTRY_MONGO_DB)
    mongo.close_clients()
