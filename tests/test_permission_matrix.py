"""Every persona x every foundation page: who gets the page, who gets 404 (never a leak of existence).

Capabilities add their pages to their own matrices; this one covers people, home, admin and sign-in.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "vera", "dirk", "nora", "mick", "sam", "sid", "hana", "otto"]

# person page visibility: persona -> people whose page they may open (everyone else answers 404)
SEES = {
    "admin": {"vera", "dirk", "nora", "mick", "sam", "sara", "lou", "sid", "hana", "otto", "eve"},
    "vera": {"vera", "dirk", "nora", "mick", "sam", "sara", "lou", "sid"},
    "dirk": {"dirk", "nora", "sam", "sara", "lou"},
    "nora": {"nora", "sam", "sara", "lou"},
    "mick": {"mick", "sid"},
    "sam": {"sam"},
    "sid": {"sid"},
    "hana": {"hana", "dirk", "nora", "sam", "sara", "lou"},
    "otto": {"otto"},
}
EVERYONE = ["vera", "dirk", "nora", "mick", "sam", "sara", "lou", "sid", "hana", "otto", "eve"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", ["person", "team"])
def test_person_and_team_pages_follow_scope(login, company, persona, page):
    client = login(persona)
    for subject in EVERYONE:
        person = getattr(company, subject)
        url = f"/people/{person.pk}/" if page == "person" else f"/people/{person.pk}/team/"
        response = client.get(url)
        expected = 200 if subject in SEES[persona] else 404
        assert response.status_code == expected, f"{persona} -> {page} of {subject}"
        if expected == 404:
            assert person.full_name.encode() not in response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_directory_lists_exactly_the_scope(login, company, persona):
    response = login(persona).get("/people/?status=all")
    assert response.status_code == 200
    listed = {p.first_name.lower() for p in response.context["page"].object_list}
    assert listed == SEES[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_home_page_answers_every_role(login, persona):
    response = login(persona).get("/")
    assert response.status_code == 200
    assert b"Sign out" in response.content


@pytest.mark.parametrize(
    ("persona", "can_admin"),
    [("admin", True)] + [(p, False) for p in PERSONAS if p != "admin"],
)
def test_django_admin_only_for_administrators(login, persona, can_admin):
    response = login(persona).get("/admin/")
    assert (response.status_code == 200) is can_admin


def test_anonymous_is_sent_to_sign_in_everywhere(client, company):
    for url in ["/", "/people/", f"/people/{company.sam.pk}/", f"/people/{company.nora.pk}/team/", "/api/v1/docs"]:
        response = client.get(url)
        assert response.status_code in (302, 401), url
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")


def test_nav_offers_only_permitted_sections(login):
    seller_page = login("sam").get("/").content.decode()
    assert 'href="/people/"' not in seller_page
    assert 'href="/imports/people/"' not in seller_page
    hr_page = login("hana").get("/").content.decode()
    assert 'href="/people/"' in hr_page
    assert 'href="/imports/people/"' in hr_page
