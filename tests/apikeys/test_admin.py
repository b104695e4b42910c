import re

import pytest
from django.contrib.auth.models import User

from apikeys.models import ApiKey, key_digest
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin_user = User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests")
    client.force_login(admin_user)
    return client


def test_admin_creates_key_shows_it_once_and_stores_only_its_digest(staff_client):
    response = staff_client.post(
        "/admin/apikeys/apikey/add/",
        {"name": "archive-sync", "scopes": ["identity", "file"], "read_only": "on", "files": ""},
        follow=True,
    )
    assert response.status_code == 200
    shown = re.search(r"shown only this once: (mk_[\w-]+)", response.content.decode()).group(1)
    api_key = ApiKey.objects.get(name="archive-sync")
    assert api_key.digest == key_digest(shown)
    assert shown not in str(ApiKey.objects.values().get(pk=api_key.pk))
    assert api_key.scopes == ["identity", "file"] and api_key.read_only is True

    listed = staff_client.get(f"/admin/apikeys/apikey/{api_key.pk}/change/").content.decode()
    assert shown not in listed


def test_admin_refuses_a_bad_file_uuid_without_creating_a_key(staff_client):
    response = staff_client.post(
        "/admin/apikeys/apikey/add/", {"name": "bad", "scopes": ["file"], "files": "not-a-uuid"}
    )
    assert response.status_code == 200
    assert "Not a file uuid" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_admin_revoke_action_makes_the_key_fail(staff_client, anonymous_api):
    api_key = ApiKeyFactory(scopes=["global"])
    staff_client.post("/admin/apikeys/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]})
    anonymous_api.credentials(HTTP_X_API_KEY=api_key.raw)
    response = anonymous_api.get("/api/v1/identities")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
