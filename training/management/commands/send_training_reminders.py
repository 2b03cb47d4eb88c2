from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from training import services


class Command(BaseCommand):
    help = (
        "Email reminders for training sessions starting within ProgramSettings.reminder_days_before days. "
        "Idempotent: a seat is never reminded twice. Run it from cron (e.g. hourly)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.reminders_send()
        self.stdout.write(f"Sent {sent} training reminder{'s' if sent != 1 else ''}.")
