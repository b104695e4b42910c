"""Fetch TMDb's details and profile image for identities with a `tmdb_id`."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from identities import tmdb
from identities.models import Identity
from identities.services.tmdb_probe import TMDB_PROBE_FAILURES, identity_tmdb_probe
from momentry.core.errors import error_message
from momentry.core.parsing import parse_uuid

ACTOR = "command:tmdb_probe"


class Command(BaseCommand):
    help = (
        "Write TMDb's person details into the tmdb_* metadata keys of identities with a tmdb_id and save "
        "their profile images. Needs MOMENTRY_TMDB_PROBE_ENABLED=true and MOMENTRY_TMDB_API_KEY. A failed "
        "identity is reported and the others go on; the exit status is 1 when any failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--identity", action="append", default=[], metavar="UUID", help="Probe only this identity (repeatable)."
        )
        parser.add_argument(
            "--missing-only", action="store_true", help="Skip identities that were probed before (tmdb_probed_at)."
        )
        parser.add_argument("--limit", type=int, metavar="N", help="Probe at most N identities.")

    def handle(self, *args, identity, missing_only, limit, **options):
        if not settings.MOMENTRY_TMDB_PROBE_ENABLED:
            raise CommandError("The TMDb probe is disabled: set MOMENTRY_TMDB_PROBE_ENABLED=true to run it.")
        if not settings.MOMENTRY_TMDB_API_KEY:
            raise CommandError("MOMENTRY_TMDB_API_KEY is not set: give a TMDb v3 API key or v4 read-access token.")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number.")
        try:
            client = tmdb.tmdb_client_from_settings()
        except tmdb.TmdbError as exc:
            raise CommandError(exc.message) from None

        counts = {"probed": 0, "updated": 0, "failed": 0, "skipped": 0}
        candidates = Identity.objects.filter(tmdb_id__isnull=False).order_by("id")
        if identity:
            named = self._named_uuids(identity)
            found = dict(Identity.objects.filter(identity_uuid__in=named).values_list("identity_uuid", "tmdb_id"))
            for identity_uuid in named:
                if identity_uuid not in found:
                    counts["failed"] += 1
                    self.stderr.write(f"{identity_uuid.hex}: failed: no identity with this uuid.")
                elif found[identity_uuid] is None:
                    counts["skipped"] += 1
                    self.stderr.write(f"{identity_uuid.hex}: skipped: it has no tmdb_id.")
            candidates = candidates.filter(identity_uuid__in=named)
        if missing_only:
            probed_before = candidates.filter(metadata__has_key="tmdb_probed_at")
            counts["skipped"] += probed_before.count()
            candidates = candidates.exclude(pk__in=probed_before.values("pk"))
        if limit is not None:
            candidates = candidates[:limit]

        rows = list(candidates.values_list("identity_uuid", "tmdb_id", "name"))
        for position, (identity_uuid, tmdb_id, name) in enumerate(rows, start=1):
            label = f"[{position}/{len(rows)}] {identity_uuid.hex} {name} (tmdb {tmdb_id})"
            counts["probed"] += 1
            try:
                result = identity_tmdb_probe(identity_uuid=identity_uuid, actor=ACTOR, client=client)
            except TMDB_PROBE_FAILURES as exc:
                counts["failed"] += 1
                self.stderr.write(f"{label}: failed: {error_message(exc)}")
                continue
            counts["updated"] += result.changed
            outcome = "updated" if result.changed else "unchanged"
            image = f", profile {result.profile_path.name}" if result.profile_path else ", no profile image"
            self.stderr.write(f"{label}: {outcome}{image}")

        summary = (
            f"TMDb probe: {counts['probed']} probed, {counts['updated']} updated, "
            f"{counts['failed']} failed, {counts['skipped']} skipped."
        )
        if counts["failed"]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _named_uuids(self, values):
        parsed = []
        for value in values:
            identity_uuid = parse_uuid(value)
            if identity_uuid is None:
                raise CommandError(f"--identity {value!r} is not a UUID (32 hex digits or the dashed form).")
            parsed.append(identity_uuid)
        return list(dict.fromkeys(parsed))
