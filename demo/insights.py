"""The demo's insights step (order 30: after the CRM data, before the development plans that read team needs).

It analyses the demo CRM data the way the product would have after the imports of the last quarters (the periods
ending one and two quarters ago, then the current one), so trend pages have a history. Then it shows the review
features as people would use them: an HR partner's note-backed weight override on one situation, followed by the
re-analysis the override queues. Everything goes through insights.services.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.test.utils import override_settings

from accounts.models import Role, User
from crm import store
from demo.registry import DemoContext, DemoLogin, register_demo_step
from insights import services
from insights.analysis.pipeline import default_period
from insights.models import (
    AnalysisRun,
    SellerSituationOverride,
    Situation,
    TaskEvidence,
    TaskWeightOverride,
)

DEMO_ORDER = 30
_NO_WORKER = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def register_demo_steps() -> None:
    register_demo_step("insights", DEMO_ORDER, insights_demo_step, reset=insights_demo_reset)


def insights_demo_step(context: DemoContext) -> None:
    """Analyse the demo CRM data in this process (no worker needed), then record a reviewed override."""
    with override_settings(TASKS=_NO_WORKER):
        for start, end in _earlier_periods():
            earlier = services.analysis_enqueue(actor=None, reason=f"Sample data: the analysis as of {end:%d %b %Y}",
                                                period_start=start, period_end=end)
            services.analysis_execute(run_id=earlier.pk)
        run = services.analysis_run_now(actor=None, reason="Sample data: after the CRM import")
        if run.status != AnalysisRun.Status.SUCCEEDED:
            context.write(f"Insights: the analysis did not succeed ({run.error or run.status}).")
            return
        reviewed = _review_one_profile(run, context.logins)
        if reviewed is not None:
            run = services.analysis_run_now(actor=None, reason="Sample data: after a weight override")
    situations = run.situation_results.count()
    critical = TaskEvidence.objects.filter(run=run, is_critical=True).count()
    context.write(
        f"Insights: {run.seller_count} sellers analysed in {situations} situations ({critical} critical tasks); "
        f"success measured as {run.get_outcome_display().lower()}"
        f"{'; one weight override by HR' if reviewed else ''}."
    )
    context.shared["insights"] = {"run_id": run.pk, "situations": situations}


def _earlier_periods(count: int = 2) -> list[tuple[dt.date, dt.date]]:
    """The periods the product would have analysed one and two quarters ago: from the same start to an earlier
    quarter's end, so the demo's trend pages have a history. Periods under two quarters long are skipped."""
    with store.session(read_only=True) as con:
        try:
            base = default_period(con)
        except ValueError:  # no CRM data: the analysis below says so
            return []
    periods: list[tuple[dt.date, dt.date]] = []
    end = base.end
    for _ in range(count):
        end = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1) - dt.timedelta(days=1)  # the quarter before
        if (end - base.start).days < 180:
            break
        periods.append((base.start, end))
    return periods[::-1]


def _review_one_profile(run: AnalysisRun, logins: list[DemoLogin]) -> TaskWeightOverride | None:
    """An HR partner raises pipeline hygiene in the largest situation: forecasting matters to the business even
    where it does not drive attainment."""
    demo_hr = next((login.email for login in logins if login.role == "HR partner"), "")
    reviewer = (User.objects.filter(email=demo_hr).first()
                or User.objects.filter(role_grants__role=Role.HR_PARTNER, is_active=True).order_by("pk").first()
                or User.objects.filter(is_superuser=True).order_by("pk").first())
    largest = run.situation_results.select_related("situation").order_by("-seller_count").first()
    evidence = (TaskEvidence.objects.filter(run=run, situation=largest.situation, task__key="pipeline_hygiene")
                .select_related("task").first() if largest else None)
    if reviewer is None or largest is None or evidence is None or not evidence.available:
        return None
    return services.task_weight_override_set(
        actor=reviewer, situation=largest.situation, task=evidence.task, weight=max(evidence.weight, 0.25),
        note="Forecast accuracy is a company objective this year: keep pipeline hygiene in every review, even "
        "where the data does not tie it to attainment.",
    )


@transaction.atomic
def insights_demo_reset() -> None:
    """Delete every analysis and the situations and overrides (the task library stays: it ships by migration)."""
    AnalysisRun.objects.all().delete()
    SellerSituationOverride.objects.all().delete()
    TaskWeightOverride.objects.all().delete()
    Situation.objects.all().delete()
