from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class Function(models.TextChoices):
    """The business function a person works in. Manager cohorts mix functions on purpose."""

    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"
    CUSTOMER_SUCCESS = "customer_success", "Customer success"
    ENGINEERING = "engineering", "Engineering"
    PRODUCT = "product", "Product"
    FINANCE = "finance", "Finance"
    OPERATIONS = "operations", "Operations"
    HR = "hr", "Human resources"
    LEGAL = "legal", "Legal"
    EXECUTIVE = "executive", "Executive"
    OTHER = "other", "Other"


class OrgUnit(TimeStampedModel):
    """A team, region, department or the company itself, in a tree.

    `path` is a materialised path of primary keys ("/1/4/9/") kept by people.services, so a whole subtree is
    one indexed prefix query instead of a recursive walk.
    """

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        FUNCTION = "function", "Function"
        REGION = "region", "Region"
        DEPARTMENT = "department", "Department"
        TEAM = "team", "Team"

    code = models.CharField(max_length=64, unique=True, help_text="The unit's id in the HR system.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=1024, db_index=True, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_LEAVE = "on_leave", "On leave"
    INACTIVE = "inactive", "Inactive"


class LeavingReason(models.TextChoices):
    NONE = "", "—"
    VOLUNTARY = "voluntary", "Voluntary"
    INVOLUNTARY = "involuntary", "Involuntary"


class Person(TimeStampedModel):
    """An employee as the HR system knows them. Never deleted: leavers become inactive and keep their history.

    `path` is the materialised reporting line of primary keys from the top of the tree down to this person
    ("/1/7/42/"), kept by people.services, so a leader's whole reporting subtree is one prefix query.
    """

    employee_id = models.CharField(max_length=64, unique=True, help_text="The id in the HR system.")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField("work email", unique=True)
    function = models.CharField(max_length=32, choices=Function.choices, default=Function.OTHER, db_index=True)
    department = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="direct_reports"
    )
    org_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    region = models.CharField(max_length=100, blank=True, db_index=True)
    location = models.CharField(max_length=100, blank=True)
    hire_date = models.DateField(null=True, blank=True)
    manager_since = models.DateField(
        null=True, blank=True, help_text="The date they became a people manager (their promotion date)."
    )
    status = models.CharField(
        max_length=16, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE, db_index=True
    )
    end_date = models.DateField(null=True, blank=True)
    leaving_reason = models.CharField(max_length=16, choices=LeavingReason.choices, blank=True, default="")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    path = models.CharField(max_length=2048, db_index=True, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status != EmploymentStatus.INACTIVE

    @property
    def is_sales(self) -> bool:
        return self.function == Function.SALES


class PeopleImport(TimeStampedModel):
    """One load of the HR file: who loaded which file, when, how it went and what it changed.

    A failed import changed nothing but this record; `errors` lists every problem found, each as
    {row, column, value, message} with the row numbered as in the file (header = row 1, None for the whole file).
    Imports started from the upload page wait in `queued` until the background worker runs them; `upload`
    holds the file only until then (and, for a successful check, until it is imported or replaced).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to run"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="people_imports"
    )
    filename = models.CharField(max_length=255)
    sha256 = models.CharField("file SHA-256", max_length=64, db_index=True)
    full = models.BooleanField(
        default=True, help_text="Full: the file lists everyone, and active people missing from it become inactive."
    )
    dry_run = models.BooleanField("check only", default=False, help_text="Validated and compared; nothing written.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    reactivated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    changes = models.JSONField(
        default=dict, blank=True, help_text="Who was created, updated, deactivated or reactivated (first 50 each)."
    )
    upload = models.BinaryField(null=True, blank=True, editable=False)
    confirmed_deactivations = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="How many people the importer confirmed a full import may mark as left (asked when it is many).",
    )
    function_column = models.CharField(
        max_length=64, blank=True,
        help_text="The column people's function was taken from where the file has no function (e.g. department).",
    )
    function_default = models.CharField(
        max_length=32, blank=True, choices=Function.choices,
        help_text="The function of everyone the file (and function_column) gives none.",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def succeeded(self) -> bool:
        return self.status == self.Status.SUCCEEDED

    @property
    def function_rule(self) -> str:
        """Where people's function came from besides the file's function column, in words ("" for nowhere)."""
        parts = [f"from column {self.function_column}"] if self.function_column else []
        if self.function_default:
            label = self.get_function_default_display()
            parts.append(f"else {label}" if parts else f"{label} for everyone the file gives none")
        return ", ".join(parts)

    @property
    def mode_label(self) -> str:
        mode = "Full" if self.full else "Partial"
        return f"{mode}, check only" if self.dry_run else mode
