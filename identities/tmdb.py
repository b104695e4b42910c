"""A small TMDb v3 client: a person's details and their profile image, standard library only.

Every failure (bad key, unknown person, rate limit, network, a response that is not what TMDb
sends) is a `TmdbError` with a sentence an operator can act on; the API key never appears in it.
"""
import email.utils
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from http.client import HTTPException

from django.conf import settings

TIMEOUT_SECONDS = 10
PERSON_MAX_BYTES = 1024 * 1024
# A 429 is retried at most this often, and only when TMDb asks for a wait this short or shorter.
RATE_LIMIT_RETRIES = 2
RATE_LIMIT_MAX_WAIT_SECONDS = 10
DEFAULT_RETRY_AFTER_SECONDS = 1
# A TMDb v4 read-access token is a JWT; a v3 API key is 32 hex digits.
JWT = re.compile(r"^eyJ[\w-]*\.[\w-]+\.[\w-]+$")
USER_AGENT = "momentry-identities/1.0"


class TmdbError(Exception):
    """A probe that TMDb (or the way to it) refused; `status` is the HTTP status when there was one."""

    def __init__(self, message, *, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


def tmdb_probe_enabled():
    """The probe runs only when switched on and given a key."""
    return bool(settings.MOMENTRY_TMDB_PROBE_ENABLED and settings.MOMENTRY_TMDB_API_KEY)


def tmdb_client_from_settings():
    if not tmdb_probe_enabled():
        raise TmdbError("The TMDb probe is off: set MOMENTRY_TMDB_PROBE_ENABLED=true and MOMENTRY_TMDB_API_KEY.")
    return TmdbClient(
        api_key=settings.MOMENTRY_TMDB_API_KEY,
        base_url=settings.MOMENTRY_TMDB_BASE_URL,
        image_base_url=settings.MOMENTRY_TMDB_IMAGE_BASE_URL,
        image_max_bytes=settings.MOMENTRY_PROFILE_IMAGE_MAX_BYTES,
    )


class TmdbClient:
    def __init__(self, *, api_key, base_url, image_base_url, image_max_bytes, timeout=TIMEOUT_SECONDS, sleep=time.sleep):
        for name, url in (("MOMENTRY_TMDB_BASE_URL", base_url), ("MOMENTRY_TMDB_IMAGE_BASE_URL", image_base_url)):
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise TmdbError(f"{name} must be an http:// or https:// URL, not {url!r}.")
        self.api_key = api_key.strip()
        self.base_url = base_url.rstrip("/")
        self.image_base_url = image_base_url.rstrip("/")
        self.image_max_bytes = image_max_bytes
        self.timeout = timeout
        self.sleep = sleep

    @property
    def uses_bearer_token(self):
        return bool(JWT.match(self.api_key))

    def person(self, tmdb_id):
        """`GET /person/{tmdb_id}`: the person's details as TMDb sends them (a JSON object)."""
        what = f"TMDb person {tmdb_id}"
        url = f"{self.base_url}/person/{int(tmdb_id)}"
        headers = {"Accept": "application/json"}
        if self.uses_bearer_token:
            headers["Authorization"] = f"Bearer {self.api_key}"
        else:
            url += "?" + urllib.parse.urlencode({"api_key": self.api_key})
        body = self._get(url, headers=headers, what=what, max_bytes=PERSON_MAX_BYTES)
        try:
            person = json.loads(body)
        except ValueError:
            raise TmdbError(f"{what}: the answer is not JSON.") from None
        if not isinstance(person, dict):
            raise TmdbError(f"{what}: the answer is not a JSON object.")
        return person

    def profile_image(self, profile_path):
        """The bytes of `{image_base}{profile_path}`; no API key goes to the image host."""
        if not isinstance(profile_path, str) or not profile_path.startswith("/") or ".." in profile_path:
            raise TmdbError(f"TMDb gave an unusable profile_path {profile_path!r}.")
        url = self.image_base_url + urllib.parse.quote(profile_path)
        return self._get(url, headers={}, what=f"TMDb profile image {profile_path}", max_bytes=self.image_max_bytes)

    def _get(self, url, *, headers, what, max_bytes):
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
        retries = 0
        while True:
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read(max_bytes + 1)
            except urllib.error.HTTPError as exc:
                with exc:
                    wait = _retry_after_seconds(exc.headers.get("Retry-After"))
                if exc.code == 429 and retries < RATE_LIMIT_RETRIES and wait <= RATE_LIMIT_MAX_WAIT_SECONDS:
                    retries += 1
                    self.sleep(wait)
                    continue
                raise _http_error(exc.code, what, wait) from None
            except (OSError, HTTPException) as exc:  # URLError, timeouts, refused or dropped connections
                reason = getattr(exc, "reason", None) or exc
                raise TmdbError(f"{what}: TMDb could not be reached ({reason}).") from None
            if len(body) > max_bytes:
                raise TmdbError(f"{what}: the answer is larger than {max_bytes} bytes.")
            return body


def _http_error(status, what, retry_after):
    if status == 401:
        message = f"{what}: TMDb refused the API key (401); check MOMENTRY_TMDB_API_KEY."
    elif status == 404:
        message = f"{what}: not found on TMDb (404)."
    elif status == 429:
        message = f"{what}: TMDb's rate limit was hit (429); try again in {retry_after} s."
    else:
        message = f"{what}: TMDb answered HTTP {status}."
    return TmdbError(message, status=status)


def _retry_after_seconds(value):
    """`Retry-After` as whole seconds from now: delta-seconds or an HTTP date; a default otherwise."""
    if value is None:
        return DEFAULT_RETRY_AFTER_SECONDS
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_SECONDS
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0, int((when - datetime.now(timezone.utc)).total_seconds() + 0.999))
