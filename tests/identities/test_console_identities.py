"""The console's identity pages: the sortable list with figures, the detail page's face strip,
alias and metadata editing, confirmations before merge and delete, Undo in every success
message, and the history as a diff on every identity an entry involves."""

import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faces.models import FaceDetection
from history.models import IdentityHistory
from identities.models import Identity
from identities.services import binding
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory

pytestmark = pytest.mark.django_db


def faces(media_file, identity, trace_id, frames):
    for frame in frames:
        FaceFactory(media_file=media_file, frame_number=frame, trace_id=trace_id, identity=identity)


@pytest.fixture
def library():
    """Cary: 3 faces over 75 s of one trace; Ingrid: 5 faces over 2 s; stranger_7: 4 faces in two
    traces (10 s and 1 s), all at 25 fps."""
    film = MediaFileFactory(file_name="Notorious (1946).mp4", fps=25.0)
    cary = IdentityFactory(
        name="Cary Grant", metadata={"aliases": [{"locale": "ja", "name": "ケーリー・グラント"}], "born": 1904}
    )
    ingrid = IdentityFactory(name="Ingrid Bergman")
    stranger = StrangerFactory(name="stranger_7")
    faces(film, cary, 3, [0, 900, 1874])
    faces(film, ingrid, 4, [2000, 2010, 2020, 2030, 2049])
    faces(film, stranger, 9, [3000, 3249])
    faces(film, stranger, 10, [4000, 4024])
    return {"film": film, "cary": cary, "ingrid": ingrid, "stranger": stranger}


def page(curator, url, **params):
    response = curator.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def listed_names(content):
    return re.findall(r'<td><a href="/identities/[0-9a-f]{32}/">([^<]+)</a>', content)


def messages_of(response):
    return html.unescape(" ".join(re.findall(r'<ul class="messages">(.*?)</ul>', response.content.decode(), re.S)))


def undo_action(response):
    """The Undo button's form action in the response's success message."""
    found = re.search(r'<form method="post" action="([^"]+)" class="inline undo">', response.content.decode())
    assert found, messages_of(response)
    return found.group(1)


def detail(identity):
    return f"/identities/{identity.identity_uuid.hex}/"


# --- the list -----------------------------------------------------------------------------


def test_list_shows_face_counts_and_screen_time(curator, library):
    content = page(curator, "/identities/")
    cary_row = re.search(r"Cary Grant</a>.*?</tr>", content, re.S).group(0)
    assert '<td class="num">3</td>' in cary_row and '<td class="num">0:01:15</td>' in cary_row
    stranger_row = re.search(r"stranger_7</a>.*?</tr>", content, re.S).group(0)
    assert '<td class="num">4</td>' in stranger_row and '<td class="num">0:00:11</td>' in stranger_row


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        ("name", ["Cary Grant", "Ingrid Bergman", "stranger_7"]),
        ("-name", ["stranger_7", "Ingrid Bergman", "Cary Grant"]),
        ("-faces", ["Ingrid Bergman", "stranger_7", "Cary Grant"]),
        ("faces", ["Cary Grant", "stranger_7", "Ingrid Bergman"]),
        ("-screen_time", ["Cary Grant", "stranger_7", "Ingrid Bergman"]),
        ("status", ["Cary Grant", "Ingrid Bergman", "stranger_7"]),
        ("-status", ["stranger_7", "Cary Grant", "Ingrid Bergman"]),
        ("nonsense", ["Cary Grant", "Ingrid Bergman", "stranger_7"]),
    ],
)
def test_list_sorts(curator, library, sort, names):
    assert listed_names(page(curator, "/identities/", sort=sort)) == names


def test_list_sorts_by_recent_change(curator, library):
    curator.post(f"/identities/{library['ingrid'].identity_uuid.hex}/edit", {"name": "Ingrid", "status": "confirmed"})
    assert listed_names(page(curator, "/identities/", sort="-changed"))[0] == "Ingrid"


def test_sort_links_keep_the_filters_and_reverse_the_current_column(curator, library):
    content = html.unescape(page(curator, "/identities/", q="a", sort="-faces"))
    assert 'href="?q=a&sort=faces"' in content  # the current column, reversed
    assert 'href="?q=a&sort=-screen_time"' in content  # another column, most first
    assert 'aria-sort="descending"' in content


def test_list_queries_do_not_grow_with_the_page(curator, library):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            page(curator, "/identities/", sort="-screen_time")
        return len(captured)

    few = queries()
    film = library["film"]
    for number in range(30):
        FaceFactory(media_file=film, frame_number=10_000 + number, trace_id=100 + number, identity=StrangerFactory())
    assert len(listed_names(page(curator, "/identities/"))) == 33
    assert queries() == few


