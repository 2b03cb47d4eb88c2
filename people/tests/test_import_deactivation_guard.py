"""A full HR import that would mark many people as left (a file cut short, a one-team list uploaded as "full") is
refused until the importer confirms the exact count; nothing changes before that."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from people.importing.service import (
    CONFIRM_DEACTIVATIONS_ABOVE,
    import_people,
    people_import_confirm,
    people_import_run,
)
from people.models import PeopleImport, Person
from people.tests.fixtures.hr_files import csv_bytes, database_state, everyone_rows, run_import

pytestmark = pytest.mark.django_db


def active_count() -> int:
    return Person.objects.exclude(status="inactive").count()


def test_a_truncated_full_file_is_refused_with_the_count_and_changes_nothing(company):
    rows = everyone_rows()[:3]
    active = active_count()
    missing = active - sum(1 for row in rows if row.get("status", "active") != "inactive")
    before = database_state()
    record = run_import(rows, actor=company.admin, full=True)
    assert record.status == "failed"
    message = record.errors[0]["message"]
    assert f"would mark {missing} of the {active} active people as having left" in message
    assert "nothing was changed" in message
    assert record.changes == {"deactivations_to_confirm": missing}
    assert database_state() == before


def test_the_exact_count_confirms_it_and_any_other_count_does_not(company):
    rows = everyone_rows()[:3]
    check = run_import(rows, actor=company.admin, full=True, dry_run=True)
    assert check.status == "succeeded"  # a check is never refused: it is where the count is shown
    missing = check.deactivated
    for wrong in (missing - 1, missing + 1, 0):
        assert run_import(rows, actor=company.admin, full=True, confirmed_deactivations=wrong).status == "failed"
    record = run_import(rows, actor=company.admin, full=True, confirmed_deactivations=missing)
    assert (record.status, record.deactivated) == ("succeeded", missing)
    assert active_count() == 3


def test_a_few_leavers_need_no_confirmation(company):
    rows = everyone_rows()
    allowed = int(CONFIRM_DEACTIVATIONS_ABOVE * active_count())
    assert allowed >= 1, "the test company is too small for this test"
    record = run_import(rows[:-allowed], actor=company.admin, full=True)
    assert (record.status, record.deactivated) == ("succeeded", allowed)


def test_a_partial_import_never_marks_anyone_as_left(company):
    record = run_import(everyone_rows()[:1], actor=company.admin, full=False)
    assert (record.status, record.deactivated) == ("succeeded", 0)


def test_confirming_a_check_needs_the_count_the_check_showed(company):
    data = csv_bytes(everyone_rows()[:3])
    check = import_people(file=io.BytesIO(data), filename="hr.csv", actor=company.admin, full=True, dry_run=True)
    check.upload = data
    check.save()
    with pytest.raises(ValueError, match="Confirm how many"):
        people_import_confirm(check=check, actor=company.admin, confirmed_deactivations=None)
    queued = people_import_confirm(check=check, actor=company.admin, confirmed_deactivations=check.deactivated)
    record = people_import_run(import_id=queued.pk)
    assert (record.status, record.deactivated) == ("succeeded", check.deactivated)


def test_the_command_says_how_to_confirm_and_then_imports(company, tmp_path):
    path = tmp_path / "hr-cut.csv"
    path.write_bytes(csv_bytes(everyone_rows()[:3]))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_people", str(path), stdout=StringIO(), stderr=err)
    to_confirm = PeopleImport.objects.get().changes["deactivations_to_confirm"]
    assert f"run again with --confirm-deactivations {to_confirm}" in err.getvalue()
    out = StringIO()
    call_command("import_people", str(path), "--confirm-deactivations", str(to_confirm), stdout=out,
                 stderr=StringIO())
    assert f"{to_confirm} deactivated" in out.getvalue()
