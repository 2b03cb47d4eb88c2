"""An HR file changes only what the importing person may change, and never hands a sign-in to someone else.

The attacks are the ones found from outside: an HR partner importing a row with the administrator's email (then
their own), moving a senior leader's sign-in to an address they control, deactivating the administrator, and
granting themselves the whole company through `hr_partner_for`.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, RoleGrant, SignInEmailChange, User
from people.models import PeopleImport, Person
from people.scoping import visible_people
from people.tests.fixtures.hr_files import csv_bytes, database_state, new_row, person_row, run_import

pytestmark = pytest.mark.django_db

SHADOW = {"employee_id": "E99990", "first_name": "Shadow", "last_name": "Admin", "function": "sales",
          "hire_date": "2020-01-01"}
COLUMNS = ["employee_id", "first_name", "last_name", "email", "function", "hire_date"]


def problems(record: PeopleImport) -> list[tuple[int | None, str, str]]:
    return [(issue["row"], issue["column"], issue["message"]) for issue in record.errors]


def all_text(record: PeopleImport) -> str:
    return " ".join(issue["message"] for issue in [*record.errors, *record.warnings])


@pytest.mark.parametrize("who", ["hana", "admin", "command line"])
def test_a_row_with_the_administrators_email_is_refused_for_everyone(company, who):
    actor = None if who == "command line" else company.user(who)
    before = database_state()
    record = run_import([{**SHADOW, "email": company.admin.email}], actor=actor, full=False, columns=COLUMNS)
    assert record.status == "failed"
    assert (2, "email") in [(row, column) for row, column, _ in problems(record)]
    assert "already used to sign in" in all_text(record)
    assert database_state() == before


def test_the_takeover_through_two_imports_fails(company, client):
    """The reported path: the admin's email, then an address the HR partner controls, then a password reset."""
    hana = company.hana.user
    first = run_import([{**SHADOW, "email": company.admin.email, "org_unit_code": "NA"}], actor=hana, full=False)
    assert first.status == "failed"
    second = run_import([{**SHADOW, "email": "hana.private@evil.example", "org_unit_code": "NA"}], actor=hana,
                        full=False)
    assert second.status == "succeeded"  # a new seller in her own unit is hers to add
    shadow = Person.objects.get(employee_id="E99990")
    assert shadow.user is not None
    assert shadow.user.pk != company.admin.pk
    assert not shadow.user.is_superuser
    admin = User.objects.get(pk=company.admin.pk)
    assert (admin.email, admin.is_active, admin.is_superuser) == ("admin@acme.example", True, True)
    assert not hasattr(admin, "person")


def test_an_hr_partner_cannot_touch_anyone_outside_their_units_and_names_nobody(company):
    hana = company.hana.user
    vera = person_row(company.vera)
    before = database_state()
    record = run_import([{**vera, "email": "vera@evil.example"}], actor=hana, full=False)
    assert record.status == "failed"
    assert problems(record)[0][:2] == (2, "employee_id")
    assert "not one of the people you support" in problems(record)[0][2]
    assert "North (NORTH)" in problems(record)[0][2]
    assert database_state() == before
    assert User.objects.get(pk=company.vera.user_id).email == "vera@acme.example"


def test_an_hr_partner_cannot_deactivate_or_move_people_out_of_their_units(company):
    hana = company.hana.user
    before = database_state()
    leaving = run_import([{**person_row(company.mick), "status": "inactive", "end_date": "2026-01-31"}],
                         actor=hana, full=False)
    moved = run_import([{**person_row(company.sam), "org_unit_code": "SB", "org_unit_name": "",
                         "org_unit_parent_code": "", "org_unit_kind": ""}], actor=hana, full=False)
    new_elsewhere = run_import([new_row("E5000", "Nat", "New", org_unit_code="ENG")], actor=hana, full=False)
    no_unit = run_import([new_row("E5001", "Una", "Unit")], actor=hana, full=False)
    for record in (leaving, moved, new_elsewhere, no_unit):
        assert record.status == "failed"
    assert problems(moved)[0][:2] == (2, "org_unit_code")
    assert "Org unit SB is not one you support" in problems(moved)[0][2]
    assert "give one of them" in problems(no_unit)[0][2]
    assert database_state() == before


def test_an_hr_partner_can_add_a_team_below_their_units_but_not_elsewhere(company):
    hana = company.hana.user
    inside = run_import([new_row("E5002", "Tia", "Team", org_unit_code="NB", org_unit_name="Team North B",
                                 org_unit_parent_code="NORTH")], actor=hana, full=False)
    assert inside.status == "succeeded"
    assert Person.objects.get(employee_id="E5002").org_unit.code == "NB"
    outside = run_import([new_row("E5003", "Ola", "Out", org_unit_code="SC", org_unit_name="Team South C",
                                  org_unit_parent_code="SOUTH")], actor=hana, full=False)
    assert outside.status == "failed"
    assert "must sit below one of the units you support" in all_text(outside)


