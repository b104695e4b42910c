from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apikeys.models import Scope
from apikeys.services import api_key_create, api_key_matching
from momentry.core.files import write_atomically


class Command(BaseCommand):
    help = "Create an API key. The key is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", action="append", dest="scopes", required=True, choices=Scope.values)
        parser.add_argument("--read-only", action="store_true")
        parser.add_argument("--file", action="append", dest="files", default=[], metavar="FILE_UUID")
        parser.add_argument(
            "--key-file",
            type=Path,
            metavar="PATH",
            help="Reuse the key kept in PATH while it is active with these scopes, access and files; "
            "otherwise create one and keep it in PATH (mode 0600). The key is printed either way.",
        )

    def handle(self, *args, name, scopes, read_only, files, key_file, **options):
        access = "read-only" if read_only else "read-write"
        try:
            kept = self._kept_key(key_file, scopes=scopes, read_only=read_only, files=files)
            if kept is not None:
                api_key, raw_key = kept
                scopes_text = ", ".join(api_key.scopes)
                self.stderr.write(f"Reusing API key {api_key.name!r} ({scopes_text}, {access}) from {key_file}.")
                self.stdout.write(raw_key)
                return
            api_key, raw_key = api_key_create(name=name, scopes=scopes, read_only=read_only, files=files)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        limited = f", limited to {len(api_key.files)} file(s)" if api_key.files else ""
        kept_in = ""
        if key_file is not None:
            write_atomically(key_file, f"{raw_key}\n".encode())  # mkstemp's mode: 0600
            kept_in = f", kept in {key_file}"
        scopes_text = ", ".join(api_key.scopes)
        self.stderr.write(f"Created API key {api_key.name!r} ({scopes_text}, {access}{limited}){kept_in}.")
        self.stdout.write(raw_key)

    @staticmethod
    def _kept_key(key_file, **wanted):
        """`(api_key, raw_key)` of the key in `key_file` when it may be reused, else None."""
        raw_key = key_file.read_text().strip() if key_file is not None and key_file.is_file() else ""
        api_key = api_key_matching(raw_key=raw_key, **wanted) if raw_key else None
        return None if api_key is None else (api_key, raw_key)
