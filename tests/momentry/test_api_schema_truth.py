"""The schema tells the whole truth: its bounds, patterns, statuses, names and enums are what the
API does, so a generated client or a fuzzer can rely on them (tests/momentry/test_api_fuzz.py
runs schemathesis over all of it). redocly's recommended rules are a manual check, see the README."""
import re

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

from faces.keys import parse_face_id
from identities.api.fields import FACE_ID_PATTERN
from momentry.api.schema import UUID_PATTERN
from momentry.api.views import ApiView, FileApiView, IdentityApiView
from momentry.core.parsing import parse_uuid
from tests.factories import IdentityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api):
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def parameter(schema, path, name, method="get"):
    return next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


def test_the_schema_is_valid_openapi_and_generates_without_a_warning(tmp_path):
    """`--fail-on-warn`: an unresolved authenticator, serializer or type is a failure, not a log line."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_serving_the_schema_emits_no_generator_warning(anonymous_api):
    """Each GET /api/v1/schema/ generates the schema anew: the X-API-Key authenticator resolves
    (apikeys.schema) and nothing else warns either."""
    GENERATOR_STATS.reset()
    assert anonymous_api.get("/api/v1/schema/").status_code == 200
    assert not GENERATOR_STATS, {**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache}


def test_every_operation_has_its_own_summary_and_description(schema):
    base_docs = {" ".join(cls.__doc__.split()) for cls in (ApiView, IdentityApiView, FileApiView)}
    descriptions = []
    for path, method, operation in operations(schema):
        assert operation.get("summary"), f"{method} {path}"
        description = " ".join(operation.get("description", "").split())
        assert description and description not in base_docs, f"{method} {path}"
        descriptions.append(description)
    assert len(set(descriptions)) == len(descriptions)


# What each operation can answer besides 200, from its code: 401 and 403 everywhere (the key, its
# scope), 406 where the view negotiates JSON, 413 and 415 where it reads a body.
KEY = {401, 403}
JSON = KEY | {406}
BODY = JSON | {400, 413, 415}
EXPECTED_4XX = {
    "identities_list": JSON | {400},
    "identity_search": JSON | {400},
    "identities_search": JSON | {400, 404},
    "identity_retrieve": JSON | {404},
    "identity_partial_update": BODY | {404},
    "identity_destroy": JSON | {404},
    "identity_upload": BODY | {409},
    "identity_files_list": JSON | {404},
    "identity_faces_list": JSON | {400, 404},
    "identity_traces_list": JSON | {400, 404},
    "identity_chunks_list": JSON | {400, 404},
    "identity_status_retrieve": JSON | {404},
    "identity_json_retrieve": JSON | {404},
    "identity_profile_image_retrieve": KEY | {404},
    "identity_profile_image_upload": KEY | {400, 404, 413, 415},
    "identity_bind_face": BODY | {404},
    "identity_bind_trace": BODY | {404},
    "identity_unbind": BODY | {404},
    "identity_merge_into": BODY | {404},
    "identity_merge_from": BODY | {404},
    "identity_merge_undo": JSON | {400, 404},
    "identity_merge_redo": JSON | {400, 404},
    "identity_merge_history": JSON | {400},
    "identity_history_list": JSON | {400, 404},
    "identity_history_undo": JSON | {404, 409},
    "identity_history_redo": JSON | {404, 409},
    "identity_suggestion_reject": JSON | {400, 404},
    "file_pending_person_create": BODY | {404},
    "file_pending_persons_list": JSON | {404},
    "identity_suggestions_list": JSON | {400, 404},
    "file_traces_list": JSON | {400, 404},
    "file_face_image_retrieve": KEY | {400, 404},
    "file_trace_image_retrieve": KEY | {400, 404},
    "review_strangers_list": JSON | {400, 404},
}


def test_every_operation_lists_the_4xx_it_answers_with_the_error_body(schema):
    seen = set()
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        statuses = {int(status) for status in responses if status.startswith("4")}
        assert statuses == EXPECTED_4XX[operation["operationId"]], f"{method} {path}"
        for status in statuses:
            body = responses[str(status)]
            assert body["description"] and body["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
        assert "default" in responses
        seen.add(operation["operationId"])
    assert seen == set(EXPECTED_4XX)


@pytest.mark.parametrize(
    ("path", "default_size"),
    [
        ("/api/v1/identities", 20),
        ("/api/v1/identity/search", 20),
        ("/api/v1/identity/{identity_uuid}/faces", 50),
        ("/api/v1/identity/{identity_uuid}/traces", 20),
        ("/api/v1/identity/{identity_uuid}/chunks", 20),
        ("/api/v1/identity/{identity_uuid}/history", 20),
        ("/api/v1/identity/merge/history", 20),
    ],
)
def test_paging_bounds_and_defaults(schema, path, default_size):
    assert parameter(schema, path, "page")["schema"] == {"type": "integer", "minimum": 1, "default": 1}
    page_size = parameter(schema, path, "page_size")["schema"]
    assert page_size == {"type": "integer", "minimum": 1, "maximum": 200, "default": default_size}


def test_limit_bounds(schema):
    limit = parameter(schema, "/api/v1/identities/search", "limit")["schema"]
    assert limit == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}


UUID_SAMPLES = [
    "a9a901056d6b46ff92da0c3c1a57dff4",
    "A9A901056D6B46FF92DA0C3C1A57DFF4",
    "a9a90105-6d6b-46ff-92da-0c3c1a57dff4",
    "a9a901056d6b46ff92da0c3c1a57dff",
    "a9a901056d6b-46ff-92da-0c3c1a57dff4",
    "+9a901056d6b46ff92da0c3c1a57dff4",
    "0x0901056d6b46ff92da0c3c1a57dff4",
    "a9a901056d6b46ff92da0c3c1a57d_f4",
    "{a9a90105-6d6b-46ff-92da-0c3c1a57dff4}",
    "a9a901056d6b46ff92da0c3c1a57dff4x",
]


def test_uuid_pattern_is_exactly_what_parse_uuid_takes():
    for sample in UUID_SAMPLES:
        assert bool(re.fullmatch(UUID_PATTERN, sample)) == (parse_uuid(sample) is not None), repr(sample)
    # `int(text, 16)` behind uuid.UUID took these; they name no uuid.
    assert parse_uuid("+9a901056d6b46ff92da0c3c1a57dff4") is None
    assert parse_uuid("0x0901056d6b46ff92da0c3c1a57dff4") is None


def test_every_uuid_parameter_has_the_uuid_pattern(schema):
    uuid_parameters = {
        "identity_uuid", "candidate_uuid", "file_uuid", "history_id", "merge_id", "source_uuid", "target_uuid"
    }
    found = 0
    for path, method, operation in operations(schema):
        for given in operation.get("parameters", []):
            if given["name"] in uuid_parameters:
                assert given["schema"]["pattern"] == UUID_PATTERN, f"{method} {path} {given['name']}"
                found += 1
    assert found == 34


def test_face_id_pattern_is_exactly_what_parse_face_id_takes():
    samples = ["0_0", "90_1", "face_12", "2147483647_32767", "2147483648_0", "1_32768", "0000000001_00001"]
    samples += ["1_0\n", "x_1", "face_2147483648", "\u0661_0"]
    for sample in samples:
        assert bool(re.fullmatch(FACE_ID_PATTERN, sample)) == (parse_face_id(sample) is not None), sample


@pytest.mark.parametrize(
    ("q", "accepted"),
    [
        ("cary", True),
        ("  cary  ", True),
        ("x" * 1000, True),
        (" " + "x" * 1000 + "\t", True),
        ("x" * 1001, False),
        ("   ", False),
        ("\u3000\x1c", False),
        ("ca\x00ry", False),
    ],
)
def test_search_text_pattern_is_the_server_rule(api, schema, q, accepted):
    pattern = parameter(schema, "/api/v1/identity/search", "q")["schema"]["pattern"]
    assert bool(re.search(pattern, q)) is accepted
    assert (api.get("/api/v1/identity/search", {"q": q}).status_code == 200) is accepted


def test_patch_body_needs_at_least_one_known_field(api, schema):
    body = schema["paths"]["/api/v1/identity/{identity_uuid}"]["patch"]["requestBody"]
    assert body["required"] is True
    component = resolve(schema, body["content"]["application/json"]["schema"])
    assert component["minProperties"] == 1 and component["additionalProperties"] is False
    identity = IdentityFactory()
    for refused in ({}, {"nmae": "typo"}):
        assert api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", refused, format="json").status_code == 400


def test_component_names_are_readable(schema):
    names = set(schema["components"]["schemas"])
    assert not [name for name in names if name.endswith("RequestRequest") or name.startswith("Patched")]
    assert {
        "IdentityPatchRequest",
        "IdentityUploadRequest",
        "MergeIntoRequest",
        "MergeFromRequest",
        "UnbindRequest",
    } <= names


def test_one_enum_per_concept_with_member_names(schema):
    components = schema["components"]["schemas"]
    named = {frozenset(c["enum"]): name for name, c in components.items() if "enum" in c and name != "NullEnum"}
    assert len(named) == len([c for name, c in components.items() if "enum" in c and name != "NullEnum"])
    for path, method, operation in operations(schema):
        for given in operation.get("parameters", []):
            inline = given["schema"].get("items", given["schema"])
            assert "enum" not in inline, f"{method} {path} {given['name']} repeats an enum inline"
    for path in ("/api/v1/identities", "/api/v1/identity/search"):
        assert parameter(schema, path, "source")["schema"]["$ref"].endswith("/IdentitySourceEnum")
        assert parameter(schema, path, "status")["schema"]["$ref"].endswith("/IdentityStatusEnum")
        assert parameter(schema, path, "ordering")["schema"]["items"]["$ref"].endswith("/IdentityOrderingEnum")
    source, ordering = components["IdentitySourceEnum"], components["IdentityOrderingEnum"]
    assert dict(zip(source["enum"], source["x-enum-varnames"]))[".json"] == "JSON"
    assert dict(zip(ordering["enum"], ordering["x-enum-varnames"]))["-name"] == "NAME_DESC"
    for name in ("IdentitySourceEnum", "IdentityStatusEnum", "IdentityOrderingEnum", "HistoryActionEnum"):
        assert len(components[name]["x-enum-varnames"]) == len(components[name]["enum"])


def test_links_name_real_operations_and_parameters(schema):
    by_id = {operation["operationId"]: operation for _path, _method, operation in operations(schema)}
    merge_links = by_id["identity_merge_into"]["responses"]["200"]["links"]
    assert merge_links["UndoMerge"] == {
        "operationId": "identity_merge_undo",
        "parameters": {"merge_id": "$response.body#/data/merge_id"},
    }
    count = 0
    for _path, _method, operation in operations(schema):
        for link in operation["responses"]["200"].get("links", {}).values():
            target = {given["name"] for given in by_id[link["operationId"]].get("parameters", [])}
            assert set(link["parameters"]) <= target
            count += 1
    assert count >= 30
