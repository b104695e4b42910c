"""Every JSON response of /api/v1 validates against what /api/v1/schema/ says of it, with no
undocumented field: a generated client can rely on the schema. Success bodies are checked against
the operation's 200 response, failures against its `default` (the error body)."""
import jsonschema
import pytest

from tests.factories import ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory, image_upload, make_trace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merge_store")]


def json_schema(openapi, node):
    """An OpenAPI 3.0 schema node as JSON Schema: references inlined, `nullable` as a null type,
    objects closed to properties the schema does not name."""
    if isinstance(node, list):
        return [json_schema(openapi, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(openapi, openapi["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
    converted = {key: json_schema(openapi, value) for key, value in node.items() if key not in ("nullable", "format")}
    if node.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
    if converted.get("type") == "object" and "properties" in converted:
        converted.setdefault("additionalProperties", False)
    return converted


@pytest.fixture
def check(api):
    openapi = api.get("/api/v1/schema/?format=json").json()

    def check_response(response, path, method):
        responses = openapi["paths"][path][method]["responses"]
        documented = responses["200"] if response.status_code == 200 else responses["default"]
        schema = json_schema(openapi, documented["content"]["application/json"]["schema"])
        validator = jsonschema.Draft202012Validator(schema)
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(response.json())]
        assert not errors, f"{method.upper()} {path} ({response.status_code}): {errors}"
        return response.json()

    return check_response


@pytest.fixture
def library():
    film = MediaFileFactory()
    aliases = [{"locale": "ja", "name": "ケーリー・グラント"}]
    cary = IdentityFactory(name="Cary Grant", source="tmdb", tmdb_id=2638, metadata={"aliases": aliases})
    stranger = IdentityFactory(name="stranger_1", source="auto", status="pending")
    make_trace(media_file=film, trace_id=1, size=3, identity=cary)
    make_trace(media_file=film, trace_id=2, size=2, identity=stranger, first_frame=50)
    FaceFactory(media_file=film, trace_id=3, frame_number=90, index=1)
    ChunkFactory(media_file=film, start_time=0.0, end_time=3.0, text="Hello")
    return {"film": film, "cary": cary, "stranger": stranger}


IDENTITY = "/api/v1/identity/{identity_uuid}"


def test_read_responses_match_the_schema(api, check, library):
    cary, film = library["cary"].identity_uuid.hex, library["film"].file_uuid.hex
    api.patch(f"/api/v1/identity/{cary}", {"name": "Archie Leach"}, format="json")
    for locale in ("", "&locale=ja"):
        check(api.get(f"/api/v1/identities?page_size=5{locale}"), "/api/v1/identities", "get")
        check(api.get(f"/api/v1/identity/search?q=archie{locale}"), "/api/v1/identity/search", "get")
        check(api.get(f"/api/v1/identities/search?q=archie{locale}"), "/api/v1/identities/search", "get")
        check(api.get(f"/api/v1/identity/{cary}?x=1{locale}"), IDENTITY, "get")
        for endpoint in ("files", "faces", "traces", "chunks", "status", "json", "history"):
            check(api.get(f"/api/v1/identity/{cary}/{endpoint}?page_size=2{locale}"), f"{IDENTITY}/{endpoint}", "get")
        pending = api.get(f"/api/v1/file/{film}/pending-persons?x=1{locale}")
        check(pending, "/api/v1/file/{file_uuid}/pending-persons", "get")
    check(api.get("/api/v1/identity/merge/history"), "/api/v1/identity/merge/history", "get")
    check(api.get("/api/v1/identity/search"), "/api/v1/identity/search", "get")
    check(api.get(f"/api/v1/identity/{'0' * 32}/faces"), f"{IDENTITY}/faces", "get")


def test_write_responses_match_the_schema(api, check, library):
    cary, stranger = library["cary"].identity_uuid.hex, library["stranger"].identity_uuid.hex
    film = library["film"].file_uuid.hex
    bind_body = {"file_uuid": film, "face_id": "90_1"}
    check(api.patch(f"/api/v1/identity/{cary}", {"status": "skipped"}, format="json"), IDENTITY, "patch")
    check(api.patch(f"/api/v1/identity/{cary}", {"status": "merged"}, format="json"), IDENTITY, "patch")
    check(api.post(f"/api/v1/identity/{cary}/bind", bind_body, format="json"), f"{IDENTITY}/bind", "post")
    check(api.post(f"/api/v1/identity/{cary}/bind", bind_body, format="json"), f"{IDENTITY}/bind", "post")
    check(api.post(f"/api/v1/identity/{cary}/unbind", bind_body, format="json"), f"{IDENTITY}/unbind", "post")
    trace = {"file_uuid": film, "trace_id": 3}
    check(api.post(f"/api/v1/identity/{cary}/bind/trace", trace, format="json"), f"{IDENTITY}/bind/trace", "post")
    image = api.post(f"/api/v1/identity/{cary}/profile-image", {"image": image_upload()}, format="multipart")
    check(image, f"{IDENTITY}/profile-image", "post")
    upload = {"identity_uuid": cary, "name": "Cary", "metadata": {}}
    check(api.post("/api/v1/identity/upload", upload, format="json"), "/api/v1/identity/upload", "post")
    created = check(
        api.post(f"/api/v1/file/{film}/pending-person", {"trace_ids": [2]}, format="json"),
        "/api/v1/file/{file_uuid}/pending-person",
        "post",
    )
    deleted = check(api.delete(f"/api/v1/identity/{created['data']['identity_uuid']}"), IDENTITY, "delete")
    history_id = deleted["history_id"]
    undo_path = "/api/v1/identity/history/{history_id}/undo"
    check(api.post(f"/api/v1/identity/history/{history_id}/undo"), undo_path, "post")
    check(api.post(f"/api/v1/identity/history/{history_id}/undo"), undo_path, "post")
    check(api.post(f"/api/v1/identity/history/{history_id}/redo"), "/api/v1/identity/history/{history_id}/redo", "post")

    merged = check(
        api.post(f"/api/v1/identity/{stranger}/mergeinto", {"into_uuid": cary}, format="json"),
        f"{IDENTITY}/mergeinto",
        "post",
    )
    merge_id = merged["data"]["merge_id"]
    check(api.post(f"/api/v1/identity/merge/{merge_id}/undo"), "/api/v1/identity/merge/{merge_id}/undo", "post")
    check(api.post(f"/api/v1/identity/merge/{merge_id}/redo"), "/api/v1/identity/merge/{merge_id}/redo", "post")
    history = check(api.get("/api/v1/identity/merge/history"), "/api/v1/identity/merge/history", "get")
    assert history["total"] == 1
