from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from core.models import TimeStampedModel


class EmailUserManager(UserManager["User"]):
    def _create_user_object(self, username: str | None, email: str | None, password: str | None,
                            **extra_fields: Any) -> User:
        email = self.normalize_email(email or username or "").lower()
        user = self.model(username=email, email=email, **extra_fields)
        user.password = ""
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def _create_user(self, username: str | None, email: str | None, password: str | None,
                     **extra_fields: Any) -> User:
        user = self._create_user_object(username, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored lower-case; people type them however they like.
        return self.get(email=(username or "").strip().lower())

    def create_user(self, username: str | None = None, email: str | None = None, password: str | None = None,
                    **extra_fields: Any) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    """A sign-in. People sign in with their work email; `username` mirrors it for Django's admin."""

    email = models.EmailField("work email", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = EmailUserManager()  # type: ignore[misc]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # username is only a mirror kept for admin screens; email is the identity.
        self.email = self.email.lower()
        self.username = self.email
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    HR_PARTNER = "hr_partner", "HR partner"
    SENIOR_SALES_LEADER = "senior_sales_leader", "Senior sales leader"
    SALES_MANAGER = "sales_manager", "Sales manager"
    SELLER = "seller", "Seller"


class RoleGrant(TimeStampedModel):
    """A role a user holds. A user can hold several.

    Grants with source `derived` are recomputed from the reporting tree after every HR import
    (people.services.roles_sync); `manual` grants are set by administrators and never touched by the sync.
    An HR partner's scope is the org units (and their sub-units) listed in `org_units`.
    """

    class Source(models.TextChoices):
        DERIVED = "derived", "Derived from the org chart"
        MANUAL = "manual", "Granted by an administrator"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    org_units = models.ManyToManyField("people.OrgUnit", blank=True, related_name="hr_partner_grants")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_per_user")]

    def __str__(self) -> str:
        return f"{self.user.email}: {self.get_role_display()}"


class ApiToken(TimeStampedModel):
    """A personal API token. Only its SHA-256 digest is stored; the token is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw_token() -> str:
        return "pmt_" + secrets.token_urlsafe(32)


class SignInEmailChange(TimeStampedModel):
    """A change of sign-in email that waits for the account's owner to confirm it.

    An HR import may change a person's work email, but never moves their sign-in by itself: whoever controls a
    new address must not get the account. The owner, signed in with their current email, confirms through a link
    sent to the new address (`accounts.services.sign_in_email_change_confirm`); the old address is told.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_email_changes")
    old_email = models.EmailField()
    new_email = models.EmailField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "new_email"],
                condition=models.Q(confirmed_at__isnull=True, cancelled_at__isnull=True),
                name="one_open_sign_in_email_change_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.old_email} → {self.new_email}"

    @property
    def is_open(self) -> bool:
        return self.confirmed_at is None and self.cancelled_at is None
