"""The manager development program: curriculum, cohorts and sessions, enrolments, attendance, deferrals,
exemptions and compliance certifications.

Writes go through training.services; reads through training.selectors (scoped by people.scoping).
Another app (`development`) builds mastery evidence and development plans on top of these models, so names and
fields here are a contract: add, don't rename.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import TimeStampedModel

# ------------------------------------------------------------------------------------------------------------
# Program settings
# ------------------------------------------------------------------------------------------------------------


class ProgramSettings(TimeStampedModel):
    """The enrolment and reminder rules HR tunes. One row (pk=1); `ProgramSettings.load()` creates it."""

    fundamentals_start_within_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="New people managers are seated in the first fundamentals cohort starting within this many "
        "days of their promotion date (or the next one after, when none does).",
    )
    catch_up_lookback_days = models.PositiveIntegerField(
        default=730,
        help_text="People who became managers within this many days and have never been enrolled are caught "
        "up. Longer-serving managers are enrolled by HR by hand.",
    )
    catch_up_due_days = models.PositiveSmallIntegerField(
        default=120, help_text="For caught-up managers, the track is due this many days after enrolment."
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        default=3, help_text="Send the reminder email this many days before a session starts."
    )
    escalate_at_deferral = models.PositiveSmallIntegerField(
        default=2,
        help_text="The deferral request with this number for the same course (2 = the second) escalates to "
        "the leader's own leader and HR.",
    )
    expiring_window_days = models.PositiveSmallIntegerField(
        default=90, help_text="Compliance certificates expiring within this many days are listed as expiring."
    )
    recertify_before_days = models.PositiveSmallIntegerField(
        default=60,
        help_text="People are re-enrolled in a compliance course this many days before it expires.",
    )

    class Meta:
        verbose_name = "program settings"
        verbose_name_plural = "program settings"

    def __str__(self) -> str:
        return "Program settings"

    @classmethod
    def load(cls) -> ProgramSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


# ------------------------------------------------------------------------------------------------------------
# Curriculum
# ------------------------------------------------------------------------------------------------------------


class Track(TimeStampedModel):
    """An ordered part of the program, e.g. management fundamentals, then sales management."""

    class Audience(models.TextChoices):
        ALL_MANAGERS = "all_managers", "Every new people manager, whatever their function"
        SALES_MANAGERS = "sales_managers", "People managers who manage sellers"
        SENIOR_LEADERS = "senior_leaders", "Senior leaders: people who lead people managers"

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Tracks are taken in this order.")
    audience = models.CharField(max_length=32, choices=Audience.choices, default=Audience.ALL_MANAGERS)
    due_within_days = models.PositiveSmallIntegerField(
        default=120, help_text="Every course of the track is due this many days after the promotion date."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Competency(TimeStampedModel):
    """A manager competency a course builds (e.g. coaching, forecasting)."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "competencies"

    def __str__(self) -> str:
        return self.name


