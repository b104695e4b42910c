import secrets
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from momentry.core.files import write_atomically


class Command(BaseCommand):
    help = (
        "Make sure a curator account (staff and superuser: the console and the admin) signs in with the "
        "password kept in --password-file, and print that password alone on the last line. The account "
        "and its password are created once; a later run reuses them, and sets a new password only when "
        "the file is gone or no longer holds the account's password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="curator")
        parser.add_argument("--password-file", type=Path, required=True, metavar="PATH")

    def handle(self, *args, username, password_file, **options):
        kept = password_file.read_text().strip() if password_file.is_file() else ""
        user = User.objects.filter(username=username).first()
        if user is not None and kept and user.check_password(kept):
            self.stderr.write(f"Reusing curator {username!r} (password in {password_file}).")
            self.stdout.write(kept)
            return
        password = secrets.token_urlsafe(12)
        if user is None:
            User.objects.create_superuser(username, email="", password=password)
            done = "Created"
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
            done = "Set a new password for"
        write_atomically(password_file, f"{password}\n".encode())  # mkstemp's mode: 0600
        self.stderr.write(f"{done} curator {username!r} (password kept in {password_file}).")
        self.stdout.write(password)
