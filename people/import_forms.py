from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from people.importing import MAX_UPLOAD_BYTES

MODE_CHOICES = [
    ("partial", "Partial import: only add or update the people in this file"),
    ("full", "Full import: this file lists everyone, and anyone missing from it has left"),
]


class PeopleImportForm(forms.Form):
    file = forms.FileField(
        label="HR file",
        help_text="A .csv file saved as UTF-8, or an Excel workbook (.xlsx).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    mode = forms.ChoiceField(choices=MODE_CHOICES, initial="partial", widget=forms.RadioSelect, label="Kind of import")
    check_only = forms.BooleanField(
        required=False,
        label="Check only",
        help_text="Validate the file and show what would change, without changing anything.",
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is {filesizeformat(MAX_UPLOAD_BYTES)}."
            )
        return upload

    @property
    def full(self) -> bool:
        return self.cleaned_data["mode"] == "full"
