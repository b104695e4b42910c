from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from apikeys.permissions import actor_for
from momentry.admin import ReadOnlyAdmin
from momentry.core.errors import ApplicationError, error_message

from .models import Identity, IdentityRejection, TraceRejection
from .services import documents, editing


def upload_document(identity_uuid, values):
    """The `identity.json` document the upload service takes, from the admin form's values."""
    return {"identity_uuid": identity_uuid.hex, **{field: values.get(field) for field in documents.UPLOAD_FIELDS}}


class IdentityAdminForm(forms.ModelForm):
    class Meta:
        model = Identity
        fields = list(documents.UPLOAD_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                documents.clean_identity_document(upload_document(self.instance.identity_uuid, cleaned))
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
            except ApplicationError as exc:  # metadata over the size limit
                raise ValidationError(error_message(exc)) from exc
        return cleaned


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    """Staff edits go through the same services as the API, so they are validated, recorded in
    the identity's history (undoable) and written to `identity.json`."""

    form = IdentityAdminForm
    list_display = ["name", "identity_type", "source", "status", "tmdb_id", "created_at", "updated_at"]
    list_filter = ["status", "source", "identity_type"]
    search_fields = ["name", "identity_uuid"]
    readonly_fields = ["identity_uuid", "reference_data", "created_at", "updated_at"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        identity, _created = documents.identity_upload(
            document=upload_document(obj.identity_uuid, form.cleaned_data), actor=actor_for(request)
        )
        obj.pk = identity.pk
        obj._state.adding = False

    def delete_view(self, request, object_id, extra_context=None):
        # The delete service is the outermost (durable) transaction itself; the admin's own
        # atomic wrapper around the view would nest it.
        return self._delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        editing.identity_delete(identity_uuid=obj.identity_uuid, actor=actor_for(request))

    def delete_queryset(self, request, queryset):
        for identity in queryset:
            self.delete_model(request, identity)


@admin.register(IdentityRejection)
class IdentityRejectionAdmin(ReadOnlyAdmin):
    """Made through the API, undone and redone through the identity history, carried by merges."""

    list_display = ["identity_uuid", "candidate_uuid", "actor", "created_at", "merge_id"]
    search_fields = ["identity_uuid", "candidate_uuid", "merge_id", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(TraceRejection)
class TraceRejectionAdmin(ReadOnlyAdmin):
    """Recorded by the unbind of a whole trace, undone with it, carried by merges."""

    list_display = ["file_uuid", "trace_id", "identity_uuid", "actor", "created_at", "merge_id"]
    search_fields = ["file_uuid", "identity_uuid", "merge_id", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False
