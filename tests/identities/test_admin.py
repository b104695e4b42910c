"""Staff edits in the admin go through the services: validated, recorded, written to disk."""
import json

import pytest
from django.contrib.auth.models import User

from faces.models import FaceDetection
from history.models import IdentityHistory
from identities.models import Identity
from identities.storage import identity_json_path
from tests.factories import FaceFactory, IdentityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("editor", "editor@example.com", "pw-for-tests"))
    return client


def form_data(identity, **changes):
    data = {
        "name": identity.name,
        "identity_type": identity.identity_type or "",
        "source": identity.source,
        "status": identity.status,
        "tmdb_id": identity.tmdb_id or "",
        "tmdb_profile": identity.tmdb_profile,
        "metadata": json.dumps(identity.metadata),
    }
    return {**data, **changes}


def test_admin_edit_is_recorded_and_written_to_disk(staff, django_capture_on_commit_callbacks):
    identity = IdentityFactory(name="Audrey Hepburn")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/admin/identities/identity/{identity.pk}/change/",
            form_data(identity, name="Audrey Kathleen Hepburn", metadata='{"aliases": [{"locale": "fr", "name": "Audrey"}]}'),
        )
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.name == "Audrey Kathleen Hepburn"
    entry = IdentityHistory.objects.get(identity_uuid=identity.identity_uuid)
    assert entry.actor == "user:editor"
    on_disk = json.loads(identity_json_path(identity.identity_uuid).read_text())
    assert on_disk["name"] == "Audrey Kathleen Hepburn"
    assert on_disk["metadata"]["aliases"] == [{"locale": "fr", "name": "Audrey"}]


def test_admin_refuses_a_bad_alias_locale_and_changes_nothing(staff):
    identity = IdentityFactory(name="Audrey Hepburn")
    response = staff.post(
        f"/admin/identities/identity/{identity.pk}/change/",
        form_data(identity, name="Changed", metadata='{"aliases": [{"locale": "not a tag!", "name": "x"}]}'),
    )
    assert response.status_code == 200
    assert "BCP 47" in response.content.decode()
    identity.refresh_from_db()
    assert identity.name == "Audrey Hepburn"
    assert not IdentityHistory.objects.exists()


def test_admin_delete_unbinds_faces_and_can_be_undone_from_history(staff):
    identity = IdentityFactory()
    FaceFactory.create_batch(3, identity=identity)
    response = staff.post(f"/admin/identities/identity/{identity.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Identity.objects.filter(pk=identity.pk).exists()
    assert FaceDetection.objects.filter(identity__isnull=True).count() == 3
    assert IdentityHistory.objects.get(identity_uuid=identity.identity_uuid).action == "delete"


def test_admin_add_creates_through_upload(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/identities/identity/add/",
            {"name": "Grace Kelly", "identity_type": "people", "source": "tmdb", "status": "confirmed",
             "tmdb_id": "4070", "tmdb_profile": "", "metadata": "{}"},
        )
    assert response.status_code == 302
    identity = Identity.objects.get(name="Grace Kelly")
    assert identity.tmdb_id == 4070
    assert identity_json_path(identity.identity_uuid).exists()
