"""`manage.py sync_files [--check]`: every identity's files compared with the database."""
import io
import json

import pytest
from django.core.management import CommandError, call_command

from history.recording import recorded_profile_image
from identities.models import FileSyncPending, Identity
from identities.selectors import identity_document
from identities.services.editing import identity_delete
from identities.services.files import identity_files_owed, identity_sync_files
from identities.services.images import identity_profile_image_set
from identities.storage import identities_root, identity_dir, identity_json_path, profile_image_path
from tests.factories import IdentityFactory, MediaFileFactory, image_bytes, image_upload, make_trace

pytestmark = pytest.mark.django_db(transaction=True)


def sync_files(*args):
    """`(exit status, stdout, stderr)` of the command."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("sync_files", *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:
        return exc.returncode, stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


def tree(settings):
    """Every file under the output directory with its bytes."""
    root = settings.MOMENTRY_OUTPUT_DIR
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def assert_right(identity):
    identity = Identity.objects.get(pk=identity.pk)
    assert json.loads(identity_json_path(identity.identity_uuid).read_text()) == identity_document(identity)


@pytest.fixture
def library():
    """Three identities with faces, their files written."""
    film = MediaFileFactory()
    people = [IdentityFactory() for _ in range(3)]
    for position, person in enumerate(people):
        make_trace(media_file=film, trace_id=position, size=2, identity=person, first_frame=position * 10)
    identity_sync_files(*(person.identity_uuid for person in people))
    return people


def test_files_that_match_pass_the_check(library, settings):
    before = tree(settings)
    status, stdout, stderr = sync_files("--check")
    assert status == 0
    assert stdout == "sync_files --check: 3 identities checked, 0 to rewrite, 0 orphans to remove, 0 images to fix\n"
    assert "3/3 identities" in stderr  # the progress
    assert tree(settings) == before
    assert sync_files()[1] == (
        "sync_files: 3 identities checked, 0 rewritten, 0 orphans removed, 0 images fixed, 0 pending cleared\n"
    )
    assert tree(settings) == before


def test_a_hand_edited_identity_json_fails_the_check_and_is_rewritten(library, settings):
    edited = identity_json_path(library[1].identity_uuid)
    edited.write_text(edited.read_text().replace('"confirmed"', '"inactive"'))
    missing = identity_json_path(library[2].identity_uuid)
    missing.unlink()
    before = tree(settings)

    status, stdout, _ = sync_files("--check")
    assert status == 1
    assert stdout == "sync_files --check: 3 identities checked, 2 to rewrite, 0 orphans to remove, 0 images to fix\n"
    assert tree(settings) == before, "--check writes nothing"

    status, stdout, _ = sync_files()
    assert status == 0
    assert stdout == (
        "sync_files: 3 identities checked, 2 rewritten, 0 orphans removed, 0 images fixed, 0 pending cleared\n"
    )
    for person in library:
        assert_right(person)
    assert sync_files("--check")[0] == 0


def test_reformatting_alone_is_a_difference(library):
    path = identity_json_path(library[0].identity_uuid)
    path.write_text(json.dumps(json.loads(path.read_text())))  # same document, other bytes
    assert sync_files("--check")[0] == 1
    sync_files()
    assert_right(library[0])
    assert path.read_text().startswith('{\n  "version": 1,')


def test_orphans_go_and_everything_else_under_the_output_dir_stays(library, settings):
    gone = IdentityFactory()
    identity_sync_files(gone.identity_uuid)
    (identity_dir(gone.identity_uuid) / "profile.jpg").write_bytes(image_bytes("JPEG"))
    Identity.objects.filter(pk=gone.pk).delete()  # behind the services' back
    stash = settings.MOMENTRY_OUTPUT_DIR / ".history" / "some-entry" / "before" / "profile.jpg"
    stash.parent.mkdir(parents=True)
    stash.write_bytes(b"kept for undo")
    others = [
        identities_root() / "README.txt",
        identities_root() / "not-an-identity" / "notes.txt",
        identities_root() / gone.identity_uuid.hex.upper() / "identity.json",
        settings.MOMENTRY_OUTPUT_DIR / "elsewhere.json",
    ]
    for path in others:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("not ours")

    status, stdout, _ = sync_files("--check")
    assert (status, stdout) == (
        1,
        "sync_files --check: 3 identities checked, 0 to rewrite, 1 orphan to remove, 0 images to fix\n",
    )
    assert identity_dir(gone.identity_uuid).is_dir()

    assert sync_files()[1] == (
        "sync_files: 3 identities checked, 0 rewritten, 1 orphan removed, 0 images fixed, 0 pending cleared\n"
    )
    assert not identity_dir(gone.identity_uuid).exists()
    assert stash.read_bytes() == b"kept for undo"
    assert all(path.read_text() == "not ours" for path in others)
    assert sync_files("--check")[0] == 0


def test_a_missing_or_wrong_profile_image_is_fixed_from_the_history(library, settings):
    first, second, third = library
    for person, image_format in ((first, "PNG"), (second, "JPEG")):
        identity_profile_image_set(
            identity_uuid=person.identity_uuid, upload=image_upload(image_bytes(image_format)), actor="t"
        )
    profile_image_path(first.identity_uuid).unlink()  # missing
    profile_image_path(second.identity_uuid).write_bytes(image_bytes("JPEG", color=(0, 0, 255)))  # wrong
    (identity_dir(second.identity_uuid) / "profile.png").write_bytes(image_bytes("PNG"))  # and a stray one
    untracked = identity_dir(third.identity_uuid) / "profile.jpg"  # no history entry: the directory has the truth
    untracked.write_bytes(b"put there by hand")

    status, stdout, _ = sync_files("--check")
    assert (status, stdout) == (
        1,
        "sync_files --check: 3 identities checked, 0 to rewrite, 0 orphans to remove, 2 images to fix\n",
    )
    assert sync_files()[1] == (
        "sync_files: 3 identities checked, 0 rewritten, 0 orphans removed, 2 images fixed, 0 pending cleared\n"
    )
    for person, name in ((first, "profile.png"), (second, "profile.jpg")):
        recorded, stashed = recorded_profile_image(person.identity_uuid)
        assert recorded and stashed.name == name
        assert sorted(path.name for path in identity_dir(person.identity_uuid).iterdir()) == ["identity.json", name]
        assert (identity_dir(person.identity_uuid) / name).read_bytes() == stashed.read_bytes()
    assert untracked.read_bytes() == b"put there by hand"
    assert sync_files("--check")[0] == 0


def test_an_image_the_history_removed_is_removed(library):
    person = library[0]
    identity_profile_image_set(identity_uuid=person.identity_uuid, upload=image_upload(), actor="t")
    kept = profile_image_path(person.identity_uuid).read_bytes()
    identity_delete(identity_uuid=person.identity_uuid, actor="t")
    # An identity of the same uuid is not what undo would bring back; its image is the delete's "none".
    resurrected = IdentityFactory(identity_uuid=person.identity_uuid)
    identity_sync_files(resurrected.identity_uuid)
    (identity_dir(person.identity_uuid) / "profile.png").write_bytes(kept)

    assert sync_files()[1].endswith("0 rewritten, 0 orphans removed, 1 image fixed, 0 pending cleared\n")
    assert profile_image_path(person.identity_uuid) is None


def test_the_command_clears_the_outbox(library):
    gone = IdentityFactory()
    identity_files_owed(library[0].identity_uuid, library[0].identity_uuid, gone.identity_uuid)
    identity_files_owed(library[1].identity_uuid, profile_image=True)
    Identity.objects.filter(pk=gone.pk).delete()

    assert sync_files("--check")[0] == 0, "owed rows alone are no difference"
    assert FileSyncPending.objects.count() == 4, "--check clears nothing"
    assert sync_files()[1] == (
        "sync_files: 3 identities checked, 0 rewritten, 0 orphans removed, 0 images fixed, 4 pending cleared\n"
    )
    assert FileSyncPending.objects.count() == 0


def test_batches_smaller_than_the_library_check_every_identity(library):
    for person in library:
        identity_json_path(person.identity_uuid).unlink()
    status, stdout, stderr = sync_files("--chunk-size", "2")
    assert stdout.startswith("sync_files: 3 identities checked, 3 rewritten,")
    assert "2/2" in stderr  # two batches
    for person in library:
        assert_right(person)
