"""Mastery by evidence, development plans, and the learning-record outbox.

Attendance is not mastery: a competency (training.Competency) is mastered only when accepted evidence exists.
Writes go through development.services; reads through development.selectors (scoped by people.scoping).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]

# ---------------------------------------------------------------------------------------------------------------
# Mastery evidence
# ---------------------------------------------------------------------------------------------------------------


class MasteryEvidence(TimeStampedModel):
    """One piece of evidence that a manager has mastered a competency, and its review.

    Workflow: submitted -> in review -> accepted | sent back; sent back -> submitted again (resubmission).
    Only HR (in scope) or the manager's own leader up the reporting line may review; never the manager.
    """

    class Kind(models.TextChoices):
        ASSESSMENT_SCORE = "assessment_score", "Assessment score"
        OBSERVED_DEMONSTRATION = "observed_demonstration", "Observed demonstration"
        ASSIGNMENT_REVIEW = "assignment_review", "On-the-job assignment"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        ACCEPTED = "accepted", "Accepted"
        SENT_BACK = "sent_back", "Sent back"

    manager = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="mastery_evidence")
    competency = models.ForeignKey(
        "training.Competency", on_delete=models.PROTECT, related_name="mastery_evidence"
    )
    course = models.ForeignKey(
        "training.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="mastery_evidence",
        help_text="The course this evidence comes from, if any.",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    summary = models.TextField(help_text="What was assessed, demonstrated or produced, in the submitter's words.")
    score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT,
        help_text="Assessment score in percent.",
    )
    pass_mark = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT,
        help_text="Pass mark of the assessment in percent.",
    )
    occurred_on = models.DateField(help_text="When the assessment, demonstration or assignment took place.")
    link = models.URLField(blank=True, help_text="Where the work product or recording lives, if anywhere.")
    attachment = models.FileField(upload_to="development/evidence/%Y/%m/", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who took the evidence into review, then decided it.",
    )
    review_started_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reviewer_comment = models.TextField(blank=True)
    revision = models.PositiveSmallIntegerField(default=1, help_text="1, then +1 on every resubmission.")

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name_plural = "mastery evidence"
        indexes = [models.Index(fields=["manager", "competency", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="assessment_score") | Q(score__isnull=False, pass_mark__isnull=False),
                name="assessment_has_score_and_pass_mark",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.manager} · {self.competency}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.IN_REVIEW)

    @property
    def passed(self) -> bool | None:
        """For an assessment: whether the score reaches the pass mark. None for other kinds."""
        if self.score is None or self.pass_mark is None:
            return None
        return self.score >= self.pass_mark

    @property
    def status_badge(self) -> str:
        return {
            self.Status.ACCEPTED: "badge--good",
            self.Status.SENT_BACK: "badge--bad",
            self.Status.IN_REVIEW: "badge--warn",
        }.get(self.Status(self.status), "")


# ---------------------------------------------------------------------------------------------------------------
# Development plans
# ---------------------------------------------------------------------------------------------------------------


class DevelopmentPlan(TimeStampedModel):
    """A manager's development plan. Fundamentals come from their training enrolments; sales-management modules
    are recommended from their own team's coaching needs (insights) and kept here with their due dates."""

    manager = models.OneToOneField("people.Person", on_delete=models.PROTECT, related_name="development_plan")
    refreshed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the team's coaching needs were last read into the plan."
    )
    analysis_note = models.CharField(
        max_length=300, blank=True, help_text="Why no recommendations could be made at the last refresh, if so."
    )
    uncovered_needs = models.JSONField(
        default=list, blank=True, help_text="Team needs no active course teaches yet (same shape as reasons)."
    )

    def __str__(self) -> str:
        return f"Development plan of {self.manager}"


class PlanModule(TimeStampedModel):
    """A sales-management course recommended to a manager because of their team's gaps, with why and when due.

    `reasons` is a snapshot of the coaching needs that called for it at the last refresh:
    [{"task_key", "task_name", "priority", "reason", "sellers": [{"id", "name"}]}].
    """

    class Source(models.TextChoices):
        TEAM_NEEDS = "team_needs", "Recommended from the team's coaching needs"
        LEADER = "leader", "Added by their leader or HR"

    plan = models.ForeignKey(DevelopmentPlan, on_delete=models.CASCADE, related_name="modules")
    course = models.ForeignKey("training.Course", on_delete=models.PROTECT, related_name="plan_modules")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.TEAM_NEEDS)
    recommended_on = models.DateField()
    due_on = models.DateField()
    reasons = models.JSONField(default=list, blank=True)
    rank = models.PositiveSmallIntegerField(default=0, help_text="Order of urgency at the last refresh.")
    still_indicated = models.BooleanField(
        default=True, help_text="False once the team's needs no longer call for it (kept for the record)."
    )

    class Meta:
        ordering = ["-still_indicated", "rank", "due_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "course"], name="one_module_per_course_per_plan")]

    def __str__(self) -> str:
        return f"{self.plan.manager}: {self.course}"

    def days_overdue(self, today: dt.date) -> int:
        return max(0, (today - self.due_on).days)


class PlanCheckIn(TimeStampedModel):
    """A leader's (or HR's) note on a manager's plan: how they hold the manager to it."""

    plan = models.ForeignKey(DevelopmentPlan, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Check-in on {self.plan}"


# ---------------------------------------------------------------------------------------------------------------
# Completions imported from another learning system
# ---------------------------------------------------------------------------------------------------------------


class CompletionImport(TimeStampedModel):
    """One upload of another learning system's completions export: applied whole, or rejected whole."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected"

    source_system = models.CharField(max_length=100, help_text="The learning system the file came from.")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    rows_total = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text='[{"row", "column", "value", "message"}]')
    ignored_columns = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class ImportedCompletion(TimeStampedModel):
    """A course completion recorded in another learning system. Counts as a completion, never as mastery."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="imported_completions")
    course = models.ForeignKey("training.Course", on_delete=models.PROTECT, related_name="imported_completions")
    completed_on = models.DateField()
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT)
    passed = models.BooleanField(null=True, blank=True)
    source_system = models.CharField(max_length=100)
    source_record_id = models.CharField(max_length=200, blank=True)
    first_import = models.ForeignKey(CompletionImport, on_delete=models.PROTECT, related_name="completions")
    last_import = models.ForeignKey(CompletionImport, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-completed_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "course", "completed_on"], name="one_completion_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.person} completed {self.course} on {self.completed_on}"


# ---------------------------------------------------------------------------------------------------------------
# xAPI outbox
# ---------------------------------------------------------------------------------------------------------------


class XapiOutbox(TimeStampedModel):
    """An xAPI statement waiting for, or delivered to, the learning record store.

    `statement_id` is derived from the event, so recording the same event twice queues it once and the LRS
    stores it once however often it is resent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Stored by the LRS"
        FAILED = "failed", "Gave up (see the last error)"

    class Event(models.TextChoices):
        COMPLETION = "completion", "Course completed"
        IMPORTED_COMPLETION = "imported_completion", "Completion imported"
        MASTERY = "mastery", "Competency mastered"

    statement_id = models.UUIDField(unique=True)
    event = models.CharField(max_length=32, choices=Event.choices)
    person = models.ForeignKey("people.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    statement = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "xAPI statement"

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.statement_id} ({self.status})"
