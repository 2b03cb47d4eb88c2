"""People and org-unit endpoints: the full persona x endpoint scope matrix, filters, pagination, tree shape.

The expected scopes are written out by hand (not derived from people.scoping) so a change to scoping that
leaks or hides someone fails here.
"""

from __future__ import annotations

import pytest

from api.tests.conftest import PERSONAS, error_of
from people.models import EmploymentStatus

pytestmark = pytest.mark.django_db

EVERYONE = {"vera", "dirk", "nora", "mick", "sam", "sara", "lou", "sid", "hana", "otto", "eve"}

# Who each persona may see (inactive Lou included), exactly as the people pages do.
VISIBLE_PEOPLE = {
    "admin": EVERYONE,
    "vera": {"vera", "dirk", "nora", "mick", "sam", "sara", "lou", "sid"},
    "dirk": {"dirk", "nora", "sam", "sara", "lou"},
    "nora": {"nora", "sam", "sara", "lou"},
    "mick": {"mick", "sid"},
    "sam": {"sam"},
    "sara": {"sara"},
    "lou": {"lou"},
    "sid": {"sid"},
    "hana": {"hana", "dirk", "nora", "sam", "sara", "lou"},
    "otto": {"otto"},  # an engineering manager with no role: only himself, not even his report Eve
    "eve": {"eve"},
}

ALL_UNITS = {"company", "sales", "north", "south", "team_a", "team_b", "engineering", "hr"}
VISIBLE_UNITS = {
    "admin": ALL_UNITS,
    "vera": {"sales", "north", "team_a", "team_b"},
    "dirk": {"north", "team_a"},
    "nora": {"team_a"},
    "mick": {"team_b"},
    "sam": {"team_a"},
    "sara": {"team_a"},
    "lou": {"team_a"},
    "sid": {"team_b"},
    "hana": {"north", "team_a", "hr"},
    "otto": {"engineering"},
    "eve": {"engineering"},
}


def _people(company) -> dict[str, object]:
    return {name: getattr(company, name) for name in EVERYONE}


def _units(company) -> dict[str, object]:
    from people.models import OrgUnit

    by_code = {u.code: u for u in OrgUnit.objects.all()}
    return {
        "company": by_code["ACME"], "sales": by_code["SALES"], "north": by_code["NORTH"],
        "south": by_code["SOUTH"], "team_a": by_code["NA"], "team_b": by_code["SB"],
        "engineering": by_code["ENG"], "hr": by_code["HR"],
    }


def _names(company, ids) -> set[str]:
    by_id = {p.pk: name for name, p in _people(company).items()}
    return {by_id[i] for i in ids}


def _flatten(node) -> list[dict]:
    return [node, *(n for child in node["children"] for n in _flatten(child))]


# --- The matrix: each persona x each endpoint ------------------------------------------------------------------


@pytest.mark.parametrize("who", PERSONAS)
def test_people_list_matrix(who, company, api_as):
    client = api_as(who)
    response = client.get("/api/v1/people", {"status": "all", "limit": 200})
    assert response.status_code == 200
    body = response.json()
    assert _names(company, [p["id"] for p in body["items"]]) == VISIBLE_PEOPLE[who]
    assert body["total"] == len(VISIBLE_PEOPLE[who])
    # Default status is active: Lou, who left, only shows up when asked for.
    active = client.get("/api/v1/people", {"limit": 200}).json()
    assert _names(company, [p["id"] for p in active["items"]]) == VISIBLE_PEOPLE[who] - {"lou"}


@pytest.mark.parametrize("who", PERSONAS)
def test_person_detail_matrix(who, company, api_as):
    client = api_as(who)
    for name, person in _people(company).items():
        response = client.get(f"/api/v1/people/{person.pk}")
        if name in VISIBLE_PEOPLE[who]:
            assert response.status_code == 200, (who, name)
            assert response.json()["id"] == person.pk
            assert response.json()["full_name"] == person.full_name
        else:
            assert response.status_code == 404, (who, name)
            assert error_of(response) == {"code": "not_found", "message": "Not found.", "details": []}


@pytest.mark.parametrize("who", PERSONAS)
def test_person_reports_matrix(who, company, api_as):
    client = api_as(who)
    people = _people(company)
    for name, person in people.items():
        response = client.get(f"/api/v1/people/{person.pk}/reports")
        if name not in VISIBLE_PEOPLE[who]:
            assert response.status_code == 404, (who, name)
            assert error_of(response)["code"] == "not_found"
            continue
        assert response.status_code == 200, (who, name)
        expected = {
            other for other, p in people.items()
            if p.manager_id == person.pk and p.status != EmploymentStatus.INACTIVE and other in VISIBLE_PEOPLE[who]
        }
        assert _names(company, [r["id"] for r in response.json()]) == expected, (who, name)


