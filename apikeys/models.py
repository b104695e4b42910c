import hashlib

from django.db import models

from momentry.core.parsing import parse_uuid


class Scope(models.TextChoices):
    GLOBAL = "global"
    IDENTITY = "identity"
    FILE = "file"


def key_digest(raw_key):
    """Keys are long random tokens, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters of the key, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    read_only = models.BooleanField(default=False)
    files = models.JSONField(
        default=list, blank=True, help_text="File uuids a file-scoped key is limited to; empty means every file."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None

    def has_scope(self, scope):
        return Scope.GLOBAL in self.scopes or scope in self.scopes

    def file_limit(self):
        """The files (a frozenset of hex uuids) this key may see and change, or None for every file.

        The one rule of file limits: a key with a list of files, whatever its other scopes, is
        limited to them on every endpoint; a global key and a key without a list see every file.
        An entry that is not a uuid names no file (the key then sees fewer files, never more).
        """
        if Scope.GLOBAL in self.scopes or not self.files:
            return None
        return frozenset(parsed.hex for parsed in map(parse_uuid, self.files) if parsed is not None)

    def allows_file(self, file_uuid):
        """Whether the key may see the file (a UUID)."""
        limit = self.file_limit()
        return limit is None or file_uuid.hex in limit
