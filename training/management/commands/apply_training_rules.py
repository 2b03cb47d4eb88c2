from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from training import services


class Command(BaseCommand):
    help = (
        "Apply the program's enrolment rules: enrol new managers, catch up those who missed it, seat people "
        "waiting for a session, open compliance recertifications. Idempotent; run daily and after HR imports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="Apply the rules as of this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options.get("today"):
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--today must be YYYY-MM-DD, got {options['today']!r}") from exc
        result = services.enrolment_rules_apply(today=today)
        self.stdout.write(
            f"Enrolled {len(result.enrolled)}; seats confirmed {result.seats_confirmed}; waitlisted "
            f"{result.waitlisted}; recertifications {result.recertifications}."
        )
