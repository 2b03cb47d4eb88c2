"""The development demo step: plans populated, evidence in every state, imported completions; reset removes it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from development.models import CompletionImport, DevelopmentPlan, ImportedCompletion, MasteryEvidence, PlanCheckIn
from people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


def test_demo_seeds_development_data_in_every_state_and_reset_removes_it(stub_needs):
    stub_needs({})  # the engine's demo data may not be there; plans still get fundamentals and evidence
    out = io.StringIO()
    call_command("demo", sellers=20, stdout=out)
    assert "Development:" in out.getvalue()
    manager_login = next(line for line in out.getvalue().splitlines() if line.startswith("Sales manager "))
    manager = Person.objects.get(email=next(w for w in manager_login.split() if "@" in w))
    states = set(MasteryEvidence.objects.filter(manager=manager).values_list("status", flat=True))
    assert states == {"submitted", "in_review", "accepted", "sent_back"}
    assert DevelopmentPlan.objects.filter(manager=manager).exists()
    assert PlanCheckIn.objects.filter(plan__manager=manager).exists()
    assert DevelopmentPlan.objects.count() >= 2
    assert CompletionImport.objects.get().status == CompletionImport.Status.APPLIED
    assert ImportedCompletion.objects.exists()
    counts = (DevelopmentPlan.objects.count(), MasteryEvidence.objects.count(), ImportedCompletion.objects.count())
    call_command("demo", sellers=20, reset=True, stdout=io.StringIO())  # the reset hook clears our data first
    assert CompletionImport.objects.count() == 1
    assert (DevelopmentPlan.objects.count(), MasteryEvidence.objects.count(),
            ImportedCompletion.objects.count()) == counts
