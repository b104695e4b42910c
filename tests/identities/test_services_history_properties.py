"""Random sequences of curation writes keep the books straight.

Hypothesis runs sequences of PATCH, bind, bind/trace, unbind, delete, upload, merge, merge undo and
redo, and history undo and redo on a small library. After each step: every identity.json on disk
is the database's document (a face is listed by exactly its owner), the trace segments are what
the faces say (check_traces), every standing merge's source is `merged` into its target, and a
refused write changed nothing. At the end, undoing everything in stack order (newest first: merges
through their own undo) returns the starting state exactly.
A merge's undo may come out of stack order (the spec keeps what was done by hand since); the
invariants hold then too, but a sequence with one is not unwound: the faces it could not take
back have left the history's reach, as the merge undo reports (`faces_not_reverted`).
`MOMENTRY_PROPERTY_EXAMPLES` sets the number of sequences (CI runs the default).
"""
import io
import json
import os
import shutil

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from hypothesis import HealthCheck, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from faces.models import FaceDetection, MediaFile
from history.merge_records import merge_history_page
from history.models import MERGE_ACTIONS, HistoryAction, IdentityHistory, MergeOperation
from history.mongo import merge_history_collection
from history.selectors import history_stack_heads
from identities.models import Identity
from identities.selectors import identity_document
from identities.services import binding, documents, editing, merging, replay
from momentry.core.errors import ApplicationError
from tests.factories import IdentityFactory, MediaFileFactory, StrangerFactory, make_trace

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("merge_store")]

EXAMPLES = int(os.environ.get("MOMENTRY_PROPERTY_EXAMPLES", "30"))
IDENTITIES = 3
TRACES = 2
FACES_PER_TRACE = 2
REFUSED = (ApplicationError, Http404, ValidationError)

who = st.integers(0, IDENTITIES - 1)
steps = st.one_of(
    st.tuples(st.just("patch"), who, st.sampled_from(["name", "status", "metadata"]), st.integers(0, 3)),
    st.tuples(st.just("bind_face"), who, st.integers(0, TRACES * FACES_PER_TRACE - 1)),
    st.tuples(st.just("bind_trace"), who, st.integers(1, TRACES)),
    st.tuples(st.just("unbind_trace"), who, st.integers(1, TRACES)),
    st.tuples(st.just("delete"), who),
    st.tuples(st.just("upload"), who, st.integers(0, 3)),
    st.tuples(st.just("merge"), who, who, st.booleans()),
    st.tuples(st.just("merge_undo"), st.integers(0, 5)),
    st.tuples(st.just("merge_redo"), st.integers(0, 5)),
    st.tuples(st.just("undo"), who),
    st.tuples(st.just("redo"), who),
)


def fresh_library():
    """Three identities (one with faces), one file with two traces; nothing else in any store."""
    for model in (FaceDetection, MediaFile, Identity, IdentityHistory, MergeOperation):
        model.objects.all().delete()
    merge_history_collection().delete_many({})
    shutil.rmtree(settings.MOMENTRY_OUTPUT_DIR, ignore_errors=True)
    people = [
        IdentityFactory(name="Cary Grant", metadata={"aliases": [{"locale": "en", "name": "Archie"}], "born": 1904}),
        IdentityFactory(name="Claude Rains", metadata={"born": 1889}),
        StrangerFactory(metadata={"seen": True}),
    ]
    media_file = MediaFileFactory()
    faces = []
    for trace_id in range(1, TRACES + 1):
        owner = people[0] if trace_id == 1 else None
        faces += make_trace(
            media_file=media_file, trace_id=trace_id, size=FACES_PER_TRACE, identity=owner, first_frame=trace_id * 10
        )
    return people, media_file, faces


def world():
    identities = {
        row["identity_uuid"].hex: {key: value for key, value in row.items() if key != "updated_at"}
        for row in Identity.objects.values()
    }
    owners = dict(FaceDetection.objects.values_list("pk", "identity__identity_uuid"))
    return identities, owners


def merges():
    return merge_history_page(page=1, page_size=100).items


def check_invariants():
    call_command("check_traces", "--check", stdout=io.StringIO(), stderr=io.StringIO())
    output = settings.MOMENTRY_OUTPUT_DIR / "identities"
    on_disk = {path.parent.name for path in output.glob("*/identity.json")} if output.exists() else set()
    live = {identity.identity_uuid.hex: identity for identity in Identity.objects.all()}
    assert on_disk == set(live)
    for identity_hex, identity in live.items():
        document = json.loads((output / identity_hex / "identity.json").read_text())
        assert document == identity_document(identity)
    standing = [record for record in merges() if not record["undone"]]
    assert len({record["source_uuid"] for record in standing}) == len(standing)
    for record in standing:
        source = live.get(record["source_uuid"])
        if record["keep_history"] and source is not None:
            assert source.status == "merged"
            assert source.metadata["merged_into"]["merge_id"] == record["merge_id"]
        elif record["keep_history"]:  # deleted by a curator since, on the record
            deleted = IdentityHistory.objects.filter(
                identity_uuid=record["source_uuid"], action=HistoryAction.DELETE, undone_at__isnull=True
            ).order_by("-id").first()
            merged = IdentityHistory.objects.get(merge_id=record["merge_id"], identity_uuid=record["source_uuid"],
                                                 action__in=MERGE_ACTIONS, undone_at__isnull=True)
            assert deleted is not None and deleted.id > merged.id
        else:
            assert source is None


