"""Django-side records of the CRM analytics store: each import, and the people CRM users were linked to by hand.

The CRM facts themselves live in the analytics store (crm/schema.py, reached through crm/store.py), not here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class CrmSource(models.TextChoices):
    SALESFORCE = "salesforce", "Salesforce (Data Loader export)"
    HUBSPOT = "hubspot", "HubSpot export"
    MAPPED = "mapped", "Other CRM (CSV files with a mapping file)"


class CrmImport(TimeStampedModel):
    """One import of CRM export files: who started it, what it read, what it changed, and what was wrong.

    At most one import runs at a time: the partial unique constraint on `status` lets only one row be
    `running`, whichever process tries to start a second one.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=16, choices=CrmSource.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_imports"
    )
    file_names = models.JSONField(default=list, blank=True, help_text="The files as the user named them.")
    paths = models.JSONField(default=list, blank=True, help_text="Where the job reads the files.")
    mapping_path = models.CharField(max_length=1024, blank=True)
    upload_dir = models.CharField(max_length=1024, blank=True)
    engine = models.CharField(max_length=32, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    progress_step = models.CharField(max_length=200, blank=True)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    counts = models.JSONField(default=dict, blank=True, help_text="Per table: rows, inserted, updated, unchanged.")
    file_counts = models.JSONField(default=dict, blank=True, help_text="Per file: table, rows read, skipped.")
    warnings = models.JSONField(default=list, blank=True, help_text="What the import worked around: worth a look.")
    notes = models.JSONField(default=list, blank=True, help_text="How the files were read; nothing was wrong.")
    errors = models.JSONField(default=list, blank=True, help_text="The first errors per file, in detail.")
    error_count = models.PositiveIntegerField(default=0)
    link_summary = models.JSONField(default=dict, blank=True, help_text="CRM users linked to people, by method.")
    unmatched_owners = models.JSONField(default=list, blank=True)
    failure_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="running"), name="crm_one_import_running"
            )
        ]

    def __str__(self) -> str:
        return f"CRM import #{self.pk} ({self.get_source_display()}, {self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def total_changed(self) -> int:
        return sum(c.get("inserted", 0) + c.get("updated", 0) for c in self.counts.values())

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class CrmUserLink(TimeStampedModel):
    """An administrator's or HR partner's decision that a CRM user is this person (beats automatic matching)."""

    crm_user_id = models.CharField(max_length=64, unique=True)
    crm_user_name = models.CharField(max_length=200, blank=True)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="crm_user_links")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True, help_text="When the store's crm_users got it.")

    class Meta:
        ordering = ["crm_user_id"]

    def __str__(self) -> str:
        return f"{self.crm_user_id} -> {self.person_id}"