class Provider(TimeStampedModel):
    """Who delivers a course: the company's own people team, or an external provider from HR's catalogue."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", "Internal"
        EXTERNAL = "external", "External"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EXTERNAL)
    website = models.URLField(blank=True)
    contact_email = models.EmailField(blank=True)
    cost_per_participant = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="EUR")
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class ProviderRating(TimeStampedModel):
    """One person's rating of a provider (1-5), usually after attending one of its courses."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="ratings")
    course = models.ForeignKey("Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rated_by = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="provider_ratings")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "rated_by", "course"], name="one_rating_per_course"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.score}/5"


class Course(TimeStampedModel):
    """A module of the curriculum."""

    class Format(models.TextChoices):
        WORKSHOP = "workshop", "Workshop"
        ELEARNING = "elearning", "E-learning"
        ON_THE_JOB = "on_the_job", "On-the-job assignment"

    class MasteryMethod(models.TextChoices):
        KNOWLEDGE_CHECK = "knowledge_check", "Knowledge check"
        OBSERVED_PRACTICE = "observed_practice", "Observed in practice by their leader"
        WORK_PRODUCT = "work_product", "Work product reviewed"
        CRM_EVIDENCE = "crm_evidence", "Change visible in the team's CRM data"
        CERTIFICATE = "certificate", "Completion certificate"

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="courses")
    key = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    objectives = models.JSONField(default=list, blank=True, help_text="Learning objectives, one string each.")
    competencies = models.ManyToManyField(Competency, blank=True, related_name="courses")
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.WORKSHOP)
    duration_minutes = models.PositiveIntegerField(default=120)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="courses")
    cost_per_participant = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Overrides the provider's cost per participant for this course.",
    )
    mastery_method = models.CharField(
        max_length=32, choices=MasteryMethod.choices, default=MasteryMethod.OBSERVED_PRACTICE
    )
    mastery_criteria = models.TextField(blank=True, help_text="What the manager shows to prove mastery.")
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_by",
        help_text="Courses that must be completed first.",
    )
    validity_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Compliance courses only: how long a certificate stays valid before recertification.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order within the track.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["track__position", "position", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_compliance(self) -> bool:
        return self.validity_months is not None

    @property
    def needs_session(self) -> bool:
        """Workshops are delivered in scheduled sessions; e-learning and assignments are done by a due
        date."""
        return self.format == self.Format.WORKSHOP

    @property
    def effective_cost(self) -> Decimal:
        return (
            self.cost_per_participant
            if self.cost_per_participant is not None
            else (self.provider.cost_per_participant)
        )

    @property
    def duration_label(self) -> str:
        hours, minutes = divmod(self.duration_minutes, 60)
        if hours and minutes:
            return f"{hours} h {minutes} min"
        return f"{hours} h" if hours else f"{minutes} min"


class CourseSellerTask(models.Model):
    """A seller task (key from the bottom-up engine's task library, e.g. "multithreading") that a
    sales-management course teaches a manager to coach. Keys are the contract with insights; no FK on
    purpose."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="seller_tasks")
    task_key = models.SlugField(max_length=64, db_index=True)

    class Meta:
        ordering = ["task_key"]
        constraints = [models.UniqueConstraint(fields=["course", "task_key"], name="unique_course_task")]

    def __str__(self) -> str:
        return f"{self.course.key}: {self.task_key}"

    @property
    def task_label(self) -> str:
        """The key in words for pages ("follow_up" -> "Follow up"): training sits below insights and does not read
        the task library's names."""
        return self.task_key.replace("_", " ").capitalize()


# ------------------------------------------------------------------------------------------------------------
# Cohorts and sessions
# ------------------------------------------------------------------------------------------------------------


class Cohort(TimeStampedModel):
    """A group that goes through one track together; it mixes functions on purpose."""

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="cohort_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def phase(self, today: dt.date) -> str:
        if self.ends_on < today:
            return "past"
        if self.starts_on > today:
            return "upcoming"
        return "running"


class Session(TimeStampedModel):
    """One scheduled delivery of a course: a date, a place or link, a facilitator, seats and a waitlist."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=300, blank=True, help_text="Room and address, if in person.")
    online_url = models.URLField(blank=True, help_text="Video-call link, if online.")
    facilitator = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="facilitated_sessions"
    )
    facilitator_name = models.CharField(
        max_length=200, blank=True, help_text="An external facilitator's name."
    )
    capacity = models.PositiveSmallIntegerField(default=16, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course.title} · {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def facilitator_label(self) -> str:
        if self.facilitator_id is not None and self.facilitator is not None:
            return self.facilitator.full_name
        return self.facilitator_name


# ------------------------------------------------------------------------------------------------------------
# Enrolment, bookings and attendance
# ------------------------------------------------------------------------------------------------------------


class Enrolment(TimeStampedModel):
    """A person's enrolment in one course. There is no way to drop out: an enrolment ends only by completion
    or by an HR exemption (with a reason). A person has at most one open enrolment per course; compliance
    recertification opens a new one after the previous completed."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        COMPLETED = "completed", "Completed"
        EXEMPTED = "exempted", "Exempted by HR"

    class Source(models.TextChoices):
        PROMOTION = "promotion", "Promotion to people manager"
        CATCH_UP = "catch_up", "Catch-up"
        RECERTIFICATION = "recertification", "Compliance recertification"
        MANUAL = "manual", "Enrolled by HR"

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="training_enrolments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrolments"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENROLLED, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    enrolled_on = models.DateField()
    due_on = models.DateField(db_index=True)
    completed_on = models.DateField(null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "course"],
                condition=Q(status="enrolled"),
                name="one_open_enrolment_per_course",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.course}"

    def days_overdue(self, today: dt.date) -> int:
        if self.status != self.Status.ENROLLED or self.due_on >= today:
            return 0
        return (today - self.due_on).days


