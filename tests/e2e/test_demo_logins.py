"""The demo's printed logins: each signs in through the form and lands on a home page that fits the role."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from people.models import EmploymentStatus, Person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def printed_logins(output: str) -> dict[str, dict[str, str]]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Role "))
    logins = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        role, name, email, password, shows = re.split(r"\s{2,}", line.strip(), maxsplit=4)
        logins[role] = {"name": name, "email": email, "password": password, "shows": shows}
    return logins


def sign_in(page, email: str, password: str):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return page


def test_each_printed_login_signs_in_and_sees_its_home_page(browser_page, settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("demo", sellers=20, stdout=out)
    logins = printed_logins(out.getvalue())
    assert len(logins) == 7
    people = {p.email: p for p in Person.objects.filter(email__in=[x["email"] for x in logins.values()])}

    for role, login in logins.items():
        page = sign_in(browser_page, login["email"], login["password"])
        person = people.get(login["email"])
        heading = f"Welcome, {person.first_name}" if person else "Welcome"
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), role
        if person:
            assert page.get_by_text(person.job_title, exact=False).first.is_visible(), role

    # The sales manager sees their own team on the home page, and only their own team.
    manager = people[logins["Sales manager"]["email"]]
    page = sign_in(browser_page, manager.email, logins["Sales manager"]["password"])
    team = list(Person.objects.filter(manager=manager).exclude(status=EmploymentStatus.INACTIVE))
    assert len(team) >= 5
    reports = page.locator("section", has=page.get_by_role("heading", name="Direct reports"))
    for seller in team:
        assert reports.get_by_role("link", name=seller.full_name, exact=True).is_visible()  # opens the diagnostic
        assert reports.get_by_role("link", name=f"profile of {seller.full_name}").is_visible()
    outsider = Person.objects.filter(function="sales", manager__isnull=False).exclude(manager=manager).exclude(
        pk=manager.pk).exclude(pk__in=[p.pk for p in team]).exclude(status=EmploymentStatus.INACTIVE).first()
    assert outsider is not None
    assert reports.get_by_role("link", name=outsider.full_name).count() == 0

    # The seller has no directory and sees their own record.
    page = sign_in(browser_page, logins["Seller"]["email"], logins["Seller"]["password"])
    assert page.get_by_role("link", name="People", exact=True).count() == 0
    page.get_by_role("link", name="View your profile").click()
    assert page.get_by_role("heading", name=logins["Seller"]["name"]).is_visible()

    # The administrator and the HR partner get the HR data card; the manager from another function does not.
    page = sign_in(browser_page, logins["Administrator"]["email"], logins["Administrator"]["password"])
    assert page.get_by_role("heading", name="Administration").is_visible()
    page = sign_in(browser_page, logins["HR partner"]["email"], logins["HR partner"]["password"])
    assert page.get_by_role("heading", name="HR data").is_visible()
    assert page.get_by_role("heading", name="People you support").is_visible()
    page = sign_in(browser_page, logins["Manager, other function"]["email"],
                   logins["Manager, other function"]["password"])
    assert page.get_by_role("heading", name="People you support").count() == 0
    assert page.get_by_role("link", name="People", exact=True).count() == 0
