import hashlib
import uuid

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apikeys.models import ApiKey
from apikeys.services import api_key_revoke
from identities.models import Identity
from tests.factories import IdentityFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/identities"


def assert_error(response, status, code):
    assert response.status_code == status
    body = response.json()
    assert body == {"success": False, "error": {"code": code, "message": body["error"]["message"]}}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_no_key_is_401_with_the_error_body(anonymous_api):
    response = anonymous_api.get(LIST)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "X-API-Key"


@pytest.mark.parametrize("header", ["mk_not-a-real-key", "", "   "])
def test_unknown_or_empty_key_is_401(header):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=header)
    assert_error(client.get(LIST), 401, "authentication_failed")


def test_revoked_key_is_401(make_client):
    client = make_client(scopes=["global"])
    assert client.get(LIST).status_code == 200
    api_key_revoke(api_key=client.api_key)
    response = client.get(LIST)
    assert_error(response, 401, "authentication_failed")
    assert "revoked" in response.json()["error"]["message"]


@pytest.mark.parametrize("scopes, status", [(["file"], 403), (["identity"], 200), (["global"], 200), (["file", "identity"], 200)])
def test_identity_endpoints_need_identity_or_global_scope(make_client, scopes, status):
    identity = IdentityFactory()
    client = make_client(scopes=scopes)
    for path in (LIST, f"/api/v1/identity/{identity.identity_uuid.hex}"):
        response = client.get(path)
        assert response.status_code == status
        if status == 403:
            assert_error(response, 403, "permission_denied")
            assert "identity" in response.json()["error"]["message"]


def upload_body():
    return {"identity_uuid": uuid.uuid4().hex, "name": "Cary Grant", "source": "tmdb", "tmdb_id": 2638}


def test_read_only_key_may_read_but_not_write(make_client):
    client = make_client(scopes=["global"], read_only=True)
    assert client.get(LIST).status_code == 200

    response = client.post("/api/v1/identity/upload", upload_body(), format="json")
    assert_error(response, 403, "permission_denied")
    assert "read-only" in response.json()["error"]["message"]
    assert not Identity.objects.exists()

    # The same write with a read-write key goes through, so the 403 came from the read-only flag.
    assert make_client(scopes=["global"]).post("/api/v1/identity/upload", upload_body(), format="json").status_code == 200


def test_permission_is_checked_before_the_method(make_client):
    """DRF checks permissions before dispatching on the method: a read-only key gets 403 for any
    write, even on a read-only endpoint, where a read-write key gets 405."""
    identity = IdentityFactory(name="Cary Grant")
    read_only = make_client(scopes=["identity"], read_only=True)
    read_write = make_client(scopes=["identity"])
    assert_error(read_only.post(LIST, {}, format="json"), 403, "permission_denied")
    assert_error(read_only.delete(f"/api/v1/identity/{identity.identity_uuid.hex}"), 403, "permission_denied")
    assert_error(read_write.post(LIST, {}, format="json"), 405, "method_not_allowed")
    assert Identity.objects.get().name == "Cary Grant"


def test_last_use_is_recorded(make_client):
    client = make_client(scopes=["global"])
    assert ApiKey.objects.get(pk=client.api_key.pk).last_used_at is None
    client.get(LIST)
    assert ApiKey.objects.get(pk=client.api_key.pk).last_used_at is not None


def test_unknown_api_path_answers_the_error_body(api):
    assert_error(api.get("/api/v1/no-such-endpoint"), 404, "not_found")


def test_create_api_key_prints_the_key_alone_on_the_last_line_and_stores_only_its_digest(capsys):
    call_command("create_api_key", "--name", "ci robot", "--scope", "identity", "--read-only")
    out, err = capsys.readouterr()
    raw_key = out.strip().splitlines()[-1]
    assert raw_key == raw_key.strip() and " " not in raw_key and len(raw_key) >= 32
    assert "ci robot" in err

    api_key = ApiKey.objects.get()
    assert (api_key.name, api_key.scopes, api_key.read_only) == ("ci robot", ["identity"], True)
    assert api_key.digest == hashlib.sha256(raw_key.encode()).hexdigest()
    stored = [str(value) for value in ApiKey.objects.values().get().values()]
    assert not any(raw_key in value for value in stored)

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    assert client.get(LIST).status_code == 200


def test_create_api_key_limited_to_files(capsys):
    file_uuid = uuid.uuid4()
    call_command("create_api_key", "--name", "editor", "--scope", "file", "--file", str(file_uuid))
    assert ApiKey.objects.get().files == [file_uuid.hex]
