"""An administrator imports CRM exports through the page: counts, re-import, a broken file, linking an owner."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

FIXTURES = Path(__file__).resolve().parents[2] / "crm" / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _store_and_jobs(settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.DATA_DIR = tmp_path
    # The live server runs jobs as they are queued (no worker process in browser tests).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # ... except the analysis each import queues: it waits for the worker, as in production, instead of running
    # inside the upload's request.
    monkeypatch.setattr("insights.services._enqueue_job", lambda run_id: None)


def _upload(page, source_label: str, folder: Path) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="CRM data").click()
    page.get_by_role("link", name="Import CRM data").click()
    page.get_by_label(source_label).check()
    page.get_by_label("Export files").set_input_files(sorted(str(p) for p in folder.glob("*.csv")))
    page.get_by_role("button", name="Check and import").click()


def test_administrator_imports_a_salesforce_export_and_links_an_owner(browser_page, live_login, company):
    page = live_login(browser_page, "admin")
    _upload(page, "Salesforce (Data Loader export)", FIXTURES / "salesforce" / "good")

    page.get_by_role("heading", name="Imported.").wait_for()
    counts = page.locator("table").first
    assert counts.get_by_role("row", name="Opportunities 4 4 0 0").is_visible()
    owners = page.locator("#owner-0055g00000PaTt1AAF")
    assert owners.locator("td").first.get_by_text("Pat Contractor").is_visible()

    owners.get_by_label("Person for Pat Contractor (work email or employee id)").fill("lou@acme.example")
    owners.get_by_role("button", name="Link").click()
    assert page.get_by_text("Pat Contractor is now linked to Lou Acme").is_visible()
    assert page.locator("#owner-0055g00000PaTt1AAF").get_by_text("Linked to Lou Acme").is_visible()

    _upload(page, "Salesforce (Data Loader export)", FIXTURES / "salesforce" / "good")
    assert page.get_by_text("Everything in these files was already in Promoted: nothing changed.").is_visible()
    # Each import queued an analysis; the second found the first still waiting and added none.
    from insights.models import AnalysisRun

    assert list(AnalysisRun.objects.values_list("status", "reason")) == [("queued", "after CRM import #1")]


def test_a_broken_export_says_exactly_what_is_wrong(browser_page, live_login):
    page = live_login(browser_page, "hana")
    _upload(page, "Salesforce (Data Loader export)", FIXTURES / "salesforce" / "broken")

    page.get_by_role("heading", name="Not imported: nothing was changed.").wait_for()
    errors = page.locator("table.errors-table")
    row = errors.get_by_role("row").filter(has_text="15/12/2026")
    assert row.get_by_text("Opportunity.csv").is_visible()
    assert row.get_by_text("CloseDate").is_visible()
    assert row.locator("td").nth(1).inner_text() == "3"
    assert errors.get_by_role("row").filter(has_text="is a duplicate").count() == 2


def test_hubspot_and_mapped_exports_through_the_page(browser_page, live_login):
    page = live_login(browser_page, "admin")
    _upload(page, "HubSpot export", FIXTURES / "hubspot" / "labels")
    page.get_by_role("heading", name="Imported.").wait_for()
    assert page.get_by_role("row", name="Activities 6 6 0 0").is_visible()  # one task not started yet

    page.get_by_role("navigation", name="Main").get_by_role("link", name="CRM data").click()
    page.get_by_role("link", name="Import CRM data").click()
    page.get_by_label("Other CRM (CSV files with a mapping file)").check()
    page.get_by_label("Export files").set_input_files(
        sorted(str(p) for p in (FIXTURES / "mapped" / "good").glob("*.csv")))
    page.get_by_label("Mapping file (.toml)").set_input_files(str(FIXTURES / "mapped" / "good" / "mapping.toml"))
    page.get_by_role("button", name="Check and import").click()
    page.get_by_role("heading", name="Imported.").wait_for()
    assert page.get_by_role("row", name="Opportunities 3 3 0 0").is_visible()
