"""The console's review page: one stranger at a time, who it most probably is, and the curator's
answer (accept, reject, skip, new person), each undoable from the message that confirms it."""
import html
import re

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.test import Client

from identities.models import Identity, IdentityRejection
from identities.services.images import identity_profile_image_set
from identities.suggestions import identity_suggestions
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, StrangerFactory, image_upload

pytestmark = pytest.mark.django_db

DIMENSIONS = 8
REVIEW = "/review/"


def direction(seed, *, near=None, spread=0.0):
    """A unit vector; `near` another's direction blurred by `spread`."""
    rng = np.random.default_rng(seed)
    vector = rng.normal(size=DIMENSIONS) if near is None else np.asarray(near) + spread * rng.normal(size=DIMENSIONS)
    return list(vector / np.linalg.norm(vector))


CARY, INGRID = direction(1), direction(2)


def faces(media_file, trace_id, centre, *, identity, frames, seed, index=0):
    return [
        FaceFactory(
            media_file=media_file,
            trace_id=trace_id,
            frame_number=frame,
            index=index,
            embedding=direction(seed * 1000 + frame, near=centre, spread=0.1),
            identity=identity,
        )
        for frame in frames
    ]


@pytest.fixture
def library():
    """Cary and Ingrid in one film; in another, a stranger who is Cary (on screen longest) and a
    shorter one who is Ingrid."""
    film = MediaFileFactory(file_name="Notorious (1946).mp4", fps=25.0)
    other = MediaFileFactory(file_name="Charade (1963).mp4", fps=25.0)
    cary, ingrid = IdentityFactory(name="Cary Grant"), IdentityFactory(name="Ingrid Bergman")
    faces(film, 1, CARY, identity=cary, frames=range(0, 40, 10), seed=1)
    faces(film, 2, INGRID, identity=ingrid, frames=range(0, 40, 10), seed=2, index=1)
    tall, short = StrangerFactory(name="stranger_1"), StrangerFactory(name="stranger_2")
    faces(other, 7, CARY, identity=tall, frames=range(90000, 90300, 50), seed=3)  # 1:00:00 to 1:00:10
    faces(other, 8, INGRID, identity=short, frames=range(500, 540, 20), seed=4)
    return {"film": film, "other": other, "cary": cary, "ingrid": ingrid, "tall": tall, "short": short}


def review_page(client, params=None):
    response = client.get(REVIEW, params or {})
    assert response.status_code == 200
    return response.content.decode()


def candidate_names(page):
    return re.findall(r'<section class="card candidate[^"]*">.*?<h3><a [^>]*>([^<]+)</a>', page, re.S)


def form_fields(page, action):
    """The hidden fields of the page's form posting to `action`."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S).group(1)
    return {name: html.unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}


def undo_form(page):
    """The action and fields of the Undo button in the page's success message."""
    message = re.search(r'<li class="success">(.*?)</li>', page, re.S).group(1)
    action = re.search(r'<form method="post" action="([^"]+)" class="inline undo">', message).group(1)
    return action, form_fields(message, action)


def answer(client, action, stranger, candidate=None, **fields):
    data = {"next": REVIEW, **fields}
    if candidate is not None:
        data["candidate_uuid"] = candidate.identity_uuid.hex
    return client.post(f"/review/{stranger.identity_uuid.hex}/{action}", data, follow=True)


def test_the_review_page_needs_a_signed_in_curator(client, library):
    accept = f"/review/{library['tall'].identity_uuid.hex}/accept"
    for response in (client.get(REVIEW), client.post(accept, {"candidate_uuid": library["cary"].identity_uuid.hex})):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert library["cary"].faces.count() == 4


def test_the_longest_on_screen_stranger_comes_first_with_its_likeliest_candidate(
    curator, library, django_capture_on_commit_callbacks
):
    cary, tall = library["cary"], library["tall"]
    with django_capture_on_commit_callbacks(execute=True):
        identity_profile_image_set(identity_uuid=cary.identity_uuid, upload=image_upload(), actor="user:curator")

    page = review_page(curator)

    assert "stranger_1" in page and "<strong>1</strong> of 2" in page
    figures = r"<dt>Faces</dt><dd>6</dd>.*<dt>Screen time</dt><dd>0:00:10</dd>.*<dt>Files</dt><dd>1</dd>"
    assert re.search(figures, page, re.S)
    assert 'href="/files/%s/">Charade (1963).mp4</a>' % library["other"].file_uuid.hex in page
    assert "1:00:00–1:00:10" in page  # the trace's first and last face
    assert candidate_names(page)[0] == "Cary Grant"
    similarity = identity_suggestions(tall).suggestions[0].similarity
    assert similarity > 0.9
    top = page[page.index('class="card candidate top"') :]
    assert f'<span class="value">{similarity:.2f}</span>' in top[:1500]
    assert f'src="/identities/{cary.identity_uuid.hex}/profile-image"' in top[:1500]
    assert 'data-shortcut="a"' in top[:3000]