@pytest.mark.parametrize("who", PERSONAS)
def test_person_tree_matrix(who, company, api_as):
    client = api_as(who)
    people = _people(company)
    for name, person in people.items():
        response = client.get(f"/api/v1/people/{person.pk}/tree")
        if name not in VISIBLE_PEOPLE[who]:
            assert response.status_code == 404, (who, name)
            assert error_of(response)["code"] == "not_found"
            continue
        assert response.status_code == 200, (who, name)
        got = _names(company, [n["id"] for n in _flatten(response.json())])
        below = {
            other for other, p in people.items()
            if p.path.startswith(person.path) and p.status != EmploymentStatus.INACTIVE
        }
        # The person asked about is always the root, even if they have left.
        assert got == (below & VISIBLE_PEOPLE[who]) | {name}, (who, name)


@pytest.mark.parametrize("who", PERSONAS)
def test_org_units_matrix(who, company, api_as):
    client = api_as(who)
    units = _units(company)
    by_id = {u.pk: name for name, u in units.items()}
    body = client.get("/api/v1/org-units", {"limit": 200}).json()
    assert {by_id[u["id"]] for u in body["items"]} == VISIBLE_UNITS[who]
    assert body["total"] == len(VISIBLE_UNITS[who])
    for name, unit in units.items():
        response = client.get(f"/api/v1/org-units/{unit.pk}")
        if name in VISIBLE_UNITS[who]:
            assert response.status_code == 200, (who, name)
            detail = response.json()
            assert detail["name"] == unit.name
            # Parents and children outside the scope are not revealed.
            if detail["parent"] is not None:
                assert by_id[detail["parent"]["id"]] in VISIBLE_UNITS[who]
            assert {by_id[c["id"]] for c in detail["children"]} <= VISIBLE_UNITS[who]
        else:
            assert response.status_code == 404, (who, name)
            assert error_of(response) == {"code": "not_found", "message": "Not found.", "details": []}


@pytest.mark.parametrize("who", PERSONAS)
def test_me_matrix(who, company, api_as):
    body = api_as(who).get("/api/v1/me").json()
    user = company.user(who)
    assert body["user"] == {"id": user.pk, "email": user.email}
    if who == "admin":
        assert body["person"] is None
        assert body["sees_everyone"] is True
        assert [r["code"] for r in body["roles"]] == ["administrator"]
    else:
        assert body["person"]["id"] == getattr(company, who).pk
        assert body["sees_everyone"] is False


# --- Specific outcomes -----------------------------------------------------------------------------------------


def test_otto_gets_only_himself_everywhere(company, api_as):
    client = api_as("otto")
    assert [p["id"] for p in client.get("/api/v1/people").json()["items"]] == [company.otto.pk]
    # Eve reports to him in the HR data, but Otto holds no role that lets him see reports.
    assert client.get(f"/api/v1/people/{company.otto.pk}/reports").json() == []
    tree = client.get(f"/api/v1/people/{company.otto.pk}/tree").json()
    assert tree["id"] == company.otto.pk
    assert tree["children"] == []
    assert tree["team_size"] == 0
    assert client.get(f"/api/v1/people/{company.eve.pk}").status_code == 404
    assert client.get("/api/v1/people", {"manager": company.otto.pk}).json()["total"] == 0
    assert client.get("/api/v1/people", {"function": "sales"}).json()["total"] == 0
    assert client.get("/api/v1/me").json()["roles"] == []


def test_manager_asking_for_another_team_gets_404_like_a_missing_person(company, api_as):
    client = api_as("nora")
    outside = client.get(f"/api/v1/people/{company.sid.pk}")
    missing = client.get("/api/v1/people/987654")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert client.get(f"/api/v1/people/{company.sid.pk}/reports").json() == missing.json()
    assert client.get(f"/api/v1/people/{company.mick.pk}/tree").json() == missing.json()
    assert client.get(f"/api/v1/org-units/{company.team_b.pk}").json() == missing.json()


def test_person_fields(company, api_as):
    body = api_as("nora").get(f"/api/v1/people/{company.lou.pk}").json()
    assert body == {
        "id": company.lou.pk,
        "employee_id": company.lou.employee_id,
        "first_name": "Lou",
        "last_name": "Acme",
        "full_name": "Lou Acme",
        "email": "lou@acme.example",
        "function": "sales",
        "function_label": "Sales",
        "department": "",
        "job_title": "Account Executive",
        "region": "",
        "location": "",
        "status": "inactive",
        "status_label": "Inactive",
        "hire_date": "2020-01-06",
        "manager_since": None,
        "end_date": "2026-06-30",
        "leaving_reason": "voluntary",
        "manager": {"id": company.nora.pk, "full_name": "Nora Acme"},
        "org_unit": {"id": company.team_a.pk, "code": "NA", "name": "Team North A", "kind": "team"},
    }
    assert "path" not in body
    assert "depth" not in body
    assert "user" not in body


def test_tree_is_nested_with_team_sizes(company, api_as):
    tree = api_as("vera").get(f"/api/v1/people/{company.vera.pk}/tree").json()

    def shape(node):
        return (node["full_name"].split()[0], node["team_size"], sorted(shape(c) for c in node["children"]))

    assert shape(tree) == (
        "Vera", 6, [("Dirk", 3, [("Nora", 2, [("Sam", 0, []), ("Sara", 0, [])])]), ("Mick", 1, [("Sid", 0, [])])]
    )
    with_leavers = api_as("vera").get(f"/api/v1/people/{company.nora.pk}/tree", {"include_inactive": "true"})
    assert sorted(c["full_name"] for c in with_leavers.json()["children"]) == ["Lou Acme", "Sam Acme", "Sara Acme"]


