"""Bad input found by fuzzing the API: each case is a 4xx with the error body, and changes nothing."""
import pytest

from identities.models import Identity
from tests.factories import IdentityFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "\\ud800"}',
        '{"name": "Ok", "identity_type": "a\\udfffb"}',
        '{"metadata": {"note": ["\\ud83d"]}}',
        '{"metadata": {"\\udc00": 1}}',
    ],
)
def test_patch_with_a_lone_surrogate_is_a_parse_error_and_changes_nothing(api, body):
    identity = IdentityFactory(name="Before", metadata={"kept": True})
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    identity.refresh_from_db()
    assert (identity.name, identity.metadata) == ("Before", {"kept": True})


def test_upload_with_a_lone_surrogate_is_a_parse_error_and_creates_nothing(api):
    body = '{"identity_uuid": "' + "ab" * 16 + '", "name": "X", "tmdb_profile": "\\ud800"}'
    response = api.post("/api/v1/identity/upload", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert not Identity.objects.exists()


def test_a_surrogate_pair_is_a_character_not_an_error(api):
    identity = IdentityFactory()
    response = api.patch(
        f"/api/v1/identity/{identity.identity_uuid.hex}", '{"name": "Smile \\ud83d\\ude00"}', content_type="application/json"
    )
    assert response.status_code == 200
    identity.refresh_from_db()
    assert identity.name == "Smile \U0001F600"
