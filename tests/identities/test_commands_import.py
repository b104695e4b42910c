"""manage.py import_identities [DIR]."""
import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from history.models import IdentityHistory
from identities.models import Identity
from tests.factories import IdentityFactory

pytestmark = pytest.mark.django_db(transaction=True)


def write_document(root, identity_uuid, document):
    directory = root / "identities" / identity_uuid.hex
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "identity.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_identities", *args, stdout=out, stderr=err)
        failed = None
    except CommandError as exc:
        failed = str(exc)
    return out.getvalue(), err.getvalue(), failed


def test_imports_every_file_like_upload_and_reports_bad_ones(tmp_path, settings):
    source = tmp_path / "backup"
    new_uuid, existing, broken_json, no_name, wrong_dir = (uuid.uuid4() for _ in range(5))
    IdentityFactory(identity_uuid=existing, name="Old", metadata={"old": True})
    write_document(source, new_uuid, {"identity_uuid": new_uuid.hex, "name": "Cary Grant", "metadata": {"a": 1}})
    write_document(
        source, existing, {"identity_uuid": str(existing), "name": "Renamed", "source": "tmdb", "metadata": {"b": 2}}
    )
    bad_json = write_document(source, broken_json, "{not json")
    bad_name = write_document(source, no_name, {"identity_uuid": no_name.hex, "name": ""})
    mismatch = write_document(source, wrong_dir, {"identity_uuid": uuid.uuid4().hex, "name": "X"})

    out, err, failed = run(str(source))

    created = Identity.objects.get(identity_uuid=new_uuid)
    assert (created.name, created.source, created.metadata) == ("Cary Grant", ".json", {"a": 1})
    updated = Identity.objects.get(identity_uuid=existing)
    assert (updated.name, updated.source, updated.metadata) == ("Renamed", "tmdb", {"b": 2})
    assert IdentityHistory.objects.get(identity_uuid=existing).actor == "command:import_identities"
    assert Identity.objects.count() == 2
    assert f"{bad_json}: not valid JSON" in err
    assert f"{bad_name}: name must be a non-empty string" in err
    assert f"{mismatch}: identity_uuid" in err and "does not match its directory" in err
    assert "[1/5]" in out + err and "[5/5]" in out + err
    assert failed == f"Imported 2 of 5 identity files from {source}: 1 created, 1 updated, 3 failed."
    # The imported identities now have their identity.json in the output directory.
    assert (settings.MOMENTRY_OUTPUT_DIR / "identities" / new_uuid.hex / "identity.json").exists()


def test_defaults_to_the_output_directory_and_round_trips_it(api, settings):
    identity = IdentityFactory(name="Audrey", metadata={"aliases": [{"locale": "ja", "name": "オードリー"}]})
    api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", {"status": "inactive"}, format="json")
    on_disk = (settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex / "identity.json").read_text()
    Identity.objects.all().delete()

    out, err, failed = run()

    assert failed is None and err == ""
    assert "Imported 1 of 1 identity files" in out and "1 created, 0 updated, 0 failed" in out
    restored = Identity.objects.get(identity_uuid=identity.identity_uuid)
    assert (restored.name, restored.status, restored.metadata) == ("Audrey", "inactive", identity.metadata)
    path = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex / "identity.json"
    assert path.read_text() == on_disk


def test_missing_directory_is_an_error(tmp_path):
    _, _, failed = run(str(tmp_path / "nowhere"))
    assert "is not a directory" in failed
