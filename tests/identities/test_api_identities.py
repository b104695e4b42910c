import pytest

from tests.factories import IdentityFactory

pytestmark = pytest.mark.django_db


def test_list_returns_count_and_identities(api):
    IdentityFactory.create_batch(3)
    response = api.get("/api/v1/identities?page=1&page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["count"] == 3
    assert body["page"] == 1 and body["page_size"] == 2
    assert len(body["identities"]) == 2


def test_detail_accepts_hex_and_dashed_uuid(api):
    identity = IdentityFactory(name="Cary Grant", tmdb_id=112, source="tmdb")
    for form in (identity.identity_uuid.hex, str(identity.identity_uuid)):
        response = api.get(f"/api/v1/identity/{form}")
        assert response.status_code == 200
        body = response.json()
        assert body["identity_uuid"] == identity.identity_uuid.hex
        assert body["name"] == "Cary Grant"
        assert body["tmdb_id"] == 112
        assert body["updated_at"] is None
        assert body["created_at"].endswith("Z")


@pytest.mark.parametrize("bad", ["0" * 32, "not-a-uuid", "zz" * 16])
def test_detail_unknown_or_malformed_uuid_is_404(api, bad):
    response = api.get(f"/api/v1/identity/{bad}")
    assert response.status_code == 404
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "not_found"


def test_deeply_nested_json_is_a_400_not_a_500(api):
    identity = IdentityFactory()
    body = '{"metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
