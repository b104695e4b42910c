from django.contrib import admin

from .models import IdentityHistory


@admin.register(IdentityHistory)
class IdentityHistoryAdmin(admin.ModelAdmin):
    """History is written only by the services; undo and redo are in the console and the API."""

    list_display = ["created_at", "identity_uuid", "action", "actor", "undone_at"]
    list_filter = ["action"]
    search_fields = ["identity_uuid", "history_id", "actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
