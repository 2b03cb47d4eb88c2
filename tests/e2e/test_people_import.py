"""An HR partner loads the HR file: a broken file shows every problem and changes nothing; the fixed file loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from people.models import Person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

FIXTURES = Path(__file__).resolve().parents[2] / "people" / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# A new team below North, the unit Hana supports: a manager and two sellers.
HEADER = ("employee_id,first_name,last_name,email,function,hire_date,manager_employee_id,"
          "org_unit_code,org_unit_name,org_unit_parent_code,org_unit_kind\n")
NORTH_B_VALID = HEADER + (
    "E7100,Greta,Olsen,greta.olsen@acme.example,Sales,2018-03-01,,NB,Team North B,NORTH,team\n"
    "E7101,Olav,Dahl,olav.dahl@acme.example,Sales,2022-01-10,E7100,NB,,,\n"
    "E7102,Sofie,Moen,sofie.moen@acme.example,Sales,2023-05-02,E7100,NB,,,\n"
)
NORTH_B_BROKEN = HEADER + (
    "E7100,Greta,Olsen,greta.olsen@acme.example,Sales,01/03/2018,,NB,Team North B,NORTH,team\n"
    "E7101,Olav,Dahl,olav.dahl@acme.example,Sales,2022-01-10,E7999,NB,,,\n"
    "E7102,Sofie,Moen,greta.olsen@acme.example,Sales,2023-05-02,E7100,SB,,,\n"
)


def test_hr_partner_fixes_a_broken_file_and_imports_it(browser_page, live_login, tmp_path):
    broken, valid = tmp_path / "north-b-broken.csv", tmp_path / "north-b.csv"
    broken.write_text(NORTH_B_BROKEN)
    valid.write_text(NORTH_B_VALID)
    page = live_login(browser_page, "hana")
    page.get_by_role("link", name="HR imports").click()
    page.get_by_role("link", name="Upload an HR file").click()
    page.get_by_label("HR file").set_input_files(broken)
    page.get_by_label("Partial import: only add or update the people in this file").check()
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="The file was not imported: 4 problems. Nothing was changed.")) \
        .to_be_visible()
    problems = page.locator("table.errors-table tbody tr")
    assert problems.count() == 4
    assert "01/03/2018" in problems.nth(0).inner_text()
    assert "hire_date" in problems.nth(0).inner_text()
    expect(page.get_by_text("Org unit SB is not one you support")).to_be_visible()
    assert not Person.objects.filter(employee_id__startswith="E71").exists()

    retry = page.locator("section", has=page.get_by_role("heading", name="Try again"))
    retry.get_by_label("HR file").set_input_files(valid)
    retry.get_by_label("Partial import: only add or update the people in this file").check()
    retry.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="Imported.")).to_be_visible()
    expect(page.get_by_text("Greta Olsen")).to_be_visible()
    assert Person.objects.filter(employee_id__startswith="E71", org_unit__code="NB").count() == 3

    page.get_by_role("link", name="All imports").click()
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    assert "Imported" in rows.nth(0).inner_text()
    assert "Failed" in rows.nth(1).inner_text()


def test_the_takeover_of_the_administrator_through_the_hr_import_fails(browser_page, live_login, company,
                                                                       tmp_path, mailoutbox):
    """The reported attack, in the browser: the administrator's email on a new row, then an address the HR partner
    controls, then a password reset for it. The new row never gets the administrator's account."""
    shadow = "employee_id,first_name,last_name,email,function,hire_date,org_unit_code\n"
    first, second = tmp_path / "shadow.csv", tmp_path / "shadow2.csv"
    first.write_text(shadow + f"E99990,Shadow,Admin,{company.admin.email},sales,2020-01-01,NA\n")
    second.write_text(shadow + "E99990,Shadow,Admin,hana.private@evil.example,sales,2020-01-01,NA\n")
    page = live_login(browser_page, "hana")
    for path in (first, second):
        page.goto("/imports/people/upload/")
        page.get_by_label("HR file").set_input_files(path)
        page.get_by_role("button", name="Upload").click()
        if path == first:
            expect(page.get_by_role("heading", name="The file was not imported: 1 problem. Nothing was changed.")) \
                .to_be_visible()
            expect(page.get_by_text("already used to sign in")).to_be_visible()
        else:
            expect(page.get_by_role("heading", name="Imported.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page.goto("/accounts/password-reset/")
    page.get_by_label("Work email").fill("hana.private@evil.example")
    page.get_by_role("button", name="Send the link").click()
    email = next(m for m in mailoutbox if m.to == ["hana.private@evil.example"])
    link = re.search(r"http://\S+/reset/\S+", email.body)
    assert link
    page.goto(link.group(0))
    page.get_by_label("New password").fill("a-long-Shadow-passw0rd")
    page.get_by_label("Repeat it").fill("a-long-Shadow-passw0rd")
    page.get_by_role("button", name="Set password").click()
    page.goto("/accounts/login/")
    page.get_by_label("Work email").fill("hana.private@evil.example")
    page.get_by_label("Password").fill("a-long-Shadow-passw0rd")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")

    me = page.request.get("/api/v1/me")
    assert me.status == 401 or me.json().get("sees_everyone") is False
    page.goto("/admin/")
    assert "/admin/login/" in page.url  # not staff: the admin site asks for another account
    admin = User.objects.get(pk=company.admin.pk)
    assert (admin.email, admin.is_active, admin.is_superuser) == ("admin@acme.example", True, True)
    assert Person.objects.get(employee_id="E99990").user_id != admin.pk


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
