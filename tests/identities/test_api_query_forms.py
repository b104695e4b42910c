"""Query parameters and body fields in the forms the schema gives them, and no others: an ordering
comma-separated or repeated (what generated clients send), any other parameter once, integers as
JSON integers or ASCII digits within 32 bits."""
import pytest

from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    IdentityFactory(name="Bea", status="pending")
    IdentityFactory(name="Alma", status="confirmed")
    IdentityFactory(name="Cara", status="confirmed")
    IdentityFactory(name="Dora", status="pending")


def names(response):
    assert response.status_code == 200, response.json()
    return [identity["name"] for identity in response.json()["identities"]]


@pytest.mark.parametrize("path", ["/api/v1/identities?", "/api/v1/identity/search?q=a&"])
def test_repeated_ordering_keys_sort_like_the_comma_form(api, people, path):
    """`ordering=status&ordering=-name` used to sort by the last key only (-name)."""
    by_status_then_name_desc = ["Cara", "Alma", "Dora", "Bea"]
    assert names(api.get(f"{path}ordering=status,-name")) == by_status_then_name_desc
    assert names(api.get(f"{path}ordering=status&ordering=-name")) == by_status_then_name_desc
    assert names(api.get(f"{path}ordering=status&ordering=-name,id")) == by_status_then_name_desc


def test_a_repeated_ordering_key_is_still_checked(api, people):
    response = api.get("/api/v1/identities?ordering=status&ordering=password")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("ordering")


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/identities?page_size=1&page_size=50",
        "/api/v1/identities?status=pending&status=confirmed",
        "/api/v1/identity/search?q=a&q=b",
        "/api/v1/identities/search?q=a&limit=1&limit=2",
        "/api/v1/identity/merge/history?undone=true&undone=false",
    ],
)
def test_any_other_parameter_given_twice_is_a_400(api, people, query):
    response = api.get(query)
    assert response.status_code == 400
    assert response.json()["error"]["message"].endswith("Give this query parameter once.")


def test_a_repeated_parameter_without_a_key_is_still_a_401(anonymous_api):
    assert anonymous_api.get("/api/v1/identities?page=1&page=2").status_code == 401


@pytest.mark.parametrize("value", ["2147483648", "-2147483649", "1.0", "+1", "\u0665"])
def test_tmdb_id_is_a_32_bit_ascii_integer(api, value):
    IdentityFactory(tmdb_id=1)
    assert api.get("/api/v1/identities", {"tmdb_id": value}).status_code == 400


def test_tmdb_id_at_the_32_bit_bound_filters(api):
    IdentityFactory(tmdb_id=2**31 - 1, name="Max")
    assert names(api.get("/api/v1/identities", {"tmdb_id": str(2**31 - 1)})) == ["Max"]


@pytest.fixture
def film():
    media_file = MediaFileFactory()
    FaceFactory(media_file=media_file, trace_id=1, frame_number=10)
    return media_file


@pytest.mark.parametrize("trace_id", ["1", 1.0, "1.000", True])
def test_a_trace_id_is_a_json_integer(api, film, trace_id):
    """DRF's IntegerField took "1", 1.0 and "1.000" as trace 1."""
    identity = IdentityFactory()
    body = {"file_uuid": film.file_uuid.hex, "trace_id": trace_id}
    assert api.post(f"/api/v1/identity/{identity.identity_uuid.hex}/bind/trace", body, format="json").status_code == 400
    body = {"trace_ids": [trace_id]}
    assert api.post(f"/api/v1/file/{film.file_uuid.hex}/pending-person", body, format="json").status_code == 400


@pytest.mark.parametrize("name", [3, 1.5, ["x"]])
def test_a_pending_person_name_is_a_json_string(api, film, name):
    """DRF's CharField stored 3 as the name "3"."""
    response = api.post(f"/api/v1/file/{film.file_uuid.hex}/pending-person", {"name": name}, format="json")
    assert response.status_code == 400


def test_a_pending_person_with_integer_trace_ids_and_a_name_is_made(api, film):
    body = {"name": "  Mystery Man  ", "trace_ids": [1]}
    response = api.post(f"/api/v1/file/{film.file_uuid.hex}/pending-person", body, format="json")
    assert response.status_code == 200 and response.json()["data"]["name"] == "Mystery Man"
