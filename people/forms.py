from __future__ import annotations

from typing import Any

from django import forms
from django.utils.http import urlencode

from people.models import Function


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.TextInput(attrs={"type": "search",
                        "placeholder": "Name, email, title or employee id"}))
    function = forms.ChoiceField(required=False, choices=[("", "All functions"), *Function.choices])
    region = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        required=False,
        choices=[("active", "Active"), ("inactive", "Left"), ("all", "Everyone")],
        initial="active",
    )

    def __init__(self, *args: Any, regions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_field = self.fields["region"]
        assert isinstance(region_field, forms.ChoiceField)
        region_field.choices = [("", "All regions")] + [(r, r) for r in regions]

    def cleaned_filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {"query": "", "function": "", "region": "", "status": "active"}
        data = self.cleaned_data
        return {
            "query": data["q"].strip(),
            "function": data["function"],
            "region": data["region"],
            "status": data["status"] or "active",
        }

    def querystring(self) -> str:
        if not self.is_bound or not self.is_valid():
            return ""
        return urlencode({k: v for k, v in self.cleaned_data.items() if v})
