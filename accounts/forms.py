from __future__ import annotations

from django import forms

from accounts.models import ApiToken


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What will use it, e.g. “Quarterly report script”. Only you see this.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "Quarterly report script"}),
    )
