"""The TMDb probe against a real local HTTP server that answers like TMDb's v3 API."""
import io
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from history.models import IdentityHistory
from identities.models import Identity
from identities.services.image_reencoding import reencode_profile_image
from identities.services.replay import history_undo
from identities.services.tmdb_probe import identity_apply_tmdb_person, identity_tmdb_probe_on_commit
from momentry.core.errors import Conflict
from tests.factories import IdentityFactory, image_bytes

# Real commits: identity.json and profile images are written by on_commit callbacks.
pytestmark = pytest.mark.django_db(transaction=True)

VALID_KEY = "0123456789abcdef0123456789abcdef"
V4_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ0ZXN0In0.c2lnbmF0dXJl"
CARY_JPEG = image_bytes("JPEG", size=(8, 12), color=(40, 40, 40))
CARY_JPEG_STORED = reencode_profile_image(CARY_JPEG, "JPEG")  # what the probe keeps of the download
AUDREY_PNG = image_bytes("PNG", size=(6, 9), color=(250, 220, 200))


def tmdb_person(tmdb_id, name, profile_path, **fields):
    """A `GET /person/{id}` answer shaped like TMDb's."""
    return {
        "adult": False,
        "also_known_as": [],
        "biography": "",
        "birthday": None,
        "deathday": None,
        "gender": 0,
        "homepage": None,
        "id": tmdb_id,
        "imdb_id": None,
        "known_for_department": "Acting",
        "name": name,
        "place_of_birth": None,
        "popularity": 1.0,
        "profile_path": profile_path,
        **fields,
    }


CARY = tmdb_person(
    112,
    "Cary Grant",
    "/cary.jpg",
    also_known_as=["Archibald Alec Leach", "ケーリー・グラント"],
    biography="Cary Grant was an English-born American actor.",
    birthday="1904-01-18",
    deathday="1986-11-29",
    gender=2,
    homepage=None,
    imdb_id="nm0000026",
    place_of_birth="Bristol, England, UK",
    popularity=12.5,
)
AUDREY = tmdb_person(1932, "Audrey Hepburn", "/audrey.png", birthday="1929-05-04", gender=1, imdb_id="nm0000030")
NO_PICTURE = tmdb_person(77, "Nobody Pictured", None)


class FakeTmdb:
    """What the fake server knows and what it was asked; tests change it between calls."""

    def __init__(self):
        self.people = {person["id"]: person for person in (CARY, AUDREY, NO_PICTURE)}
        self.images = {"/cary.jpg": CARY_JPEG, "/audrey.png": AUDREY_PNG}
        self.valid_keys = {VALID_KEY, V4_TOKEN}
        self.rate_limited = []  # Retry-After values of the next 429 answers, in order
        self.requests = []
        self.base_url = self.image_base_url = None

    def person_paths(self):
        return [request["path"] for request in self.requests if request["path"].startswith("/3/person/")]


