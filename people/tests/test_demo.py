"""The demo company generator: deterministic, realistic, consistent, and accepted by the real HR importer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter

import pytest

from demo.company import (
    COMPANY_DOMAIN,
    DIRECTOR,
    FUNCTION_MANAGER,
    HEADER,
    HR_PARTNER,
    SALES_MANAGER,
    SELLER_TITLES,
    SITUATIONS,
    VP_SALES,
    CompanyPlan,
    generate_company,
    people_csv,
    write_people_csv,
    write_truth,
)
from people.importing import import_people
from people.models import PeopleImport, Person

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def plan() -> CompanyPlan:
    return generate_company(seed=7, as_of=AS_OF)


def rows_of(plan: CompanyPlan) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(people_csv(plan))))


def active(people):
    return [p for p in people if p.status != "inactive"]


def assert_consistent(rows: list[dict[str, str]]) -> None:
    """Unique ids and emails, every manager and unit reference resolves, no cycles in either tree."""
    ids = [r["employee_id"] for r in rows]
    assert len(ids) == len(set(ids))
    emails = [r["email"] for r in rows]
    assert len(emails) == len(set(emails))
    manager_of = {r["employee_id"]: r["manager_employee_id"] for r in rows}
    assert all(m == "" or m in manager_of for m in manager_of.values())
    assert [e for e, m in manager_of.items() if not m] == [next(r["employee_id"] for r in rows
                                                               if r["job_title"] == "Chief Executive Officer")]
    parent_of: dict[str, str] = {}
    for r in rows:
        parent_of.setdefault(r["org_unit_code"], r["org_unit_parent_code"])
        assert parent_of[r["org_unit_code"]] == r["org_unit_parent_code"], "a unit's parent differs between rows"
    assert all(p == "" or p in parent_of for p in parent_of.values())
    for tree in (manager_of, parent_of):
        settled: set[str] = set()
        for start in tree:
            seen: list[str] = []
            node = start
            while node and node not in settled:
                assert node not in seen, f"cycle through {node}"
                seen.append(node)
                node = tree[node]
            settled.update(seen)


def test_same_seed_gives_identical_bytes(tmp_path):
    first = write_people_csv(generate_company(seed=7, as_of=AS_OF), tmp_path / "a.csv").read_bytes()
    second = write_people_csv(generate_company(seed=7, as_of=AS_OF), tmp_path / "b.csv").read_bytes()
    assert first == second
    truth_a = write_truth(generate_company(seed=7, as_of=AS_OF), tmp_path / "a.json").read_bytes()
    truth_b = write_truth(generate_company(seed=7, as_of=AS_OF), tmp_path / "b.json").read_bytes()
    assert truth_a == truth_b


def test_different_seed_gives_a_different_company():
    assert people_csv(generate_company(seed=7, as_of=AS_OF)) != people_csv(generate_company(seed=8, as_of=AS_OF))


def test_file_has_the_hr_import_header(plan):
    header = people_csv(plan).splitlines()[0].split(",")
    assert tuple(header) == HEADER


def test_default_size_has_the_shape_of_a_sales_organisation(plan):
    assert len(plan.of_kind(VP_SALES)) == 1
    assert 3 <= len(plan.of_kind(DIRECTOR)) <= 4
    assert 11 <= len(plan.sales_managers) <= 13
    assert len(active(plan.sellers)) == 120
    functions = Counter(p.function for p in active(plan.people))
    for function in ("marketing", "customer_success", "engineering", "finance", "operations", "hr"):
        assert functions[function] >= 3, function
    assert 2 <= len(plan.of_kind(HR_PARTNER)) <= 3
    assert len(plan.of_kind(FUNCTION_MANAGER)) >= 6


def test_rows_are_consistent(plan):
    assert_consistent(rows_of(plan))


def test_reporting_lines_follow_the_hierarchy(plan):
    vp = plan.of_kind(VP_SALES)[0]
    for director in plan.of_kind(DIRECTOR):
        assert director.manager is vp
    for manager in plan.sales_managers:
        assert manager.manager is not None
        assert manager.manager.kind == DIRECTOR
        assert manager.unit.kind == "team"
        assert manager.unit.parent_code == manager.manager.unit.code  # team under the director's region
    for seller in plan.sellers:
        assert seller.manager is not None
        assert seller.manager.kind == SALES_MANAGER
        assert seller.unit is seller.manager.unit


def test_org_units_nest_company_function_region_team(plan):
    units = {u.code: u for u in plan.units}
    for seller in plan.sellers:
        team = seller.unit
        region = units[team.parent_code]
        function = units[region.parent_code]
        company = units[function.parent_code]
        assert (team.kind, region.kind, function.kind, company.kind) == ("team", "region", "function", "company")
    regions = {u.name for u in plan.units if u.kind == "region"}
    assert regions == {"Sales North America East", "Sales North America West", "Sales EMEA"}


def test_names_and_emails_look_real_and_are_unique(plan):
    emails = [p.email for p in plan.people]
    assert len(set(emails)) == len(emails)
    for person in plan.people:
        assert re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+\d*@" + re.escape(COMPANY_DOMAIN), person.email), person.email
    assert len({p.first_name for p in plan.people}) > 80
    assert len({p.last_name for p in plan.people}) > 80


def test_duplicate_names_get_numbered_emails():
    big = generate_company(seed=1, sellers=2000, as_of=AS_OF)
    numbered = [p.email for p in big.people if re.search(r"\d@", p.email)]
    assert numbered  # 4,800 people over ~25,000 name pairs: collisions happen and are numbered
    assert len({p.email for p in big.people}) == len(big.people)


def test_sellers_have_a_selling_situation_their_title_reflects(plan):
    situations = Counter(s.situation for s in plan.sellers)
    assert set(situations) == set(SITUATIONS)
    for seller in plan.sellers:
        assert seller.job_title.removeprefix("Senior ") == SELLER_TITLES[seller.situation]


def test_about_a_third_of_sales_managers_are_recently_promoted(plan):
    recent = [m for m in plan.sales_managers if plan.recently_promoted(m)]
    assert len(recent) == round(len(plan.sales_managers) / 3)
    for manager in recent:
        assert 14 <= (AS_OF - manager.manager_since).days <= 270
        assert manager.hire_date < manager.manager_since  # promoted from within
    for manager in plan.sales_managers:
        if manager not in recent:
            assert 2 * 365 <= (AS_OF - manager.manager_since).days <= 8 * 365


def test_other_functions_have_newly_promoted_managers_too(plan):
    others = plan.of_kind(FUNCTION_MANAGER)
    assert any(plan.recently_promoted(m) for m in others)
    assert any(not plan.recently_promoted(m) for m in others)


def test_dates_are_plausible(plan):
    ceo = next(p for p in plan.people if p.job_title == "Chief Executive Officer")
    for person in plan.people:
        assert ceo.hire_date <= person.hire_date <= AS_OF
        if person.manager_since:
            assert person.hire_date <= person.manager_since <= AS_OF
        if person.end_date:
            assert person.status == "inactive"
            assert person.hire_date < person.end_date <= AS_OF
            assert person.leaving_reason in ("voluntary", "involuntary")
        else:
            assert person.status in ("active", "on_leave")
            assert person.leaving_reason == ""


def test_a_few_leavers_for_both_reasons(plan):
    leavers = [p for p in plan.people if p.status == "inactive"]
    reasons = Counter(p.leaving_reason for p in leavers)
    assert reasons["voluntary"] >= 5
    assert reasons["involuntary"] >= 1
    assert len(leavers) < 0.15 * len(plan.people)


def voluntary_leavers_last_year(plan, manager):
    return [
        p for p in plan.people
        if p.manager is manager and p.leaving_reason == "voluntary" and (AS_OF - p.end_date).days <= 365
    ]


def test_two_struggling_managers_lost_several_sellers_last_year(plan):
    struggling = plan.struggling_managers
    assert len(struggling) == 2
    assert all(entry["patterns"] == ["team_turnover"] for entry in struggling)
    ids = {entry["employee_id"] for entry in struggling}
    for entry in struggling:
        manager = plan.person(entry["employee_id"])
        assert manager.kind == SALES_MANAGER
        leavers = voluntary_leavers_last_year(plan, manager)
        assert len(leavers) == entry["voluntary_leavers_last_12_months"] >= 4
        assert all(leaver.end_date > manager.manager_since for leaver in leavers)  # left under this manager
    for manager in plan.sales_managers:
        if manager.employee_id not in ids:
            assert len(voluntary_leavers_last_year(plan, manager)) <= 1
    # One of them is new in the role, the other a veteran: the signal is not just "new managers".
    assert sorted(plan.recently_promoted(plan.person(i)) for i in ids) == [False, True]


def test_hr_partners_support_regions_and_functions(plan):
    units = {u.code: u for u in plan.units}
    covered: list[str] = []
    for partner in plan.of_kind(HR_PARTNER):
        assert partner.function == "hr"
        assert partner.hr_partner_for
        assert all(code in units for code in partner.hr_partner_for)
        covered += partner.hr_partner_for
    assert len(covered) == len(set(covered))
    kinds = Counter(units[c].kind for c in covered)
    assert kinds["region"] == 3
    assert kinds["function"] == 5


def test_demo_logins_tell_one_story(plan):
    logins = {login.role: login.person for login in plan.demo_logins()}
    assert set(logins) == {"HR partner", "Senior sales leader", "Regional director", "Sales manager", "Seller",
                           "Manager, other function"}
    manager = logins["Sales manager"]
    assert plan.recently_promoted(manager)
    assert manager.employee_id not in {s["employee_id"] for s in plan.struggling_managers}
    assert logins["Seller"].manager is manager
    assert logins["Seller"].status == "active"
    assert manager.manager is logins["Regional director"]
    assert logins["Senior sales leader"].kind == VP_SALES
    assert logins["HR partner"].kind == HR_PARTNER
    assert logins["Manager, other function"].function not in ("sales", "hr")


@pytest.mark.parametrize("sellers", [10, 17, 35, 60, 120, 400, 2500])
def test_the_hr_partner_login_supports_the_sales_manager_login_for_every_seed(sellers):
    for seed in range(15):
        company = generate_company(seed=seed, sellers=sellers, as_of=AS_OF)
        parent_of = {u.code: u.parent_code for u in company.units}
        logins = {login.role: login.person for login in company.demo_logins()}
        units_above, code = [], logins["Sales manager"].unit.code
        while code:
            units_above.append(code)
            code = parent_of[code]
        supported = set(logins["HR partner"].hr_partner_for)
        assert supported.intersection(units_above), (seed, sellers, supported, units_above)
        assert logins["Seller"].manager is logins["Sales manager"]


def test_truth_file_records_situations_and_struggling_managers(plan, tmp_path):
    truth = json.loads(write_truth(plan, tmp_path / "truth.json").read_text())
    assert truth["seed"] == 7
    assert truth["as_of"] == "2026-11-22"
    assert set(truth["sellers"]) == {s.employee_id for s in plan.sellers}
    assert sum(len(ids) for ids in truth["situations"].values()) == len(plan.sellers)
    seller = plan.sellers[0]
    assert truth["sellers"][seller.employee_id]["situation"] == seller.situation
    assert truth["struggling_managers"] == plan.struggling_managers
    assert sum(m["recently_promoted"] for m in truth["sales_managers"].values()) == 4


@pytest.mark.parametrize("sellers", [10, 20, 45])
def test_small_companies_are_consistent(sellers):
    small = generate_company(seed=3, sellers=sellers, as_of=AS_OF)
    assert len(active(small.sellers)) == sellers
    assert_consistent(rows_of(small))
    assert {login.role for login in small.demo_logins()} >= {"Sales manager", "Seller", "HR partner"}


def test_twenty_thousand_sellers_scale_everything():
    big = generate_company(seed=11, sellers=20_000, as_of=AS_OF)
    assert len(active(big.sellers)) == 20_000
    assert 1_900 <= len(big.sales_managers) <= 2_100
    assert 450 <= len(big.of_kind(DIRECTOR)) <= 550
    assert len(big.struggling_managers) == 2
    rows = rows_of(big)
    assert_consistent(rows)
    spans = Counter(r["manager_employee_id"] for r in rows if r["status"] != "inactive")
    managers = {m.employee_id for m in big.sales_managers}
    assert max(n for e, n in spans.items() if e in managers) <= 16


def test_sellers_must_be_positive():
    with pytest.raises(ValueError, match="at least one seller"):
        generate_company(seed=1, sellers=0)


@pytest.mark.django_db
def test_generated_file_imports_cleanly_through_the_hr_importer(tmp_path):
    plan = generate_company(seed=7)
    path = write_people_csv(plan, tmp_path / "people.csv")
    record = import_people(file=path, filename="people.csv", actor=None, full=True)
    assert record.status == PeopleImport.Status.SUCCEEDED
    assert record.errors == []
    assert record.created == len(plan.people)
    assert Person.objects.count() == len(plan.people)
    seller = plan.sellers[0]
    stored = Person.objects.select_related("manager", "org_unit").get(employee_id=seller.employee_id)
    assert stored.manager.employee_id == seller.manager_employee_id
    assert stored.org_unit.code == seller.unit.code
    assert stored.job_title == seller.job_title

    again = import_people(file=path, filename="people.csv", actor=None, full=True)
    assert again.status == PeopleImport.Status.SUCCEEDED
    assert again.unchanged == len(plan.people)
    assert again.created == again.updated == 0
