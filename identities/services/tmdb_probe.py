"""The TMDb probe: what TMDb knows of a person goes into the identity's top-level `tmdb_*` metadata
keys (other keys are kept) and its profile image into `{output}/identities/{uuid}/`. Only with
MOMENTRY_TMDB_PROBE_ENABLED=true and MOMENTRY_TMDB_API_KEY (see identities/tmdb.py, the client).
"""
import logging
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from history.models import HistoryAction
from history.recording import AFTER, BEFORE, discard_stash_on_failure, history_record, stash_profile_image
from momentry.core.errors import ApplicationError, Conflict, error_message
from momentry.core.parsing import parse_uuid

from .. import storage, tmdb
from ..models import Identity
from ..selectors import identity_get
from ..validators import ensure_metadata_size
from .files import identity_sync_files_on_commit
from .images import clean_profile_image, current_profile_image, profile_image_sync_on_commit
from .rows import identity_for_update, identity_snapshot

tmdb_logger = logging.getLogger("identities.tmdb")

TMDB_PERSON_FIELDS = (
    "biography",
    "birthday",
    "deathday",
    "place_of_birth",
    "known_for_department",
    "popularity",
    "also_known_as",
    "gender",
    "imdb_id",
    "homepage",
)
TMDB_PROBE_ACTOR = "system:tmdb_probe"


@dataclass(frozen=True)
class TmdbProbeResult:
    identity: Identity
    changed: bool  # any tmdb_* value (tmdb_probed_at aside) or the profile image differs from before
    profile_path: object  # the saved image, or None when TMDb has no profile image for the person
    history: object


def _tmdb_person_metadata(person):
    return {f"tmdb_{field}": person.get(field) for field in TMDB_PERSON_FIELDS}


def _same_profile_image(current_path, profile):
    return current_path is not None and current_path.name == profile.file_name and current_path.read_bytes() == profile.data


def identity_apply_tmdb_person(*, identity_uuid, person, image_bytes, actor):
    """Write a TMDb person (`GET /person/{id}`) and its profile image bytes (or None) into the identity.

    Refused with 409 when the identity's `tmdb_id` is no longer the person's id (it changed while
    the probe was fetching). Records one `tmdb_probe` history entry, so the probe can be undone.
    """
    if not isinstance(person, dict):
        raise ValidationError("The TMDb person must be a JSON object.")
    profile = clean_profile_image(ContentFile(image_bytes)) if image_bytes is not None else None
    history_id = uuid.uuid4()
    with transaction.atomic(durable=True), discard_stash_on_failure(history_id):
        identity = identity_for_update(identity_uuid)
        identity_uuid = identity.identity_uuid
        if identity.tmdb_id is None or identity.tmdb_id != person.get("id"):
            raise Conflict(
                f"Identity {identity_uuid.hex} has tmdb_id {identity.tmdb_id}, not {person.get('id')}; probe it again.",
                code="tmdb_id_changed",
            )
        existing = identity.metadata if isinstance(identity.metadata, dict) else {}
        tmdb_values = _tmdb_person_metadata(person)
        changed = any(key not in existing or existing[key] != value for key, value in tmdb_values.items())
        before_extra, after_extra, profile_path = {}, {}, None
        if profile is not None:
            current = current_profile_image(identity_uuid)
            changed = changed or not _same_profile_image(current, profile)
            before_extra["profile_image"] = stash_profile_image(history_id, BEFORE, source=current) if current else None
            after_extra["profile_image"] = stash_profile_image(
                history_id, AFTER, file_name=profile.file_name, data=profile.data
            )
            profile_path = storage.identity_dir(identity_uuid) / profile.file_name
        before = identity_snapshot(identity, **before_extra)
        now = timezone.now()
        identity.metadata = ensure_metadata_size(
            {
                **existing,
                **tmdb_values,
                "tmdb_probed_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            }
        )
        if profile_path is not None:
            identity.tmdb_profile = str(profile_path)
        identity.updated_at = now
        identity.save(update_fields=["metadata", "tmdb_profile", "updated_at"])
        entry = history_record(
            history_id=history_id,
            identity_uuid=identity_uuid,
            action=HistoryAction.TMDB_PROBE,
            before=before,
            after=identity_snapshot(identity, **after_extra),
            actor=actor,
        )
        if profile is not None:
            profile_image_sync_on_commit(identity_uuid=identity_uuid, history_id=history_id, state=AFTER)
        identity_sync_files_on_commit(identity_uuid)
    return TmdbProbeResult(identity=identity, changed=changed, profile_path=profile_path, history=entry)


def identity_tmdb_probe(*, identity_uuid, actor, client=None):
    """Fetch the identity's TMDb person and profile image, then write them (no lock held meanwhile).

    Raises `tmdb.TmdbError` for anything TMDb or the network refused.
    """
    identity = identity_get(identity_uuid)
    if identity.tmdb_id is None:
        raise ValidationError(f"Identity {identity.identity_uuid.hex} has no tmdb_id to probe.")
    client = client or tmdb.tmdb_client_from_settings()
    person = client.person(identity.tmdb_id)
    profile_path = person.get("profile_path")
    image_bytes = client.profile_image(profile_path) if profile_path else None
    return identity_apply_tmdb_person(
        identity_uuid=identity.identity_uuid, person=person, image_bytes=image_bytes, actor=actor
    )


TMDB_PROBE_FAILURES = (tmdb.TmdbError, ValidationError, Http404, ApplicationError)


def identity_tmdb_probe_on_commit(*, identity_uuid):
    """Probe the identity once the current transaction commits, when the probe is enabled.

    Called where an identity gains a `tmdb_id` (a UUID, or its hex or dashed form). The probe runs
    in-process after the commit; a failure is logged and never breaks the write that scheduled it.
    """
    identity_uuid = parse_uuid(identity_uuid)
    if identity_uuid is None:
        raise ValueError("identity_tmdb_probe_on_commit needs an identity uuid.")
    if tmdb.tmdb_probe_enabled():
        transaction.on_commit(lambda: _tmdb_probe_after_commit(identity_uuid))


def _tmdb_probe_after_commit(identity_uuid):
    try:
        result = identity_tmdb_probe(identity_uuid=identity_uuid, actor=TMDB_PROBE_ACTOR)
    except TMDB_PROBE_FAILURES as exc:
        tmdb_logger.warning("TMDb probe of identity %s failed: %s", identity_uuid.hex, error_message(exc))
    except Exception:  # the scheduling write has committed already; it must not fail because of the probe
        tmdb_logger.exception("TMDb probe of identity %s failed unexpectedly", identity_uuid.hex)
    else:
        tmdb_logger.info("TMDb probe of identity %s: tmdb_id %s written", identity_uuid.hex, result.identity.tmdb_id)
