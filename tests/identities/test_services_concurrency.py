"""Two curators at once, on PostgreSQL (SQLite serialises every write, so there is nothing to race)."""
import io
import json
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import Http404

from faces.models import FaceDetection, IdentityCentroid, TraceSegment
from history.models import IdentityHistory
from identities.models import Identity
from identities.selectors import identity_document
from identities.services import binding
from identities.services.binding import face_bind, trace_bind
from identities.services.editing import identity_delete
from identities.services.image_reencoding import reencode_profile_image
from identities.services.images import ProfileImageChange, identity_profile_image_set
from identities.services.replay import history_undo
from momentry.core.errors import Conflict
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, image_bytes, image_upload, make_trace

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

ROUNDS = 5
TRACE_SIZE = 40


@pytest.fixture(autouse=True)
def segments_match_faces_afterwards():
    """Whatever the interleaving, the trace segments end as the faces say (check_traces)."""
    yield
    call_command("check_traces", "--check", stdout=io.StringIO(), stderr=io.StringIO())


def run_together(*calls):
    """Start the calls in threads at the same moment; return their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(position, call):
        try:
            barrier.wait()
            outcomes[position] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            outcomes[position] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(position, call)) for position, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def assert_files_match_database(settings, *identities):
    for identity in identities:
        path = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex / "identity.json"
        current = Identity.objects.filter(pk=identity.pk).first()
        if current is None:
            assert not path.exists()
        else:
            assert json.loads(path.read_text()) == identity_document(current)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_curators_binding_one_trace_to_two_identities(settings, round_number):
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=1, size=TRACE_SIZE)
    anna, ben = IdentityFactory(name="Anna's pick"), IdentityFactory(name="Ben's pick")

    outcomes = run_together(
        lambda: trace_bind(identity_uuid=anna.identity_uuid, file_uuid=media_file.file_uuid, trace_id=1, actor="key:anna"),
        lambda: trace_bind(identity_uuid=ben.identity_uuid, file_uuid=media_file.file_uuid, trace_id=1, actor="key:ben"),
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert [outcome.rows_affected for outcome in outcomes] == [TRACE_SIZE, TRACE_SIZE]
    owners = set(FaceDetection.objects.values_list("identity_id", flat=True))
    assert len(owners) == 1, "every face of the trace ends with one and the same identity"
    first, second = IdentityHistory.objects.order_by("id")
    assert second.identity_uuid.hex == Identity.objects.get(pk=owners.pop()).identity_uuid.hex
    # The later bind saw the earlier one's result: it took the faces from the first identity.
    assert [group["identity_uuid"] for group in first.before_snapshot["faces"]] == [None]
    assert [group["identity_uuid"] for group in second.before_snapshot["faces"]] == [first.identity_uuid.hex]
    assert_files_match_database(settings, anna, ben)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_curators_binding_different_faces_of_one_trace(round_number):
    """Both writes rebuild the one trace's segments; the second waits for the first and reads its
    committed faces, so neither a duplicate segment nor a stale count is left."""
    media_file = MediaFileFactory()
    faces = make_trace(media_file=media_file, trace_id=1, size=TRACE_SIZE)
    anna, ben = IdentityFactory(), IdentityFactory()

    outcomes = run_together(
        *(
            lambda face=face, person=person: face_bind(
                identity_uuid=person.identity_uuid, file_uuid=media_file.file_uuid,
                frame_number=face.frame_number, index=face.index, actor="key:test",
            )
            for face, person in ((faces[0], anna), (faces[1], ben))
        )
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    counts = dict(TraceSegment.objects.values_list("identity_id", "face_count"))
    assert counts == {anna.pk: 1, ben.pk: 1, None: TRACE_SIZE - 2}


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_binds_taking_faces_of_one_stranger_in_two_files_both_leave_its_centroid(round_number):
    """Each bind locks only its own file's segments; the stranger's centroid row is the one both
    change, and the second adds to what the first committed instead of overwriting it."""
    stranger, anna, ben = IdentityFactory(source="auto"), IdentityFactory(), IdentityFactory()
    files = [MediaFileFactory(), MediaFileFactory()]
    for media_file, embedding in zip(files, ([1.0, 0.0], [0.0, 1.0])):
        FaceFactory(media_file=media_file, trace_id=1, frame_number=0, embedding=embedding, identity=stranger)
        FaceFactory(media_file=media_file, trace_id=1, frame_number=5, embedding=[1.0, 1.0], identity=stranger)

    outcomes = run_together(
        *(
            lambda media_file=media_file, person=person: face_bind(
                identity_uuid=person.identity_uuid, file_uuid=media_file.file_uuid,
                frame_number=0, index=0, actor="key:test",
            )
            for media_file, person in zip(files, (anna, ben))
        )
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    counts = dict(IdentityCentroid.objects.values_list("identity_id", "embedding_count"))
    assert counts == {stranger.pk: 2, anna.pk: 1, ben.pk: 1}


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_bind_racing_a_delete_never_leaves_a_face_on_a_deleted_identity(settings, round_number):
    media_file = MediaFileFactory()
    doomed = IdentityFactory()
    make_trace(media_file=media_file, trace_id=1, size=TRACE_SIZE, identity=doomed)
    make_trace(media_file=media_file, trace_id=2, size=TRACE_SIZE, first_frame=1000)

    bind_outcome, delete_outcome = run_together(
        lambda: trace_bind(identity_uuid=doomed.identity_uuid, file_uuid=media_file.file_uuid, trace_id=2, actor="key:a"),
        lambda: identity_delete(identity_uuid=doomed.identity_uuid, actor="key:b"),
    )

    assert not isinstance(delete_outcome, Exception), delete_outcome
    assert not Identity.objects.filter(pk=doomed.pk).exists()
    assert not FaceDetection.objects.filter(identity__isnull=False).exists()
    if isinstance(bind_outcome, Exception):
        assert isinstance(bind_outcome, Http404)  # the delete went first
        assert delete_outcome.faces_unbound == TRACE_SIZE
    else:
        assert delete_outcome.faces_unbound == 2 * TRACE_SIZE  # the bind went first
    assert_files_match_database(settings, doomed)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_undo_racing_a_bind_of_the_same_faces(settings, round_number):
    media_file = MediaFileFactory()
    make_trace(media_file=media_file, trace_id=1, size=TRACE_SIZE)
    first, second = IdentityFactory(), IdentityFactory()
    entry = trace_bind(identity_uuid=first.identity_uuid, file_uuid=media_file.file_uuid, trace_id=1, actor="key:a").history

    undo_outcome, bind_outcome = run_together(
        lambda: history_undo(history_id=entry.history_id, actor="key:a"),
        lambda: trace_bind(identity_uuid=second.identity_uuid, file_uuid=media_file.file_uuid, trace_id=1, actor="key:b"),
    )

    assert not isinstance(bind_outcome, Exception), bind_outcome
    # Whichever went first, the faces end on the second identity: an undo that comes second finds
    # them taken and refuses (409 naming the bind) rather than take them back.
    assert set(FaceDetection.objects.values_list("identity_id", flat=True)) == {second.pk}
    assert bind_outcome.rows_affected == TRACE_SIZE
    if isinstance(undo_outcome, Conflict):
        assert str(bind_outcome.history.history_id) in str(undo_outcome)
        assert IdentityHistory.objects.get(pk=entry.pk).undone_at is None
    else:
        assert undo_outcome.faces_moved == TRACE_SIZE
    assert_files_match_database(settings, first, second)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_profile_image_upload_racing_a_delete(settings, round_number):
    identity = IdentityFactory()
    identity_dir = settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex
    old, new = image_bytes("JPEG"), image_bytes("PNG")
    identity_profile_image_set(identity_uuid=identity.identity_uuid, upload=image_upload(old, name="a.jpg"), actor="k")

    upload_outcome, delete_outcome = run_together(
        lambda: identity_profile_image_set(identity_uuid=identity.identity_uuid, upload=image_upload(new), actor="key:a"),
        lambda: identity_delete(identity_uuid=identity.identity_uuid, actor="key:b"),
    )

    assert not isinstance(delete_outcome, Exception), delete_outcome
    assert isinstance(upload_outcome, (Http404, ProfileImageChange)), upload_outcome
    assert not identity_dir.exists()
    # Undoing the delete brings back the image the identity had when it was deleted.
    history_undo(history_id=delete_outcome.history.history_id, actor="key:b")
    uploaded = isinstance(upload_outcome, ProfileImageChange)
    expected = ("profile.png", new, "PNG") if uploaded else ("profile.jpg", old, "JPEG")
    assert sorted(path.name for path in identity_dir.iterdir()) == sorted(["identity.json", expected[0]])
    assert (identity_dir / expected[0]).read_bytes() == reencode_profile_image(expected[1], expected[2])
    assert_files_match_database(settings, identity)


def test_bind_trace_moves_and_records_exactly_the_faces_it_locked(settings, monkeypatch):
    """Reproducer: bind/trace locked the trace's faces not on X, then ran a second UPDATE with the
    same filter; a face moved off X by another request in between was moved back to X and left out
    of the entry. Here the other request binds one of X's faces to Y right after the lock."""
    x, y = IdentityFactory(), IdentityFactory()
    media_file = MediaFileFactory()
    faces = make_trace(media_file=media_file, trace_id=1, size=4)
    on_x = faces[0]
    face_bind(identity_uuid=x.identity_uuid, file_uuid=media_file.file_uuid, frame_number=on_x.frame_number,
              index=on_x.index, actor="test:x")
    locked_face_rows = binding.locked_face_rows
    interleaved = []

    def lock_then_let_another_request_in(queryset):
        rows = locked_face_rows(queryset)
        if not interleaved:
            interleaved.append(None)  # the other request locks its face through here too
            take_face = lambda: face_bind(  # noqa: E731
                identity_uuid=y.identity_uuid,
                file_uuid=media_file.file_uuid,
                frame_number=on_x.frame_number,
                index=on_x.index,
                actor="test:y",
            )
            interleaved[0] = run_together(take_face)[0]
        return rows

    monkeypatch.setattr(binding, "locked_face_rows", lock_then_let_another_request_in)
    change = trace_bind(identity_uuid=x.identity_uuid, file_uuid=media_file.file_uuid, trace_id=1, actor="test:x")

    assert not isinstance(interleaved[0], Exception), interleaved[0]
    assert FaceDetection.objects.get(pk=on_x.pk).identity_id == y.pk
    assert set(FaceDetection.objects.filter(identity=x)) == set(faces[1:])
    recorded = {tuple(key) for group in change.history.after_snapshot["faces"] for key in group["keys"]}
    assert recorded == {(face.frame_number, face.index) for face in faces[1:]}
    assert change.rows_affected == 3

    history_undo(history_id=change.history.history_id, actor="test:x")
    assert FaceDetection.objects.get(pk=on_x.pk).identity_id == y.pk
    assert not FaceDetection.objects.filter(identity=x).exists()
