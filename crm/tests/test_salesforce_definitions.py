"""What the Salesforce importer makes of a record's meaning, on a hand-made export whose right answer is worked out
here: which opportunities are new or existing business, and which tasks are activities."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from crm.importing import run_import
from crm.models import CrmImport
from crm.tests.conftest import FIXTURES, table_rows, write_csv

pytestmark = pytest.mark.django_db


def _rewrite(path: Path, column: str, values: dict[str, str]) -> None:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    at = rows[0].index(column)
    for row in rows[1:]:
        if row[0] in values:
            row[at] = values[row[0]]
    write_csv(path, rows)


def _export(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "salesforce" / "good", export)
    return export


@pytest.mark.parametrize(("picklist", "expected"), [
    ("New Business", "new"), ("New Customer", "new"), ("Renewal", "existing"), ("Contract Renewal", "existing"),
    ("Existing Customer - Upgrade", "existing"), ("Existing Customer - Replacement", "existing"),
    ("Upsell", "existing"), ("", None),
])
def test_renewals_are_existing_business_not_new(company, duckdb_url, tmp_path, picklist, expected) -> None:  # type: ignore[no-untyped-def]
    export = _export(tmp_path)
    _rewrite(export / "Opportunity.csv", "Type", {"0065g00000Opp01AAB": picklist})
    result = run_import(source="salesforce", paths=sorted(export.glob("*.csv")), actor=company.admin)
    assert result.status == CrmImport.Status.SUCCEEDED, result.errors
    opportunity = next(o for o in table_rows("opportunities") if o["opportunity_id"] == "0065g00000Opp01AAB")
    assert opportunity["opportunity_type"] == expected


def test_only_completed_tasks_are_activities(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    export = _export(tmp_path)
    # Tsk01 is a completed call; Tsk02 an email marked done only by its Status (IsClosed left empty); Tsk03 a call
    # reopened (IsClosed false even though Status still says Completed); Tsk04 "Not Started".
    _rewrite(export / "Task.csv", "IsClosed", {"00T5g00000Tsk02EAB": "", "00T5g00000Tsk03EAB": "false"})
    result = run_import(source="salesforce", paths=sorted(export.glob("*.csv")), actor=company.admin)
    assert result.status == CrmImport.Status.SUCCEEDED, result.errors
    tasks = {a["activity_id"] for a in table_rows("activities") if a["activity_id"].startswith("00T")}
    assert tasks == {"00T5g00000Tsk01EAB", "00T5g00000Tsk02EAB"}
    assert any("Task.csv: 3 row(s) skipped (deleted records and tasks not done yet" in w for w in result.warnings)
