"""Background jobs of the bottom-up engine (django-tasks). Thin: the work is in insights.services."""

from __future__ import annotations

from django_tasks import task

from insights import services


@task()
def run_analysis(run_id: int) -> str:
    """Run a queued analysis and save its snapshot; answers the run's final status."""
    return services.analysis_execute(run_id=run_id).status


@task()
def prune_analysis_details() -> int:
    """Drop the per-task seller rows of runs older than the latest few; answers how many rows went."""
    return services.analysis_details_prune()
