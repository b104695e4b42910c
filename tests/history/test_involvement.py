"""Entries involving an identity (its own and others' writes that moved its faces), and what an
entry changed read from its snapshots."""

import uuid

import pytest

from history.selectors import entry_diff, history_entries_involving
from identities.services import binding, editing
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    film = MediaFileFactory()
    cary, stranger = IdentityFactory(name="Cary Grant"), StrangerFactory()
    for frame in range(3):
        FaceFactory(media_file=film, frame_number=frame, trace_id=1, identity=stranger)
    FaceFactory(media_file=film, frame_number=3, trace_id=1)
    return film, cary, stranger


def test_a_bind_is_an_entry_of_the_winner_involving_the_loser(library, django_assert_num_queries):
    film, cary, stranger = library
    entry = binding.trace_bind(
        identity_uuid=cary.identity_uuid, file_uuid=film.file_uuid, trace_id=1, actor="t"
    ).history
    with django_assert_num_queries(1):
        assert [item.pk for item in history_entries_involving(stranger.identity_uuid)] == [entry.pk]
    assert [item.pk for item in history_entries_involving(cary.identity_uuid)] == [entry.pk]
    assert not history_entries_involving(uuid.uuid4()).exists()

    moves = sorted(entry_diff(entry).moves, key=lambda move: move.faces)
    assert [(move.from_uuid, move.to_uuid, move.faces) for move in moves] == [
        (None, cary.identity_uuid, 1),
        (stranger.identity_uuid, cary.identity_uuid, 3),
    ]
    assert all(move.file_uuid == film.file_uuid for move in moves)


def test_an_edit_diff_names_fields_aliases_and_metadata_keys(library):
    _film, cary, _stranger = library
    editing.identity_update(
        identity_uuid=cary.identity_uuid,
        data={"name": "Archie", "metadata": {"aliases": [{"locale": "ja", "name": "グラント"}], "born": 1904}},
        actor="t",
    )
    entry = editing.identity_update(
        identity_uuid=cary.identity_uuid,
        data={"metadata": {"aliases": [{"locale": "en", "name": "Archie Leach"}], "born": 1905}},
        actor="t",
    ).history
    diff = entry_diff(entry)
    assert diff.fields == []
    assert diff.aliases == [("en", [], ["Archie Leach"]), ("ja", ["グラント"], [])]
    assert diff.metadata_changed == ["born"] and diff.metadata_added == [] and not diff.moves

    first = history_entries_involving(cary.identity_uuid).last()
    assert entry_diff(first).fields == [("name", "Cary Grant", "Archie")]
    assert entry_diff(first).metadata_added == ["born"]
