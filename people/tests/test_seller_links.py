"""Seller names on the home page and on profiles lead to the seller's diagnostic, for those who may open it;
a manager's or an engineer's name, or a seller outside the reader's scope, gets no such link."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from people.scoping import may_see_as_seller


def page(company, who: str, url: str) -> str:
    client = Client()
    client.force_login(company.user(who))
    return client.get(url).content.decode()


def diagnostic(person) -> str:
    return reverse("insights:seller", args=[person.pk])


def opens(company, who: str, url: str) -> int:
    client = Client()
    client.force_login(company.user(who))
    return client.get(url).status_code


def test_only_visible_sellers_count_as_sellers(company):
    nora = company.user("nora")
    assert may_see_as_seller(nora, company.sam)
    assert may_see_as_seller(nora, company.sara)
    assert not may_see_as_seller(nora, company.sid)  # Mick's seller: outside Nora's scope
    assert not may_see_as_seller(nora, company.nora)  # a manager
    assert may_see_as_seller(company.user("sam"), company.sam)
    assert not may_see_as_seller(company.user("sam"), company.sara)
    assert not may_see_as_seller(company.user("otto"), company.eve)  # an engineer, not a seller
    assert may_see_as_seller(company.user("hana"), company.sam)
    assert not may_see_as_seller(company.user("hana"), company.sid)


def test_the_managers_home_links_their_sellers_to_their_diagnostic(company):
    home = page(company, "nora", "/")
    for seller in (company.sam, company.sara):
        assert f'<a href="{diagnostic(seller)}">{seller.full_name}</a>' in home
        assert opens(company, "nora", diagnostic(seller)) == 200
        assert reverse("people:person", args=[seller.pk]) in home  # the profile stays one click away
    vera_home = page(company, "vera", "/")  # Vera's direct reports are managers: their profiles, no diagnostic
    assert f'<a href="{reverse("people:person", args=[company.dirk.pk])}">Dirk Acme</a>' in vera_home
    assert diagnostic(company.dirk) not in vera_home


def test_a_profile_links_seller_reports_and_a_sellers_own_page_to_the_diagnostic(company):
    nora_profile = page(company, "dirk", reverse("people:person", args=[company.nora.pk]))
    assert f'<a href="{diagnostic(company.sam)}">Sam Acme</a>' in nora_profile
    assert diagnostic(company.nora) not in nora_profile

    sam_profile = page(company, "nora", reverse("people:person", args=[company.sam.pk]))
    assert "Selling diagnostic" in sam_profile
    assert f'<a href="{diagnostic(company.sam)}">Open Sam\'s diagnostic</a>' in sam_profile
    own = page(company, "sam", reverse("people:person", args=[company.sam.pk]))
    assert f'<a href="{diagnostic(company.sam)}">Open your diagnostic</a>' in own
    engineer = page(company, "admin", reverse("people:person", args=[company.eve.pk]))
    assert "Eve Acme" in engineer
    assert "Selling diagnostic" not in engineer


def test_the_reporting_tree_links_each_seller_to_their_diagnostic(company):
    tree = page(company, "vera", reverse("people:team", args=[company.vera.pk]))
    for seller in (company.sam, company.sara, company.sid):
        link = f'<a href="{diagnostic(seller)}">diagnostic<span class="sr-only"> of {seller.full_name}</span></a>'
        assert link in tree
    for manager in (company.dirk, company.nora, company.mick):
        assert diagnostic(manager) not in tree