class Booking(TimeStampedModel):
    """A person's seat (or waitlist place) in a session, and their attendance there.

    A deferral moves the person to a later session: the old booking keeps attendance `deferred` and status
    `moved`, and a new booking is made.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Seat confirmed"
        WAITLISTED = "waitlisted", "On the waitlist"
        MOVED = "moved", "Moved to a later session"
        CANCELLED = "cancelled", "Cancelled"

    class Attendance(models.TextChoices):
        UNMARKED = "unmarked", "Not marked yet"
        ATTENDED = "attended", "Attended"
        ABSENT = "absent", "Absent"
        DEFERRED = "deferred", "Deferred"

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="bookings")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="training_bookings")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONFIRMED, db_index=True)
    attendance = models.CharField(
        max_length=16, choices=Attendance.choices, default=Attendance.UNMARKED, db_index=True
    )
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    ics_sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE of the last invitation."
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "enrolment"], name="one_booking_per_session_enrolment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.session}"

    @property
    def holds_seat(self) -> bool:
        return self.status == self.Status.CONFIRMED


# ------------------------------------------------------------------------------------------------------------
# Deferrals, exemptions, notices
# ------------------------------------------------------------------------------------------------------------


class Deferral(TimeStampedModel):
    """A request to move a manager to a later session, by the manager or by their leader (a pull-out).

    Needs two approvals: an HR partner and the senior leader of the person's line (training.permissions). Rejected: the
    manager stays booked. Approved: moved to a later session. The Nth request for the same course escalates.
    """

    class RequestedAs(models.TextChoices):
        SELF = "self", "The manager"
        LEADER = "leader", "Their leader (pull-out)"

    class Reason(models.TextChoices):
        FORECAST = "forecast", "Forecast or quarter-end work"
        CUSTOMER = "customer", "Customer commitment"
        WORKLOAD = "workload", "Team workload or staffing"
        HEALTH = "health", "Illness or personal leave"
        TRAVEL = "travel", "Travel or scheduling conflict"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Decision(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="deferrals")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="deferrals")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="training_deferral_requests",
    )
    requested_by_person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="deferrals_requested"
    )
    requested_as = models.CharField(max_length=16, choices=RequestedAs.choices)
    reason_category = models.CharField(max_length=16, choices=Reason.choices)
    reason = models.TextField(help_text="Why, in the requester's words. Required.")
    sequence = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the first request for this course."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)

    hr_decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    hr_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hr_decided_at = models.DateTimeField(null=True, blank=True)
    hr_note = models.TextField(blank=True)

    leader_decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    leader_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    leader_decided_at = models.DateTimeField(null=True, blank=True)
    leader_note = models.TextField(blank=True)

    decided_at = models.DateTimeField(null=True, blank=True)
    moved_to = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="deferred_from"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="training_escalations"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"], condition=Q(status="pending"), name="one_pending_deferral_per_booking"
            ),
        ]

    def __str__(self) -> str:
        return f"Deferral of {self.enrolment} ({self.get_status_display()})"

    @property
    def is_pull_out(self) -> bool:
        return self.requested_as == self.RequestedAs.LEADER

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None

    @property
    def is_decided(self) -> bool:
        return self.status != self.Status.PENDING

    @staticmethod
    def _name(user: Any) -> str:
        person = getattr(user, "person", None)
        return person.full_name if person is not None else getattr(user, "email", "someone")

    @staticmethod
    def _day(moment: dt.datetime | None) -> str:
        if moment is None:
            return ""
        local = timezone.localtime(moment)
        return f" on {local.day} {local:%b %Y}"

    def _decision_label(self, decision: str, decided_by: Any, decided_at: dt.datetime | None) -> str:
        if decision == self.Decision.PENDING:
            # A request one approver rejected is closed: the other approval is no longer asked for.
            return "Not needed: the request is closed" if self.is_decided else "Pending"
        label = self.Decision(decision).label
        by = f" by {self._name(decided_by)}" if decided_by is not None else ""
        return f"{label}{by}{self._day(decided_at)}"

    @property
    def hr_decision_label(self) -> str:
        """HR's step as it stands: who decided and when ("Approved by Hana Acme on 4 Dec 2026")."""
        return self._decision_label(self.hr_decision, self.hr_decided_by, self.hr_decided_at)

    @property
    def leader_decision_label(self) -> str:
        return self._decision_label(self.leader_decision, self.leader_decided_by, self.leader_decided_at)

    @property
    def outcome_label(self) -> str:
        """The request as it stands, with who decided, when, and their note: what every page and notification
        says about it."""
        if self.status == self.Status.PENDING:
            return "Waiting for approval"
        if self.status == self.Status.REJECTED:
            hr_rejected = self.hr_decision == self.Decision.REJECTED
            label = self.hr_decision_label if hr_rejected else self.leader_decision_label
            note = self.hr_note if hr_rejected else self.leader_note
            return label + (f": {note}" if note else "")
        steps = [
            (self.hr_decided_by, "HR", self.hr_decided_at, self.hr_note),
            (self.leader_decided_by, "senior leader", self.leader_decided_at, self.leader_note),
        ]
        parts = [
            f"{self._name(by)} ({role}){self._day(at)}" + (f", noting “{note}”" if note else "")
            for by, role, at, note in steps
        ]
        return "Approved by " + " and by ".join(parts)


