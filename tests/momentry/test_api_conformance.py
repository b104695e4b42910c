"""Conformance of the whole /api/v1 with the contract's wire conventions, where the endpoint tests
leave a gap: what a real client (no test-client shortcuts) sees for malformed paths, and the
`locale`/`display_name` rule on every response that carries identity records."""
import pytest
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, FaceFactory, IdentityFactory, MediaFileFactory, image_bytes, image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_api():
    """A global key client that, like curl, gets no CSRF exemption from the test client."""
    api_key = ApiKeyFactory(scopes=["global"])
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_X_API_KEY=api_key.raw)
    return client


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/identity/not-a-uuid/bind"),
        ("patch", "/api/v1/identity/not-a-uuid"),
        ("delete", "/api/v1/identity/not-a-uuid"),
        ("post", "/api/v1/identity/history/not-a-uuid/undo"),
        ("post", "/api/v1/file/not-a-uuid/pending-person"),
        ("post", "/api/v1/no/such/endpoint"),
    ],
)
def test_write_to_a_malformed_path_is_a_404_error_body(strict_api, method, path):
    response = getattr(strict_api, method)(path, {}, format="json")
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": {"code": "not_found", "message": f"No API endpoint at {path}."},
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("accept", ["image/png", "image/*", "image/jpeg, image/png"])
def test_profile_image_answers_whatever_accept_asks_for_an_image(api, accept):
    identity = IdentityFactory()
    url = f"/api/v1/identity/{identity.identity_uuid.hex}/profile-image"
    response = api.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"

    png = image_bytes("PNG")
    assert api.post(url, {"image": image_upload(png)}, HTTP_ACCEPT=accept).status_code == 200
    response = api.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png


def test_history_snapshots_list_faces_by_face_id_and_datetimes_with_z(api):
    """A snapshot lists the faces that moved as `{frame}_{index}`, which unbind takes straight back."""
    identity = IdentityFactory()
    face = FaceFactory(frame_number=7, index=1)
    file_uuid = face.media_file.file_uuid.hex
    bound = api.post(
        f"/api/v1/identity/{identity.identity_uuid.hex}/bind", {"file_uuid": file_uuid, "face_id": "7_1"}, format="json"
    )
    assert bound.status_code == 200

    entry = api.get(f"/api/v1/identity/{identity.identity_uuid.hex}/history").json()["history"][0]
    assert entry["before_snapshot"]["faces"] == [{"file_uuid": file_uuid, "identity_uuid": None, "face_ids": ["7_1"]}]
    assert entry["after_snapshot"]["faces"] == [
        {"file_uuid": file_uuid, "identity_uuid": identity.identity_uuid.hex, "face_ids": ["7_1"]}
    ]
    row = entry["after_snapshot"]["identity"]
    assert row["created_at"].endswith("Z") and row["updated_at"] is None

    (face_id,) = entry["after_snapshot"]["faces"][0]["face_ids"]
    unbind_url = f"/api/v1/identity/{identity.identity_uuid.hex}/unbind"
    unbound = api.post(unbind_url, {"file_uuid": file_uuid, "face_id": face_id}, format="json")
    assert unbound.json()["data"]["rows_affected"] == 1
    patched = api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", {"name": "Renamed"}, format="json")
    assert patched.status_code == 200
    entry = api.get(f"/api/v1/identity/{identity.identity_uuid.hex}/history").json()["history"][0]
    assert entry["after_snapshot"]["identity"]["updated_at"].endswith("Z")


def test_pending_persons_take_locale_and_add_display_name(api):
    media_file = MediaFileFactory()
    url = f"/api/v1/file/{media_file.file_uuid.hex}"
    created = api.post(f"{url}/pending-person", {"name": "Mystery Man"}, format="json").json()["data"]
    aliases = [{"locale": "zh-TW", "name": "神秘人"}]
    api.patch(f"/api/v1/identity/{created['identity_uuid']}", {"metadata": {"aliases": aliases}}, format="json")

    (row,) = api.get(f"{url}/pending-persons?locale=zh").json()["data"]
    assert (row["name"], row["display_name"]) == ("Mystery Man", "神秘人")
    (row,) = api.get(f"{url}/pending-persons?locale=fr").json()["data"]
    assert row["display_name"] == "Mystery Man"
    (row,) = api.get(f"{url}/pending-persons").json()["data"]
    assert "display_name" not in row


@pytest.mark.parametrize("locale", ["en\n", "zh-TW\n"])
def test_alias_locale_with_a_trailing_newline_is_not_bcp_47(api, locale):
    identity = IdentityFactory()
    body = {"metadata": {"aliases": [{"locale": locale, "name": "John"}]}}
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", body, format="json")
    assert response.status_code == 400
    assert "BCP 47" in response.json()["error"]["message"]
    identity.refresh_from_db()
    assert identity.metadata == {}
