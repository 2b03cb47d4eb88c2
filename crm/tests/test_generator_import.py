"""Generated exports go through the real importers: zero errors, every record in, the planted CRM-only users
reported as the unmatched ones, everyone else linked to their person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm.generator import GeneratorConfig, generate_export, roster_from_company_plan, roster_from_database
from crm.importing import run_import
from crm.models import CrmImport
from crm.tests.conftest import store_counts, table_rows
from people.demo import generate_company, write_people_csv, write_truth

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 22)
PERIOD = (dt.date(2025, 7, 1), AS_OF)


@pytest.fixture
def demo_people(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A small demo company loaded through the HR importer, with its people truth on disk."""
    from people.importing import import_people

    plan = generate_company(seed=5, sellers=24, as_of=AS_OF)
    csv_path = write_people_csv(plan, tmp_path / "people.csv")
    write_truth(plan, tmp_path / "people_truth.json")
    result = import_people(file=csv_path, filename="people.csv", actor=None, full=True)
    assert not list(getattr(result, "errors", None) or []), result.errors
    return plan


def _config(**kw) -> GeneratorConfig:  # type: ignore[no-untyped-def]
    return GeneratorConfig(period_start=PERIOD[0], period_end=PERIOD[1], seed=3, opportunities=3_000,
                           activities=40_000, **kw)


def test_salesforce_export_imports_with_zero_errors(demo_people, duckdb_url, tmp_path: Path) -> None:
    export = generate_export(roster_from_company_plan(demo_people), _config(), tmp_path / "sf")

    result = run_import(source="salesforce", paths=sorted(export.out_dir.glob("*.csv")), actor=None)

    assert result.status == CrmImport.Status.SUCCEEDED, (result.errors, result.failure_message)
    assert result.errors == [] or not result.errors
    counts = store_counts()
    rows = export.rows
    assert counts["crm_users"] == rows["User.csv"]
    assert counts["accounts"] == rows["Account.csv"]
    assert counts["contacts"] == rows["Contact.csv"]
    assert counts["opportunities"] == rows["Opportunity.csv"] == 3_000
    assert counts["opportunity_stage_history"] == rows["OpportunityHistory.csv"]
    assert counts["opportunity_line_items"] == rows["OpportunityLineItem.csv"]
    assert counts["activities"] == rows["Task.csv"] + rows["Event.csv"] == 40_000
    assert counts["quotas"] == rows["ForecastingQuota.csv"]
    # The CRM-only users (integration, automation, a former seller) are exactly the unmatched ones.
    planted = {u["crm_user_id"] for u in export.truth["crm_only_users"]}
    assert {u["user_id"] for u in result.unmatched_owners} == planted
    assert result.link_summary["email"] == rows["User.csv"] - len(planted)
    # Quota owners came as 15-character ids and were normalised to the users' 18-character ids.
    quota_owners = {q["user_id"] for q in table_rows("quotas")}
    users = {u["user_id"]: u for u in table_rows("crm_users")}
    assert quota_owners <= users.keys()
    seller = next(iter(export.truth["sellers"].values()))
    assert users[seller["crm_user_id"]]["person_employee_id"] is not None


def test_hubspot_export_imports_with_zero_errors(demo_people, duckdb_url, tmp_path: Path) -> None:
    export = generate_export(roster_from_company_plan(demo_people), _config(format="hubspot"), tmp_path / "hs")

    result = run_import(source="hubspot", paths=sorted(export.out_dir.glob("*.csv")), actor=None)

    assert result.status == CrmImport.Status.SUCCEEDED, (result.errors, result.failure_message)
    counts = store_counts()
    assert counts["opportunities"] == 3_000
    assert counts["activities"] == 40_000
    assert counts["accounts"] == export.rows["companies.csv"]
    planted = {u["crm_user_id"] for u in export.truth["crm_only_users"]}
    assert {u["user_id"] for u in result.unmatched_owners} == planted
    opportunities = table_rows("opportunities")
    assert {o["opportunity_type"] for o in opportunities} == {"new", "existing"}
    assert all(o["account_id"] for o in opportunities)
    history = table_rows("opportunity_stage_history")
    assert {h["stage"] for h in history} >= {"Appointment Scheduled", "Contract Sent", "Closed Won"}

    # HubSpot has no quota export: the quotas go through the mapped-CSV importer with the mapping beside them.
    quotas = run_import(source="mapped", paths=[export.out_dir / "quotas" / "quotas.csv"], actor=None,
                        mapping=export.out_dir / "quotas" / "mapping.toml")
    assert quotas.status == CrmImport.Status.SUCCEEDED, (quotas.errors, quotas.failure_message)
    assert store_counts()["quotas"] == export.rows["quotas/quotas.csv"]
    owners = {u["user_id"] for u in table_rows("crm_users")}
    assert {q["user_id"] for q in table_rows("quotas")} <= owners
    assert store_counts()["opportunities"] == 3_000  # the quota import left the deals alone


def test_roster_from_the_database_matches_the_demo_plan(demo_people, tmp_path: Path) -> None:
    from crm.generator import read_people_truth

    truth = read_people_truth(tmp_path / "people_truth.json")
    from_db = roster_from_database(truth=truth, as_of=AS_OF)
    from_plan = roster_from_company_plan(demo_people)

    assert from_db.situations == from_plan.situations
    assert [p.employee_id for p in from_db.people] == [p.employee_id for p in from_plan.people]
    assert from_db.turnover_managers == from_plan.turnover_managers
