"""The list and tree endpoints run a fixed number of queries however many people they return."""

from __future__ import annotations

import pytest
from django.test import Client

from people.services import reporting_paths_rebuild
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

# Measured with a token (a session costs one more: session row + user instead of the token row):
# token lookup, last-used touch (at most once a minute), scope (grants, their units, own person), count, page.
LIST_MAX_QUERIES = 7
# Token, touch, scope (3), the person asked about, the subtree with units in one query.
TREE_MAX_QUERIES = 7
# Token, touch, scope (3), count, page, visible parents, member counts.
ORG_UNITS_MAX_QUERIES = 9


def _grow(company, per_team: int) -> None:
    """More sellers under Nora and Mick, and a second layer under one of Nora's sellers."""
    for i in range(per_team):
        PersonFactory(manager=company.nora, org_unit=company.team_a, first_name=f"N{i}", last_name="Extra")
        PersonFactory(manager=company.mick, org_unit=company.team_b, first_name=f"M{i}", last_name="Extra")
        PersonFactory(manager=company.sam, org_unit=company.team_a, first_name=f"S{i}", last_name="Extra")
    reporting_paths_rebuild()


@pytest.fixture
def bearer(token_for):
    def _client(who: str) -> Client:
        return Client(headers={"Authorization": f"Bearer {token_for(who)}"})

    return _client


@pytest.mark.parametrize("per_team", [2, 60])
def test_people_list_queries_do_not_grow(company, bearer, django_assert_max_num_queries, per_team):
    _grow(company, per_team)
    client = bearer("vera")
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        body = client.get("/api/v1/people", {"limit": 200}).json()
    assert body["total"] == 7 + 3 * per_team
    assert all(p["org_unit"] and p["manager"] for p in body["items"] if p["last_name"] == "Extra")


@pytest.mark.parametrize("per_team", [2, 60])
def test_reports_queries_do_not_grow(company, bearer, django_assert_max_num_queries, per_team):
    _grow(company, per_team)
    client = bearer("vera")
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        reports = client.get(f"/api/v1/people/{company.nora.pk}/reports").json()
    assert len(reports) == 2 + per_team


@pytest.mark.parametrize("per_team", [2, 60])
def test_tree_queries_do_not_grow(company, bearer, django_assert_max_num_queries, per_team):
    _grow(company, per_team)
    client = bearer("vera")
    with django_assert_max_num_queries(TREE_MAX_QUERIES):
        tree = client.get(f"/api/v1/people/{company.vera.pk}/tree").json()
    assert tree["team_size"] == 6 + 3 * per_team
    nora = next(c for c in tree["children"][0]["children"] if c["full_name"] == "Nora Acme")
    sam = next(c for c in nora["children"] if c["full_name"] == "Sam Acme")
    assert sam["team_size"] == per_team


def test_org_units_queries_are_bounded(company, bearer, django_assert_max_num_queries):
    from tests.factories import OrgUnitFactory

    for i in range(40):
        OrgUnitFactory(parent=company.north, code=f"X{i}", name=f"Extra {i}")
    from people.services import org_unit_paths_rebuild

    org_unit_paths_rebuild()
    client = bearer("admin")
    with django_assert_max_num_queries(ORG_UNITS_MAX_QUERIES):
        body = client.get("/api/v1/org-units", {"limit": 200}).json()
    assert body["total"] == 48
    assert all(u["parent"] for u in body["items"] if u["code"].startswith("X"))
