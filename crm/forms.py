from __future__ import annotations

from typing import Any

from django import forms

from crm.models import CrmSource

MAX_FILES = 30


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class CrmUploadForm(forms.Form):
    source = forms.ChoiceField(label="Where the files come from", choices=CrmSource.choices,
                               widget=forms.RadioSelect, initial=CrmSource.SALESFORCE)
    export_files = MultipleFileField(
        label="Export files",
        help_text="The CSV files of one export, or one .zip holding them. Several files can be chosen at once.",
    )
    mapping = forms.FileField(
        label="Mapping file (.toml)", required=False,
        help_text="Required for another CRM; optional for HubSpot (custom pipeline stages).",
    )

    def clean_export_files(self) -> list[Any]:
        files: list[Any] = self.cleaned_data["export_files"]
        if not files:
            raise forms.ValidationError("Choose the export's CSV files or a .zip of them.")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"At most {MAX_FILES} files at once; put them in a .zip instead.")
        for upload in files:
            name = (upload.name or "").lower()
            if not name.endswith((".csv", ".zip", ".toml")):
                raise forms.ValidationError(f"{upload.name}: only .csv files or a .zip of them can be imported.")
        return files

    def clean_mapping(self) -> Any:
        mapping = self.cleaned_data.get("mapping")
        if mapping is not None and not (mapping.name or "").lower().endswith(".toml"):
            raise forms.ValidationError("The mapping file must be a .toml file (see the documentation).")
        return mapping

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        files = data.get("export_files") or []
        has_mapping = data.get("mapping") is not None or any(
            (f.name or "").lower().endswith(".toml") for f in files)
        if data.get("source") == CrmSource.MAPPED and not has_mapping and not any(
                (f.name or "").lower().endswith(".zip") for f in files):
            self.add_error("mapping", "Files from another CRM need a mapping file that says which column is which.")
        return data


class CrmUserLinkForm(forms.Form):
    crm_user_id = forms.CharField(max_length=64, widget=forms.HiddenInput)
    person = forms.CharField(
        label="Person (work email or employee id)", max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "name@company.com or E01234"}),
    )
