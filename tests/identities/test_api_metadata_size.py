"""Metadata over 1 MiB (compact JSON, UTF-8) is a 413 `metadata_too_large` on every write that sets it."""
import json
import uuid
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from history.models import IdentityHistory
from identities.models import Identity
from identities.services.tmdb_probe import identity_apply_tmdb_person
from identities.validators import METADATA_MAX_BYTES, metadata_size
from momentry.core.errors import TooLarge
from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, make_trace

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024


def metadata_of(size, *, key="blob", char="x"):
    """A metadata object whose compact JSON is exactly `size` bytes in UTF-8 (`char` of 1 or 2 bytes)."""
    base = metadata_size({key: ""})
    width = len(char.encode())
    count, rest = divmod(size - base, width)
    metadata = {key: char * count + "x" * rest}
    assert metadata_size(metadata) == size
    return metadata


def assert_too_large(response):
    assert response.status_code == 413, response.json()
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "metadata_too_large"
    assert "metadata" in body["error"]["message"] and str(MIB) in body["error"]["message"]


def test_the_limit_is_one_mib_of_compact_utf8_json():
    assert METADATA_MAX_BYTES == MIB
    assert metadata_size({"a": [1, 2], "é": "ü"}) == len('{"a":[1,2],"é":"ü"}'.encode())


# --- PATCH ---------------------------------------------------------------------------------------


def test_patch_with_exactly_one_mib_of_metadata_is_saved(api):
    identity = IdentityFactory(metadata={})
    metadata = metadata_of(MIB)
    response = api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", {"metadata": metadata}, format="json")
    assert response.status_code == 200, response.json()
    identity.refresh_from_db()
    assert identity.metadata == metadata


@pytest.mark.parametrize("char", ["x", "é"])
def test_patch_one_byte_over_is_413_and_changes_nothing(api, world_state, char):
    identity = IdentityFactory(metadata={})
    before = world_state()
    response = api.patch(
        f"/api/v1/identity/{identity.identity_uuid.hex}", {"metadata": metadata_of(MIB + 1, char=char)}, format="json"
    )
    assert_too_large(response)
    assert world_state() == before
    assert not IdentityHistory.objects.exists()


# --- upload and import ---------------------------------------------------------------------------


def upload(api, identity_uuid, metadata):
    return api.post(
        "/api/v1/identity/upload",
        {"version": 1, "identity_uuid": identity_uuid.hex, "name": "Cary Grant", "metadata": metadata},
        format="json",
    )


def test_upload_with_exactly_one_mib_of_metadata_is_saved(api, settings):
    identity_uuid = uuid.uuid4()
    response = upload(api, identity_uuid, metadata_of(MIB))
    assert response.status_code == 200, response.json()
    assert metadata_size(Identity.objects.get(identity_uuid=identity_uuid).metadata) == MIB
    on_disk = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity_uuid.hex / "identity.json"
    assert metadata_size(json.loads(on_disk.read_text())["metadata"]) == MIB


@pytest.mark.parametrize("existing", [False, True])
def test_upload_one_byte_over_is_413_and_changes_nothing(api, world_state, existing):
    identity_uuid = uuid.uuid4()
    if existing:
        assert upload(api, identity_uuid, {"small": True}).status_code == 200
    before = world_state()
    assert_too_large(upload(api, identity_uuid, metadata_of(MIB + 1)))
    assert world_state() == before
    assert not IdentityHistory.objects.exists()


def test_import_reports_a_file_over_the_limit_and_imports_the_others(tmp_path, settings):
    fits, over = uuid.uuid4(), uuid.uuid4()
    for identity_uuid, metadata in ((fits, metadata_of(MIB)), (over, metadata_of(MIB + 1))):
        directory = tmp_path / "identities" / identity_uuid.hex
        directory.mkdir(parents=True)
        document = {"identity_uuid": identity_uuid.hex, "name": "N", "metadata": metadata}
        (directory / "identity.json").write_text(json.dumps(document))
    err = StringIO()
    with pytest.raises(CommandError, match="1 created, 0 updated, 1 failed"):
        call_command("import_identities", str(tmp_path), stdout=StringIO(), stderr=err)
    assert f"{over.hex}/identity.json: metadata is {MIB + 1} bytes" in err.getvalue()
    assert Identity.objects.filter(identity_uuid=fits).exists()
    assert not Identity.objects.filter(identity_uuid=over).exists()
    assert not (settings.MOMENTRY_OUTPUT_DIR / "identities" / over.hex).exists()


