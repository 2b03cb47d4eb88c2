"""manage.py import_people: counts on success; every problem with row and column, and exit status 1, on failure."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from people.management.commands.import_people import Command as ImportPeopleCommand
from people.models import PeopleImport, Person
from people.tests.fixtures.hr_files import FIXTURES, database_state

pytestmark = pytest.mark.django_db

VALID = FIXTURES / "people_valid.csv"
BROKEN = FIXTURES / "people_broken.csv"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_people", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_and_prints_the_counts(db):
    out, _ = run(str(VALID))
    assert out.strip() == ("Imported people_valid.csv (full import, 7 rows): 7 created, 0 updated, 0 unchanged, "
                           "0 deactivated, 0 reactivated.")
    assert Person.objects.count() == 7
    lars = Person.objects.get(employee_id="B123")
    assert (lars.status, lars.leaving_reason) == ("inactive", "voluntary")
    assert Person.objects.get(employee_id="B122").status == "on_leave"
    assert Person.objects.get(employee_id="B121").manager.employee_id == "B120"

    out, err = run(str(VALID))
    assert "0 created, 0 updated, 7 unchanged, 0 deactivated" in out
    assert "already imported" in err


def test_dry_run_and_actor(company):
    out, _ = run(str(VALID), "--dry-run", "--partial", "--actor", "ADMIN@acme.example")
    assert out.strip() == ("Checked people_valid.csv (partial import, 7 rows): 7 would be created, 0 would be "
                           "updated, 0 unchanged, 0 would be deactivated, 0 would be reactivated. Nothing was "
                           "changed.")
    record = PeopleImport.objects.get()
    assert (record.actor, record.dry_run, record.full) == (company.admin, True, False)
    assert not Person.objects.filter(employee_id="B100").exists()


def test_broken_file_prints_every_problem_and_fails(db):
    before = database_state()
    with pytest.raises(CommandError) as failure:
        run(str(BROKEN))
    assert str(failure.value) == (
        f"people_broken.csv: 7 problems, nothing was changed (import {PeopleImport.objects.get().pk}).")
    record = PeopleImport.objects.get()
    assert record.status == "failed"
    assert database_state() == before


def test_broken_file_output_and_exit_status(db, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ImportPeopleCommand().run_from_argv(["manage.py", "import_people", str(BROKEN)])
    assert exit_info.value.code == 1
    stderr = capsys.readouterr().err
    lines = stderr.splitlines()
    assert lines[:7] == [
        "Row 3, column hire_date, value '15/06/2015': Not a date in the expected format YYYY-MM-DD (for example "
        "2024-03-31).",
        "Row 4, column manager_employee_id, value 'B121': Reporting lines form a loop: Maja Berg (B120, row 4) → "
        "Olav Dahl (B121, row 5) → Maja Berg (B120, row 4). Someone in the loop must report to a person outside "
        "it.",
        "Row 6, column email, value 'maja.berg@borealis.example': This email is also on row 4; each person needs "
        "their own work email.",
        "Row 6, column manager_employee_id, value 'B999': Unknown manager id B999: nobody in this file has it.",
        "Row 7, column leaving_reason, value 'resigned': A leaving reason needs an end date; fill in the end date or "
        "leave the reason empty.",
        "Row 8, column function: Required, but empty.",
        "Row 8, column hr_partner_for, value 'WEST': Unknown org unit code WEST: HR partners can only support units "
        "defined in this file or already in Promoted.",
    ]
    assert "CommandError: people_broken.csv: 7 problems, nothing was changed" in stderr


def test_missing_file_and_unknown_actor(db, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match=r"No user with the email ghost@acme\.example"):
        run(str(VALID), "--actor", "ghost@acme.example")
