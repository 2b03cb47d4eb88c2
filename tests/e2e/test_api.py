"""Journeys through the API's human side: the interactive docs, and managing personal API tokens."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_docs_load_from_the_app_only_and_try_it_out_runs_as_you(browser_page, live_login, live_server, company):
    page = live_login(browser_page, "nora")
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))

    page.get_by_role("link", name="API", exact=True).click()
    page.wait_for_url("**/api/v1/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="Promoted API").wait_for()
    people_op = page.locator("#operations-People-api_routers_people_people_list")
    people_op.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    body = page.locator(".live-responses-table .response-col_description pre").first
    body.wait_for()
    text = body.inner_text()
    assert "Sam Acme" in text
    assert "Sara Acme" in text
    assert "Sid Acme" not in text

    assert hosts == {urlparse(live_server.url).netloc}, f"the docs reached out to {hosts}"


def test_create_use_and_revoke_a_token(browser_page, live_login, live_server, company):
    page = live_login(browser_page, "mick")
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/accounts/tokens/")
    assert page.get_by_text("You have no API tokens yet.").is_visible()

    page.get_by_label("Token name").fill("Pipeline report")
    page.get_by_role("button", name="Create token").click()
    raw = page.get_by_test_id("raw-token").input_value()
    assert raw.startswith("pmt_")
    assert page.get_by_text("this is the only time it is shown").is_visible()

    # A client with no session at all: only the token speaks for Mick.
    script = page.context.browser.new_context()
    me = script.request.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status == 200
    assert me.json()["person"]["full_name"] == "Mick Acme"

    # Reloading the list never shows the token again.
    page.goto("/accounts/tokens/")
    assert page.get_by_test_id("raw-token").count() == 0
    assert raw not in page.content()
    row = page.locator("#token-table tbody tr", has_text="Pipeline report")
    assert row.get_by_text("Active").is_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke Pipeline report").click()
    page.locator("#token-table tbody tr", has_text="Pipeline report").get_by_text("Revoked").wait_for()

    try:
        after = script.request.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
        assert after.status == 401
        assert after.json()["error"]["code"] == "unauthorized"
    finally:
        script.close()
