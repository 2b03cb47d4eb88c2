"""Background-job entry points (django-tasks). Thin: each calls one service."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from training import services


@task()
def send_training_reminders() -> int:
    """Email reminders for sessions starting soon. Safe to run as often as you like: never twice per seat."""
    return services.reminders_send(now=timezone.now())


@task()
def apply_enrolment_rules() -> int:
    """Run the enrolment rules (new managers, catch-up, seats, recertification). Idempotent."""
    return len(services.enrolment_rules_apply(today=timezone.localdate()).enrolled)
