from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone

from people.models import OrgUnit
from training.models import (
    Booking,
    Cohort,
    Competency,
    Course,
    Deferral,
    ProgramSettings,
    Provider,
    Session,
    Track,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TASK_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class PromotionForm(forms.Form):
    effective_date = forms.DateField(
        label="Promotion date", widget=DATE, help_text="The day they became a people manager."
    )
    new_title = forms.CharField(label="New job title", max_length=200, required=False)

    def clean_effective_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["effective_date"]
        if value > timezone.localdate() + dt.timedelta(days=365):
            raise forms.ValidationError("A promotion more than a year ahead cannot be recorded yet.")
        return value


class DeferralRequestForm(forms.Form):
    reason_category = forms.ChoiceField(label="Reason", choices=Deferral.Reason.choices)
    reason = forms.CharField(
        label="Explain",
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=10,
        help_text="Required. HR and senior leadership read this before deciding.",
    )


class DeferralDecisionForm(forms.Form):
    role = forms.ChoiceField(
        choices=[("hr", "as HR"), ("leader", "as the senior leader")], widget=forms.HiddenInput
    )
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")], widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when rejecting.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "Say why the request is rejected.")
        return data


class ExemptionForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the exemption",
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=10,
        help_text="Required and audit-logged, e.g. an equivalent certificate held, with its reference.",
    )


class AttendanceForm(forms.Form):
    attendance = forms.ChoiceField(
        choices=[(Booking.Attendance.ATTENDED, "Attended"), (Booking.Attendance.ABSENT, "Absent")]
    )


class EnrolForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.filter(is_active=True).select_related("track"))
    due_on = forms.DateField(label="Due", widget=DATE)


class BookSessionForm(forms.Form):
    session = forms.ModelChoiceField(
        queryset=Session.objects.none(),
        label="Session",
        error_messages={
            "required": "Choose a session.",
            "invalid_choice": "Choose one of the sessions offered for this course.",
        },
    )

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(course=course)  # type: ignore[attr-defined]


class CompleteForm(forms.Form):
    completed_on = forms.DateField(label="Completed on", widget=DATE)

    def clean_completed_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["completed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The completion date cannot be in the future.")
        return value