def test_the_stranger_shows_its_traces_crops_and_each_candidate_its_best_face(curator, library):
    film, other, cary = library["film"], library["other"], library["cary"]
    faces(film, 5, CARY, identity=cary, frames=range(100, 160, 10), seed=6)  # Cary's strongest trace: 6 faces
    page = review_page(curator)
    strip = re.search(r'<ul class="stranger-traces"[^>]*>(.*?)</ul>', page, re.S).group(1)
    trace_page = f"/files/{other.file_uuid.hex}/traces/7/"
    thumbnail = f"/files/{other.file_uuid.hex}/traces/7.jpg?size=128"
    assert f'<a href="{trace_page}"' in strip and f'<img src="{thumbnail}"' in strip
    assert f'<a href="{trace_page}">7</a>' in page  # the trace's row opens the trace too
    top = page[page.index('class="card candidate top"') :][:2500]
    best_face = f"/files/{film.file_uuid.hex}/faces/100_0.jpg?size=128"
    assert f'<a href="/files/{film.file_uuid.hex}/traces/5/"><img src="{best_face}"' in top
    assert 'alt="Best face of Cary Grant"' in top


def test_order_by_faces_and_one_files_strangers(curator, library):
    StrangerFactory(name="stranger_3")  # no faces: nothing to review
    crowd = StrangerFactory(name="stranger_many")
    faces(library["film"], 9, INGRID, identity=crowd, frames=range(1000, 1010), seed=5)  # 10 faces in 0.4 s

    assert "<strong>1</strong> of 3" in review_page(curator) and "stranger_1" in review_page(curator)
    assert "stranger_many" in review_page(curator, {"order": "faces"})
    page = review_page(curator, {"file": library["film"].file_uuid.hex})
    assert "stranger_many" in page and "<strong>1</strong> of 1" in page and "Notorious (1946).mp4" in page
    file_page = curator.get(f"/files/{library['film'].file_uuid.hex}/").content.decode()
    assert f'href="/review/?file={library["film"].file_uuid.hex}"' in file_page


def test_accept_merges_the_stranger_and_its_message_undoes_the_merge(library):
    """Through a client that checks CSRF tokens, as a browser posts the page's and the message's forms."""
    cary, tall = library["cary"], library["tall"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_user("curator", password="pw-for-tests"))
    page = review_page(client)
    accept = f"/review/{tall.identity_uuid.hex}/accept"
    assert form_fields(page, accept)["candidate_uuid"] == cary.identity_uuid.hex

    page = client.post(accept, form_fields(page, accept), follow=True).content.decode()

    assert cary.faces.count() == 10 and not tall.faces.exists()
    tall.refresh_from_db()
    assert tall.status == "merged"
    assert "Merged &#x27;stranger_1&#x27; into &#x27;Cary Grant&#x27; (6 faces)." in page
    assert "stranger_2" in page and "<strong>1</strong> of 1" in page  # the next stranger
    action, fields = undo_form(page)
    assert re.fullmatch(r"/merges/[0-9a-f-]{36}/undo", action) and fields["next"] == REVIEW

    response = client.post(action, fields)
    assert response.status_code == 302 and response["Location"] == REVIEW
    assert cary.faces.count() == 4 and tall.faces.count() == 6
    assert "stranger_1" in review_page(client)