def test_hr_partner_tree_stops_at_her_scope(company, api_as):
    tree = api_as("hana").get(f"/api/v1/people/{company.dirk.pk}/tree").json()
    assert {n["full_name"] for n in _flatten(tree)} == {"Dirk Acme", "Nora Acme", "Sam Acme", "Sara Acme"}
    assert api_as("hana").get(f"/api/v1/people/{company.vera.pk}/tree").status_code == 404


def test_reports_status_filter(company, api_as):
    client = api_as("nora")
    url = f"/api/v1/people/{company.nora.pk}/reports"
    assert {r["first_name"] for r in client.get(url).json()} == {"Sam", "Sara"}
    assert {r["first_name"] for r in client.get(url, {"status": "inactive"}).json()} == {"Lou"}
    assert {r["first_name"] for r in client.get(url, {"status": "all"}).json()} == {"Sam", "Sara", "Lou"}


def test_people_filters(company, api_as):
    company.sid.region = "South"
    company.sid.save(update_fields=["region"])
    client = api_as("admin")

    def names(**params):
        return [p["first_name"] for p in client.get("/api/v1/people", params).json()["items"]]

    assert names(q="sara") == ["Sara"]
    assert names(q="acme engineer") == ["Eve", "Otto"]  # every word must match (name, title)
    assert names(q="acme nobody") == []
    assert names(q=company.sid.employee_id) == ["Sid"]
    assert names(function="engineering") == ["Eve", "Otto"]
    assert names(region="South") == ["Sid"]
    assert names(org_unit=company.team_a.pk) == ["Nora", "Sam", "Sara"]
    assert names(manager=company.nora.pk) == ["Sam", "Sara"]
    assert names(manager=company.nora.pk, status="inactive") == ["Lou"]
    assert names(manager=company.vera.pk, org_unit=company.team_b.pk) == ["Mick"]


def test_filters_never_widen_the_scope(company, api_as):
    client = api_as("nora")
    assert client.get("/api/v1/people", {"org_unit": company.team_b.pk}).json()["total"] == 0
    assert client.get("/api/v1/people", {"manager": company.mick.pk}).json()["total"] == 0
    assert client.get("/api/v1/people", {"q": "sid"}).json()["total"] == 0


def test_pagination_walks_every_person_once(company, api_as):
    client = api_as("admin")
    seen: list[str] = []
    offset = 0
    while True:
        page = client.get("/api/v1/people", {"limit": 3, "offset": offset}).json()
        assert page["total"] == 10  # eleven people, Lou has left
        assert page["limit"] == 3
        assert page["offset"] == offset
        seen += [p["first_name"] for p in page["items"]]
        offset += 3
        if offset >= page["total"]:
            break
    # Everyone once, in directory order (all are "Acme", so by first name).
    assert seen == ["Dirk", "Eve", "Hana", "Mick", "Nora", "Otto", "Sam", "Sara", "Sid", "Vera"]
    beyond = client.get("/api/v1/people", {"limit": 3, "offset": 50}).json()
    assert beyond == {"total": 10, "limit": 3, "offset": 50, "items": []}


def test_org_unit_details(company, api_as):
    client = api_as("vera")
    team_a = client.get(f"/api/v1/org-units/{company.team_a.pk}").json()
    assert team_a == {
        "id": company.team_a.pk, "code": "NA", "name": "Team North A", "kind": "team", "kind_label": "Team",
        "parent": {"id": company.north.pk, "code": "NORTH", "name": "North", "kind": "region"},
        "member_count": 3, "children": [],
    }
    sales = client.get("/api/v1/org-units", {"kind": "function"}).json()["items"]
    assert [u["code"] for u in sales] == ["SALES"]
    assert sales[0]["parent"] is None  # Acme, the company unit, is outside Vera's scope
    north = client.get(f"/api/v1/org-units/{company.north.pk}").json()
    assert [c["code"] for c in north["children"]] == ["NA"]
    assert north["member_count"] == 1  # Dirk
    assert [u["code"] for u in client.get("/api/v1/org-units", {"q": "north"}).json()["items"]] == ["NORTH", "NA"]


def test_org_units_in_tree_order(company, api_as):
    codes = [u["code"] for u in api_as("admin").get("/api/v1/org-units").json()["items"]]
    assert codes.index("ACME") < codes.index("SALES") < codes.index("NORTH") < codes.index("NA")
    assert codes.index("SOUTH") < codes.index("SB")


def test_session_and_token_see_the_same(company, api_as, login):
    by_token = api_as("dirk").get("/api/v1/people", {"status": "all"}).json()
    by_session = login("dirk").get("/api/v1/people", {"status": "all"}).json()
    assert by_token == by_session
