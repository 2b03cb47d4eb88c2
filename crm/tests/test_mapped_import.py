"""CSV files from any other CRM with a TOML mapping file, on every engine; and the mapping file's own checks."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from crm.importing import run_import
from crm.models import CrmImport
from crm.tests.conftest import FIXTURES, fixture_files, table_rows

pytestmark = pytest.mark.django_db

GOOD = FIXTURES / "mapped" / "good"


def test_mapped_export_with_local_formats(company, analytics_url) -> None:  # type: ignore[no-untyped-def]
    result = run_import(source="mapped", paths=fixture_files("mapped", "good"), actor=company.admin,
                        mapping=GOOD / "mapping.toml")

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    deals = {d["opportunity_id"]: d for d in table_rows("opportunities")}
    assert deals["D-1"]["amount"] == Decimal("48500.00")  # "48.500,00"
    assert deals["D-2"]["amount"] == Decimal("7200.50")
    assert deals["D-1"]["is_won"] is True
    assert deals["D-3"]["is_closed"] is True
    assert deals["D-3"]["is_won"] is False
    assert deals["D-2"]["opportunity_type"] == "existing"
    assert str(deals["D-1"]["close_date"]) == "2026-03-27"
    # 03.02.2026 09:15 in Berlin (winter, UTC+1) and 10.09.2026 14:00 (summer, UTC+2)
    assert str(deals["D-1"]["created_at"]).startswith("2026-02-03 08:15:00")
    assert str(deals["D-2"]["created_at"]).startswith("2026-09-10 12:00:00")
    activities = {a["activity_id"]: a for a in table_rows("activities")}
    assert activities["A-1"]["activity_type"] == "call"
    assert activities["A-1"]["duration_minutes"] == 12.5
    assert activities["A-4"]["outcome"] == "no_answer"
    accounts = {a["account_id"]: a for a in table_rows("accounts")}
    assert accounts["C-1"]["employees"] == 1250
    users = {u["user_id"]: u for u in table_rows("crm_users")}
    assert users["r-100"]["person_employee_id"] == company.sam.employee_id
    assert users["r-300"]["is_active"] is False

    again = run_import(source="mapped", paths=fixture_files("mapped", "good"), actor=None,
                       mapping=GOOD / "mapping.toml")
    assert again.total_changed == 0


def _copy(tmp_path: Path, mapping: str) -> tuple[list[Path], Path]:
    for path in fixture_files("mapped", "good"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "mapping.toml").write_text(mapping)
    return sorted(tmp_path.glob("*.csv")), tmp_path / "mapping.toml"


def test_mapping_file_mistakes_are_named(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files, mapping = _copy(tmp_path, '''
[format]
timezone = "Mars/Olympus"
date_format = "%d.%m.%Q"

[stages]
"Gewonnen" = "closed"

[tables.deals]
file = "deals.csv"
columns = { id = "Deal" }

[tables.opportunities]
file = "deals.csv"
columns = { opportunity_id = "Deal", owner = "Owner", stage = "Phase" }

[tables.activities]
file = "activities.csv"
columns = { activity_id = "ID", owner_user_id = "Owner", occurred_at = "Wann" }
''')

    result = run_import(source="mapped", paths=files, actor=None, mapping=mapping)

    assert result.status == CrmImport.Status.FAILED
    found = {(e["file"], e["column"]) for e in result.errors}
    assert ("mapping.toml", "format.timezone") in found
    assert ("mapping.toml", "format.date_format") in found
    assert ("mapping.toml", "stages.Gewonnen") in found
    assert ("mapping.toml", "tables.deals") in found
    assert ("mapping.toml", "tables.opportunities.columns.owner") in found
    assert ("mapping.toml", "tables.opportunities.columns.owner_user_id") in found
    assert ("mapping.toml", "tables.activities.columns.activity_type") in found
    messages = " ".join(e["message"] for e in result.errors)
    assert "is not a table" in messages
    assert "is required for activities but not mapped" in messages


def test_bad_values_and_unknown_stages_in_mapped_files(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files, mapping = _copy(tmp_path, (GOOD / "mapping.toml").read_text())
    deals = tmp_path / "deals.csv"
    deals.write_text(deals.read_text().replace("27.03.2026", "2026-03-27").replace("Angebot", "Pausiert"))

    result = run_import(source="mapped", paths=files, actor=None, mapping=mapping)

    assert result.status == CrmImport.Status.FAILED
    found = {(e["file"], e["row"], e["column"], e["value"]) for e in result.errors}
    assert ("deals.csv", 3, "Phase", "Pausiert") in found
    assert result.errors[0]["message"].startswith("is a stage the mapping file")


def test_bad_dates_in_mapped_files(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files, mapping = _copy(tmp_path, (GOOD / "mapping.toml").read_text())
    deals = tmp_path / "deals.csv"
    deals.write_text(deals.read_text().replace("27.03.2026", "2026-03-27").replace("10.09.2026 14:00", "31.13.2026"))

    result = run_import(source="mapped", paths=files, actor=None, mapping=mapping)

    assert result.status == CrmImport.Status.FAILED
    found = {(e["file"], e["row"], e["column"], e["value"]) for e in result.errors}
    assert found == {("deals.csv", 2, "Expected close", "2026-03-27"), ("deals.csv", 3, "Opened", "31.13.2026")}