def _handler_for(fake):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            fake.requests.append({"path": url.path, "query": query, "authorization": self.headers.get("Authorization")})
            if fake.rate_limited:
                return self._send(429, {"status_code": 25, "status_message": "Rate limit."}, retry_after=fake.rate_limited.pop(0))
            if url.path.startswith("/3/person/"):
                return self._person(url.path.removeprefix("/3/person/"), query)
            if url.path.startswith("/t/p/original/"):
                image = fake.images.get(url.path.removeprefix("/t/p/original"))
                if image is None:
                    return self._send(404, {"status_code": 34})
                return self._send(200, image, content_type="image/jpeg")
            return self._send(404, {"status_code": 34})

        def _person(self, tmdb_id, query):
            bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if query.get("api_key") not in fake.valid_keys and bearer not in fake.valid_keys:
                return self._send(401, {"status_code": 7, "status_message": "Invalid API key: You must be granted a valid key."})
            person = fake.people.get(int(tmdb_id)) if tmdb_id.isdigit() else None
            if person is None:
                return self._send(404, {"status_code": 34, "status_message": "The resource you requested could not be found."})
            return self._send(200, person)

        def _send(self, status, body, *, content_type="application/json", retry_after=None):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def fake_tmdb(settings):
    """A TMDb imitation on 127.0.0.1 with the probe enabled and pointed at it."""
    fake = FakeTmdb()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    root = f"http://127.0.0.1:{server.server_address[1]}"
    settings.MOMENTRY_TMDB_PROBE_ENABLED = True
    settings.MOMENTRY_TMDB_API_KEY = VALID_KEY
    settings.MOMENTRY_TMDB_BASE_URL = f"{root}/3"
    settings.MOMENTRY_TMDB_IMAGE_BASE_URL = f"{root}/t/p/original"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def run_probe(*args):
    """`manage.py tmdb_probe` in-process: (stdout, stderr, CommandError or None)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("tmdb_probe", *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:
        return stdout.getvalue(), stderr.getvalue(), exc
    return stdout.getvalue(), stderr.getvalue(), None


def identity_dir(settings, identity):
    return settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex


def identity_json_on_disk(settings, identity):
    return json.loads((identity_dir(settings, identity) / "identity.json").read_text())


TMDB_KEYS = {
    "tmdb_biography",
    "tmdb_birthday",
    "tmdb_deathday",
    "tmdb_place_of_birth",
    "tmdb_known_for_department",
    "tmdb_popularity",
    "tmdb_also_known_as",
    "tmdb_gender",
    "tmdb_imdb_id",
    "tmdb_homepage",
    "tmdb_probed_at",
}


# --- the command ---------------------------------------------------------------------------------


def test_probe_writes_tmdb_keys_keeps_other_metadata_and_saves_the_profile_image(fake_tmdb, settings, api):
    aliases = [{"locale": "ja", "name": "ケーリー・グラント"}]
    identity = IdentityFactory(
        name="Cary Grant",
        tmdb_id=112,
        metadata={"aliases": aliases, "tmdb_character": "Roger Thornhill", "tmdb_biography": "stale"},
    )
    IdentityFactory(name="No TMDb id")  # not a candidate: not probed, not counted

    stdout, stderr, error = run_probe()

    assert error is None, stderr
    assert stdout.strip() == "TMDb probe: 1 probed, 1 updated, 0 failed, 0 skipped."
    assert f"[1/1] {identity.identity_uuid.hex} Cary Grant (tmdb 112): updated, profile profile.jpg" in stderr
    identity.refresh_from_db()
    metadata = identity.metadata
    assert set(metadata) == TMDB_KEYS | {"aliases", "tmdb_character"}
    assert metadata["aliases"] == aliases
    assert metadata["tmdb_character"] == "Roger Thornhill"
    assert metadata["tmdb_biography"] == "Cary Grant was an English-born American actor."
    assert metadata["tmdb_birthday"] == "1904-01-18"
    assert metadata["tmdb_deathday"] == "1986-11-29"
    assert metadata["tmdb_place_of_birth"] == "Bristol, England, UK"
    assert metadata["tmdb_known_for_department"] == "Acting"
    assert metadata["tmdb_popularity"] == 12.5
    assert metadata["tmdb_also_known_as"] == ["Archibald Alec Leach", "ケーリー・グラント"]
    assert metadata["tmdb_gender"] == 2
    assert metadata["tmdb_imdb_id"] == "nm0000026"
    assert metadata["tmdb_homepage"] is None
    assert metadata["tmdb_probed_at"].endswith("Z")

    profile = identity_dir(settings, identity) / "profile.jpg"
    assert profile.read_bytes() == CARY_JPEG_STORED
    assert not (identity_dir(settings, identity) / "profile.png").exists()
    assert identity.tmdb_profile == str(profile)
    assert identity.updated_at is not None

    on_disk = identity_json_on_disk(settings, identity)
    assert on_disk == api.get(f"/api/v1/identity/{identity.identity_uuid.hex}/json").json()
    assert on_disk["metadata"]["tmdb_birthday"] == "1904-01-18"
    assert on_disk["tmdb_profile"] == str(profile)

    entry = IdentityHistory.objects.get(identity_uuid=identity.identity_uuid)
    assert (entry.action, entry.actor) == ("tmdb_probe", "command:tmdb_probe")
    assert entry.before_snapshot["identity"]["metadata"]["tmdb_biography"] == "stale"
    assert entry.after_snapshot["profile_image"] == "profile.jpg"
    assert fake_tmdb.requests[0] == {"path": "/3/person/112", "query": {"api_key": VALID_KEY}, "authorization": None}
    assert fake_tmdb.requests[1]["path"] == "/t/p/original/cary.jpg"
    assert fake_tmdb.requests[1]["query"] == {}  # the key never goes to the image host


def test_png_profile_replaces_a_jpeg_and_undo_puts_everything_back(fake_tmdb, settings):
    identity = IdentityFactory(tmdb_id=1932, metadata={"note": "kept"})
    directory = identity_dir(settings, identity)
    directory.mkdir(parents=True)
    (directory / "profile.jpg").write_bytes(CARY_JPEG)

    _, stderr, error = run_probe("--identity", identity.identity_uuid.hex)

    assert error is None, stderr
    assert (directory / "profile.png").read_bytes() == AUDREY_PNG
    assert not (directory / "profile.jpg").exists()
    identity.refresh_from_db()
    assert identity.tmdb_profile == str(directory / "profile.png")
    assert identity.metadata["tmdb_gender"] == 1

    history_undo(history_id=IdentityHistory.objects.get(action="tmdb_probe").history_id, actor="key:test")

    identity.refresh_from_db()
    assert identity.metadata == {"note": "kept"}
    assert identity.tmdb_profile == ""
    assert (directory / "profile.jpg").read_bytes() == CARY_JPEG
    assert not (directory / "profile.png").exists()
    assert identity_json_on_disk(settings, identity)["metadata"] == {"note": "kept"}


def test_person_without_profile_image_keeps_the_local_one(fake_tmdb, settings):
    identity = IdentityFactory(tmdb_id=77, tmdb_profile="/somewhere/profile.jpg")

    stdout, stderr, error = run_probe()

    assert error is None, stderr
    assert "updated, no profile image" in stderr
    identity.refresh_from_db()
    assert identity.tmdb_profile == "/somewhere/profile.jpg"
    assert identity.metadata["tmdb_known_for_department"] == "Acting"
    assert fake_tmdb.person_paths() == ["/3/person/77"]
    assert len(fake_tmdb.requests) == 1


def test_probing_again_counts_the_identity_as_unchanged(fake_tmdb):
    IdentityFactory(tmdb_id=112)
    run_probe()

    stdout, stderr, error = run_probe()

    assert error is None
    assert stdout.strip() == "TMDb probe: 1 probed, 0 updated, 0 failed, 0 skipped."
    assert "unchanged, profile profile.jpg" in stderr
    assert IdentityHistory.objects.filter(action="tmdb_probe").count() == 2


@pytest.mark.parametrize(
    ("enabled", "key", "message"),
    [
        (False, VALID_KEY, "The TMDb probe is disabled"),
        (True, "", "MOMENTRY_TMDB_API_KEY is not set"),
    ],
)
def test_the_command_refuses_unless_enabled_with_a_key(fake_tmdb, settings, enabled, key, message):
    settings.MOMENTRY_TMDB_PROBE_ENABLED = enabled
    settings.MOMENTRY_TMDB_API_KEY = key
    identity = IdentityFactory(tmdb_id=112)

    _, _, error = run_probe()

    assert error is not None and message in str(error)
    assert fake_tmdb.requests == []
    identity.refresh_from_db()
    assert identity.metadata == {}


def test_unknown_person_is_reported_and_the_others_go_on(fake_tmdb, settings):
    missing = IdentityFactory(name="Gone", tmdb_id=999)
    cary = IdentityFactory(name="Cary Grant", tmdb_id=112)

    stdout, stderr, error = run_probe()

    assert error is not None and error.returncode == 1
    assert str(error) == "TMDb probe: 2 probed, 1 updated, 1 failed, 0 skipped."
    assert stdout == ""
    assert f"{missing.identity_uuid.hex} Gone (tmdb 999): failed: TMDb person 999: not found on TMDb (404)." in stderr
    assert "Traceback" not in stderr
    missing.refresh_from_db()
    cary.refresh_from_db()
    assert missing.metadata == {}
    assert cary.metadata["tmdb_imdb_id"] == "nm0000026"
    assert (identity_dir(settings, cary) / "profile.jpg").exists()


def test_a_refused_api_key_is_reported_for_each_identity(fake_tmdb, settings):
    settings.MOMENTRY_TMDB_API_KEY = "not-a-valid-key"
    identity = IdentityFactory(tmdb_id=112)

    _, stderr, error = run_probe()

    assert error is not None and error.returncode == 1
    assert "TMDb person 112: TMDb refused the API key (401); check MOMENTRY_TMDB_API_KEY." in stderr
    assert "not-a-valid-key" not in stderr + str(error)
    identity.refresh_from_db()
    assert identity.metadata == {}
    assert not IdentityHistory.objects.exists()


def test_a_v4_read_access_token_is_sent_as_a_bearer_token(fake_tmdb, settings):
    settings.MOMENTRY_TMDB_API_KEY = V4_TOKEN
    IdentityFactory(tmdb_id=112)

    _, stderr, error = run_probe()

    assert error is None, stderr
    assert fake_tmdb.requests[0] == {"path": "/3/person/112", "query": {}, "authorization": f"Bearer {V4_TOKEN}"}


def test_a_short_rate_limit_is_waited_out_and_a_long_one_is_reported(fake_tmdb):
    identity = IdentityFactory(tmdb_id=112)
    fake_tmdb.rate_limited = ["0"]

    _, stderr, error = run_probe()

    assert error is None, stderr
    assert fake_tmdb.person_paths() == ["/3/person/112", "/3/person/112"]
    identity.refresh_from_db()
    assert identity.metadata["tmdb_birthday"] == "1904-01-18"

    fake_tmdb.requests.clear()
    fake_tmdb.rate_limited = ["3600"]
    _, stderr, error = run_probe()

    assert error is not None
    assert "TMDb's rate limit was hit (429); try again in 3600 s." in stderr
    assert fake_tmdb.person_paths() == ["/3/person/112"]


def test_a_retry_after_date_in_the_past_means_retry_now(fake_tmdb):
    IdentityFactory(tmdb_id=112)
    fake_tmdb.rate_limited = ["Wed, 21 Oct 2015 07:28:00 GMT"]

    _, stderr, error = run_probe()

    assert error is None, stderr
    assert fake_tmdb.person_paths() == ["/3/person/112", "/3/person/112"]


def test_an_oversized_or_unreadable_profile_image_fails_that_identity_whole(fake_tmdb, settings):
    too_big = IdentityFactory(name="Too big", tmdb_id=112)
    not_an_image = IdentityFactory(name="Not an image", tmdb_id=1932)
    settings.MOMENTRY_PROFILE_IMAGE_MAX_BYTES = len(CARY_JPEG) - 1
    fake_tmdb.images["/audrey.png"] = b"<html>not an image</html>"

    _, stderr, error = run_probe()

    assert str(error) == "TMDb probe: 2 probed, 0 updated, 2 failed, 0 skipped."
    assert f"Too big (tmdb 112): failed: TMDb profile image /cary.jpg: the answer is larger than {len(CARY_JPEG) - 1} bytes." in stderr
    assert "Not an image (tmdb 1932): failed: Unsupported image type" in stderr
    for identity in (too_big, not_an_image):
        identity.refresh_from_db()
        assert identity.metadata == {}
        assert not identity_dir(settings, identity).exists()
    assert not IdentityHistory.objects.exists()


def test_an_unreachable_tmdb_is_reported_without_a_traceback(fake_tmdb, settings):
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        closed_port = probe_socket.getsockname()[1]
    settings.MOMENTRY_TMDB_BASE_URL = f"http://127.0.0.1:{closed_port}/3"
    IdentityFactory(tmdb_id=112)

    _, stderr, error = run_probe()

    assert error is not None
    assert "TMDb person 112: TMDb could not be reached" in stderr
    assert "Traceback" not in stderr


def test_missing_only_identity_and_limit_choose_what_is_probed(fake_tmdb, settings):
    probed = IdentityFactory(tmdb_id=112, metadata={"tmdb_probed_at": "2026-01-01T00:00:00Z"})
    first = IdentityFactory(tmdb_id=1932)
    second = IdentityFactory(tmdb_id=77)
    without_tmdb = IdentityFactory()

    stdout, _, error = run_probe("--missing-only", "--limit", "1")
    assert error is None
    assert stdout.strip() == "TMDb probe: 1 probed, 1 updated, 0 failed, 1 skipped."
    assert fake_tmdb.person_paths() == ["/3/person/1932"]

    fake_tmdb.requests.clear()
    stdout, stderr, error = run_probe(
        "--identity", str(probed.identity_uuid), "--identity", without_tmdb.identity_uuid.hex, "--missing-only"
    )
    assert error is None
    assert stdout.strip() == "TMDb probe: 0 probed, 0 updated, 0 failed, 2 skipped."
    assert f"{without_tmdb.identity_uuid.hex}: skipped: it has no tmdb_id." in stderr
    assert fake_tmdb.requests == []

    stdout, _, error = run_probe("--identity", second.identity_uuid.hex)
    assert error is None
    assert fake_tmdb.person_paths() == ["/3/person/77"]
    first.refresh_from_db()
    probed.refresh_from_db()
    assert first.metadata["tmdb_gender"] == 1
    assert probed.metadata == {"tmdb_probed_at": "2026-01-01T00:00:00Z"}


def test_unknown_or_malformed_identity_arguments(fake_tmdb):
    stdout, stderr, error = run_probe("--identity", "a9a901056d6b46ff92da0c3c1a57dff4")
    assert error is not None and str(error) == "TMDb probe: 0 probed, 0 updated, 1 failed, 0 skipped."
    assert "a9a901056d6b46ff92da0c3c1a57dff4: failed: no identity with this uuid." in stderr

    _, _, error = run_probe("--identity", "not-a-uuid")
    assert error is not None and "is not a UUID" in str(error)


# --- the service ---------------------------------------------------------------------------------


def test_the_write_is_refused_when_the_tmdb_id_changed_meanwhile():
    identity = IdentityFactory(tmdb_id=1932, metadata={"note": "kept"})

    with pytest.raises(Conflict, match="has tmdb_id 1932, not 112"):
        identity_apply_tmdb_person(identity_uuid=identity.identity_uuid, person=CARY, image_bytes=CARY_JPEG, actor="t")

    identity.refresh_from_db()
    assert identity.metadata == {"note": "kept"}
    assert not IdentityHistory.objects.exists()


# --- after an identity gains a tmdb_id -----------------------------------------------------------


def test_the_hook_probes_after_the_commit_when_enabled(fake_tmdb, settings):
    identity = IdentityFactory(tmdb_id=112)

    with transaction.atomic():
        identity_tmdb_probe_on_commit(identity_uuid=identity.identity_uuid.hex)
        assert fake_tmdb.requests == []

    assert fake_tmdb.person_paths() == ["/3/person/112"]
    identity.refresh_from_db()
    assert identity.metadata["tmdb_place_of_birth"] == "Bristol, England, UK"
    assert (identity_dir(settings, identity) / "profile.jpg").read_bytes() == CARY_JPEG_STORED
    assert identity_json_on_disk(settings, identity)["metadata"]["tmdb_gender"] == 2
    assert IdentityHistory.objects.get().actor == "system:tmdb_probe"


def test_the_hook_does_nothing_when_disabled(fake_tmdb, settings):
    settings.MOMENTRY_TMDB_PROBE_ENABLED = False
    identity = IdentityFactory(tmdb_id=112)

    with transaction.atomic():
        identity_tmdb_probe_on_commit(identity_uuid=identity.identity_uuid)

    assert fake_tmdb.requests == []
    identity.refresh_from_db()
    assert identity.metadata == {}


def test_a_failing_hook_probe_is_logged_and_does_not_break_the_write(fake_tmdb, caplog):
    identity = IdentityFactory(tmdb_id=999)

    with transaction.atomic():
        Identity.objects.filter(pk=identity.pk).update(name="Renamed")
        identity_tmdb_probe_on_commit(identity_uuid=identity.identity_uuid)

    identity.refresh_from_db()
    assert identity.name == "Renamed"
    assert identity.metadata == {}
    assert "TMDb person 999: not found on TMDb (404)." in caplog.text


def test_an_upload_that_gives_an_identity_a_tmdb_id_is_probed_after_it_commits(fake_tmdb, api):
    identity = IdentityFactory(tmdb_id=None, name="Cary Grant")
    document = {"identity_uuid": identity.identity_uuid.hex, "name": "Cary Grant", "tmdb_id": 112, "source": "tmdb"}

    response = api.post("/api/v1/identity/upload", document, format="json")

    assert response.status_code == 200
    assert fake_tmdb.person_paths() == ["/3/person/112"]
    identity.refresh_from_db()
    assert identity.metadata["tmdb_place_of_birth"] == "Bristol, England, UK"


def test_an_upload_that_keeps_the_tmdb_id_is_not_probed_again(fake_tmdb, api):
    identity = IdentityFactory(tmdb_id=112, name="Cary Grant")
    document = {"identity_uuid": identity.identity_uuid.hex, "name": "Archibald Leach", "tmdb_id": 112}

    response = api.post("/api/v1/identity/upload", document, format="json")

    assert response.status_code == 200
    assert fake_tmdb.requests == []
