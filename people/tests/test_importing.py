"""The HR import service: loading, idempotency, deactivation and reactivation, all-or-nothing, access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from core.models import AuditEvent
from people.models import EmploymentStatus, Function, OrgUnit, PeopleImport, Person
from people.tests.fixtures.hr_files import database_state, everyone_rows, new_row, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(company):
    """The persona company, with hire dates that fit their 'manager since' dates (the HR rules demand it)."""
    Person.objects.filter(manager_since__lt=dt.date(2020, 1, 6)).update(hire_date=dt.date(2014, 1, 1))
    return company


def by_name(first: str) -> Person:
    return Person.objects.get(first_name=first)


def rows_without(*names: str) -> list[dict]:
    return [row for row in everyone_rows() if row["first_name"] not in names]


def row_of(rows: list[dict], first: str) -> dict:
    return next(row for row in rows if row["first_name"] == first)


def test_reimporting_the_same_data_changes_nothing(acme):
    before = database_state()
    first = run_import(everyone_rows())
    assert first.status == PeopleImport.Status.SUCCEEDED, first.errors
    assert (first.rows, first.created, first.updated, first.unchanged, first.deactivated) == (11, 0, 0, 11, 0)
    after_first = database_state()

    again = run_import(everyone_rows())
    assert again.status == PeopleImport.Status.SUCCEEDED
    assert (again.created, again.updated, again.deactivated, again.reactivated) == (0, 0, 0, 0)
    assert again.unchanged == 11
    assert database_state() == after_first
    assert any("already imported" in w["message"] for w in again.warnings)
    # the only thing the first import changed: Lou, who left, lost their sign-in
    assert before[0] == after_first[0]


def test_creates_people_org_units_reporting_lines_and_sign_ins(db):
    rows = [
        new_row("E1", "Ada", "Boss", manager_employee_id="", org_unit_code="CO", org_unit_name="Company",
                org_unit_kind="company", manager_since="2021-03-01"),
        new_row("E2", "Ben", "Lead", manager_employee_id="E1", org_unit_code="NORTH", org_unit_name="North",
                org_unit_parent_code="CO", org_unit_kind="Region", manager_since="2022-01-01"),
        new_row("E3", "Cy", "Seller", manager_employee_id="E2", org_unit_code="NORTH"),
        new_row("E4", "Di", "Seller", manager_employee_id="E2", org_unit_code="NA", org_unit_name="Team A",
                org_unit_parent_code="NORTH", job_title="Account Executive", region="North", location="Oslo"),
    ]
    record = run_import(rows)
    assert record.status == "succeeded", record.errors
    assert (record.rows, record.created, record.updated, record.unchanged) == (4, 4, 0, 0)
    assert [p["name"] for p in record.changes["created"]] == ["Ada Boss", "Ben Lead", "Cy Seller", "Di Seller"]
    assert record.changes["org_units"]["created"] == 3

    company, north, team = (OrgUnit.objects.get(code=c) for c in ("CO", "NORTH", "NA"))
    assert (company.parent, north.parent, team.parent) == (None, company, north)
    assert (company.kind, north.kind, team.kind) == ("company", "region", "team")
    assert team.path == f"/{company.pk}/{north.pk}/{team.pk}/"

    ada, ben, di = Person.objects.get(employee_id="E1"), Person.objects.get(employee_id="E2"), \
        Person.objects.get(employee_id="E4")
    assert di.manager == ben
    assert ben.manager == ada
    assert di.path == f"/{ada.pk}/{ben.pk}/{di.pk}/"
    assert (di.org_unit, di.job_title, di.region, di.location) == (team, "Account Executive", "North", "Oslo")
    assert di.function == Function.SALES
    assert di.hire_date == dt.date(2021, 3, 1)
    assert ben.manager_since == dt.date(2022, 1, 1)
    # sign-ins and the roles the org chart implies
    assert User.objects.filter(email="di.seller@acme.example", is_active=True).exists()
    assert set(RoleGrant.objects.filter(user__email="ben.lead@acme.example").values_list("role", flat=True)) == {
        Role.SALES_MANAGER}
    assert set(RoleGrant.objects.filter(user__email="ada.boss@acme.example").values_list("role", flat=True)) == {
        Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER}


def test_changed_fields_are_updated_and_listed(acme):
    rows = everyone_rows()
    row_of(rows, "Sam")["job_title"] = "Senior Account Executive"
    row_of(rows, "Sam")["manager_employee_id"] = acme.mick.employee_id
    row_of(rows, "Sara")["email"] = "SARA.NEW@ACME.EXAMPLE"
    record = run_import(rows)
    assert (record.updated, record.unchanged) == (2, 9), record.errors
    updated = {entry["name"]: entry["fields"] for entry in record.changes["updated"]}
    assert updated == {"Sam Acme": ["job_title", "manager"], "Sara Acme": ["email"]}
    sam = by_name("Sam")
    assert sam.job_title == "Senior Account Executive"
    assert sam.manager == acme.mick
    assert sam.path.endswith(f"/{acme.mick.pk}/{sam.pk}/")
    assert by_name("Sara").email == "sara.new@acme.example"


def test_two_people_can_swap_emails(acme):
    rows = everyone_rows()
    row_of(rows, "Sam")["email"], row_of(rows, "Sara")["email"] = "sara@acme.example", "sam@acme.example"
    record = run_import(rows)
    assert record.status == "succeeded", record.errors
    assert (by_name("Sam").email, by_name("Sara").email) == ("sara@acme.example", "sam@acme.example")


def test_full_import_deactivates_people_missing_from_the_file_and_keeps_them(acme):
    record = run_import(rows_without("Sid", "Lou"))
    assert record.status == "succeeded", record.errors
    assert record.deactivated == 1  # Lou had already left
    assert [p["name"] for p in record.changes["deactivated"]] == ["Sid Acme"]
    sid = by_name("Sid")
    assert sid.status == EmploymentStatus.INACTIVE
    assert sid.end_date == timezone.localdate()
    assert sid.manager == acme.mick  # history kept
    assert not User.objects.get(pk=sid.user_id).is_active
    lou = by_name("Lou")
    assert (lou.status, lou.end_date) == (EmploymentStatus.INACTIVE, dt.date(2026, 6, 30))
    assert Person.objects.count() == 11  # never deleted


def test_deactivation_keeps_a_known_end_date_and_reimport_is_idempotent(acme):
    Person.objects.filter(pk=acme.sid.pk).update(end_date=dt.date(2030, 1, 31))
    run_import(rows_without("Sid"))
    assert by_name("Sid").end_date == dt.date(2030, 1, 31)
    again = run_import(rows_without("Sid"))
    assert (again.deactivated, again.updated, again.created) == (0, 0, 0)


def test_partial_import_only_touches_its_rows(acme):
    rows = [row_of(everyone_rows(), "Sam") | {"job_title": "Team Lead"},
            new_row("N1", "Nia", "New", manager_employee_id=acme.nora.employee_id, org_unit_code="NA")]
    record = run_import(rows, full=False)
    assert record.status == "succeeded", record.errors
    assert (record.rows, record.created, record.updated, record.deactivated) == (2, 1, 1, 0)
    assert by_name("Sid").status == EmploymentStatus.ACTIVE
    nia = by_name("Nia")
    assert nia.manager == acme.nora
    assert nia.org_unit == acme.team_a
    assert by_name("Sam").job_title == "Team Lead"


def test_columns_left_out_keep_values_and_empty_columns_clear_them(acme):
    Person.objects.filter(pk=acme.sam.pk).update(location="Bergen", department="Sales North")
    base = row_of(everyone_rows(), "Sam")
    columns = ["employee_id", "first_name", "last_name", "email", "function", "hire_date", "department"]
    record = run_import([base | {"department": ""}], full=False, columns=columns)
    assert record.status == "succeeded", record.errors
    sam = by_name("Sam")
    assert sam.location == "Bergen"  # no location column: kept
    assert sam.department == ""  # empty department: cleared
    assert sam.manager == acme.nora
    assert sam.org_unit == acme.team_a


def test_someone_back_in_the_file_is_reactivated(acme):
    rows = everyone_rows()
    row_of(rows, "Lou").update(status="", end_date="", leaving_reason="")
    record = run_import(rows)
    assert record.status == "succeeded", record.errors
    assert (record.reactivated, record.updated) == (1, 0)
    assert [p["name"] for p in record.changes["reactivated"]] == ["Lou Acme"]
    lou = by_name("Lou")
    assert (lou.status, lou.end_date, lou.leaving_reason) == (EmploymentStatus.ACTIVE, None, "")
    assert User.objects.get(pk=lou.user_id).is_active


def test_past_end_date_makes_a_row_inactive(acme):
    rows = everyone_rows()
    row_of(rows, "Sara").update(status="active", end_date="2025-02-28", leaving_reason="Resigned")
    row_of(rows, "Sam").update(status="", end_date="2099-12-31")
    record = run_import(rows)
    assert record.status == "succeeded", record.errors
    sara = by_name("Sara")
    assert (sara.status, sara.end_date, sara.leaving_reason) == ("inactive", dt.date(2025, 2, 28), "voluntary")
    assert by_name("Sam").status == "active"  # leaving in the future: still here
    assert record.deactivated == 1
    sara_row = rows.index(row_of(rows, "Sara")) + 2  # the header is row 1
    assert [w["row"] for w in record.warnings if w["column"] == "status"] == [sara_row]


def test_inactive_row_without_end_date_keeps_the_recorded_one(acme):
    rows = everyone_rows()
    row_of(rows, "Lou").update(end_date="", leaving_reason="")
    record = run_import(rows)
    assert (record.updated, record.unchanged) == (0, 11), record.errors
    assert by_name("Lou").end_date == dt.date(2026, 6, 30)


def test_status_and_function_accept_labels_and_synonyms(acme):
    rows = [
        new_row("S1", "Hal", "Rnd", function="R&D", status="On leave"),
        new_row("S2", "Ivy", "People", function="Human Resources", status="ACTIVE"),
        new_row("S3", "Jo", "Hr", function=" hr "),
        new_row("S4", "Kim", "Cs", function="Customer Success"),
        new_row("S5", "Lee", "Ops", function="customer_success", org_unit_code="X", org_unit_name="X",
                org_unit_kind="Department"),
    ]
    record = run_import(rows, full=False)
    assert record.status == "succeeded", record.errors
    functions = dict(Person.objects.filter(employee_id__startswith="S").values_list("employee_id", "function"))
    assert functions == {"S1": "engineering", "S2": "hr", "S3": "hr", "S4": "customer_success",
                         "S5": "customer_success"}
    assert Person.objects.get(employee_id="S1").status == "on_leave"
    assert OrgUnit.objects.get(code="X").kind == "department"


def test_check_only_reports_changes_and_writes_nothing(acme):
    rows = rows_without("Sid")
    rows.append(new_row("N1", "Nia", "New", manager_employee_id=acme.nora.employee_id))
    before = database_state()
    record = run_import(rows, dry_run=True)
    assert record.status == "succeeded"
    assert record.dry_run
    assert (record.created, record.deactivated, record.unchanged) == (1, 1, 10)
    assert [p["name"] for p in record.changes["created"]] == ["Nia New"]
    assert database_state() == before
    assert not AuditEvent.objects.filter(action="people.imported").exists()


def test_one_bad_row_changes_nothing(acme):
    rows = rows_without("Sid")  # would deactivate Sid
    row_of(rows, "Sam")["job_title"] = "Changed"  # would update Sam
    rows.append(new_row("N1", "Nia", "New"))  # would create Nia
    rows.append(new_row("N2", "Bad", "Date", hire_date="31/12/2020"))
    before = database_state()
    record = run_import(rows)
    assert record.status == PeopleImport.Status.FAILED
    assert record.errors == [{"row": len(rows) + 1, "column": "hire_date", "value": "31/12/2020",
                              "message": "Not a date in the expected format YYYY-MM-DD (for example 2024-03-31)."}]
    assert (record.created, record.updated, record.deactivated) == (0, 0, 0)
    assert database_state() == before
    assert PeopleImport.objects.get(pk=record.pk).status == "failed"
    assert not AuditEvent.objects.filter(action="people.imported").exists()


def test_successful_import_is_audited(acme):
    admin = acme.admin
    record = run_import(everyone_rows(), actor=admin)
    event = AuditEvent.objects.get(action="people.imported")
    assert event.actor == admin
    assert event.target_id == str(record.pk)
    assert event.details["unchanged"] == 11
    assert "hr.csv" in event.summary


def test_hr_partner_for_grants_derived_hr_partner_roles(acme):
    rows = everyone_rows()
    row_of(rows, "Eve")["hr_partner_for"] = "SB; ENG"
    record = run_import(rows)
    assert record.status == "succeeded", record.errors
    grant = RoleGrant.objects.get(user=acme.eve.user, role=Role.HR_PARTNER)
    assert grant.source == RoleGrant.Source.DERIVED
    assert set(grant.org_units.values_list("code", flat=True)) == {"SB", "ENG"}
    # Hana's manual grant is never touched by imports
    assert RoleGrant.objects.get(user=acme.hana.user, role=Role.HR_PARTNER).source == RoleGrant.Source.MANUAL

    # a partial import with the column keeps the grants of people it does not mention
    partial = run_import([row_of(everyone_rows(), "Sam") | {"hr_partner_for": ""}], full=False)
    assert partial.status == "succeeded", partial.errors
    assert RoleGrant.objects.filter(user=acme.eve.user, role=Role.HR_PARTNER).exists()

    # a full import without the column leaves HR partner grants alone; with an empty column, removes them
    columns = [c for c in everyone_rows()[0] if c != "hr_partner_for"]
    run_import(everyone_rows(), columns=columns)
    assert RoleGrant.objects.filter(user=acme.eve.user, role=Role.HR_PARTNER).exists()
    run_import(everyone_rows())
    assert not RoleGrant.objects.filter(user=acme.eve.user, role=Role.HR_PARTNER).exists()


def test_org_unit_parent_may_be_given_on_any_row_and_units_can_move(acme):
    rows = everyone_rows()
    for row in rows:
        if row["org_unit_code"] == "NA":
            row["org_unit_parent_code"] = ""
    row_of(rows, "Sara")["org_unit_parent_code"] = "SOUTH"  # one row moves Team North A under South
    record = run_import(rows)
    assert record.status == "succeeded", record.errors
    team = OrgUnit.objects.get(code="NA")
    assert team.parent == acme.south
    assert team.path.startswith(acme.south.path)
    assert record.changes["org_units"]["updated"] == 1


def test_import_with_two_thousand_rows_runs_a_bounded_number_of_queries(db, django_assert_max_num_queries,
                                                                        monkeypatch):
    rows = [new_row("M0", "Top", "Boss", org_unit_code="CO", org_unit_name="Company", org_unit_kind="company")]
    for m in range(1, 41):
        rows.append(new_row(f"M{m}", "Manager", f"No{m}", manager_employee_id="M0", org_unit_code=f"T{m}",
                            org_unit_name=f"Team {m}", org_unit_parent_code="CO"))
        for s in range(49):
            rows.append(new_row(f"S{m}-{s}", "Seller", f"No{m}x{s}", manager_employee_id=f"M{m}",
                                org_unit_code=f"T{m}", email=f"s{m}.{s}@acme.example"))
    assert len(rows) == 1 + 40 * 50

    # The import's own work (without the sign-in sync of people.services) is bulk statements: a handful of reads
    # and one statement per batch of rows. SQLite allows 999 parameters per statement, so its batches hold ~50
    # people (PostgreSQL's 1,000): 2,001 new people take ~75 queries there, ~25 on PostgreSQL, never one per row.
    synced: list = []
    monkeypatch.setattr("people.importing.service.access_sync", lambda **kw: synced.append(kw) or {})
    with django_assert_max_num_queries(100):
        record = run_import(rows)
    assert record.status == "succeeded", record.errors[:3]
    assert record.created == 2001
    assert synced == [{"hr_partner_units": {}}]  # the file has the column, nobody in it is an HR partner
    assert Person.objects.get(employee_id="S40-48").path.count("/") == 4

    with django_assert_max_num_queries(10):
        check = run_import(rows, dry_run=True)
    assert check.unchanged == 2001

    monkeypatch.undo()
    run_import(rows)  # sign-ins for everyone
    # Re-reading 2,001 unchanged people, the sign-in sync and the training enrolment rules: a fixed budget.
    with django_assert_max_num_queries(40):
        again = run_import(rows)
    assert (again.unchanged, again.created, again.updated) == (2001, 0, 0)