def test_reject_drops_the_candidate_and_its_message_undoes_the_rejection(curator, library):
    cary, tall = library["cary"], library["tall"]

    page = answer(curator, "reject", tall, cary).content.decode()

    rejections = IdentityRejection.objects.filter(identity_uuid=tall.identity_uuid, candidate_uuid=cary.identity_uuid)
    assert rejections.exists()
    assert "&#x27;stranger_1&#x27; is not &#x27;Cary Grant&#x27;" in page
    assert "stranger_1" in page and "Cary Grant" not in candidate_names(page)  # the same stranger, without Cary
    assert candidate_names(page)[0] == "Ingrid Bergman"
    action, fields = undo_form(page)
    assert re.fullmatch(r"/history/[0-9a-f-]{36}/undo", action)

    curator.post(action, fields)
    assert not IdentityRejection.objects.exists()
    assert candidate_names(review_page(curator))[0] == "Cary Grant"


def test_rejecting_twice_says_why_and_writes_nothing(curator, library):
    answer(curator, "reject", library["tall"], library["cary"])
    page = answer(curator, "reject", library["tall"], library["cary"]).content.decode()
    assert "already rejected" in page
    assert IdentityRejection.objects.count() == 1


def test_skip_and_j_k_move_along_the_queue_without_writing(curator, library):
    page = review_page(curator)
    skip = re.search(r'<a class="button secondary" href="([^"]+)" data-shortcut="s">', page).group(1)
    following = re.search(r'<a href="([^"]+)" rel="next" data-shortcut="j"', page).group(1)
    assert skip == following == "/review/?at=2"

    page = review_page(curator, {"at": 2})
    assert "stranger_2" in page and "<strong>2</strong> of 2" in page and candidate_names(page)[0] == "Ingrid Bergman"
    assert re.search(r'<a href="/review/" rel="prev" data-shortcut="k"', page)
    assert 'href="/review/" data-shortcut="s"' in page  # the last skips to the first
    assert Identity.objects.filter(status="pending").count() == 2
    response = curator.get(REVIEW, {"at": 99}, follow=True)  # past the end: the last one
    assert response.redirect_chain == [("/review/?at=2", 302)] and "stranger_2" in response.content.decode()


def test_a_new_person_is_named_and_confirmed_and_its_message_undoes_it(curator, library):
    tall = library["tall"]

    page = answer(curator, "name", tall, name="  Claude Rains ").content.decode()

    tall.refresh_from_db()
    assert (tall.name, tall.status) == ("Claude Rains", "confirmed")
    assert "Named &#x27;stranger_1&#x27; &#x27;Claude Rains&#x27;" in page
    assert "stranger_2" in page and "<strong>1</strong> of 1" in page
    action, fields = undo_form(page)
    curator.post(action, fields)
    tall.refresh_from_db()
    assert (tall.name, tall.status) == ("stranger_1", "pending")


def test_a_new_person_without_a_name_is_refused(curator, library):
    page = answer(curator, "name", library["tall"], name=" ").content.decode()
    assert "name must be a non-empty string" in page
    assert Identity.objects.get(pk=library["tall"].pk).name == "stranger_1"


def test_the_shortcuts_are_on_the_page_and_the_script_is_local(curator, library):
    page = review_page(curator)
    legend = page[page.index('<aside class="shortcuts"') :]
    keys = [("a", "accept"), ("r", "reject"), ("s", "skip"), ("n", "new person"), ("j", "next"), ("k", "previous")]
    for key, does in keys:
        assert f"<kbd>{key}</kbd>" in legend and does in legend
    for key in "arsnj":
        assert f'data-shortcut="{key}"' in page
    assert '<script src="/static/console/review.js" defer></script>' in page
    assert "http" not in re.search(r"<script[^>]*>", page).group(0)


def test_the_navigation_links_the_review_page(curator, library):
    assert '<a href="/review/">Review</a>' in curator.get("/identities/").content.decode()


def test_nobody_left_is_a_friendly_empty_state(curator, library):
    answer(curator, "accept", library["tall"], library["cary"])
    answer(curator, "accept", library["short"], library["ingrid"])
    page = review_page(curator)
    assert "Nobody left to review" in page
    assert "data-shortcut" not in page


@pytest.mark.parametrize("lookalikes", [1, 8])
def test_the_page_queries_do_not_grow_with_the_candidates(curator, library, lookalikes, django_assert_max_num_queries):
    for number in range(lookalikes):
        known = IdentityFactory(name=f"Cary's double {number}")
        faces(MediaFileFactory(), 1, CARY, identity=known, frames=range(0, 30, 10), seed=10 + number)
    with django_assert_max_num_queries(23):
        page = review_page(curator)
    assert len(candidate_names(page)) == min(lookalikes + 2, 4)
