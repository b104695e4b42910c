import hashlib

from django.db import models


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

    def allows_file(self, file_uuid):
        """A key limited to files sees only those; global and unrestricted keys see all."""
        if Scope.GLOBAL in self.scopes or not self.files:
            return True
        return file_uuid.hex in self.files