def test_an_hr_partner_cannot_grant_themselves_or_anyone_a_wider_scope(company):
    hana = company.hana.user
    before = database_state()
    own = run_import([{**person_row(company.hana), "hr_partner_for": "ACME"}], actor=hana, full=False)
    other = run_import([{**person_row(company.nora), "hr_partner_for": "ACME"}], actor=hana, full=False)
    assert own.status == other.status == "failed"
    assert "Only an administrator can change who is HR partner" in all_text(other)
    assert database_state() == before
    assert set(visible_people(User.objects.get(pk=hana.pk)).values_list("first_name", flat=True)) == {
        "Hana", "Dirk", "Nora", "Sam", "Sara", "Lou"}


def test_an_hr_partner_may_restate_grants_as_they_are_and_an_administrator_may_change_them(company):
    unchanged = run_import([{**person_row(company.nora), "hr_partner_for": ""}], actor=company.hana.user,
                           full=False)
    assert unchanged.status == "succeeded"
    granted = run_import([{**person_row(company.nora), "hr_partner_for": "NA"}], actor=company.admin, full=False)
    assert granted.status == "succeeded"
    grant = RoleGrant.objects.get(user=company.nora.user, role=Role.HR_PARTNER)
    assert [u.code for u in grant.org_units.all()] == ["NA"]


def test_a_full_import_by_an_hr_partner_means_everyone_in_their_units(company):
    north = [company.dirk, company.nora, company.sam, company.lou]  # Sara is missing: she has left
    refused = run_import([person_row(p) for p in north], actor=company.hana.user, full=True)
    assert refused.status == "failed"  # 1 of the 4 active people in North's units (25%): confirm
    assert "mark 1 of the 4 active people in the units you support as having left" in all_text(refused)
    record = run_import([person_row(p) for p in north], actor=company.hana.user, full=True,
                        confirmed_deactivations=1)
    assert record.status == "succeeded", record.errors
    assert record.deactivated == 1
    assert [entry["name"] for entry in record.changes["deactivated"]] == ["Sara Acme"]
    assert Person.objects.filter(status="active", first_name__in=["Vera", "Mick", "Sid", "Otto", "Eve",
                                                                  "Hana"]).count() == 6


def test_messages_about_people_outside_scope_name_nobody(company):
    hana = company.hana.user
    taken = run_import([new_row("E5004", "Copy", "Cat", org_unit_code="NA", email="vera@acme.example")],
                       actor=hana, full=False)
    assert taken.status == "failed"
    assert "already belongs to someone else" in all_text(taken)
    # A loop through someone outside her units: Dirk reports to Vera; making Vera's id Dirk's report's manager
    # is refused without naming Vera.
    looped = run_import([{**person_row(company.dirk), "manager_employee_id": company.sam.employee_id},
                         {**person_row(company.sam), "manager_employee_id": company.dirk.employee_id}],
                        actor=hana, full=False)
    assert looped.status == "failed"
    for record in (taken, looped):
        text = all_text(record)
        for outsider in ("Vera", "Mick", "Sid", "Otto", "Eve"):
            assert outsider not in text


def test_a_changed_work_email_waits_for_its_owner(company, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = run_import([{**person_row(company.sam), "email": "samuel@acme.example"}],
                            actor=company.hana.user, full=False)
    assert record.status == "succeeded"
    assert Person.objects.get(pk=company.sam.pk).email == "samuel@acme.example"
    assert User.objects.get(pk=company.sam.user_id).email == "sam@acme.example"
    assert record.changes["access"]["sign_in_changes_to_confirm"] == 1
    assert SignInEmailChange.objects.get(user_id=company.sam.user_id).is_open
    assert {m.to[0] for m in mailoutbox} == {"sam@acme.example", "samuel@acme.example"}


def test_an_administrator_is_never_deactivated_by_an_import(company):
    Person.objects.create(employee_id="A1", first_name="Ada", last_name="Admin", email=company.admin.email,
                          function="hr", hire_date="2020-01-01", user=company.admin, org_unit=company.north)
    record = run_import([{**person_row(Person.objects.get(employee_id="A1")), "status": "inactive",
                          "end_date": "2026-01-31"}], actor=company.hana.user, full=False)
    assert record.status == "succeeded"
    assert User.objects.get(pk=company.admin.pk).is_active


def test_the_command_uses_the_actors_scope(company, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(csv_bytes([{**person_row(company.vera), "status": "inactive", "end_date": "2026-01-31"}]))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_people", str(path), "--partial", "--actor", "hana@acme.example", stdout=out,
                     stderr=out)
    assert User.objects.get(pk=company.vera.user_id).is_active
    assert "not one of the people you support" in out.getvalue()


def test_import_pages_show_an_hr_partner_only_their_own_imports(company, login):
    admins = run_import([new_row("E5005", "Adam", "Added", org_unit_code="ENG")], actor=company.admin, full=False)
    hanas = run_import([new_row("E5006", "Hank", "Hired", org_unit_code="NA")], actor=company.hana.user,
                       full=False)
    client = login("hana")
    assert client.get(f"/imports/people/{admins.pk}/").status_code == 404
    assert client.get(f"/imports/people/{admins.pk}/problems.csv").status_code == 404
    assert client.get(f"/imports/people/{hanas.pk}/").status_code == 200
    history = client.get("/imports/people/").content.decode()
    assert "Adam Added" not in history
    assert "1 import" in history
    assert login("admin").get(f"/imports/people/{hanas.pk}/").status_code == 200
