"""The curator console: pages render what the selectors read, and forms go through the services."""
import re

import pytest

from faces.models import FaceDetection
from history.models import IdentityHistory
from identities.models import Identity
from tests.factories import ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    film = MediaFileFactory(file_name="Charade (1963).mp4", fps=25.0)
    cary = IdentityFactory(name="Cary Grant", tmdb_id=112, source="tmdb", metadata={"aliases": [{"locale": "ja", "name": "ケーリー・グラント"}]})
    stranger = StrangerFactory(name="stranger_7")
    for frame in range(100, 110):
        FaceFactory(media_file=film, frame_number=frame, trace_id=3, identity=cary)
    for frame in range(500, 505):
        FaceFactory(media_file=film, frame_number=frame, trace_id=9, identity=stranger)
    ChunkFactory(media_file=film, start_time=4.0, end_time=4.5, text="Does anyone know who I am?")
    ChunkFactory(media_file=film, start_time=60.0, end_time=61.0, text="Nobody on screen says this.")
    return {"film": film, "cary": cary, "stranger": stranger}


def test_pages_need_a_signed_in_curator(client, library):
    response = client.get("/identities/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_identity_list_finds_by_alias(curator, library):
    page = curator.get("/identities/", {"q": "グラント"}).content.decode()
    assert "Cary Grant" in page
    assert "stranger_7" not in page


def test_identity_page_shows_traces_and_what_was_said(curator, library):
    page = curator.get(f"/identities/{library['cary'].identity_uuid.hex}/").content.decode()
    assert "Charade (1963).mp4" in page
    assert "Does anyone know who I am?" in page
    assert "Nobody on screen says this." not in page
    assert "10 in 1 file" in page


def test_edit_goes_through_the_service_and_records_the_curator(curator, library):
    cary = library["cary"]
    curator.post(f"/identities/{cary.identity_uuid.hex}/edit", {"name": "Archibald Leach", "status": "confirmed", "identity_type": "people"})
    cary.refresh_from_db()
    assert cary.name == "Archibald Leach"
    entry = IdentityHistory.objects.get(identity_uuid=cary.identity_uuid)
    assert entry.actor == "user:curator"


def test_edit_refused_changes_nothing_and_says_why(curator, library):
    cary = library["cary"]
    response = curator.post(
        f"/identities/{cary.identity_uuid.hex}/edit", {"name": "", "status": "confirmed"}, follow=True
    )
    assert "name" in response.content.decode()
    cary.refresh_from_db()
    assert cary.name == "Cary Grant"
    assert not IdentityHistory.objects.exists()


def test_bind_a_stranger_trace_from_the_file_page_then_undo_it(curator, library):
    film, cary, stranger = library["film"], library["cary"], library["stranger"]
    page = curator.get(f"/files/{film.file_uuid.hex}/", {"q": "Cary"}).content.decode()
    assert "stranger_7" in page and "Bind" in page
    curator.post(
        f"/files/{film.file_uuid.hex}/bind", {"identity_uuid": cary.identity_uuid.hex, "trace_id": 9, "confirm": "yes"}
    )
    assert FaceDetection.objects.filter(trace_id=9, identity=cary).count() == 5

    entry = IdentityHistory.objects.get(identity_uuid=cary.identity_uuid, action="bind_trace")
    curator.post(f"/history/{entry.history_id}/undo")
    assert FaceDetection.objects.filter(trace_id=9, identity=stranger).count() == 5


def test_unbind_a_trace_from_the_identity_page(curator, library):
    film, cary = library["film"], library["cary"]
    curator.post(f"/identities/{cary.identity_uuid.hex}/unbind", {"file_uuid": film.file_uuid.hex, "trace_id": 3})
    assert not FaceDetection.objects.filter(identity=cary).exists()


def test_deleted_identity_is_brought_back_from_its_history_page(curator, library):
    cary = library["cary"]
    response = curator.post(f"/identities/{cary.identity_uuid.hex}/delete", follow=True)
    assert "a deleted identity" in response.content.decode()
    assert not Identity.objects.filter(pk=cary.pk).exists()

    entry = IdentityHistory.objects.get(identity_uuid=cary.identity_uuid, action="delete")
    curator.post(f"/history/{entry.history_id}/undo")
    assert Identity.objects.get(identity_uuid=cary.identity_uuid).faces.count() == 10


def test_undo_out_of_order_is_refused_with_a_message(curator, library):
    cary = library["cary"]
    for name in ("First", "Second"):
        curator.post(f"/identities/{cary.identity_uuid.hex}/edit", {"name": name, "status": "confirmed"})
    older = IdentityHistory.objects.filter(identity_uuid=cary.identity_uuid).order_by("id").first()
    response = curator.post(f"/history/{older.history_id}/undo", follow=True)
    assert "must be undone first" in response.content.decode()
    cary.refresh_from_db()
    assert cary.name == "Second"


def test_merge_a_stranger_into_a_known_person_then_undo_and_redo(curator, library):
    cary, stranger = library["cary"], library["stranger"]
    page = curator.get(f"/identities/{stranger.identity_uuid.hex}/", {"merge_q": "Cary"}).content.decode()
    assert "Merge into Cary Grant" in page

    response = curator.post(
        f"/identities/{stranger.identity_uuid.hex}/merge",
        {"into_uuid": cary.identity_uuid.hex, "keep_history": "on"},
        follow=True,
    )
    assert "Merged &#x27;stranger_7&#x27; into &#x27;Cary Grant&#x27; (5 faces)" in response.content.decode()
    assert cary.faces.count() == 15
    stranger.refresh_from_db()
    assert stranger.status == "merged"

    merges_page = curator.get("/merges/").content.decode()
    assert "stranger_7" in merges_page and "Undo" in merges_page
    merge_id = re.search(r"/merges/([0-9a-f-]{36})/undo", merges_page).group(1)
    curator.post(f"/merges/{merge_id}/undo")
    assert cary.faces.count() == 10
    assert stranger.faces.count() == 5
    assert "Redo" in curator.get("/merges/").content.decode()
    curator.post(f"/merges/{merge_id}/redo")
    assert cary.faces.count() == 15


def test_merge_into_itself_is_refused_with_a_message(curator, library):
    cary = library["cary"]
    response = curator.post(
        f"/identities/{cary.identity_uuid.hex}/merge", {"into_uuid": cary.identity_uuid.hex}, follow=True
    )
    assert "cannot be merged into itself" in response.content.decode()
    assert cary.faces.count() == 10


def test_a_standing_merge_heads_both_history_tables_with_its_own_undo(curator, library, merge_store):
    cary, stranger = library["cary"], library["stranger"]
    curator.post(
        f"/identities/{stranger.identity_uuid.hex}/merge", {"into_uuid": cary.identity_uuid.hex, "keep_history": "on"}
    )
    merge_id = str(IdentityHistory.objects.get(identity_uuid=cary.identity_uuid, action="merge").merge_id)

    for identity in (cary, stranger):
        page = curator.get(f"/identities/{identity.identity_uuid.hex}/").content.decode()
        assert f'action="/merges/{merge_id}/undo"' in page and "Undo merge" in page

    curator.post(f"/merges/{merge_id}/undo")
    page = curator.get(f"/identities/{cary.identity_uuid.hex}/").content.decode()
    assert f'action="/merges/{merge_id}/redo"' in page and "undo of a merge" in page


def test_file_page_counts_faces_and_names_every_owner_of_a_shared_trace(curator, library):
    film, cary, stranger = library["film"], library["cary"], library["stranger"]
    FaceFactory(media_file=film, frame_number=102, index=1, trace_id=3, identity=stranger)  # two faces in frame 102
    FaceFactory(media_file=film, frame_number=110, trace_id=3)
    page = curator.get(f"/files/{film.file_uuid.hex}/").content.decode()
    row = re.search(r'<tr id="trace-3">.*?</tr>', page, re.S).group(0)
    assert '<td class="num" data-label="Faces">12</td>' in row  # faces: 10 of Cary's, the stranger's and an unbound one
    assert row.index(cary.name) < row.index(stranger.name) and "(11 of 12)" in row
