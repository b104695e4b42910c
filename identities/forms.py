import json

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


class AliasForm(forms.Form):
    """Add an alias (no position), or change or remove (`remove`) the one at `position`, which the
    page showed as `expected_locale`/`expected_name`. The service checks the locale and the name."""

    locale = forms.CharField(required=False, strip=True)
    name = forms.CharField(required=False, strip=True)
    position = forms.IntegerField(required=False, min_value=0)
    expected_locale = forms.CharField(required=False)
    expected_name = forms.CharField(required=False)
    remove = forms.BooleanField(required=False)

    def edit(self):
        """The keyword arguments of `identity_alias_edit`."""
        data = self.cleaned_data
        alias = None if data["remove"] else {"locale": data["locale"], "name": data["name"]}
        if data["position"] is None:
            return {"alias": alias}
        expected = {"locale": data["expected_locale"], "name": data["expected_name"]}
        return {"alias": alias, "position": data["position"], "expected": expected}


class MetadataForm(forms.Form):
    """The whole metadata object as JSON text; the service validates what it holds."""

    metadata = forms.CharField(widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}), required=False)

    def clean_metadata(self):
        text = self.cleaned_data["metadata"].strip() or "{}"
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"metadata is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
            ) from None
