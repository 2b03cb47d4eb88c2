from __future__ import annotations

from typing import Any

from django import forms

from development.models import MasteryEvidence
from training.models import Competency, Course

DATE = forms.DateInput(attrs={"type": "date"})
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class EvidenceForm(forms.Form):
    """Submit (or resubmit) evidence of mastery. Field rules live in development.services."""

    competency = forms.ModelChoiceField(queryset=Competency.objects.order_by("name"), empty_label=None)
    course = forms.ModelChoiceField(
        queryset=Course.objects.filter(is_active=True).select_related("track")
        .order_by("track__position", "position", "title"),
        required=False, empty_label="— not tied to a course —",
        help_text="The course this evidence comes from, if any.",
    )
    kind = forms.ChoiceField(
        choices=MasteryEvidence.Kind.choices, label="Kind of evidence",
        help_text="Observed demonstrations are signed off only by HR or the manager's leader.",
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="What was assessed, demonstrated or produced",
    )
    occurred_on = forms.DateField(widget=DATE, label="When it took place")
    score = forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2, label="Score (%)",
        help_text="Assessments only.",
    )
    pass_mark = forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2, label="Pass mark (%)",
        help_text="Assessments only.",
    )
    link = forms.URLField(required=False, label="Link to the work product or recording", assume_scheme="https")
    attachment = forms.FileField(required=False, help_text="A document or file, up to 10 MB.")

    def __init__(self, *args: Any, resubmission: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if resubmission:
            # The competency, course and kind stay what was first submitted.
            for name in ("competency", "course", "kind"):
                del self.fields[name]

    def clean_attachment(self) -> Any:
        attachment = self.cleaned_data.get("attachment")
        if attachment and attachment.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(
                f"The file is {attachment.size / 1_048_576:.1f} MB; attach at most 10 MB, or give a link instead."
            )
        return attachment


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("start", "Start review"), ("accept", "Accept"),
                                        ("send_back", "Send back")])
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              label="Comment to the manager")


class DueDateForm(forms.Form):
    due_on = forms.DateField(widget=DATE, label="Due on")


class AddModuleForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.none(), label="Course")
    due_on = forms.DateField(widget=DATE, label="Due on")

    def __init__(self, *args: Any, courses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]


class CheckInForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What you discussed or agreed")


class CompletionImportForm(forms.Form):
    source_system = forms.CharField(max_length=100, label="Learning system the file comes from",
                                    help_text="For example Cornerstone, Docebo, Workday Learning.")
    file = forms.FileField(label="Completions file (CSV)", help_text="UTF-8 CSV with the columns listed below.")
