"""POST /identity/upload and import_identities check each field's type, as PATCH does."""
import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from history.models import IdentityHistory
from identities.models import Identity

# Real commits: identity.json is written by an on_commit callback, so "no file" is really checked.
pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD = "/api/v1/identity/upload"


def document(identity_uuid, **overrides):
    return {
        "version": 1,
        "identity_uuid": identity_uuid.hex,
        "name": "Cary Grant",
        "identity_type": "people",
        "source": ".json",
        "status": "confirmed",
        "tmdb_id": None,
        "tmdb_profile": None,
        "metadata": {"cast_order": 1},
        "file_bindings": [{"file_uuid": uuid.uuid4().hex, "trace_ids": [0, 1, 2], "face_count": 142}],
        **overrides,
    }


def identity_json(settings, identity_uuid):
    path = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity_uuid.hex / "identity.json"
    return json.loads(path.read_text()) if path.exists() else None


@pytest.fixture
def uploaded(api):
    """An identity created by an upload, so it has its identity.json on disk."""
    identity_uuid = uuid.uuid4()
    assert api.post(UPLOAD, document(identity_uuid, name="Before"), format="json").status_code == 200
    return identity_uuid


BAD_FIELDS = [
    ("status", 0),
    ("status", "gone"),
    ("status", []),
    ("source", []),
    ("source", 0),
    ("source", "elsewhere"),
    ("metadata", "not an object"),
    ("metadata", None),
    ("metadata", []),
    ("metadata", 3),
    ("version", "abc"),
    ("version", 2),
    ("version", 0),
    ("version", True),
    ("version", 1.5),
    ("version", None),
    ("tmdb_profile", {}),
    ("tmdb_profile", 7),
    ("tmdb_id", "12"),
    ("tmdb_id", True),
    ("identity_type", 5),
    ("identity_type", {"kind": "people"}),
    ("name", 5),
    ("name", ["Cary"]),
    ("file_bindings", [{"trace_ids": 6}]),
    ("file_bindings", "none"),
    ("file_bindings", None),
    ("file_bindings", {"file_uuid": "a" * 32, "trace_ids": []}),
    ("file_bindings", [5]),
    ("file_bindings", [{"file_uuid": "nope", "trace_ids": [1]}]),
    ("file_bindings", [{"file_uuid": "a" * 32}]),
    ("file_bindings", [{"file_uuid": "a" * 32, "trace_ids": 6}]),
    ("file_bindings", [{"file_uuid": "a" * 32, "trace_ids": [1, "2"]}]),
    ("file_bindings", [{"file_uuid": "a" * 32, "trace_ids": [True]}]),
    ("file_bindings", [{"file_uuid": "a" * 32, "trace_ids": [2**40]}]),
    ("file_bindings", [{"file_uuid": "a" * 32, "trace_ids": [1], "face_count": -1}]),
    ("file_bindings", [{"file_uuid": "a" * 32, "trace_ids": [1], "face_count": "3"}]),
]


def assert_refused_naming(response, field):
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"].startswith(field), body


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_a_bad_field_of_an_existing_identity_is_400_naming_it_and_changes_nothing(
    api, uploaded, world_state, field, value
):
    before = world_state()
    response = api.post(UPLOAD, document(uploaded, **{"name": "After", field: value}), format="json")
    assert_refused_naming(response, field)
    assert world_state() == before
    assert not IdentityHistory.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", 0), ("source", []), ("metadata", "not an object"), ("version", "abc"), ("tmdb_profile", {}),
     ("file_bindings", [{"trace_ids": 6}])],
)
def test_a_bad_field_of_a_new_identity_creates_no_row_and_no_file(api, world_state, settings, field, value):
    identity_uuid = uuid.uuid4()
    before = world_state()
    response = api.post(UPLOAD, document(identity_uuid, **{field: value}), format="json")
    assert_refused_naming(response, field)
    assert not Identity.objects.filter(identity_uuid=identity_uuid).exists()
    assert identity_json(settings, identity_uuid) is None
    assert world_state() == before


def test_the_briefs_document_is_refused_whole(api, world_state):
    before = world_state()
    body = document(
        uuid.uuid4(),
        status=0,
        source=[],
        metadata="not an object",
        version="abc",
        tmdb_profile={},
        file_bindings=[{"trace_ids": 6}],
    )
    response = api.post(UPLOAD, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert world_state() == before


def test_version_and_the_optional_fields_may_be_left_out(api):
    identity_uuid = uuid.uuid4()
    response = api.post(UPLOAD, {"identity_uuid": identity_uuid.hex, "name": "Grace Kelly"}, format="json")
    assert response.status_code == 200, response.json()
    identity = Identity.objects.get(identity_uuid=identity_uuid)
    assert (identity.source, identity.status, identity.identity_type, identity.tmdb_id, identity.tmdb_profile) == (
        ".json",
        "confirmed",
        None,
        None,
        "",
    )
    assert identity.metadata == {}


def test_null_where_identity_json_writes_null_takes_the_default(api):
    identity_uuid = uuid.uuid4()
    body = document(identity_uuid, identity_type=None, source=None, status=None, tmdb_id=None, tmdb_profile=None)
    response = api.post(UPLOAD, body, format="json")
    assert response.status_code == 200, response.json()
    identity = Identity.objects.get(identity_uuid=identity_uuid)
    assert (identity.source, identity.status, identity.identity_type, identity.tmdb_profile) == (
        ".json",
        "confirmed",
        None,
        "",
    )


def test_the_json_of_an_identity_uploads_back_unchanged(api, uploaded, settings):
    on_disk = identity_json(settings, uploaded)
    assert on_disk["version"] == 1
    response = api.post(UPLOAD, api.get(f"/api/v1/identity/{uploaded.hex}/json").json(), format="json")
    assert response.status_code == 200, response.json()
    assert identity_json(settings, uploaded) == on_disk


def test_import_refuses_a_file_with_a_bad_field_and_writes_nothing_of_it(tmp_path, settings, world_state):
    good, bad = uuid.uuid4(), uuid.uuid4()
    for identity_uuid, body in ((good, document(good)), (bad, document(bad, status=0, metadata="text"))):
        directory = tmp_path / "backup" / "identities" / identity_uuid.hex
        directory.mkdir(parents=True)
        (directory / "identity.json").write_text(json.dumps(body))
    err = StringIO()
    with pytest.raises(CommandError, match="1 created, 0 updated, 1 failed"):
        call_command("import_identities", str(tmp_path / "backup"), stdout=StringIO(), stderr=err)
    assert f"{bad.hex}/identity.json: status must be one of" in err.getvalue()
    assert Identity.objects.filter(identity_uuid=good).exists()
    assert not Identity.objects.filter(identity_uuid=bad).exists()
    assert identity_json(settings, bad) is None
