"""The development demo step on top of the whole demo (people, CRM, insights analysis, training): plans show the
modules the managers' own team needs call for, evidence is in every state, completions were imported; the reset
hook removes it all."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from demo.development import development_demo_reset
from development.models import (
    CompletionImport,
    DevelopmentPlan,
    ImportedCompletion,
    MasteryEvidence,
    PlanCheckIn,
    PlanModule,
    XapiOutbox,
)
from people.models import Person
from training.models import CourseSellerTask

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"  # never the shared var/ store
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


def test_demo_seeds_plans_from_team_needs_and_evidence_in_every_state():
    out = io.StringIO()
    call_command("demo", sellers=20, stdout=out)
    output = out.getvalue()
    assert "Development:" in output
    manager_login = next(line for line in output.splitlines() if line.startswith("Sales manager "))
    manager = Person.objects.get(email=next(w for w in manager_login.split() if "@" in w))

    states = set(MasteryEvidence.objects.filter(manager=manager).values_list("status", flat=True))
    assert states == {"submitted", "in_review", "accepted", "sent_back"}
    assert PlanCheckIn.objects.filter(plan__manager=manager).exists()
    assert CompletionImport.objects.get().status == CompletionImport.Status.APPLIED
    assert ImportedCompletion.objects.exists()
    assert XapiOutbox.objects.filter(event=XapiOutbox.Event.MASTERY).exists()

    # Done when: a manager's plan shows the sales-management modules their own team's gaps call for.
    recommended = PlanModule.objects.filter(source=PlanModule.Source.TEAM_NEEDS, still_indicated=True)
    if "no team analysis available yet" in output:
        pytest.fail(f"The insights step did not leave an analysis for the plans to read:\n{output}")
    assert recommended.exists()
    for module in recommended.select_related("course", "plan__manager"):
        taught = set(CourseSellerTask.objects.filter(course=module.course).values_list("task_key", flat=True))
        assert module.reasons
        assert {r["task_key"] for r in module.reasons} <= taught
        assert all(r["reason"] for r in module.reasons)

    development_demo_reset()
    assert not DevelopmentPlan.objects.exists()
    assert not MasteryEvidence.objects.exists()
    assert not XapiOutbox.objects.exists()