def merge_is_stack_head(record, *, undo):
    """Whether the merge's entries are what the stack rule would take next on both identities."""
    for identity_hex in (record["source_uuid"], record["target_uuid"]):
        next_undo, next_redo = history_stack_heads(IdentityHistory.objects.filter(identity_uuid=identity_hex))
        head = next_undo if undo else next_redo
        if head is None or str(head.merge_id) != record["merge_id"]:
            return False
    return True


def run_step(step, people, media_file, faces):
    """Make one write; False when it was a merge undo or redo out of stack order."""
    kind, *args = step
    actor = "test:property"
    uuid_of = [person.identity_uuid for person in people]
    if kind == "patch":
        position, field, value = args
        data = {
            "name": {"name": f"Name {value}"},
            "status": {"status": ["confirmed", "pending", "inactive", "confirmed"][value]},
            "metadata": {"metadata": {"note": value}},
        }[field]
        editing.identity_update(identity_uuid=uuid_of[position], data=data, actor=actor)
    elif kind == "bind_face":
        position, face_position = args
        face = faces[face_position]
        binding.face_bind(
            identity_uuid=uuid_of[position], file_uuid=media_file.file_uuid,
            frame_number=face.frame_number, index=face.index, actor=actor,
        )
    elif kind in ("bind_trace", "unbind_trace"):
        position, trace_id = args
        write = binding.trace_bind if kind == "bind_trace" else binding.faces_unbind
        write(identity_uuid=uuid_of[position], file_uuid=media_file.file_uuid, trace_id=trace_id, actor=actor)
    elif kind == "delete":
        editing.identity_delete(identity_uuid=uuid_of[args[0]], actor=actor)
    elif kind == "upload":
        position, value = args
        if not Identity.objects.filter(identity_uuid=uuid_of[position]).exists():
            return  # an upload would create it anew: a write with nothing to undo to
        documents.identity_upload(
            document={"identity_uuid": uuid_of[position].hex, "name": f"Uploaded {value}", "metadata": {"v": value}},
            actor=actor,
        )
    elif kind == "merge":
        source, target, keep_history = args
        merging.identity_merge(
            identity_uuid=uuid_of[source].hex, into_uuid=uuid_of[target].hex, keep_history=keep_history, actor=actor
        )
    elif kind in ("merge_undo", "merge_redo"):
        records = merges()
        if records:
            record = records[args[0] % len(records)]
            in_order = merge_is_stack_head(record, undo=kind == "merge_undo")
            service = merging.merge_undo if kind == "merge_undo" else merging.merge_redo
            service(merge_id=record["merge_id"], actor=actor)
            return in_order
    else:
        entries = IdentityHistory.objects.filter(identity_uuid=uuid_of[args[0]])
        next_undo, next_redo = history_stack_heads(entries)
        entry = next_undo if kind == "undo" else next_redo
        if entry is not None:
            (replay.history_undo if kind == "undo" else replay.history_redo)(history_id=entry.history_id, actor=actor)


def undo_everything():
    """Newest first across every stack; a merge's entries through the merge's undo."""
    for _ in range(500):
        entry = (
            IdentityHistory.objects.filter(undone_at__isnull=True)
            .exclude(action=HistoryAction.MERGE_UNDO)
            .order_by("-id")
            .first()
        )
        if entry is None:
            return
        if entry.action in MERGE_ACTIONS:
            merging.merge_undo(merge_id=entry.merge_id, actor="test:unwind")
        else:
            replay.history_undo(history_id=entry.history_id, actor="test:unwind")
    pytest.fail("the history did not unwind")


@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=14))
def test_random_curation_keeps_every_store_consistent_and_unwinds_exactly(
    sequence, django_capture_on_commit_callbacks
):
    people, media_file, faces = fresh_library()
    with django_capture_on_commit_callbacks(execute=True):
        for person in people:
            editing.identity_update(identity_uuid=person.identity_uuid, data={"name": person.name}, actor="setup")
    IdentityHistory.objects.all().delete()
    start = world()

    note(f"steps: {sequence}")
    in_stack_order = True
    for step in sequence:
        before = world()
        with django_capture_on_commit_callbacks(execute=True):
            try:
                in_stack_order &= run_step(step, people, media_file, faces) is not False
            except REFUSED:
                assert world() == before, step
        check_invariants()

    if in_stack_order:
        with django_capture_on_commit_callbacks(execute=True):
            undo_everything()
        assert world() == start
        check_invariants()
