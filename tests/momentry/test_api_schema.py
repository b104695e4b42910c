"""The OpenAPI schema describes the identity read endpoints with their real parameters and fields,
so a generated client works; a schema regression fails here."""
import pytest

pytestmark = pytest.mark.django_db

READ_OPERATIONS = {
    "/api/v1/identity/{identity_uuid}/files": "identity_files_list",
    "/api/v1/identity/{identity_uuid}/faces": "identity_faces_list",
    "/api/v1/identity/{identity_uuid}/traces": "identity_traces_list",
    "/api/v1/identity/{identity_uuid}/chunks": "identity_chunks_list",
    "/api/v1/identity/{identity_uuid}/status": "identity_status_retrieve",
    "/api/v1/identity/{identity_uuid}/json": "identity_json_retrieve",
    "/api/v1/identity/search": "identity_search",
    "/api/v1/identities/search": "identities_search",
    "/api/v1/identities": "identities_list",
}


@pytest.fixture
def schema(api):
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def response_schema(schema, path):
    operation = schema["paths"][path]["get"]
    return resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])


def item_properties(schema, container, key):
    return resolve(schema, container["properties"][key]["items"])["properties"]


def query_parameters(schema, path):
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}


def test_every_read_endpoint_is_described(schema):
    for path, operation_id in READ_OPERATIONS.items():
        assert schema["paths"][path]["get"]["operationId"] == operation_id


def test_list_responses_describe_their_rows(schema):
    faces = response_schema(schema, "/api/v1/identity/{identity_uuid}/faces")
    assert {"success", "identity_uuid", "total", "page", "page_size", "faces"} <= set(faces["properties"])
    assert {"face_id", "file_uuid", "frame_number", "timestamp", "bbox", "confidence", "trace_id", "image_url"} == set(
        item_properties(schema, faces, "faces")
    )

    traces = response_schema(schema, "/api/v1/identity/{identity_uuid}/traces")
    assert {"total", "total_faces", "name", "display_name", "traces"} <= set(traces["properties"])
    assert "display_name" not in traces["required"]
    assert {"first_sec", "last_sec", "frame_count", "avg_confidence"} <= set(item_properties(schema, traces, "traces"))

    chunks = response_schema(schema, "/api/v1/identity/{identity_uuid}/chunks")
    for key in ("chunks", "data"):
        assert {"id", "chunk_id", "fps", "start_frame", "text", "text_content"} <= set(item_properties(schema, chunks, key))

    files = response_schema(schema, "/api/v1/identity/{identity_uuid}/files")
    assert {"first_appearance", "last_appearance", "avg_confidence"} <= set(item_properties(schema, files, "files"))

    rows = response_schema(schema, "/api/v1/identities/search")
    assert {"identity_id", "identity_uuid", "tmdb_id", "trace_id", "chunk_id", "start_time", "text_content"} <= set(
        item_properties(schema, rows, "results")
    )


def test_status_and_json_responses(schema):
    status = response_schema(schema, "/api/v1/identity/{identity_uuid}/status")
    assert {"face_count", "file_count", "has_embedding", "has_profile_image"} <= set(status["properties"])
    document = response_schema(schema, "/api/v1/identity/{identity_uuid}/json")
    assert "success" not in document["properties"]
    assert {"version", "file_bindings", "metadata"} <= set(document["properties"])


def test_query_parameters(schema):
    identity_search = query_parameters(schema, "/api/v1/identity/search")
    assert identity_search["q"]["required"] is True
    assert {"page", "page_size", "locale", "status"} <= set(identity_search)

    identities_search = query_parameters(schema, "/api/v1/identities/search")
    assert identities_search["q"]["required"] is True
    assert identities_search["limit"]["schema"]["type"] == "integer"
    assert {"file_uuid", "locale"} <= set(identities_search)

    listing = query_parameters(schema, "/api/v1/identities")
    assert "merged" in resolve(schema, listing["status"]["schema"])["enum"]
    assert "tmdb" in resolve(schema, listing["source"]["schema"])["enum"]
    assert listing["tmdb_id"]["schema"]["type"] == "integer"
    assert {"identity_type", "q", "ordering", "page", "page_size", "locale"} <= set(listing)

    for endpoint in ("faces", "traces", "chunks"):
        assert {"page", "page_size"} <= set(query_parameters(schema, f"/api/v1/identity/{{identity_uuid}}/{endpoint}"))


def test_display_name_is_optional_wherever_identity_records_are_sent(schema):
    """`display_name` comes only with `locale`: a schema requiring it breaks strict generated clients."""
    detail = response_schema(schema, "/api/v1/identity/{identity_uuid}")
    listing = response_schema(schema, "/api/v1/identities")
    search = response_schema(schema, "/api/v1/identity/search")
    records = [detail, resolve(schema, listing["properties"]["identities"]["items"])]
    records.append(resolve(schema, search["properties"]["identities"]["items"]))
    for record in records:
        assert "display_name" in record["properties"]
        assert "display_name" not in record.get("required", [])


def request_schema(schema, path, method):
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return resolve(schema, content["schema"])


def test_patch_body_lists_the_statuses_patch_accepts(schema):
    body = request_schema(schema, "/api/v1/identity/{identity_uuid}", "patch")
    status = resolve(schema, body["properties"]["status"]["allOf"][0])
    assert status["enum"] == ["confirmed", "pending", "inactive", "skipped"]
    assert "minLength" not in body["properties"]["identity_type"]


def test_ordering_is_a_comma_separated_list_of_keys(schema, api):
    """A generated client sends `ordering=name,-created_at` (form style, not exploded), which the API takes."""
    for path in ("/api/v1/identities", "/api/v1/identity/search"):
        ordering = query_parameters(schema, path)["ordering"]
        assert (ordering["schema"]["type"], ordering["style"], ordering["explode"]) == ("array", "form", False)
        assert {"name", "-created_at"} <= set(resolve(schema, ordering["schema"]["items"])["enum"])
    assert api.get("/api/v1/identities?ordering=name,-created_at").status_code == 200


def test_every_operation_describes_the_error_body(schema, api):
    """Generated clients get one type for every failure, and it is what a failure sends."""
    error = schema["components"]["schemas"]["Error"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            reference = operation["responses"]["default"]["content"]["application/json"]["schema"]["$ref"]
            assert resolve(schema, {"$ref": reference}) is error, f"{method} {path}"
    body = api.get("/api/v1/identity/search").json()
    assert set(body) == set(error["required"]) and set(body["error"]) == set(error["properties"]["error"]["required"])
    assert body["success"] in error["properties"]["success"]["enum"]


def test_request_bodies_are_json_except_the_profile_image(schema):
    """The contract's bodies are JSON (the profile image excepted): a form-encoded body cannot carry
    `keep_history: false`, a metadata object or a list of trace ids, so the schema offers JSON only."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            expected = ["multipart/form-data"] if path.endswith("/profile-image") else ["application/json"]
            assert list(operation["requestBody"]["content"]) == expected, f"{method} {path}"