# --- the detail page ----------------------------------------------------------------------


def test_detail_shows_best_faces_one_a_trace_and_times(curator, library):
    content = page(curator, detail(library["stranger"]))
    film = library["film"].file_uuid.hex
    strip = re.search(r'<ul class="face-strip">(.*?)</ul>', content, re.S).group(1)
    assert len(re.findall(rf'src="/files/{film}/faces/\d+_\d+\.jpg', strip)) == 2
    assert "4 in 1 file, 2 traces" in content
    assert "0:00:11" in content  # screen time
    assert "0:02:00–0:02:10" in content  # trace 9: frames 3000-3249 (129.96 s)


def test_detail_links_each_trace_to_its_own_page(curator, library):
    content = page(curator, detail(library["stranger"]))
    film = library["film"].file_uuid.hex
    strip = re.search(r'<ul class="face-strip">(.*?)</ul>', content, re.S).group(1)
    assert sorted(re.findall(rf'href="/files/{film}/traces/(\d+)/"', strip)) == ["10", "9"]
    table = content[content.index("<h2>Traces</h2>") :]
    assert sorted(set(re.findall(rf'href="/files/{film}/traces/(\d+)/"', table))) == ["10", "9"]
    assert page(curator, f"/files/{film}/traces/9/").count("/faces/3000_0.jpg") >= 1


def test_detail_without_faces_has_no_strip(curator):
    content = page(curator, detail(IdentityFactory(name="Nobody")))
    assert "face-strip" not in content and "0 in 0 files" in content


# --- aliases ------------------------------------------------------------------------------


def alias_post(curator, identity, **data):
    return curator.post(f"/identities/{identity.identity_uuid.hex}/aliases", data, follow=True)


def aliases_of(identity):
    identity.refresh_from_db()
    return identity.metadata.get("aliases")


def test_add_change_and_remove_an_alias(curator, library):
    cary = library["cary"]
    alias_post(curator, cary, locale="fr", name="Cary Grant (fr)")
    assert aliases_of(cary) == [
        {"locale": "ja", "name": "ケーリー・グラント"},
        {"locale": "fr", "name": "Cary Grant (fr)"},
    ]
    response = alias_post(
        curator, cary, position=1, expected_locale="fr", expected_name="Cary Grant (fr)", locale="de", name="Cary"
    )
    assert "Changed the alias 'Cary Grant (fr)' (fr) to 'Cary' (de)." in messages_of(response)
    assert aliases_of(cary)[1] == {"locale": "de", "name": "Cary"}
    alias_post(curator, cary, position=0, expected_locale="ja", expected_name="ケーリー・グラント", remove="on")
    assert aliases_of(cary) == [{"locale": "de", "name": "Cary"}]
    assert cary.metadata["born"] == 1904
    assert IdentityHistory.objects.filter(identity_uuid=cary.identity_uuid, action="update").count() == 3


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"locale": "not a locale", "name": "X"}, "is not a BCP 47 language tag"),
        ({"locale": "fr", "name": "  "}, "name must be a non-empty string"),
        (
            {"position": "0", "expected_locale": "en", "expected_name": "Cary", "locale": "fr", "name": "X"},
            "changed since",
        ),
        (
            {"position": "5", "expected_locale": "ja", "expected_name": "ケーリー・グラント", "remove": "on"},
            "changed since",
        ),
    ],
)
def test_a_refused_alias_edit_changes_nothing_and_says_why(curator, library, data, error):
    cary = library["cary"]
    response = alias_post(curator, cary, **data)
    assert error in messages_of(response)
    assert aliases_of(cary) == [{"locale": "ja", "name": "ケーリー・グラント"}]
    assert not IdentityHistory.objects.exists()


def test_an_alias_edit_is_undone_from_its_message(curator, library):
    cary = library["cary"]
    response = alias_post(curator, cary, locale="fr", name="Cary Grant (fr)")
    assert "Added the alias 'Cary Grant (fr)' (fr)." in messages_of(response)
    undone = curator.post(undo_action(response), {"next": detail(cary)}, follow=True)
    assert undone.redirect_chain[-1][0] == detail(cary)
    assert aliases_of(cary) == [{"locale": "ja", "name": "ケーリー・グラント"}]


# --- metadata -----------------------------------------------------------------------------


