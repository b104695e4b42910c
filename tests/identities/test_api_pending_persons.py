"""POST /file/:file_uuid/pending-person and GET /file/:file_uuid/pending-persons."""
import uuid

import pytest

from faces.models import FaceDetection
from history.models import IdentityHistory
from identities.models import Identity
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, make_trace

# Real commits: identity.json files are written by on_commit callbacks.
pytestmark = pytest.mark.django_db(transaction=True)


def create(client, media_file, body=None):
    return client.post(f"/api/v1/file/{media_file.file_uuid.hex}/pending-person", body or {}, format="json")


def test_auto_names_count_up_per_file(api):
    media_file, other_file = MediaFileFactory(), MediaFileFactory()
    names = [create(api, media_file).json()["data"]["name"] for _ in range(2)]
    assert names == ["Person 1", "Person 2"]
    assert create(api, other_file).json()["data"]["name"] == "Person 1"
    assert create(api, media_file, {"name": "Person 7"}).json()["data"]["name"] == "Person 7"
    assert create(api, media_file).json()["data"]["name"] == "Person 8"


def test_a_renamed_pending_person_still_holds_its_number(api):
    media_file = MediaFileFactory()
    created = create(api, media_file).json()["data"]
    api.patch(f"/api/v1/identity/{created['identity_uuid']}", {"name": "The Baker"}, format="json")
    assert create(api, media_file).json()["data"]["name"] == "Person 2"


def test_create_with_name_and_traces_binds_every_face_of_them(api, settings):
    media_file = MediaFileFactory()
    stranger = IdentityFactory()
    first = make_trace(media_file=media_file, trace_id=100, size=3)
    second = make_trace(media_file=media_file, trace_id=150, size=2, identity=stranger, first_frame=50)
    untouched = FaceFactory(media_file=media_file, trace_id=200)
    response = create(api, media_file, {"name": "Mystery Man #1", "trace_ids": [100, 150, 100]})
    assert response.status_code == 200, response.json()
    body = response.json()
    identity = Identity.objects.get(identity_uuid=body["data"]["identity_uuid"])
    assert body["message"] == f"Created pending person: Mystery Man #1 (uuid: {identity.identity_uuid.hex})"
    assert body["data"]["identity_id"] == identity.pk
    assert body["data"]["bound_traces"] == 2
    assert (identity.status, identity.source, identity.name) == ("pending", "manual", "Mystery Man #1")
    assert identity.reference_data == {"pending_for_file": media_file.file_uuid.hex}
    assert set(FaceDetection.objects.filter(identity=identity)) == set(first + second)
    assert FaceDetection.objects.get(pk=untouched.pk).identity_id is None
    on_disk = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex / "identity.json"
    assert on_disk.exists()
    entry = IdentityHistory.objects.get(identity_uuid=identity.identity_uuid)
    assert entry.action == "create" and entry.before_snapshot["identity"] is None


def test_undo_of_create_removes_the_person_and_gives_faces_back(api, world_state):
    media_file = MediaFileFactory()
    stranger = IdentityFactory()
    make_trace(media_file=media_file, trace_id=1, size=2, identity=stranger)
    api.patch(f"/api/v1/identity/{stranger.identity_uuid.hex}", {"status": "confirmed"}, format="json")
    before = world_state()
    history_id = create(api, media_file, {"trace_ids": [1]}).json()["data"]["history_id"]
    after = world_state()
    assert api.post(f"/api/v1/identity/history/{history_id}/undo").status_code == 200
    assert world_state() == before
    assert api.post(f"/api/v1/identity/history/{history_id}/redo").status_code == 200
    assert world_state() == after


@pytest.mark.parametrize(
    "body",
    [{"trace_ids": "100"}, {"trace_ids": ["x"]}, {"trace_ids": [1.5]}, {"name": "x" * 300}],
)
def test_malformed_body_is_400_and_creates_nothing(api, body):
    media_file = MediaFileFactory()
    FaceFactory(media_file=media_file, trace_id=100)
    assert create(api, media_file, body).status_code == 400
    assert not Identity.objects.exists()


def test_unknown_trace_or_file_is_404_and_creates_nothing(api):
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=100, size=2)
    response = create(api, media_file, {"trace_ids": [100, 101]})
    assert response.status_code == 404
    assert "101" in response.json()["error"]["message"]
    assert create(api, MediaFileFactory.build()).status_code == 404
    assert api.get(f"/api/v1/file/{uuid.uuid4().hex}/pending-persons").status_code == 404
    assert api.get("/api/v1/file/not-a-uuid-not-a-uuid-not-a-uuid-0/pending-persons").status_code == 404
    assert not Identity.objects.exists()
    assert not FaceDetection.objects.filter(identity__isnull=False).exists()


def test_file_scope_and_file_limits(make_client):
    allowed, other = MediaFileFactory(), MediaFileFactory()
    client = make_client(scopes=["file"], files=[allowed.file_uuid.hex])
    assert create(client, allowed).status_code == 200
    assert create(client, other).status_code == 403
    assert client.get(f"/api/v1/file/{other.file_uuid.hex}/pending-persons").status_code == 403
    identity_only = make_client(scopes=["identity"])
    assert create(identity_only, allowed).status_code == 403


def test_list_pending_persons_of_a_file(api, django_assert_max_num_queries):
    media_file, other_file = MediaFileFactory(), MediaFileFactory()
    for trace_id in (3, 4, 9):
        make_trace(media_file=media_file, trace_id=trace_id, size=2, first_frame=trace_id * 100)
    first = create(api, media_file, {"trace_ids": [4, 3]}).json()["data"]
    second = create(api, media_file).json()["data"]
    create(api, other_file)
    IdentityFactory(status="pending", source="auto")  # a stranger, not a pending person
    bound_elsewhere = create(api, other_file).json()["data"]
    api.post(
        f"/api/v1/identity/{bound_elsewhere['identity_uuid']}/bind/trace",
        {"file_uuid": media_file.file_uuid.hex, "trace_id": 9},
        format="json",
    )
    with django_assert_max_num_queries(5):
        response = api.get(f"/api/v1/file/{media_file.file_uuid}/pending-persons")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == f"Found 3 pending persons for {media_file.file_uuid.hex}"
    rows = body["data"]
    assert [row["identity_uuid"] for row in rows] == [
        first["identity_uuid"],
        second["identity_uuid"],
        bound_elsewhere["identity_uuid"],
    ]
    assert rows[0]["identity_id"] == first["identity_id"]
    assert rows[0]["name"] == "Person 1"
    assert (rows[0]["trace_count"], rows[0]["bound_traces"]) == (2, [3, 4])
    assert (rows[1]["trace_count"], rows[1]["bound_traces"]) == (0, [])
    assert rows[2]["bound_traces"] == [9]
    assert rows[0]["created_at"].endswith("Z")
