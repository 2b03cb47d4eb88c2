"""Journeys through the bottom-up engine: a manager reads their team's needs, an HR partner the gap map."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from insights import services
from insights.library import install_defaults
from insights.models import AnalysisRun, SellerDiagnostic, SellingTask
from insights.tests.conftest import people_for, small_company, write_store

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def analysed(company, tmp_path, settings):
    install_defaults(SellingTask)  # transactional tests flush what the data migration installed
    crm = small_company()
    settings.ANALYTICS_URL = write_store(crm, tmp_path / "analytics.duckdb")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    people_for(company, crm)
    run = services.analysis_run_now(actor=None, reason="browser test")
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


def test_manager_opens_team_view_and_sees_each_sellers_tasks_gaps_and_what_to_learn(
    browser_page, live_login, company, analysed
):
    page = live_login(browser_page, "nora")
    page.get_by_role("link", name="Open your team view").click()
    expect(page.get_by_role("heading", name="Nora Acme's team")).to_be_visible()
    sellers = page.locator("section", has=page.get_by_role("heading", name="Your sellers"))
    sam = SellerDiagnostic.objects.get(run=analysed, seller=company.sam)
    top = sam.gaps.filter(priority_rank=1).select_related("task").get()
    sam_row = sellers.get_by_role("row", name="Sam Acme")
    expect(sam_row.get_by_text(top.task.name).first).to_be_visible()
    assert " vs " in sam_row.inner_text()  # the gap: value against the top quartile
    expect(sellers.get_by_role("row", name="Sara Acme")).to_be_visible()
    expect(page.get_by_text("Sid Acme")).to_have_count(0)  # Mick's seller
    learn = page.locator("section", has=page.get_by_role("heading", name="What you need to be able to coach"))
    expect(learn.get_by_text("not yet equipped").first).to_be_visible()
    # From the team to one seller's reasons.
    sellers.get_by_role("link", name="Sam Acme").click()
    expect(page.get_by_role("heading", name="Sam Acme: diagnostic")).to_be_visible()
    priorities = page.locator("section", has=page.get_by_role("heading", name="Coaching priorities"))
    expect(priorities.get_by_text(top.task.name).first).to_be_visible()
    expect(priorities.get_by_text("for the top quartile in").first).to_be_visible()


def test_seller_sees_only_their_own_diagnostic(browser_page, live_login, company, analysed):
    page = live_login(browser_page, "sam")
    page.get_by_role("link", name="My diagnostic").click()
    expect(page.get_by_role("heading", name="Sam Acme: diagnostic")).to_be_visible()
    page.goto(f"/insights/sellers/{company.sara.pk}/")
    expect(page.get_by_text("Sara Acme")).to_have_count(0)
    page.goto(f"/insights/managers/{company.nora.pk}/")
    expect(page.get_by_role("heading", name="Nora Acme's team")).to_have_count(0)


def test_hr_partner_overrides_a_weight_with_a_note_and_reads_the_gap_map(browser_page, live_login, company,
                                                                         analysed):
    page = live_login(browser_page, "hana")
    page.get_by_role("link", name="Insights", exact=True).click()
    page.locator(".card h2 a").first.click()
    expect(page.get_by_role("heading", name="Critical-task profile")).to_be_visible()
    hygiene = SellingTask.objects.get(key="pipeline_hygiene")
    row = page.locator(f"#override-{hygiene.pk}")
    row.get_by_text("Override this weight").click()
    row.get_by_label("Weight:").fill("0.3")
    row.get_by_label("Note:").fill("Forecasts matter this year.")
    row.get_by_role("button", name="Save override").click()
    row.get_by_text("by Hana Acme").wait_for()
    expect(row.get_by_text("Forecasts matter this year.")).to_be_visible()
    page.get_by_role("link", name="Skill-gap map").click()
    expect(page.get_by_role("heading", name="Skill-gap map")).to_be_visible()
    expect(page.get_by_role("link", name="Nora Acme").first).to_be_visible()
    expect(page.get_by_role("link", name="Mick Acme")).to_have_count(0)
