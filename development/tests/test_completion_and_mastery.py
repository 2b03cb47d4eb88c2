"""Completion is not mastery: a manager who completed all seven fundamentals but mastered two shows 7/7
completed and 2/7 mastered, and counts as done only for the two, on the plan, the list of plans, the leader's
accountability page and HR's "who is behind"; one definition (development.progress) behind all of them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from development import selectors
from development.models import MasteryEvidence
from development.progress import fundamentals_standing
from development.tests.conftest import make_evidence
from training import selectors as training_selectors
from training import services as training_services
from training.models import Competency, Enrolment
from training.tests.conftest import make_program

pytestmark = pytest.mark.django_db

ORDER = ["setting-expectations", "giving-feedback", "effective-meetings", "documenting-performance",
         "policies-and-values", "harassment-prevention", "workplace-safety"]


@pytest.fixture
def nora(company):
    """Nora completed every fundamental, and has shown mastery of two (expectations and feedback)."""
    make_program()
    nora = company.nora
    nora.manager_since = timezone.localdate() - dt.timedelta(days=100)
    nora.save()
    training_services.enrolment_rules_apply(today=timezone.localdate(), people=[nora])
    day = timezone.localdate() - dt.timedelta(days=10)
    for key in ORDER:
        training_services.enrolment_complete(
            enrolment=Enrolment.objects.get(person=nora, course__key=key, status=Enrolment.Status.ENROLLED),
            actor=company.admin, completed_on=day,
        )
    for key in ("setting-expectations", "feedback"):
        make_evidence(nora, Competency.objects.get(key=key), by=company.dirk.user,
                      status=MasteryEvidence.Status.ACCEPTED)
    return nora


def test_one_standing_counts_completed_and_mastered_apart(nora):
    standing = fundamentals_standing([nora.pk])[nora.pk]
    assert (standing.total, standing.completed, standing.mastered) == (7, 7, 2)


def test_the_plan_and_the_list_of_plans_show_both_and_count_mastery_as_done(company, nora, login):
    view = selectors.plan_view(user=company.dirk.user, manager=nora, relation="leader")
    assert view.fundamentals_done == 2
    assert view.fundamentals_completed == 7
    assert view.fundamentals_status != "Complete"
    [row] = [r for r in selectors.plans_overview(user=company.dirk.user) if r.manager == nora]
    assert (row.fundamentals_done, row.fundamentals_completed) == (2, 7)
    client = login("dirk")
    plan_page = client.get(f"/development/plans/{nora.pk}/").content.decode()
    assert "2 / 7</div>" in plan_page
    assert "mastered · 7 / 7 completed" in plan_page
    plans_page = client.get("/development/").content.decode()
    assert "2 / 7 mastered" in plans_page
    assert "7 / 7 completed" in plans_page


def test_accountability_and_who_is_behind_show_mastery_beside_completion(company, nora, login):
    [progress] = training_selectors.progress_for(type(nora).objects.filter(pk=nora.pk))
    assert progress.fundamentals is not None
    assert progress.fundamentals.mastered == 2
    page = login("dirk").get("/training/accountability/").content.decode()
    assert "Fundamentals: 2/7 mastered" in page
