"""Generated exports go through the real importers: zero errors, every record in, the planted CRM-only users
reported as the unmatched ones, everyone else linked to their person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm.importing import run_import
from crm.models import CrmImport
from crm.tests.conftest import store_counts, table_rows
from demo.company import generate_company, write_people_csv, write_truth
from demo.generator import GeneratorConfig, generate_export, roster_from_company_plan, roster_from_database

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
    return GeneratorConfig(
        period_start=PERIOD[0], period_end=PERIOD[1], seed=3, opportunities=3_000, activities=40_000, **kw
    )


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
    # Each quota covers its quarter, from Period.csv: nothing was inferred, so there is nothing to note.
    quarter_ends = {"01-01": "03-31", "04-01": "06-30", "07-01": "09-30", "10-01": "12-31"}
    for quota in table_rows("quotas"):
        start, end = str(quota["period_start"])[:10], str(quota["period_end"])[:10]
        assert end == start[:5] + quarter_ends[start[5:]], quota
    assert not [note for note in result.notes if "quota" in note]
    assert not [warning for warning in result.warnings if "Period" in warning]
    seller = next(iter(export.truth["sellers"].values()))
    assert users[seller["crm_user_id"]]["person_employee_id"] is not None


def test_hubspot_export_imports_with_zero_errors(demo_people, duckdb_url, tmp_path: Path) -> None:
    export = generate_export(
        roster_from_company_plan(demo_people), _config(format="hubspot"), tmp_path / "hs"
    )

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
    quotas = run_import(
        source="mapped",
        paths=[export.out_dir / "quotas" / "quotas.csv"],
        actor=None,
        mapping=export.out_dir / "quotas" / "mapping.toml",
    )
    assert quotas.status == CrmImport.Status.SUCCEEDED, (quotas.errors, quotas.failure_message)
    assert store_counts()["quotas"] == export.rows["quotas/quotas.csv"]
    owners = {u["user_id"] for u in table_rows("crm_users")}
    assert {q["user_id"] for q in table_rows("quotas")} <= owners
    assert store_counts()["opportunities"] == 3_000  # the quota import left the deals alone


def test_roster_from_the_database_matches_the_demo_plan(demo_people, tmp_path: Path) -> None:
    from demo.generator import read_people_truth

    truth = read_people_truth(tmp_path / "people_truth.json")
    from_db = roster_from_database(truth=truth, as_of=AS_OF)
    from_plan = roster_from_company_plan(demo_people)

    assert from_db.situations == from_plan.situations
    assert [p.employee_id for p in from_db.people] == [p.employee_id for p in from_plan.people]
    assert from_db.turnover_managers == from_plan.turnover_managers


def test_demo_step_generates_and_imports_and_reset_removes_it(
    demo_people, duckdb_url, tmp_path: Path, settings
) -> None:
    from demo.crm import crm_demo_reset, crm_demo_step
    from demo.registry import DemoContext

    settings.DATA_DIR = tmp_path
    lines: list[str] = []
    context = DemoContext(
        seed=7, size=24, data_dir=tmp_path / "demo", write=lines.append, password="x", plan=demo_people
    )

    crm_demo_step(context)

    crm_import = CrmImport.objects.get(pk=context.shared["crm"]["import_id"])
    assert crm_import.status == CrmImport.Status.SUCCEEDED
    assert len(crm_import.unmatched_owners) == 3
    assert (tmp_path / "demo" / "crm" / "Opportunity.csv").exists()
    assert (tmp_path / "demo" / "crm" / "truth.json").exists()
    assert store_counts()["opportunities"] > 1_000
    assert any("Imported it through the Salesforce importer" in line for line in lines)

    crm_demo_reset()

    assert not CrmImport.objects.exists()
    assert store_counts()["opportunities"] == 0
    assert not (tmp_path / "demo" / "crm").exists()


def test_generate_crm_command_from_a_people_csv(demo_people, tmp_path: Path) -> None:
    import io

    from django.core.management import call_command

    csv_path = write_people_csv(demo_people, tmp_path / "hr" / "people.csv")
    write_truth(demo_people, tmp_path / "hr" / "people_truth.json")
    out = io.StringIO()
    call_command(
        "generate_crm",
        "--out",
        str(tmp_path / "export"),
        "--people-csv",
        str(csv_path),
        "--opportunities",
        "800",
        "--activities",
        "9_000",
        "--period-end",
        "2026-11-22",
        "--seed",
        "3",
        stdout=out,
    )

    text = out.getvalue()
    assert "Using the people truth" in text
    assert "Opportunity.csv" in text
    assert "800 rows" in text
    assert "Planted truth in" in text
    import json

    truth = json.loads((tmp_path / "export" / "truth.json").read_text())
    assert truth["period"] == {"start": "2025-07-01", "end": "2026-11-22"}
    assert truth["rows"]["Task.csv"] + truth["rows"]["Event.csv"] == 9_000
    planted = {m["employee_id"] for m in demo_people.struggling_managers}
    assert planted <= {m["employee_id"] for m in truth["struggling_managers"]}


def test_generate_crm_command_explains_bad_input(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="no such file"):
        call_command("generate_crm", "--out", str(tmp_path), "--people-csv", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="nobody in the sales function"):
        call_command("generate_crm", "--out", str(tmp_path))  # an empty database
    with pytest.raises(CommandError, match="either --people-csv or --sellers"):
        call_command("generate_crm", "--out", str(tmp_path), "--sellers", "5", "--people-csv", "x.csv")
    with pytest.raises(CommandError, match=r"ends .* before it starts"):
        call_command(
            "generate_crm",
            "--out",
            str(tmp_path),
            "--sellers",
            "5",
            "--period-start",
            "2026-01-01",
            "--period-end",
            "2025-01-01",
        )
    bad = tmp_path / "bad.csv"
    bad.write_text("employee_id,first_name\nE1,Ann\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command("generate_crm", "--out", str(tmp_path), "--people-csv", str(bad))
