"""Development journeys in the browser: a manager sees the modules their own team's gaps call for, and why; a
leader signs off a demonstration; the manager then sees the competency mastered."""

from __future__ import annotations

import pytest
from django.apps import apps

from development.models import MasteryEvidence
from development.tests.conftest import Need, make_evidence, stub_needs  # noqa: F401 - stub_needs is a fixture
from training.curriculum import default_curriculum_install
from training.models import Competency, Course

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(autouse=True)
def _program(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    # Transactional tests flush every table, the migrated default curriculum included: put it back.
    default_curriculum_install(apps)


def test_manager_sees_modules_recommended_because_of_their_team_gaps(browser_page, live_login, company,
                                                                     stub_needs):  # noqa: F811
    stub_needs({company.nora.pk: [
        Need("pipeline_hygiene", "Forecasting and pipeline hygiene", 1, [company.sam, company.sara],
             "Close dates pushed 2.4 times per deal, against 0.8 for peers in the same situation"),
    ]})
    page = live_login(browser_page, "nora")
    page.get_by_role("link", name="Development", exact=True).click()
    page.get_by_role("link", name="Open your development plan").click()
    assert page.get_by_role("heading", name="Development plan: Nora Acme").is_visible()
    modules = page.locator("#modules-table")
    course = Course.objects.get(key="performance-culture")  # the most focused course teaching pipeline hygiene
    row = modules.locator("tbody tr").filter(has=page.get_by_text(course.title, exact=True))
    assert row.get_by_text("Forecasting and pipeline hygiene").is_visible()
    assert row.get_by_text("Close dates pushed 2.4 times per deal").is_visible()
    assert row.get_by_text("Sellers with this gap: Sam Acme, Sara Acme").is_visible()
    assert row.get_by_text("Also taught in: Forecasting").is_visible()
    assert modules.get_by_text("Prospecting").count() == 0
    # A manager reads their plan; only their leader or HR changes due dates.
    assert page.get_by_role("button", name="Set due date").count() == 0
    # The module's course name opens the course page.
    row.get_by_role("link", name=course.title, exact=True).click()
    page.get_by_role("heading", name=course.title, exact=True).wait_for()
    assert "/training/courses/" in page.url


def test_a_manager_opens_a_sellers_diagnostic_from_their_home_page(browser_page, live_login, company):
    page = live_login(browser_page, "nora")
    reports = page.locator("table").filter(has=page.get_by_role("columnheader", name="Reports"))
    reports.get_by_role("link", name="Sam Acme", exact=True).click()
    page.wait_for_url(f"**/insights/sellers/{company.sam.pk}/")
    assert page.get_by_role("heading", name="Sam Acme: diagnostic").is_visible()


def test_leader_signs_off_a_demonstration_and_the_manager_sees_it_mastered(browser_page, live_login, company,
                                                                           stub_needs):  # noqa: F811
    stub_needs({})
    coaching = Competency.objects.get(key="coaching")
    make_evidence(company.nora, coaching, by=company.user("nora"))
    page = live_login(browser_page, "dirk")
    # The home page says what waits for Dirk's review and links to it.
    waiting = page.locator("#evidence-waiting")
    assert waiting.get_by_role("link", name="Nora Acme: Coaching").is_visible()
    page.goto("/development/")
    page.get_by_role("link", name="Review evidence").click()
    page.locator("#review-queue").get_by_role("link", name="Coaching").click()
    page.get_by_role("button", name="Start review").click()
    page.get_by_role("button", name="Sign off the demonstration").wait_for()
    assert page.locator("#evidence-status").inner_text() == "In review"
    page.get_by_label("Comment to Nora").fill("Clear GROW structure; agreed a concrete next step.")
    page.get_by_role("button", name="Sign off the demonstration").click()
    page.get_by_text("Nora has mastered").wait_for()
    assert page.locator("#evidence-status").inner_text() == "Accepted"
    assert MasteryEvidence.objects.get().status == MasteryEvidence.Status.ACCEPTED

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")
    page = live_login(browser_page, "nora")
    # Nora is told on her home page: what was decided, by whom, with Dirk's note, and a link to the evidence.
    decisions = page.locator("#evidence-decisions")
    assert decisions.get_by_text("Dirk Acme accepted your observed demonstration for Coaching").is_visible()
    assert decisions.get_by_text("Clear GROW structure; agreed a concrete next step.").is_visible()
    decisions.get_by_role("link", name="Evidence accepted: Coaching").click()
    assert page.locator("#evidence-status").inner_text() == "Accepted"
    page.goto("/")
    assert page.locator("#evidence-decisions").count() == 0  # read once opened
    page.goto(f"/development/plans/{company.nora.pk}/")
    row = page.locator("#mastery-table tbody tr").filter(has=page.get_by_text("Coaching", exact=True))
    assert row.get_by_text("Mastered", exact=True).is_visible()
    assert row.get_by_text("mastered on").is_visible()  # the date of the accepted evidence
