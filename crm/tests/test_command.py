"""manage.py import_crm: run now (--sync) or queue for the worker."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from crm.models import CrmImport
from crm.tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db


def test_sync_import_of_a_folder_reports_counts(company, duckdb_url) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("import_crm", str(FIXTURES / "salesforce" / "good"), "--source", "salesforce", "--sync",
                 "--as", "ADMIN@acme.example", stdout=out)

    text = out.getvalue()
    crm_import = CrmImport.objects.get()
    assert crm_import.status == CrmImport.Status.SUCCEEDED
    assert crm_import.created_by == company.admin
    assert "Succeeded" in text
    assert "opportunities" in text
    assert "4 new" in text
    assert "Pat Contractor" in text
    assert "  warning: Opportunity.csv: 1 row(s) skipped (deleted records)." in text
    assert "  note: ForecastingQuota.csv has no EndDate and there is no Period.csv: each quota runs" in text


def test_sync_import_of_a_broken_export_fails_with_the_problems(company, duckdb_url) -> None:  # type: ignore[no-untyped-def]
    err = io.StringIO()
    with pytest.raises(CommandError, match="failed; nothing was changed"):
        call_command("import_crm", str(FIXTURES / "salesforce" / "broken"), "--source", "salesforce", "--sync",
                     stdout=io.StringIO(), stderr=err)
    assert "Opportunity.csv, row 3, column CloseDate: is not a date" in err.getvalue()


def test_queued_import_waits_for_the_worker(company, duckdb_url, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    out = io.StringIO()
    call_command("import_crm", str(FIXTURES / "hubspot" / "labels"), "--source", "hubspot", stdout=out)

    crm_import = CrmImport.objects.get()
    assert crm_import.status == CrmImport.Status.QUEUED
    assert crm_import.task_id
    assert len(crm_import.paths) == 8
    assert f"Queued CRM import #{crm_import.pk}" in out.getvalue()


def test_command_refuses_bad_arguments(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="needs --mapping"):
        call_command("import_crm", str(FIXTURES / "mapped" / "good"), "--source", "mapped", "--sync")
    with pytest.raises(CommandError, match="no such file or folder"):
        call_command("import_crm", str(tmp_path / "nope.csv"), "--source", "salesforce")
    with pytest.raises(CommandError, match=r"No user with the email nobody@example\.com"):
        call_command("import_crm", str(FIXTURES / "salesforce" / "good"), "--source", "salesforce",
                     "--as", "nobody@example.com")


def test_link_crm_users_from_a_file(company, duckdb_url, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    from core.models import AuditEvent
    from crm.models import CrmUserLink
    from crm.tests.conftest import table_rows

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("import_crm", str(FIXTURES / "salesforce" / "good"), "--source", "salesforce", "--sync",
                 stdout=io.StringIO())
    bad = tmp_path / "bad.csv"
    bad.write_text("crm_user_id,person\n0055g00000PaTt1,nobody@acme.example\n")
    with pytest.raises(CommandError, match="row 2, column person: no person"):
        call_command("link_crm_users", str(bad))
    assert not CrmUserLink.objects.exists()

    links = tmp_path / "links.csv"
    links.write_text(f"crm_user_id,person\n0055g00000PaTt1,{company.lou.employee_id}\n")  # a 15-character id
    out = io.StringIO()
    call_command("link_crm_users", str(links), "--as", "admin@acme.example", "--sync", stdout=out)

    link = CrmUserLink.objects.get()
    assert link.crm_user_id == "0055g00000PaTt1AAF"
    assert link.set_by == company.admin
    assert AuditEvent.objects.filter(action="crm.user_linked").count() == 1
    users = {u["user_id"]: u for u in table_rows("crm_users")}
    assert users["0055g00000PaTt1AAF"]["person_employee_id"] == company.lou.employee_id
    assert "Saved 1 link(s): 1 match a CRM user in the store, 0 match none." in out.getvalue()