# --- the admin's form ----------------------------------------------------------------------------


def test_admin_refuses_metadata_over_the_limit_with_the_reason(client, world_state):
    client.force_login(User.objects.create_superuser("editor", "editor@example.com", "pw-for-tests"))
    identity = IdentityFactory(name="Audrey Hepburn")
    before = world_state()
    response = client.post(
        f"/admin/identities/identity/{identity.pk}/change/",
        {
            "name": "Changed",
            "identity_type": "people",
            "source": identity.source,
            "status": identity.status,
            "tmdb_id": "",
            "tmdb_profile": "",
            "metadata": json.dumps(metadata_of(MIB + 1)),
        },
    )
    assert response.status_code == 200
    assert f"metadata is {MIB + 1} bytes" in response.content.decode()
    assert world_state() == before


# --- merge ---------------------------------------------------------------------------------------


def merge(api, source, target):
    return api.post(
        f"/api/v1/identity/{source.identity_uuid.hex}/mergeinto",
        {"into_uuid": target.identity_uuid.hex},
        format="json",
    )


def merge_pair(target_size, source_metadata):
    target = IdentityFactory(name="Cary Grant", metadata=metadata_of(target_size))
    source = StrangerFactory(metadata=source_metadata)
    make_trace(media_file=MediaFileFactory(), trace_id=3, identity=source)
    return source, target


def test_a_merge_that_leaves_the_target_at_exactly_one_mib_goes_through(api, merge_store):
    added = {"k": 1}
    target_size = MIB - (metadata_size({"blob": "", **added}) - metadata_size({"blob": ""}))
    source, target = merge_pair(target_size, added)
    response = merge(api, source, target)
    assert response.status_code == 200, response.json()
    target.refresh_from_db()
    assert metadata_size(target.metadata) == MIB


def test_a_merge_that_would_grow_the_target_past_one_mib_is_413_and_changes_nothing(api, merge_store, world_state):
    added = {"k": 12}
    target_size = MIB - (metadata_size({"blob": "", **added}) - metadata_size({"blob": ""})) + 1
    source, target = merge_pair(target_size, added)
    before = world_state()
    assert_too_large(merge(api, source, target))
    assert world_state() == before
    assert merge_store.count_documents({}) == 0
    assert not IdentityHistory.objects.exists()


def test_a_merge_adding_only_an_alias_is_refused_past_the_limit_too(api, merge_store, world_state):
    source, target = merge_pair(MIB - 10, {"aliases": [{"locale": "fr", "name": "Archibald"}]})
    before = world_state()
    assert_too_large(merge(api, source, target))
    assert world_state() == before
    assert merge_store.count_documents({}) == 0


# --- the TMDb probe ------------------------------------------------------------------------------


def test_the_tmdb_probe_is_refused_when_its_keys_would_take_metadata_past_the_limit(world_state):
    identity = IdentityFactory(tmdb_id=112, metadata=metadata_of(MIB - 100))
    before = world_state()
    person = {"id": 112, "name": "Cary Grant", "biography": "b" * 200}
    with pytest.raises(TooLarge) as refused:
        identity_apply_tmdb_person(identity_uuid=identity.identity_uuid, person=person, image_bytes=None, actor="t")
    assert refused.value.code == "metadata_too_large"
    assert world_state() == before
    assert not IdentityHistory.objects.exists()


def test_patch_that_would_take_the_merged_metadata_over_the_limit_is_a_413(api):
    """PATCH merges its metadata into the identity's: the result is what the limit measures."""
    identity = IdentityFactory(metadata=metadata_of(MIB - 100, key="held"))
    response = api.patch(
        f"/api/v1/identity/{identity.identity_uuid.hex}", {"metadata": {"more": "y" * 200}}, format="json"
    )
    assert_too_large(response)
    assert Identity.objects.get(pk=identity.pk).metadata == identity.metadata
    assert not IdentityHistory.objects.filter(identity_uuid=identity.identity_uuid).exists()
