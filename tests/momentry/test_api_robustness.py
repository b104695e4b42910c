"""Bad input found by fuzzing the API: each case is a 4xx with the error body, and changes nothing."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from faces.models import FaceDetection
from identities.models import Identity
from identities.storage import profile_image_path
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory

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
        f"/api/v1/identity/{identity.identity_uuid.hex}",
        '{"name": "Smile \\ud83d\\ude00"}',
        content_type="application/json",
    )
    assert response.status_code == 200
    identity.refresh_from_db()
    assert identity.name == "Smile \U0001F600"


LONG_SEARCH_TEXT = "x" * 50_001  # SQLite refuses a LIKE pattern over 50,000 bytes with an error


@pytest.mark.parametrize("path", ["/api/v1/identities", "/api/v1/identity/search", "/api/v1/identities/search"])
def test_an_overlong_search_text_is_a_400(api, path):
    IdentityFactory(name="Ingrid Bergman")
    response = api.get(path, {"q": LONG_SEARCH_TEXT})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["message"].startswith("q: ")


def test_a_long_but_allowed_search_text_is_searched(api):
    IdentityFactory(name="Ingrid Bergman")
    response = api.get("/api/v1/identities", {"q": "Ingrid Bergman" + " " * 900})
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["9223372036854775808", "99999999999999999999999"])
def test_console_pages_past_any_offset_are_page_one(curator, page):
    identity = IdentityFactory(name="Humphrey Bogart")
    media_file = MediaFileFactory()
    for path, name in [
        ("/identities/", "page"),
        ("/files/", "page"),
        (f"/files/{media_file.file_uuid.hex}/", "page"),
        (f"/identities/{identity.identity_uuid.hex}/", "traces"),
        (f"/identities/{identity.identity_uuid.hex}/", "chunks"),
        ("/merges/", "page"),
    ]:
        response = curator.get(path, {name: page})
        assert response.status_code == 200, path


@pytest.mark.parametrize("query", ["a\x00b", LONG_SEARCH_TEXT])
def test_console_candidate_searches_refuse_bad_text_with_a_message(curator, query):
    identity = IdentityFactory(name="Humphrey Bogart")
    media_file = MediaFileFactory()
    searches = [(f"/files/{media_file.file_uuid.hex}/", "q"), (f"/identities/{identity.identity_uuid.hex}/", "merge_q")]
    for path, name in searches:
        response = curator.get(path, {name: query})
        assert response.status_code == 200, path
        assert [m.level_tag for m in response.context["messages"]] == ["error"]


@pytest.mark.parametrize("next_url", ["x", "identity-list", "1_0"])
def test_console_next_is_a_url_not_a_view_name(curator, next_url):
    identity = IdentityFactory()
    media_file = MediaFileFactory()
    FaceFactory(media_file=media_file, frame_number=10, trace_id=3)
    response = curator.post(
        f"/files/{media_file.file_uuid.hex}/bind",
        {"identity_uuid": identity.identity_uuid.hex, "trace_id": "3", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert FaceDetection.objects.get().identity == identity


@pytest.mark.parametrize("identity_uuid", ["", "not-a-uuid", "0" * 32])
def test_console_bind_to_a_malformed_or_unknown_identity_is_a_message(curator, identity_uuid):
    media_file = MediaFileFactory()
    FaceFactory(media_file=media_file, frame_number=10, trace_id=3, identity=None)
    response = curator.post(
        f"/files/{media_file.file_uuid.hex}/bind", {"identity_uuid": identity_uuid, "trace_id": "3"}, follow=True
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["Choose a trace of this file and an identity."]
    assert FaceDetection.objects.get().identity is None


@pytest.mark.parametrize("path", ["/api/v1/identity/a%0Ab/mergeinto", "/api/v1/identity/%0D%0A", "/api/v1/%0A"])
def test_a_path_with_a_line_break_is_the_api_404_body(api, path):
    response = api.post(path, {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("face_id", ["1_0\n", "face_1\n", "\uff11_0", "face_\uff11", "1_\u0660"])
def test_bind_face_id_with_a_trailing_newline_or_non_ascii_digits_is_400(api, world_state, face_id):
    identity = IdentityFactory()
    face = FaceFactory(frame_number=1)
    before = world_state()
    response = api.post(
        f"/api/v1/identity/{identity.identity_uuid.hex}/bind",
        {"file_uuid": face.media_file.file_uuid.hex, "face_id": face_id},
        format="json",
    )
    assert response.status_code == 400
    assert world_state() == before


@pytest.mark.parametrize("value", ["1_0", "\uff11", "\u0662", " 2", "2\n", "+2"])
def test_integer_query_parameters_are_ascii_digits(api, value):
    IdentityFactory.create_batch(3)
    for name in ("page", "page_size"):
        response = api.get("/api/v1/identities", {name: value})
        assert response.status_code == 400, name
        assert response.json()["error"]["message"] == f"{name}: Must be an integer."


def test_a_body_over_the_upload_limit_is_a_413_and_changes_nothing(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    identity = IdentityFactory(name="Before")
    body = '{"name": "After", "metadata": {"note": "' + "x" * 2000 + '"}}'
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    identity.refresh_from_db()
    assert identity.name == "Before"


def test_too_many_form_fields_is_a_400_and_changes_nothing(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    identity = IdentityFactory(name="Before")
    body = "name=After&" + "&".join(f"field{number}=1" for number in range(20))
    response = api.patch(
        f"/api/v1/identity/{identity.identity_uuid.hex}", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    identity.refresh_from_db()
    assert identity.name == "Before"


def test_too_many_files_is_a_400_and_saves_no_image(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    identity = IdentityFactory()
    files = {f"image{number}": SimpleUploadedFile(f"{number}.png", b"\x89PNG\r\n\x1a\n") for number in range(3)}
    response = api.post(f"/api/v1/identity/{identity.identity_uuid.hex}/profile-image", files, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert profile_image_path(identity.identity_uuid) is None


@pytest.mark.parametrize("depth", [65, 600, 900])
def test_metadata_nested_beyond_the_limit_is_a_parse_error_and_changes_nothing(api, depth):
    """Several hundred levels parse, but then exhausted the stack in the services (500)."""
    identity = IdentityFactory(metadata={"kept": True})
    nested = "[" * (depth - 2) + "]" * (depth - 2)  # the body and metadata objects are two levels
    body = '{"metadata": {"a": ' + nested + "}}"
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "parse_error",
        "message": "JSON parse error - nested deeper than 64 levels.",
    }
    identity.refresh_from_db()
    assert identity.metadata == {"kept": True}


def test_metadata_nested_to_the_limit_is_stored(api):
    identity = IdentityFactory(metadata={})
    nested = "[" * 62 + "]" * 62
    response = api.patch(
        f"/api/v1/identity/{identity.identity_uuid.hex}",
        '{"metadata": {"a": ' + nested + "}}",
        content_type="application/json",
    )
    assert response.status_code == 200
    identity.refresh_from_db()
    assert identity.metadata["a"] == json.loads(nested)
