"""The bottom-up engine's records: the task library, situations, and dated analysis snapshots.

Library and situation definitions (and the overrides people make to them) are edited in pages and persist across
analyses. Everything an analysis computes is written once per `AnalysisRun` and never changed afterwards, so pages
read a coherent snapshot and trends compare runs. Pages read the latest succeeded run; they never call the engine.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import dateformat

from core.models import TimeStampedModel


class SellingTask(TimeStampedModel):
    """A critical selling task in the library: what it is, what a manager can coach, and how the CRM evidences it.

    `metric_keys` name metrics from the code catalogue (insights.metrics.METRICS) in order of preference: the
    analysis uses the first one the company's data supports. `prior_weight` is the importance the library expects
    before the company's own data says otherwise, on the scale of a standardised regression coefficient.
    """

    class Kind(models.TextChoices):
        BEHAVIOUR = "behaviour", "Behaviour (estimated together with the other behaviours)"
        RESULT = "result", "Result-linked (estimated on its own: partly an outcome of the behaviours)"

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    definition = models.TextField()
    behaviours = models.JSONField(default=list, blank=True, help_text="Observable behaviours a manager can coach.")
    coaching_focus = models.TextField(
        blank=True, help_text="What a manager must be able to do to coach this task."
    )
    manager_skills = models.JSONField(
        default=list, blank=True, help_text="O*NET skills (element id and name) the coaching draws on."
    )
    metric_keys = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BEHAVIOUR)
    prior_weight = models.FloatField(default=0.15)
    prior_importance = models.FloatField(
        null=True, blank=True, help_text="Mean O*NET importance (1-5) of the task statements it is grounded in."
    )
    prior_source = models.TextField(blank=True)
    onet_task_ids = models.JSONField(default=list, blank=True)
    is_default = models.BooleanField(default=False, help_text="Shipped with the product.")
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Situation(TimeStampedModel):
    """A kind of book of business sellers are compared within.

    Rule situations are defined by HR or sales leaders (`conditions`, checked in `priority` order); proposed
    situations are found by the analysis (k-means on book features) and matched run to run by their `centroid`,
    so overrides and trends attach to a stable record.
    """

    class Kind(models.TextChoices):
        RULE = "rule", "Defined by rule"
        PROPOSED = "proposed", "Proposed from the data"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    description = models.TextField(blank=True)
    conditions = models.JSONField(default=list, blank=True)
    priority = models.PositiveSmallIntegerField(default=100)
    centroid = models.JSONField(default=dict, blank=True, help_text="Book-feature centre (log scale).")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "priority", "name"]

    def __str__(self) -> str:
        return self.name


class SellerSituationOverride(models.Model):
    """A person's decision to place a seller in a situation by hand. The latest row per seller counts;
    a row without a situation returns the seller to automatic assignment. Rows are never edited."""

    seller = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    situation = models.ForeignKey(Situation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.seller_id} -> {self.situation_id}"


class TaskWeightOverride(models.Model):
    """A sales leader's or HR partner's weight for a task in a situation, with their note. The latest row per
    (situation, task) counts; a row without a weight returns the task to the evidence. Rows are never edited."""

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="weight_overrides")
    task = models.ForeignKey(SellingTask, on_delete=models.CASCADE, related_name="weight_overrides")
    weight = models.FloatField(null=True, blank=True)
    note = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.situation_id}/{self.task_id} = {self.weight}"


class AnalysisRun(TimeStampedModel):
    """One run of the analysis over a period, with its progress while it runs and its snapshot once done."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Outcome(models.TextChoices):
        ATTAINMENT = "attainment", "Quota attainment"
        RELATIVE_REVENUE = "relative_revenue", "Won revenue relative to situation peers"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    seller_count = models.PositiveIntegerField(default=0)
    data_notes = models.JSONField(default=list, blank=True, help_text="What the data had and lacked.")
    metric_availability = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per step of the run.")
    job_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Analysis {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def period_label(self) -> str:
        """The period in words, as every page showing results names it: "1 Jan 2016 to 31 Dec 2017", with an en
        dash for "to"."""
        if self.period_start is None or self.period_end is None:
            return ""
        return f"{_day_label(self.period_start)} \u2013 {_day_label(self.period_end)}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


def _day_label(day: dt.date) -> str:
    return dateformat.format(day, "j M Y")  # as the templates' `date:"j M Y"`


class SituationResult(models.Model):
    """A situation as one run found it: who was in it and what their books look like."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="situation_results")
    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="results")
    seller_count = models.PositiveIntegerField()
    by_rule = models.PositiveIntegerField(default=0)
    by_cluster = models.PositiveIntegerField(default=0)
    by_override = models.PositiveIntegerField(default=0)
    summary = models.CharField(max_length=300, help_text="The book in plain words.")
    features = models.JSONField(default=dict, help_text="Median book features of its sellers.")
    estimated_from_data = models.BooleanField(default=False)

    class Meta:
        ordering = ["-seller_count", "situation__name"]
        constraints = [models.UniqueConstraint(fields=["run", "situation"], name="unique_situation_per_run")]

    def __str__(self) -> str:
        return f"{self.situation} in run {self.run_id}"


class TaskEvidence(models.Model):
    """How strongly one task goes with success in one situation, in one run: the data's estimate, the library's
    prior, their blend, any override in force, and the quartile values that explain it."""

    class DrivenBy(models.TextChoices):
        DATA = "data", "The company's data"
        PRIOR = "prior", "The task library's starting weight"
        OVERRIDE = "override", "A person's override"
        UNAVAILABLE = "unavailable", "Not measurable with this data"

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="evidence")
    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(SellingTask, on_delete=models.PROTECT, related_name="+")
    metric_key = models.CharField(max_length=64, blank=True)
    available = models.BooleanField(default=True)
    unavailable_reason = models.CharField(max_length=300, blank=True)
    seller_count = models.PositiveIntegerField(default=0)
    effect = models.FloatField(null=True, blank=True, help_text="Standardised coefficient from the data.")
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    prior_weight = models.FloatField()
    data_share = models.FloatField(default=0.0, help_text="How much of the blend came from the data (0-1).")
    blended = models.FloatField(null=True, blank=True)
    weight = models.FloatField(help_text="The weight in force: the override if any, else the blend.")
    driven_by = models.CharField(max_length=16, choices=DrivenBy.choices)
    override_note = models.TextField(blank=True)
    override_author = models.CharField(max_length=200, blank=True)
    override_at = models.DateTimeField(null=True, blank=True)
    is_critical = models.BooleanField(default=False)
    rank = models.PositiveSmallIntegerField(default=0)
    higher_is_better = models.BooleanField(default=True)
    top_quartile = models.FloatField(null=True, blank=True)
    median = models.FloatField(null=True, blank=True)
    bottom_quartile = models.FloatField(null=True, blank=True)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "situation", "task"], name="unique_evidence_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.task} in {self.situation}: {self.weight:.2f}"


class SellerDiagnostic(models.Model):
    """One seller in one run: situation, outcome among peers, and the context their numbers must be read in."""

    class AssignedBy(models.TextChoices):
        RULE = "rule", "Rule"
        CLUSTER = "cluster", "Proposed situation"
        OVERRIDE = "override", "Override"

    # Found by run through the indexes and the constraint below, which all start with the run.
    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="diagnostics", db_index=False)
    seller = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    crm_user_id = models.CharField(max_length=64)
    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.CharField(max_length=16, choices=AssignedBy.choices)
    manager = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    region = models.CharField(max_length=200, blank=True)
    tenure_months = models.FloatField(null=True, blank=True)
    is_ramping = models.BooleanField(default=False)
    outcome = models.FloatField(null=True, blank=True, help_text="Attainment, or won revenue / peer median.")
    outcome_percentile = models.FloatField(null=True, blank=True)
    won_amount = models.FloatField(null=True, blank=True)
    features = models.JSONField(default=dict)
    # The seller's own numbers for the run's period, as a CRM report by owner shows them (definitions in
    # insights.metrics.seller_number_aggregates, win_rate_of, attainment_of and seller_quota_facts).
    opportunities_created = models.PositiveIntegerField(default=0)
    opportunities_won = models.PositiveIntegerField(default=0)
    opportunities_lost = models.PositiveIntegerField(default=0)
    opportunities_open = models.PositiveIntegerField(default=0, help_text="Open when the CRM data was exported.")
    win_rate = models.FloatField(null=True, blank=True, help_text="Won / (won + lost); empty when nothing closed.")
    quota = models.FloatField(null=True, blank=True, help_text="Quota for the period, prorated by days.")
    attainment = models.FloatField(null=True, blank=True, help_text="Won amount / quota.")
    currencies = models.JSONField(default=list, blank=True, help_text="Currencies of the opportunities counted.")
    seat_start = models.DateField(null=True, blank=True, help_text="HR hire date, else the first CRM record.")

    class Meta:
        ordering = ["seller__last_name", "seller__first_name"]
        constraints = [models.UniqueConstraint(fields=["run", "seller"], name="unique_diagnostic_per_run")]
        indexes = [models.Index(fields=["run", "manager"]), models.Index(fields=["run", "situation"])]

    def __str__(self) -> str:
        return f"{self.seller_id} in run {self.run_id}"

    @property
    def currency_text(self) -> str:
        """The currencies the seller's amounts are in, in words: "EUR", or "EUR and USD, added up unconverted"."""
        found = [str(c) for c in self.currencies or []]
        if len(found) < 2:
            return found[0] if found else ""
        return f"{', '.join(found[:-1])} and {found[-1]}, added up unconverted"


class SellerTaskGap(models.Model):
    """One task for one seller in one run: value, standing among situation peers, gap to the top quartile, and
    the coaching priority that follows (importance x gap)."""

    # About 220,000 rows a run at 20,000 sellers: no index on run or diagnostic alone, which would only repeat the
    # (run, task) index and the (diagnostic, task) constraint and slow every insert.
    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="+", db_index=False)
    diagnostic = models.ForeignKey(SellerDiagnostic, on_delete=models.CASCADE, related_name="gaps", db_index=False)
    task = models.ForeignKey(SellingTask, on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(null=True, blank=True)
    percentile = models.FloatField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True, help_text="Top-quartile level in the seller's situation.")
    gap = models.FloatField(default=0.0, help_text="Shortfall to the target in peer standard deviations.")
    importance = models.FloatField(default=0.0)
    priority = models.FloatField(default=0.0)
    priority_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    is_critical = models.BooleanField(default=False)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["priority_rank", "-priority"]
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "task"], name="unique_gap_per_task"),
        ]
        indexes = [models.Index(fields=["run", "task"])]

    def __str__(self) -> str:
        return f"{self.diagnostic_id}/{self.task_id}: {self.priority:.2f}"


