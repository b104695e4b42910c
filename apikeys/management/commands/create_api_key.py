from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apikeys.models import Scope
from apikeys.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key. The key is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", action="append", dest="scopes", required=True, choices=Scope.values)
        parser.add_argument("--read-only", action="store_true")
        parser.add_argument("--file", action="append", dest="files", default=[], metavar="FILE_UUID")

    def handle(self, *args, name, scopes, read_only, files, **options):
        try:
            api_key, raw_key = api_key_create(name=name, scopes=scopes, read_only=read_only, files=files)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        access = "read-only" if read_only else "read-write"
        limited = f", limited to {len(api_key.files)} file(s)" if api_key.files else ""
        self.stderr.write(f"Created API key {api_key.name!r} ({', '.join(api_key.scopes)}, {access}{limited}).")
        self.stdout.write(raw_key)