class Exemption(TimeStampedModel):
    """HR's decision that a person need not take a course (e.g. equivalent prior certification). The only way
    an enrolment ends without completion; always with a reason, always audit-logged."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="exemption")
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_on = models.DateField()

    def __str__(self) -> str:
        return f"Exemption: {self.enrolment}"


class Certification(TimeStampedModel):
    """A compliance certificate: a person completed a compliance course and is certified until `expires_on`.

    Recertification adds a newer row; the latest per person and course is the one that counts."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="training_certifications"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certifications")
    enrolment = models.ForeignKey(
        Enrolment, null=True, blank=True, on_delete=models.SET_NULL, related_name="certifications"
    )
    certified_on = models.DateField()
    expires_on = models.DateField(db_index=True)

    class Meta:
        ordering = ["expires_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("certified_on")), name="certificate_expires_after_issue"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.course} until {self.expires_on}"


class Notice(TimeStampedModel):
    """An in-app notification about the program (deferral requested, decided, escalated...), also emailed."""

    class Kind(models.TextChoices):
        DEFERRAL_REQUESTED = "deferral_requested", "Deferral requested"
        DEFERRAL_DECIDED = "deferral_decided", "Deferral decided"
        ESCALATION = "escalation", "Repeated deferral escalated"
        ENROLLED = "enrolled", "Enrolled"
        EXEMPTION = "exemption", "Exemption decided"
        EVIDENCE_DECIDED = "evidence_decided", "Evidence reviewed"

    recipient = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="training_notices")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    deferral = models.ForeignKey(
        Deferral, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject

    @property
    def display_subject(self) -> str:
        """A request for approval that has since been decided no longer asks for approval."""
        if self.deferral is not None and self.deferral.is_decided and self.subject.startswith("Approval needed: "):
            return "Decided: " + self.subject.removeprefix("Approval needed: ")
        return self.subject


class CalendarFeed(TimeStampedModel):
    """A personal calendar feed URL (/training/calendar/<token>.ics). Calendar apps cannot sign in, so the
    unguessable token is the credential; revoking or regenerating it kills the old URL."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="training_calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(revoked_at__isnull=True), name="one_live_feed_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.person}"