def metadata_post(curator, identity, text):
    return curator.post(f"/identities/{identity.identity_uuid.hex}/metadata", {"metadata": text}, follow=True)


def test_metadata_editor_replaces_the_object(curator, library):
    cary = library["cary"]
    response = metadata_post(curator, cary, '{"aliases": [{"locale": "en", "name": "Archie"}], "height_cm": 187}')
    assert "Saved the metadata." in messages_of(response)
    cary.refresh_from_db()
    assert cary.metadata == {"aliases": [{"locale": "en", "name": "Archie"}], "height_cm": 187}
    curator.post(undo_action(response))
    cary.refresh_from_db()
    assert cary.metadata["born"] == 1904


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"born": 1904,}', "metadata is not valid JSON"),
        ("[1, 2]", "metadata must be a JSON object"),
        ('{"aliases": [{"locale": "??", "name": "X"}]}', "is not a BCP 47 language tag"),
        ('{"aliases": "Archie"}', "metadata.aliases must be a list"),
        ('{"merged_into": {"uuid": "x"}}', "metadata.merged_into is set only by mergeinto"),
        ('{"note": "a\\u0000b"}', "must not contain NUL characters"),
    ],
)
def test_refused_metadata_changes_nothing_and_says_why(curator, library, text, error):
    cary = library["cary"]
    before = Identity.objects.get(pk=cary.pk).metadata
    response = metadata_post(curator, cary, text)
    assert error in messages_of(response)
    cary.refresh_from_db()
    assert cary.metadata == before
    assert not IdentityHistory.objects.exists()


# --- confirmations and undo in messages ---------------------------------------------------


def test_merge_asks_first_then_merges_and_its_message_undoes_it(curator, library):
    cary, stranger = library["cary"], library["stranger"]
    link = f"/identities/{stranger.identity_uuid.hex}/merge?into_uuid={cary.identity_uuid.hex}"
    assert f'href="{link}"' in html.unescape(page(curator, detail(stranger), merge_q="Cary"))
    content = html.unescape(page(curator, link))
    assert "Merge stranger_7 (4 faces in 2 traces) into Cary Grant?" in content
    assert "Cary Grant has 3 now, 7 after" in content
    assert f'href="{detail(stranger)}"' in content  # Cancel
    assert cary.faces.count() == 3  # asking changed nothing

    response = curator.post(
        f"/identities/{stranger.identity_uuid.hex}/merge",
        {"into_uuid": cary.identity_uuid.hex, "keep_history": "on"},
        follow=True,
    )
    assert "Merged 'stranger_7' into 'Cary Grant' (4 faces)." in messages_of(response)
    assert cary.faces.count() == 7
    assert undo_action(response).startswith("/merges/")
    curator.post(undo_action(response))
    assert cary.faces.count() == 3 and stranger.faces.count() == 4


def test_delete_asks_first_then_deletes_and_its_message_undoes_it(curator, library):
    cary = library["cary"]
    content = html.unescape(page(curator, f"/identities/{cary.identity_uuid.hex}/delete"))
    assert "Delete Cary Grant?" in content and "Its 3 faces in 1 trace (1 file) are unbound" in content
    assert Identity.objects.filter(pk=cary.pk).exists()

    response = curator.post(f"/identities/{cary.identity_uuid.hex}/delete", follow=True)
    assert "Deleted 'Cary Grant' (3 faces unbound)." in messages_of(response)
    assert not Identity.objects.filter(pk=cary.pk).exists()
    curator.post(undo_action(response))
    assert Identity.objects.get(identity_uuid=cary.identity_uuid).faces.count() == 3


def test_edit_and_unbind_messages_carry_their_undo(curator, library):
    cary, film = library["cary"], library["film"]
    response = curator.post(
        f"/identities/{cary.identity_uuid.hex}/edit", {"name": "Archibald Leach", "status": "confirmed"}, follow=True
    )
    assert "Saved name, identity_type, status." in messages_of(response)
    curator.post(undo_action(response))
    cary.refresh_from_db()
    assert cary.name == "Cary Grant"

    response = curator.post(
        f"/identities/{cary.identity_uuid.hex}/unbind", {"file_uuid": film.file_uuid.hex, "trace_id": 3}, follow=True
    )
    assert "Unbound trace 3: 3 faces." in messages_of(response)
    curator.post(undo_action(response))
    assert cary.faces.count() == 3


# --- history as a diff, on every identity involved ----------------------------------------


def history_of(curator, identity):
    content = page(curator, f"/identities/{identity.identity_uuid.hex}/history/")
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)))


