"""Every validation rule of the HR import: each problem is reported with its row, column, value and a message."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from people.models import OrgUnit, PeopleImport, Person
from people.tests.fixtures.hr_files import database_state, everyone_rows, new_row, run_import

pytestmark = pytest.mark.django_db


def base_rows() -> list[dict]:
    """A small valid company: rows 2-5 of the file (the header is row 1)."""
    return [
        new_row("E1", "Ada", "Boss", org_unit_code="CO", org_unit_name="Company", org_unit_kind="company",
                manager_since="2021-03-01", hr_partner_for=""),
        new_row("E2", "Ben", "Lead", manager_employee_id="E1", org_unit_code="NORTH", org_unit_name="North",
                org_unit_parent_code="CO", org_unit_kind="region"),
        new_row("E3", "Cy", "Seller", manager_employee_id="E2", org_unit_code="NORTH"),
        new_row("E4", "Di", "Seller", manager_employee_id="E2", org_unit_code="NA", org_unit_name="Team A",
                org_unit_parent_code="NORTH"),
    ]


def test_base_file_is_valid(db):
    record = run_import(base_rows())
    assert record.status == "succeeded", record.errors


def set_(index: int, **values: str) -> Callable[[list[dict]], None]:
    def mutate(rows: list[dict]) -> None:
        rows[index].update(values)

    return mutate


CASES = {
    "missing required field": (set_(2, last_name=""), 4, "last_name", "", "Required, but empty."),
    "missing employee id": (set_(2, employee_id=""), 4, "employee_id", "", "Required, but empty."),
    "bad date format": (set_(1, hire_date="01/03/2021"), 3, "hire_date", "01/03/2021", "YYYY-MM-DD"),
    "impossible date": (set_(1, hire_date="2021-02-30"), 3, "hire_date", "2021-02-30", "no such date"),
    "bad email": (set_(2, email="cy@"), 4, "email", "cy@", "Not a valid email address."),
    "duplicate employee id": (set_(3, employee_id="E3"), 5, "employee_id", "E3", "also on row 4"),
    "duplicate email, any case": (set_(3, email="CY.SELLER@ACME.EXAMPLE"), 5, "email", "cy.seller@acme.example",
                                  "also on row 4"),
    "unknown manager id": (set_(3, manager_employee_id="E99"), 5, "manager_employee_id", "E99",
                           "Unknown manager id E99: nobody in this file has it."),
    "self-management": (set_(2, manager_employee_id="E3"), 4, "manager_employee_id", "E3",
                        "cannot be their own manager"),
    "reporting cycle names the people": (
        set_(0, manager_employee_id="E3"), 2, "manager_employee_id", "E3",
        "Reporting lines form a loop: Ada Boss (E1, row 2) → Cy Seller (E3, row 4) → Ben Lead (E2, row 3) → "
        "Ada Boss (E1, row 2)."),
    "unknown function": (set_(2, function="Astrology"), 4, "function", "Astrology",
                         "Unknown value. Use one of: Sales, Marketing"),
    "unknown status": (set_(2, status="sabbatical-ish"), 4, "status", "sabbatical-ish",
                       "Use one of: active, on_leave, inactive"),
    "unknown leaving reason": (set_(2, end_date="2030-01-01", leaving_reason="bored"), 4, "leaving_reason",
                               "bored", "Use one of: voluntary, involuntary"),
    "unknown org unit kind": (set_(3, org_unit_kind="squadron"), 5, "org_unit_kind", "squadron",
                              "Use one of: company, function, region, department, team"),
    "unknown parent code": (set_(3, org_unit_parent_code="NOPE"), 5, "org_unit_parent_code", "NOPE",
                            "Unknown org_unit_parent_code NOPE"),
    "org unit cycle": (set_(0, org_unit_parent_code="NA"), 2, "org_unit_parent_code", "NA",
                       "Org units form a loop: CO → NA → NORTH → CO."),
    "org unit is its own parent": (set_(3, org_unit_parent_code="NA"), 5, "org_unit_parent_code", "NA",
                                   "cannot be its own parent"),
    "conflicting org unit definitions": (set_(2, org_unit_name="Nord"), 4, "org_unit_name", "Nord",
                                         "Org unit NORTH has org_unit_name 'North' on row 3 but 'Nord' here"),
    "unknown org unit code without a name": (set_(2, org_unit_code="GHOST"), 4, "org_unit_code", "GHOST",
                                             "Unknown org unit code GHOST"),
    "unit details without a code": (set_(2, org_unit_code="", org_unit_name="Somewhere"), 4, "org_unit_code", "",
                                    "org_unit_name given, but the unit has no org_unit_code"),
    "end date before hire date": (set_(2, end_date="2020-12-31"), 4, "end_date", "2020-12-31",
                                  "before the hire date (2021-03-01)"),
    "manager since before hire date": (set_(0, manager_since="2021-02-28"), 2, "manager_since", "2021-02-28",
                                       "before the hire date (2021-03-01)"),
    "leaving reason without end date": (set_(2, leaving_reason="voluntary"), 4, "leaving_reason", "voluntary",
                                        "needs an end date"),
    "unknown hr_partner_for code": (set_(0, hr_partner_for="NA; XX"), 2, "hr_partner_for", "XX",
                                    "Unknown org unit code XX"),
    "value too long": (set_(1, first_name="x" * 101), 3, "first_name", "x" * 101, "Longer than 100 characters."),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_rule_reports_row_column_value_and_message(db, case):
    mutate, row, column, value, message = CASES[case]
    rows = base_rows()
    mutate(rows)
    before = database_state()
    record = run_import(rows)
    assert record.status == PeopleImport.Status.FAILED
    assert len(record.errors) == 1, record.errors
    error = record.errors[0]
    assert (error["row"], error["column"], error["value"]) == (row, column, value)
    assert message in error["message"]
    assert database_state() == before


def test_every_problem_in_the_file_is_reported_at_once(db):
    rows = base_rows()
    for name in ["bad email", "unknown function", "duplicate employee id", "manager since before hire date",
                 "unknown parent code"]:
        CASES[name][0](rows)
    rows[1]["hire_date"] = "yesterday"
    record = run_import(rows)
    assert record.status == "failed"
    found = [(e["row"], e["column"]) for e in record.errors]
    assert found == [(2, "manager_since"), (3, "hire_date"), (4, "email"), (4, "function"), (5, "employee_id"),
                     (5, "org_unit_parent_code")]
    assert Person.objects.count() == 0
    assert OrgUnit.objects.count() == 0


def test_full_import_needs_every_manager_in_the_file(company):
    rows = [new_row("N1", "Nia", "New", manager_employee_id=company.nora.employee_id)]
    record = run_import(rows)
    assert record.status == "failed"
    assert record.errors[0]["column"] == "manager_employee_id"
    assert "Nora Acme is in Promoted but would be marked as having left" in record.errors[0]["message"]


def test_partial_import_accepts_managers_in_promoted_but_not_unknown_ones(company):
    ok = run_import([new_row("N1", "Nia", "New", manager_employee_id=company.nora.employee_id)], full=False)
    assert ok.status == "succeeded", ok.errors
    bad = run_import([new_row("N2", "Ned", "New", manager_employee_id="NOBODY")], full=False)
    assert [(e["row"], e["column"], e["value"]) for e in bad.errors] == [(2, "manager_employee_id", "NOBODY")]
    assert "nobody in this file or in Promoted has it" in bad.errors[0]["message"]


def test_reporting_cycle_through_people_not_in_a_partial_file(company):
    row = next(r for r in everyone_rows() if r["first_name"] == "Nora")
    row["manager_employee_id"] = company.sam.employee_id  # Sam reports to Nora in Promoted
    record = run_import([row], full=False)
    assert record.status == "failed"
    message = record.errors[0]["message"]
    assert f"Nora Acme ({company.nora.employee_id}, row 2)" in message
    assert f"Sam Acme ({company.sam.employee_id}, not in this file)" in message


def test_org_unit_cycle_through_units_already_in_promoted(company):
    row = next(r for r in everyone_rows() if r["first_name"] == "Dirk")
    row.update(org_unit_parent_code="NA", hire_date="2014-01-01")  # NA sits below NORTH in Promoted
    record = run_import([row], full=False)
    assert [e["message"] for e in record.errors] == [
        "Org units form a loop: NORTH → NA → NORTH. A unit cannot sit below itself."]


def test_email_of_someone_not_in_the_file_is_rejected(company):
    record = run_import([new_row("N1", "Sam", "Again", email="Sam@acme.example")], full=False)
    assert record.status == "failed"
    error = record.errors[0]
    assert (error["column"], error["value"]) == ("email", "sam@acme.example")
    assert f"belongs to Sam Acme ({company.sam.employee_id})" in error["message"]


def test_unit_known_to_promoted_can_be_referenced_by_code_alone(company):
    record = run_import([new_row("N1", "Nia", "New", org_unit_code="SB")], full=False)
    assert record.status == "succeeded", record.errors
    assert Person.objects.get(employee_id="N1").org_unit == company.team_b
    assert OrgUnit.objects.get(code="SB").parent == company.south  # untouched


def test_warns_about_reporting_to_someone_inactive(company):
    record = run_import([new_row("N1", "Nia", "New", manager_employee_id=company.lou.employee_id)], full=False)
    assert record.status == "succeeded", record.errors
    assert [(w["row"], w["column"]) for w in record.warnings] == [(2, "manager_employee_id")]
    assert "inactive" in record.warnings[0]["message"]
