"""`manage.py run_analysis`: run the bottom-up analysis now, in this process, and print what it found."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from insights import services
from insights.models import AnalysisRun


class Command(BaseCommand):
    help = "Analyse the CRM data now (without the background worker) and save a dated snapshot."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--period-start", type=dt.date.fromisoformat, default=None,
                            help="First day of the period (default: four complete quarters before the data ends).")
        parser.add_argument("--period-end", type=dt.date.fromisoformat, default=None, help="Last day of the period.")
        parser.add_argument("--queue", action="store_true", help="Only queue it for the background worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = services.analysis_enqueue(actor=None, reason="command line", period_start=options["period_start"],
                                            period_end=options["period_end"])
        except services.AnalysisError as error:
            raise CommandError(str(error)) from error
        if options["queue"]:
            self.stdout.write(f"Analysis {run.pk} queued.")
            return
        run = services.analysis_execute(run_id=run.pk)
        if run.status != AnalysisRun.Status.SUCCEEDED:
            raise CommandError(f"Analysis {run.pk} failed: {run.error}")
        self.stdout.write(self.style.SUCCESS(
            f"Analysis {run.pk}: {run.seller_count} sellers, {run.situation_results.count()} situations, "
            f"{run.period_start} to {run.period_end}, in {run.duration_seconds or 0:.1f} s."
        ))
        if run.timings:
            self.stdout.write("  timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in run.timings.items()))
        for note in run.data_notes:
            self.stdout.write(f"  - {note}")
        for result in run.situation_results.select_related("situation").order_by("-seller_count"):
            critical = ", ".join(
                run.evidence.filter(situation=result.situation, is_critical=True).order_by("rank")
                .values_list("task__name", flat=True)
            )
            self.stdout.write(f"  {result.situation.name} ({result.seller_count}): {critical or 'no critical task'}")
