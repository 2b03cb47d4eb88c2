"""Every page of every persona in the browser: axe-core (from the axe-playwright-python package) finds no serious
and no critical accessibility violation, and at phone width (390 x 844) no page scrolls sideways and the
navigation folds behind a Menu button. Each persona's main pages (home and the navigation's sections) are also
checked with axe at phone width, and a screenshot of each is saved under the test's tmp dir.

The pages are those the link walk (tests.world.walk) opens for each persona, one of each kind.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client

from tests.factories import DEFAULT_PASSWORD
from tests.world import PERSONAS, populate, walk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

BLOCKING = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# The elements that stick out to the right of the window, outermost first: what makes a page scroll sideways.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1)) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : "")
               + " right=" + Math.round(box.right));
    }
  }
  return out.slice(0, 5);
}"""


def persona_pages(company: Any, who: str) -> list[str]:
    client = Client()
    assert client.login(email=company.user(who).email, password=DEFAULT_PASSWORD)
    result = walk(client, per_kind=1)
    assert result.broken == [], result.broken
    # Django's admin and the API's interactive docs are other projects' pages.
    return [url for url in result.pages if not url.startswith(("/admin/", "/api/"))]


def violations(axe: Axe, page: Any, also: frozenset[str] = frozenset()) -> list[str]:
    found = axe.run(page).response["violations"]
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        f" {v['nodes'][0].get('failureSummary', '')[:160]!r}"
        for v in found if v["impact"] in BLOCKING or v["id"] in also
    ]


def sideways(page: Any) -> list[str]:
    """Why the page scrolls sideways at its current width, or [] when it does not."""
    if page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]:
        return []
    return page.evaluate(OVERFLOWING) or ["(no single element found)"]


def test_every_page_of_every_persona_is_accessible_at_desktop_and_phone_width(
    browser_page, live_login, company, tmp_path, settings
):
    populate(company, tmp_path, settings)
    axe = Axe()
    problems: list[str] = []
    checked = 0
    page = browser_page
    shots = tmp_path / "phone"
    shots.mkdir()
    # The sign-in page, before anyone signs in: its one heading is not empty.
    page.goto("/accounts/login/")
    problems += [f"(signed out) /accounts/login/: {v}" for v in violations(axe, page, frozenset({"empty-heading"}))]
    for who in PERSONAS:
        urls = persona_pages(company, who)
        page.context.clear_cookies()
        page.set_viewport_size(DESKTOP)
        live_login(page, who)
        main = {"/", *(a.get_attribute("href") for a in page.locator(".mainnav a").all())}
        for url in urls:
            page.set_viewport_size(DESKTOP)
            page.goto(url)
            checked += 1
            problems += [f"{who} {url}: {v}" for v in violations(axe, page)]
            page.set_viewport_size(PHONE)
            problems += [f"{who} {url} at 390 px scrolls sideways: {why}" for why in sideways(page)]
            if url in main:
                problems += [f"{who} {url} at 390 px: {v}" for v in violations(axe, page)]
                page.screenshot(path=str(shots / f"{who}{url.replace('/', '_')}.png"), full_page=True)
    assert checked > 100
    assert problems == [], f"{len(problems)} problems on {checked} pages:\n" + "\n".join(problems)
    assert len(list(shots.iterdir())) >= len(PERSONAS) * 2  # each persona's home and at least one section


def test_at_phone_width_the_navigation_folds_behind_a_menu_button(browser_page, live_login, company, tmp_path):
    page = browser_page
    page.set_viewport_size(PHONE)
    live_login(page, "hana")
    menu = page.get_by_role("button", name="Menu")
    training = page.locator(".mainnav").get_by_role("link", name="Training", exact=True)
    assert menu.is_visible()
    assert not training.is_visible()
    # The whole top bar is one row: the brand and the button.
    assert page.locator(".topbar").bounding_box()["height"] < 70
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert training.is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.screenshot(path=str(tmp_path / "menu-open.png"))
    training.click()
    page.wait_for_url("**/training/**")
    assert not page.locator(".mainnav").get_by_role("link", name="Training", exact=True).is_visible()
    # On a wide screen there is no button: the navigation is always shown.
    page.set_viewport_size(DESKTOP)
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.locator(".mainnav").get_by_role("link", name="Training", exact=True).is_visible()
