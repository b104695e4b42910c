from django.contrib import admin
from django.urls import reverse_lazy

# The admin is branded as the service and leads back to the console's home (its "View site" and
# the "Console" link of templates/admin/base_site.html).
admin.site.site_header = "Momentry Identities"
admin.site.site_title = "Momentry Identities"
admin.site.index_title = "Momentry Identities"
admin.site.site_url = reverse_lazy("home")


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that change only through the services (which keep the history undo needs): the
    admin shows them without adding, editing or deleting them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
