from django import forms

from .models import PATCHABLE_STATUSES, IdentityStatus

EDITABLE_STATUSES = [(value, label) for value, label in IdentityStatus.choices if value in PATCHABLE_STATUSES]


class IdentityEditForm(forms.Form):
    """The curator's edit of an identity; the service validates it like the API's PATCH."""

    name = forms.CharField(max_length=255)
    status = forms.ChoiceField(choices=EDITABLE_STATUSES)
    identity_type = forms.CharField(max_length=64, required=False)

    def changes(self):
        data = dict(self.cleaned_data)
        data["identity_type"] = data["identity_type"] or None
        return data