class CoachingNeed(models.Model):
    """One task a manager's team needs coaching on, in one run: how much, for whom, and why."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="coaching_needs",
                            db_index=False)  # the constraint below starts with the run
    manager = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(SellingTask, on_delete=models.PROTECT, related_name="+")
    priority = models.FloatField()
    rank = models.PositiveSmallIntegerField()
    seller_ids = models.JSONField(default=list, help_text="Person ids of the sellers with this as a top priority.")
    team_size = models.PositiveIntegerField(default=0)
    reason = models.TextField()

    class Meta:
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["run", "manager", "task"], name="unique_need_per_run")]

    def __str__(self) -> str:
        return f"{self.manager_id}/{self.task_id}: {self.priority:.2f}"


class TeamComparison(models.Model):
    """How one manager's sellers in one situation compare with the other teams' sellers in it, in one run."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="team_comparisons",
                            db_index=False)  # the constraint below starts with the run
    manager = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="+")
    seller_count = models.PositiveIntegerField()
    team_median_percentile = models.FloatField(null=True, blank=True)
    other_teams = models.PositiveIntegerField(default=0)
    other_teams_median_percentile = models.FloatField(null=True, blank=True)
    team_rank = models.PositiveIntegerField(null=True, blank=True)
    task_percentiles = models.JSONField(default=dict, help_text="Task key -> the team's median percentile.")

    class Meta:
        ordering = ["-seller_count"]
        constraints = [
            models.UniqueConstraint(fields=["run", "manager", "situation"], name="unique_comparison_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.manager_id} in {self.situation_id}"
