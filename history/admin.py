from django.contrib import admin

from momentry.admin import ReadOnlyAdmin

from .models import IdentityHistory


@admin.register(IdentityHistory)
class IdentityHistoryAdmin(ReadOnlyAdmin):
    """Undo and redo are in the console and the API."""

    list_display = ["created_at", "identity_uuid", "action", "actor", "undone_at"]
    list_filter = ["action"]
    search_fields = ["identity_uuid", "history_id", "actor"]
    date_hierarchy = "created_at"
