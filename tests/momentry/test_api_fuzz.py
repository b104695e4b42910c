"""Schemathesis over the whole schema, in-process through the WSGI application: every operation,
positive and negative data, every check the installed schemathesis has (server errors, statuses,
content types, headers and bodies against the schema, schema-valid requests refused and invalid
ones accepted, ignored auth, unsupported methods, ...), and sequences along the schema's links.
About 1,750 requests and a dozen workflows: under a minute on SQLite.

The generated path and body ids are random uuids; `before_call` swaps schema-valid ones for the
ids of a small library made with the factories (and a merge, a history entry and a profile image
made through the API), so the 200 paths are exercised and not only the 404s. Writes happen while
fuzzing; the test database takes them.
"""
import re
import shutil
import zlib

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from history import mongo
from momentry.api.schema import UUID_PATTERN
from tests.conftest import client_for
from tests.factories import ApiKeyFactory, ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory, image_upload
from tests.factories import make_trace, write_crop

pytestmark = pytest.mark.django_db(transaction=True)

POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's default for a valid request


def also_accept(operation_ids, *statuses):
    """Narrow exclusions: for these operations only, `positive_data_acceptance` (a schema-valid
    request must not be refused) also takes `statuses`, for refusals no schema can foresee."""
    return {
        "include-operation-id": operation_ids,
        "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE, *statuses]}},
    }


CONFIG = schemathesis.Config.from_dict(
    {
        # NUL is refused (a 400) in every string the API stores, and the schema's patterns say so
        # where a field is a string; inside free-form metadata no OpenAPI 3.0 schema can.
        "generation": {"allow-x00": False},
        "operations": [
            # The state decides, as the contract says: a merge undone already, or expired, or not
            # undone (redo), or into itself or a merged identity (mergeinto, mergefrom) is a 400; so are
            # mergefrom's sources that name one identity in both forms, or the target itself.
            also_accept(
                ["identity_merge_undo", "identity_merge_redo", "identity_merge_into", "identity_merge_from"], "400"
            ),
            # `format: binary` cannot say "a JPEG or PNG that decodes": random bytes are a corrupt
            # image (400) or no image at all (415), as the operation documents.
            also_accept(["identity_profile_image_upload"], "400", "415"),
            # Rejecting an identity as itself, or a pair a curator rejected already, is a 400.
            also_accept(["identity_suggestion_reject"], "400"),
        ],
    }
)
# Not `momentry.wsgi.application`: importing that module writes owed identity files at start-up.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application(), config=CONFIG)

EXAMPLES = hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
UUID = re.compile(UUID_PATTERN)
FACE_ID = re.compile(r"[0-9]+_[0-9]+|face_[0-9]+")
# Which known ids a generated id of a query parameter or a body field is swapped for.
QUERY_IDS = {
    "file_uuid": "file_uuid",
    "source_uuid": "identity_uuid",
    "target_uuid": "identity_uuid",
    "merge_id": "merge_id",
}
BODY_IDS = {"file_uuid": "file_uuid", "into_uuid": "identity_uuid", "identity_uuid": "identity_uuid"}
PATH_IDS = {"target_uuid": "identity_uuid"}

# The ids of the library the current test made; `before_call` reads them.
KNOWN = {}
# What the coverage phase's cases, built at collection before any test made a key, carry.
PLACEHOLDER_KEY = "no-key-yet"


@schema.auth(refresh_interval=None)
class ApiKeyAuth:
    """The global key of the current test, in X-API-Key (so `ignored_auth` knows what to leave out)."""

    def get(self, case, context):
        return KNOWN.get("key", PLACEHOLDER_KEY)

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "X-API-Key": data}


def _digest(value):
    return zlib.crc32(str(value).encode("utf-8", "surrogatepass"))


def _pick(options, seed):
    """One of `options`, chosen from the generated value, so a failure reproduces."""
    return options[_digest(seed) % len(options)]


def _known(name, value):
    """A known id for a schema-valid generated one (three times in four), else the value itself."""
    if not isinstance(value, str) or not UUID.search(value) or _digest(value) % 4 == 0:
        return value
    return _pick(KNOWN.get(name) or [value], value)


