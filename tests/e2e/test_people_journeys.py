"""Each role signs in and sees its own people, not anyone else's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_manager_sees_own_team_not_another(browser_page, live_login, company):
    page = live_login(browser_page, "nora")
    assert page.get_by_role("heading", name="Welcome, Nora").is_visible()
    page.get_by_role("link", name="People", exact=True).click()
    table = page.locator("#directory-results table")
    assert table.get_by_text("Sam Acme").is_visible()
    assert table.get_by_text("Sara Acme").is_visible()
    assert page.get_by_text("Sid Acme").count() == 0
    page.goto(f"/people/{company.sid.pk}/")
    assert page.get_by_text("Sid Acme").count() == 0  # 404 page, no leak


def test_seller_has_no_directory_and_sees_only_self(browser_page, live_login, company):
    page = live_login(browser_page, "sam")
    assert page.get_by_role("link", name="People", exact=True).count() == 0
    page.get_by_role("link", name="View your profile").click()
    assert page.get_by_role("heading", name="Sam Acme").is_visible()


def test_search_filters_the_directory_live(browser_page, live_login):
    page = live_login(browser_page, "vera")
    page.goto("/people/")
    page.get_by_label("Search").fill("Sid")
    expect(page.locator("#directory-results")).to_contain_text("1 person")  # the page's CSP forbids eval
    assert page.locator("#directory-results").get_by_text("Sid Acme").is_visible()


def test_hr_partner_sees_supported_region_only(browser_page, live_login):
    page = live_login(browser_page, "hana")
    page.goto("/people/")
    results = page.locator("#directory-results")
    assert results.get_by_role("link", name="Nora Acme").is_visible()
    assert results.get_by_role("link", name="Mick Acme").count() == 0