def test_a_bind_shows_on_the_winner_and_on_the_loser(curator, library):
    cary, stranger, film = library["cary"], library["stranger"], library["film"]
    entry = binding.trace_bind(
        identity_uuid=cary.identity_uuid, file_uuid=film.file_uuid, trace_id=9, actor="user:curator"
    ).history
    moved = "2 faces of trace 9 in Notorious (1946).mp4 : from stranger_7 to Cary Grant"
    for identity in (cary, stranger):
        assert moved in history_of(curator, identity)
    loser_page = page(curator, f"/identities/{stranger.identity_uuid.hex}/history/")
    assert f'href="{detail(cary)}"' in loser_page  # the winner, linked
    assert f'action="/history/{entry.history_id}/undo"' in loser_page  # undo from the loser's page too

    curator.post(f"/history/{entry.history_id}/undo", {"next": f"/identities/{stranger.identity_uuid.hex}/history/"})
    assert FaceDetection.objects.filter(trace_id=9, identity=stranger).count() == 2
    assert f'action="/history/{entry.history_id}/redo"' in page(
        curator, f"/identities/{stranger.identity_uuid.hex}/history/"
    )


def test_an_edit_shows_fields_and_aliases_before_and_after(curator, library):
    cary = library["cary"]
    curator.post(f"/identities/{cary.identity_uuid.hex}/edit", {"name": "Archibald Leach", "status": "pending"})
    metadata_post(curator, cary, '{"aliases": [{"locale": "ja", "name": "グラント"}], "height_cm": 187}')
    text = history_of(curator, cary)
    assert "name Cary Grant → Archibald Leach" in text
    assert "status confirmed → pending" in text
    assert "alias ja ケーリー・グラント → グラント" in text
    assert "metadata added height_cm" in text and "metadata removed born" in text


def test_a_merge_shows_on_source_and_target_with_links(curator, library):
    cary, stranger = library["cary"], library["stranger"]
    curator.post(
        f"/identities/{stranger.identity_uuid.hex}/merge", {"into_uuid": cary.identity_uuid.hex, "keep_history": "on"}
    )
    for identity, other in ((cary, stranger), (stranger, cary)):
        text = history_of(curator, identity)
        assert "Merged stranger_7 into Cary Grant : 4 faces moved" in text
        assert f'href="{detail(other)}"' in page(curator, f"/identities/{identity.identity_uuid.hex}/history/")


def test_a_deleted_identity_is_named_as_such_where_it_lost_faces(curator, library):
    cary, stranger, film = library["cary"], library["stranger"], library["film"]
    binding.trace_bind(identity_uuid=cary.identity_uuid, file_uuid=film.file_uuid, trace_id=9, actor="user:curator")
    curator.post(f"/identities/{stranger.identity_uuid.hex}/delete")
    text = history_of(curator, cary)
    assert "from a deleted identity to Cary Grant" in text


def test_history_page_queries_do_not_grow_with_its_entries(curator, library):
    cary = library["cary"]

    def queries():
        with CaptureQueriesContext(connection) as captured:
            page(curator, f"/identities/{cary.identity_uuid.hex}/history/")
        return len(captured)

    film = library["film"].file_uuid.hex
    curator.post(f"/identities/{cary.identity_uuid.hex}/unbind", {"file_uuid": film, "trace_id": 3})
    few = queries()
    for number in range(8):
        curator.post(f"/identities/{cary.identity_uuid.hex}/edit", {"name": f"Name {number}", "status": "confirmed"})
    binding.trace_bind(
        identity_uuid=cary.identity_uuid, file_uuid=library["film"].file_uuid, trace_id=4, actor="user:x"
    )
    assert IdentityHistory.objects.filter(identity_uuid=cary.identity_uuid).count() == 10
    assert queries() == few


def test_a_merged_identity_keeps_its_merge_mark_through_the_metadata_editor(curator, library):
    cary, stranger = library["cary"], library["stranger"]
    curator.post(
        f"/identities/{stranger.identity_uuid.hex}/merge", {"into_uuid": cary.identity_uuid.hex, "keep_history": "on"}
    )
    stranger.refresh_from_db()
    mark = stranger.metadata["merged_into"]
    response = metadata_post(curator, stranger, json.dumps({"merged_into": mark, "note": "same man"}))
    assert "Saved the metadata." in messages_of(response)
    response = metadata_post(curator, stranger, json.dumps({"note": "mark dropped"}))
    assert "change only when that merge is undone" in messages_of(response)
    stranger.refresh_from_db()
    assert stranger.metadata == {"merged_into": mark, "note": "same man"}
