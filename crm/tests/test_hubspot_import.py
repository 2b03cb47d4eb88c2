"""The HubSpot importer on every engine: label and internal-name exports, epoch milliseconds, custom stages."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from crm.importing import run_import
from crm.models import CrmImport
from crm.tests.conftest import FIXTURES, fixture_files, store_counts, table_rows

pytestmark = pytest.mark.django_db


def test_label_export_with_owner_names(company, analytics_url) -> None:  # type: ignore[no-untyped-def]
    result = run_import(source="hubspot", paths=fixture_files("hubspot", "labels"), actor=company.admin)

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    assert result.counts["opportunities"]["inserted"] == 3
    assert result.counts["activities"]["inserted"] == 6  # the task "Not started" is a plan, not an activity
    assert any("tasks.csv: 1 row(s) skipped (tasks not done yet" in w for w in result.warnings), result.warnings
    assert result.counts["opportunity_stage_history"]["inserted"] == 6
    deals = {d["opportunity_id"]: d for d in table_rows("opportunities")}
    won = deals["5001"]
    assert won["owner_user_id"] == "31001"  # "Sam Acme" in the file, resolved through owners.csv
    assert won["is_won"] is True
    assert won["is_closed"] is True
    assert won["amount"] == Decimal("42000.00")
    assert won["account_id"] == "9001"  # the first of "9001;9002"
    assert won["opportunity_type"] == "existing"
    assert deals["5002"]["is_closed"] is False
    assert deals["5002"]["forecast_category"] == "commit"
    history = sorted((h["opportunity_id"], h["stage"]) for h in table_rows("opportunity_stage_history"))
    assert ("5001", "Contract Sent") in history
    assert ("5001", "Closed Won") in history
    activities = {a["activity_id"]: a for a in table_rows("activities")}
    assert activities["8001"]["duration_minutes"] == 10.0  # 600000 ms
    assert activities["8001"]["outcome"] == "connected"
    assert activities["8001"]["direction"] == "outbound"
    assert activities["8001"]["contact_id"] == "7001"
    assert activities["8102"]["outcome"] == "no_show"
    assert activities["8102"]["duration_minutes"] == 60.0
    assert activities["8202"]["direction"] == "inbound"
    assert "8301" not in activities  # a task not started is not an activity
    users = {u["user_id"]: u for u in table_rows("crm_users")}
    assert users["31002"]["person_employee_id"] == company.sara.employee_id  # "SARA@acme.example"
    assert users["31009"]["is_active"] is False
    assert [o["user_id"] for o in result.unmatched_owners] == ["31009"]

    again = run_import(source="hubspot", paths=fixture_files("hubspot", "labels"), actor=company.admin)
    assert again.total_changed == 0


def test_internal_names_epoch_ms_custom_stage_history_and_associations(company, analytics_url) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / "hubspot" / "internal"
    result = run_import(source="hubspot", paths=fixture_files("hubspot", "internal"), actor=None,
                        mapping=folder / "pipeline.toml")

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    assert any("queues are not people" in w for w in result.warnings)
    deals = {d["opportunity_id"]: d for d in table_rows("opportunities")}
    assert deals["6001"]["stage"] == "Renewal negotiation"
    assert deals["6001"]["is_closed"] is False
    assert deals["6002"]["is_closed"] is True
    assert deals["6002"]["is_won"] is False
    assert str(deals["6002"]["created_at"]).startswith("2026-03-31 23:33:20")  # 1775000000000 ms
    calls = {a["activity_id"]: a for a in table_rows("activities")}
    assert calls["8801"]["opportunity_id"] == "6001"  # from associations.csv (call -> deal)
    assert calls["8802"]["opportunity_id"] == "6002"  # (deal -> call, read backwards)
    assert calls["8801"]["outcome"] == "connected"  # the default disposition GUID
    assert calls["8802"]["outcome"] == "no_answer"
    history = sorted((h["opportunity_id"], str(h["changed_at"])[:10], h["stage"])
                     for h in table_rows("opportunity_stage_history"))
    assert history == [
        # 6001 is not in the property history file: its first entries into each stage (hs_date_entered_*)
        ("6001", "2026-05-28", "Appointment Scheduled"),
        ("6001", "2026-07-25", "Renewal negotiation"),
        # 6002 is: every change from the property history, not the deal's first-entry dates as well
        ("6002", "2026-03-31", "Appointment Scheduled"),
        ("6002", "2026-09-21", "Closed Lost"),
    ]


def test_a_custom_stage_without_mapping_is_named(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for path in fixture_files("hubspot", "internal"):
        shutil.copy(path, tmp_path / path.name)
    before = store_counts()

    result = run_import(source="hubspot", paths=sorted(tmp_path.glob("*.csv")), actor=None)

    assert result.status == CrmImport.Status.FAILED
    assert [(e["file"], e["row"], e["column"], e["value"]) for e in result.errors] == [
        ("deals.csv", 2, "dealstage", "71234567")]
    assert "[hubspot.stages]" in result.errors[0]["message"]
    assert store_counts() == before


def test_bad_times_in_a_hubspot_export(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls = tmp_path / "calls.csv"
    calls.write_text("Record ID,Activity date,Call owner,Call duration\n"
                     "1,2026-01-10 10:00,x,1000\n"
                     "2,yesterday,x,1000\n"
                     "3,1780100000000,x,ten\n")

    result = run_import(source="hubspot", paths=[calls], actor=None)

    assert result.status == CrmImport.Status.FAILED
    assert {(e["row"], e["column"], e["value"]) for e in result.errors} == {
        (3, "Activity date", "yesterday"), (4, "Call duration", "ten")}


def test_files_of_the_other_crm_are_pointed_at_the_right_source(company, duckdb_url) -> None:  # type: ignore[no-untyped-def]
    as_hubspot = run_import(source="hubspot", paths=fixture_files("salesforce", "good")[:2], actor=None)
    assert {e["message"] for e in as_hubspot.errors} == {
        "looks like a Salesforce export: import it with Salesforce as the source"}

    as_salesforce = run_import(source="salesforce", paths=fixture_files("hubspot", "labels")[:2], actor=None)
    assert {e["message"] for e in as_salesforce.errors} == {
        "looks like a HubSpot export: import it with HubSpot as the source"}
