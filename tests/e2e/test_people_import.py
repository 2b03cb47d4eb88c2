"""An HR partner loads the HR file: a broken file shows every problem and changes nothing; the fixed file loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from people.models import Person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

FIXTURES = Path(__file__).resolve().parents[2] / "people" / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_hr_partner_fixes_a_broken_file_and_imports_it(browser_page, live_login):
    page = live_login(browser_page, "hana")
    page.get_by_role("link", name="HR imports").click()
    page.get_by_role("link", name="Upload an HR file").click()
    page.get_by_label("HR file").set_input_files(FIXTURES / "people_broken.csv")
    page.get_by_label("Partial import: only add or update the people in this file").check()
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="The file was not imported: 7 problems. Nothing was changed.")) \
        .to_be_visible()
    problems = page.locator("table.errors-table tbody tr")
    assert problems.count() == 7
    assert "15/06/2015" in problems.nth(0).inner_text()
    assert "hire_date" in problems.nth(0).inner_text()
    assert not Person.objects.filter(employee_id__startswith="B").exists()

    retry = page.locator("section", has=page.get_by_role("heading", name="Try again"))
    retry.get_by_label("HR file").set_input_files(FIXTURES / "people_valid.csv")
    retry.get_by_label("Partial import: only add or update the people in this file").check()
    retry.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="Imported.")).to_be_visible()
    expect(page.get_by_text("Greta Olsen")).to_be_visible()
    assert Person.objects.filter(employee_id__startswith="B").count() == 7

    page.get_by_role("link", name="All imports").click()
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    assert "Imported" in rows.nth(0).inner_text()
    assert "Failed" in rows.nth(1).inner_text()


def test_check_first_then_import_with_the_keyboard(browser_page, live_login):
    page = live_login(browser_page, "admin")
    page.goto("/imports/people/upload/")
    page.get_by_label("HR file").set_input_files(FIXTURES / "people_valid.csv")
    page.get_by_label("Partial import: only add or update the people in this file").focus()
    page.keyboard.press("Space")
    page.get_by_label("Check only").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # to the Upload button
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="The file passed the check. Nothing was changed.")).to_be_visible()
    assert not Person.objects.filter(employee_id__startswith="B").exists()

    page.get_by_role("button", name="Import this file now (partial import)").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Imported.")).to_be_visible()
    assert Person.objects.filter(employee_id__startswith="B").count() == 7


def test_a_seller_cannot_open_the_import_pages(browser_page, live_login):
    page = live_login(browser_page, "sam")
    assert page.get_by_role("link", name="HR imports").count() == 0
    response = page.goto("/imports/people/upload/")
    assert response.status == 404
