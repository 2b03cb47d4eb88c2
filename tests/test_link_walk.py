"""Every link a page shows opens for the person it is shown to: for each persona, a breadth-first walk from the home
page over every same-site link finds no 404 and no server error.

The walk (tests.world.walk) follows at most three links of one kind (route and query parameters) and 300 pages per
persona: sixty sellers' diagnostics are one kind of page, and the walk must stay fast.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD
from tests.world import PERSONAS, populate, walk


@pytest.fixture
def world(company, tmp_path, settings):  # type: ignore[no-untyped-def]
    populate(company, tmp_path, settings)
    return company


def test_every_link_every_persona_is_shown_opens(world) -> None:
    # One world for every persona: building it is most of the time.
    broken: list[str] = []
    for who in PERSONAS:
        client = Client()
        assert client.login(email=world.user(who).email, password=DEFAULT_PASSWORD)
        result = walk(client)
        broken += [f"{who}: {line}" for line in result.broken]
        # The walk reached the pages behind the home page, not only the home page itself.
        assert len(result.opened) > 5, (who, result.opened)
    assert broken == [], "\n".join(broken)


def test_the_walk_reports_a_link_that_answers_404(login, company) -> None:
    """The walker itself: what it opened and with which status, and a missing page with what linked it."""
    client = login("sam")
    result = walk(client, start=f"/people/{company.sam.pk}/")
    assert result.opened[f"/people/{company.sam.pk}/"] == 200
    assert result.opened["/"] == 200
    missing = walk(client, start="/people/999999999/")
    assert missing.broken == ["404 /people/999999999/ (linked from (start))"]


def test_home_names_the_manager_and_links_them_only_for_who_may_open_the_profile(login, company) -> None:
    # Nora may not open her own manager's profile: his name is shown, not linked.
    page = login("nora").get("/").content.decode()
    assert "reports to Dirk Acme" in page
    assert f'href="/people/{company.dirk.pk}/"' not in page
    # Dirk's manager Vera is not his to open either; Dirk may open Nora, who reports to him.
    profile = login("dirk").get(f"/people/{company.nora.pk}/").content.decode()
    assert f'<a href="/people/{company.dirk.pk}/">Dirk Acme</a>' in profile
    # The administrator sees everyone: the link is there.
    admin_view = login("admin").get(f"/people/{company.nora.pk}/").content.decode()
    assert f'<a href="/people/{company.dirk.pk}/">Dirk Acme</a>' in admin_view
