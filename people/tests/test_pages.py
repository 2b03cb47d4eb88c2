from __future__ import annotations

import datetime as dt

import pytest

from people.models import Function, Person
from people.services import reporting_paths_rebuild

pytestmark = pytest.mark.django_db


def test_directory_search_and_filters(login, company):
    client = login("vera")
    page = client.get("/people/", {"q": "sid"}).context["page"]
    assert [p.first_name for p in page.object_list] == ["Sid"]
    page = client.get("/people/", {"status": "inactive"}).context["page"]
    assert [p.first_name for p in page.object_list] == ["Lou"]
    page = client.get("/people/", {"function": Function.ENGINEERING}).context["page"]
    assert list(page.object_list) == []  # Vera cannot see engineering at all


def test_directory_htmx_returns_only_the_results_fragment(login):
    response = login("vera").get("/people/", {"q": "sam"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "Sam Acme" in html
    assert "1 person" in html


def test_person_page_shows_employment_facts_and_reports(login, company):
    html = login("dirk").get(f"/people/{company.nora.pk}/").content.decode()
    assert "Nora Acme" in html
    assert company.nora.employee_id in html
    assert "Sam Acme" in html
    assert "Sara Acme" in html
    assert "Lou Acme" not in html.split("Direct reports")[1]  # leavers are not listed as reports


def test_team_page_shows_the_reporting_tree(login, company):
    response = login("vera").get(f"/people/{company.vera.pk}/team/")
    tree = response.context["tree"]
    assert {c.person.first_name for c in tree.children} == {"Dirk", "Mick"}
    assert tree.team_size == 6  # Dirk, Nora, Sam, Sara, Mick, Sid (Lou left)
    with_leavers = login("vera").get(f"/people/{company.vera.pk}/team/?inactive=1").context["tree"]
    assert with_leavers.team_size == 7


def test_team_page_of_a_2000_person_subtree_runs_bounded_queries(login, company, django_assert_max_num_queries):
    managers = []
    for m in range(40):
        managers.append(Person(employee_id=f"M{m}", first_name="Mgr", last_name=f"{m}", email=f"m{m}@x.example",
                               function=Function.SALES, manager=company.vera, hire_date=dt.date(2020, 1, 1)))
    Person.objects.bulk_create(managers)
    sellers = [
        Person(employee_id=f"S{m}-{s}", first_name="Seller", last_name=f"{m}-{s}", email=f"s{m}-{s}@x.example",
               function=Function.SALES, manager=manager, hire_date=dt.date(2021, 1, 1))
        for m, manager in enumerate(managers)
        for s in range(50)
    ]
    Person.objects.bulk_create(sellers)
    reporting_paths_rebuild()
    client = login("vera")
    with django_assert_max_num_queries(15):
        response = client.get(f"/people/{company.vera.pk}/team/")
    assert response.context["tree"].team_size == 2046
    assert response.content.count(b"<li>") >= 2047
