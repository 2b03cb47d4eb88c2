"""The demo step analyses the demo CRM data and records a reviewed override; reset removes what it made."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.insights import insights_demo_reset, insights_demo_step
from demo.registry import DemoContext, demo_steps
from insights.models import AnalysisRun, Situation, TaskEvidence, TaskWeightOverride

pytestmark = pytest.mark.django_db


def test_step_is_registered_after_the_crm_data_and_before_development():
    orders = {step.name: step.order for step in demo_steps()}
    assert orders["insights"] > orders.get("crm", 20)
    assert orders["insights"] < orders.get("development", 50)


def test_step_runs_the_analysis_and_an_override(analysed, tmp_path):
    lines: list[str] = []
    context = DemoContext(seed=7, size=64, data_dir=Path(tmp_path), write=lines.append, password="x")
    insights_demo_step(context)
    latest = AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED).order_by("-finished_at").first()
    assert latest.reason.startswith("after a weight override on Forecasting and pipeline hygiene")
    override = TaskWeightOverride.objects.get()
    assert override.author == analysed.company.hana.user
    assert TaskEvidence.objects.filter(run=latest, driven_by="override", task__key="pipeline_hygiene").exists()
    assert lines[-1].startswith("Insights: 64 sellers analysed in 2 situations")
    assert context.shared["insights"]["run_id"] == latest.pk
    periods = sorted({(r.period_start, r.period_end) for r in AnalysisRun.objects.filter(status="succeeded")})
    assert len(periods) >= 2  # earlier periods first, so the trend pages have a history
    assert periods[-1] == (latest.period_start, latest.period_end)
    assert len({start for start, _ in periods}) == 1  # the same start, ending a quarter apart
    insights_demo_reset()
    assert not AnalysisRun.objects.exists()
    assert not Situation.objects.exists()
