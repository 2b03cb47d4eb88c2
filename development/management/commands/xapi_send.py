"""Deliver the xAPI statements that are due to the learning record store, now, in this process.

The background worker does this after every event and on each retry; this command is for cron or a manual run
after the LRS comes back (`--all` also resends statements that gave up).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from development.models import XapiOutbox
from development.services import outbox_send_due


class Command(BaseCommand):
    help = "Send due xAPI statements from the outbox to the LRS (LRS_URL, LRS_USERNAME, LRS_PASSWORD)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true",
                            help="Also send statements waiting for a retry, and requeue those that gave up.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            XapiOutbox.objects.filter(status=XapiOutbox.Status.FAILED).update(
                status=XapiOutbox.Status.PENDING, attempts=0
            )
            XapiOutbox.objects.filter(status=XapiOutbox.Status.PENDING).update(next_attempt_at=timezone.now())
        report = outbox_send_due(limit=10_000)
        if not report.configured:
            raise CommandError("LRS_URL is not set; statements stay in the outbox. See docs/configuration.md.")
        self.stdout.write(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