@schemathesis.hook  # a global hook (schemathesis has no per-schema `before_call`); idle outside this module
def before_call(context, case, kwargs):
    """Edits made here are revalidated, so a case keeps its positive or negative mark."""
    if not KNOWN:
        return
    if (case.headers or {}).get("X-API-Key") == PLACEHOLDER_KEY:  # a case built at collection
        case.headers["X-API-Key"] = KNOWN["key"]
    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = _known(PATH_IDS.get(name, name), value)
    path = case.path_parameters or {}
    if isinstance(path.get("trace_id"), int) and _digest(path["trace_id"]) % 4:
        path["trace_id"] = _pick(KNOWN["trace_id"], path["trace_id"])
    if isinstance(path.get("face_id"), str) and FACE_ID.fullmatch(path["face_id"]) and _digest(path["face_id"]) % 4:
        path["face_id"] = _pick(KNOWN["face_id"], path["face_id"])
    for name, known in QUERY_IDS.items():
        if case.query and name in case.query:
            case.query[name] = _known(known, case.query[name])
    if isinstance(case.body, dict):
        for name, known in BODY_IDS.items():
            if name in case.body:
                case.body[name] = _known(known, case.body[name])
        if isinstance(case.body.get("source_uuids"), list):
            case.body["source_uuids"] = [_known("identity_uuid", value) for value in case.body["source_uuids"]]
        if isinstance(case.body.get("trace_id"), int):
            case.body["trace_id"] = _pick(KNOWN["trace_id"], case.body["trace_id"])
        if isinstance(case.body.get("face_id"), str) and FACE_ID.fullmatch(case.body["face_id"]):
            case.body["face_id"] = _pick(KNOWN["face_id"], case.body["face_id"])


def make_library():
    """Two files, four identities with faces, traces and chunks, a merge, history and an image; their
    ids (and a global key) in KNOWN."""
    key = ApiKeyFactory(scopes=["global"])
    api = client_for(key)
    film, other = MediaFileFactory(), MediaFileFactory()
    aliases = [{"locale": "ja", "name": "ケーリー・グラント"}]
    cary = IdentityFactory(name="Cary Grant", source="tmdb", tmdb_id=2638, metadata={"aliases": aliases})
    audrey = IdentityFactory(name="Audrey Hepburn")
    stranger = IdentityFactory(name="stranger_1", source="auto", status="pending")
    extra = IdentityFactory(name="Person extra", identity_type=None)
    for face in make_trace(media_file=film, trace_id=1, size=3, identity=cary):
        write_crop(face)  # the face and trace images answer 200 for these, 404 for the faces without
    make_trace(media_file=film, trace_id=2, size=2, identity=stranger, first_frame=50)
    make_trace(media_file=other, trace_id=1, size=2, identity=audrey, first_frame=10)
    FaceFactory(media_file=film, trace_id=3, frame_number=90, index=1)
    ChunkFactory(media_file=film, start_time=0.0, end_time=3.0, text="Hello")
    ChunkFactory(media_file=other, start_time=0.0, end_time=1.0, text="Bonjour")
    cary_hex, stranger_hex, extra_hex = cary.identity_uuid.hex, stranger.identity_uuid.hex, extra.identity_uuid.hex
    patched = api.patch(f"/api/v1/identity/{cary_hex}", {"name": "Archie Leach"}, format="json").json()
    api.post(f"/api/v1/identity/{cary_hex}/profile-image", {"image": image_upload()}, format="multipart")
    merged = api.post(f"/api/v1/identity/{extra_hex}/mergeinto", {"into_uuid": stranger_hex}, format="json").json()
    KNOWN.update(
        key=key.raw,
        identity_uuid=[cary_hex, audrey.identity_uuid.hex, stranger_hex, extra_hex],
        candidate_uuid=[cary_hex, audrey.identity_uuid.hex, stranger_hex],
        file_uuid=[film.file_uuid.hex, other.file_uuid.hex],
        history_id=[patched["history_id"]],
        merge_id=[merged["data"]["merge_id"]],
        trace_id=[1, 2, 3],
        face_id=["0_0", "1_0", "50_0", "90_1", "10_0"],
    )


@pytest.fixture
def library(db, settings):
    settings.MOMENTRY_MONGO_URL = ""  # the embedded merge store, under the test's tmp_path
    make_library()
    yield KNOWN
    KNOWN.clear()
    mongo.close_clients()


@schema.parametrize()
@EXAMPLES
def test_api_conforms_to_its_schema(case, library):
    case.call_and_validate()


class Workflow(schema.as_state_machine()):
    """Sequences along the schema's links: upload, then PATCH it, undo that, redo it; mergeinto,
    then undo and redo the merge; each response checked like any other.

    Every scenario starts from the same library: the responses of a step decide the next steps, so a
    scenario run again (Hypothesis replays and shrinks) must meet the same state, or Hypothesis
    refuses the run as flaky data generation."""

    def setup(self):
        call_command("flush", interactive=False, verbosity=0)
        mongo.merge_history_collection().delete_many({})
        shutil.rmtree(django_settings.MOMENTRY_OUTPUT_DIR, ignore_errors=True)
        KNOWN.clear()
        make_library()


def test_api_workflows_conform_to_their_schema(library):
    Workflow.run(
        settings=hypothesis_settings(
            max_examples=12,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
    )