class CourseForm(forms.ModelForm):
    objectives_text = forms.CharField(
        label="Objectives",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One objective per line.",
        required=False,
    )
    seller_tasks_text = forms.CharField(
        label="Seller tasks it teaches to coach",
        required=False,
        help_text="Task keys from the bottom-up engine, comma-separated (e.g. discovery, multithreading).",
    )
    competencies = forms.ModelMultipleChoiceField(
        queryset=Competency.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    prerequisites = forms.ModelMultipleChoiceField(
        queryset=Course.objects.filter(is_active=True).select_related("track"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Course
        fields = [
            "track",
            "key",
            "title",
            "summary",
            "format",
            "duration_minutes",
            "provider",
            "cost_per_participant",
            "mastery_method",
            "mastery_criteria",
            "validity_months",
            "position",
            "is_active",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "mastery_criteria": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["objectives_text"].initial = "\n".join(self.instance.objectives or [])
            self.fields["seller_tasks_text"].initial = ", ".join(
                self.instance.seller_tasks.values_list("task_key", flat=True)
            )
            self.fields["competencies"].initial = list(self.instance.competencies.all())
            self.fields["prerequisites"].initial = list(self.instance.prerequisites.all())
            prereqs = self.fields["prerequisites"]
            assert isinstance(prereqs, forms.ModelMultipleChoiceField)
            prereqs.queryset = Course.objects.filter(is_active=True).exclude(pk=self.instance.pk)

    def clean_seller_tasks_text(self) -> list[str]:
        keys = [
            k.strip().lower()
            for k in (self.cleaned_data.get("seller_tasks_text") or "").split(",")
            if k.strip()
        ]
        bad = [k for k in keys if not TASK_KEY.match(k)]
        if bad:
            raise forms.ValidationError(
                f"Not a task key: {', '.join(bad)} (use lower_case_with_underscores)."
            )
        return keys

    def clean_objectives_text(self) -> list[str]:
        return [
            line.strip()
            for line in (self.cleaned_data.get("objectives_text") or "").splitlines()
            if line.strip()
        ]


class ProviderForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Provider
        fields = [
            "name",
            "kind",
            "website",
            "contact_email",
            "cost_per_participant",
            "currency",
            "notes",
            "is_active",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(coerce=int, choices=[(i, f"{i} / 5") for i in range(5, 0, -1)])
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["track", "name", "starts_on", "ends_on", "description"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        track = self.fields["track"]
        assert isinstance(track, forms.ModelChoiceField)
        track.queryset = Track.objects.filter(is_active=True)


class SessionForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label="Starts", widget=DATETIME, help_text=f"Local time ({timezone.get_default_timezone_name()})."
    )
    ends_at = forms.DateTimeField(label="Ends", widget=DATETIME)
    online_url = forms.URLField(
        label="Online link", required=False, assume_scheme="https", help_text="Video-call link, if online."
    )

    class Meta:
        model = Session
        fields = [
            "course",
            "cohort",
            "starts_at",
            "ends_at",
            "location",
            "online_url",
            "facilitator_name",
            "capacity",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        course, cohort = self.fields["course"], self.fields["cohort"]
        assert isinstance(course, forms.ModelChoiceField)
        assert isinstance(cohort, forms.ModelChoiceField)
        course.queryset = Course.objects.filter(is_active=True).select_related("track")
        cohort.queryset = Cohort.objects.filter(ends_on__gte=timezone.localdate()).select_related("track")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "The session must end after it starts.")
        if not data.get("location") and not data.get("online_url"):
            self.add_error("location", "Give a place or an online link.")
        cohort, course = data.get("cohort"), data.get("course")
        if cohort and course and cohort.track_id != course.track_id:
            self.add_error("cohort", f"{cohort} is a {cohort.track} cohort; {course} is in {course.track}.")
        return data


class SessionCancelForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), min_length=10, help_text="Sent to everyone booked."
    )


class ProgramSettingsForm(forms.ModelForm):
    class Meta:
        model = ProgramSettings
        fields = [
            "fundamentals_start_within_days",
            "catch_up_lookback_days",
            "catch_up_due_days",
            "reminder_days_before",
            "escalate_at_deferral",
            "expiring_window_days",
            "recertify_before_days",
        ]


class CatchUpForm(forms.Form):
    """HR's bulk catch-up: whom (units and groups), in which tracks, and by when."""

    units = forms.ModelMultipleChoiceField(
        label="Org units", queryset=OrgUnit.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="People in these units and their sub-units.",
    )
    groups = forms.MultipleChoiceField(label="Who", choices=[], widget=forms.CheckboxSelectMultiple)
    tracks = forms.ModelMultipleChoiceField(
        label="Tracks", queryset=Track.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="Each person gets only the tracks meant for them: fundamentals for everyone, sales management "
        "for managers of sellers, leading managers for senior leaders.",
    )
    first_due_on = forms.DateField(
        label="First track due", widget=DATE,
        help_text="Later tracks are due later, by as many days as their usual time is longer.",
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        from training.catch_up import GROUPS

        super().__init__(*args, **kwargs)
        units_field = self.fields["units"]
        assert isinstance(units_field, forms.ModelMultipleChoiceField)
        units_field.queryset = units
        tracks_field = self.fields["tracks"]
        assert isinstance(tracks_field, forms.ModelMultipleChoiceField)
        tracks_field.queryset = Track.objects.filter(is_active=True).order_by("position", "pk")
        groups_field = self.fields["groups"]
        assert isinstance(groups_field, forms.MultipleChoiceField)
        groups_field.choices = list(GROUPS.items())

    def clean_first_due_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["first_due_on"]
        if value <= timezone.localdate():
            raise forms.ValidationError("The due date must be after today.")
        return value
