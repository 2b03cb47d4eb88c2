from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from people.importing import MAX_UPLOAD_BYTES
from people.importing.columns import (
    FROM_FUNCTION_COLUMN,
    FUNCTION_SOURCE_SUGGESTIONS,
    FunctionSource,
    function_source_parse,
)
from people.models import Function

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
    function_from = forms.CharField(
        required=False, max_length=100, label="Function from column",
        help_text="If the file has no function column, the column whose values name each person's function, such as "
                  "department, division or job family (\"Inside Sales EMEA\" counts as Sales).",
    )
    function_default = forms.ChoiceField(
        required=False, label="Function for everyone else",
        choices=[("", "None: every person needs a function in the file"), *Function.choices],
        help_text="The function of everyone the file gives none (for example a file of the sales team only).",
    )
    check_only = forms.BooleanField(
        required=False,
        label="Check only",
        help_text="Validate the file and show what would change, without changing anything.",
    )

    function_source: FunctionSource = FROM_FUNCTION_COLUMN  # set by clean()
    function_columns = FUNCTION_SOURCE_SUGGESTIONS  # offered as the column's suggestions

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is {filesizeformat(MAX_UPLOAD_BYTES)}."
            )
        return upload

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        try:
            self.function_source = function_source_parse(column=cleaned.get("function_from") or "",
                                                         default=cleaned.get("function_default") or "")
        except ValueError as error:
            self.add_error("function_from", str(error))
        return cleaned

    @property
    def full(self) -> bool:
        return self.cleaned_data["mode"] == "full"
