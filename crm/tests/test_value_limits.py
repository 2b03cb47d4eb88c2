"""Values that parse but cannot be true are refused like any bad value (security issue 10): time-zone offsets
beyond +-14:00, call and event durations beyond a day / 14 days, numbers of 10^15 or more (and not-a-number,
infinity), text longer than 10,000 characters. Each names its file, row and column; nothing is written and no
staging table is left."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from crm import store
from crm.importing import run_import
from crm.models import CrmImport
from crm.tests.conftest import FIXTURES, store_counts

pytestmark = pytest.mark.django_db

MEGABYTE_TEXT = "x" * (1 << 20)


def _export(tmp_path: Path, source: str, folder: str, file: str, row: int, column: str, value: str) -> list[Path]:
    """A copy of a fixture export with one value replaced (`row` counts data rows from 1, as in the file
    after its header)."""
    target = tmp_path / "export"
    shutil.copytree(FIXTURES / source / folder, target)
    _set(target / file, row, column, value)
    return sorted(target.glob("*.csv"))


def _set(path: Path, row: int, column: str, value: str) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    rows[row][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)


def _refused(source: str, paths: list[Path], file: str, row: int, column: str) -> str:
    """Import the files, assert they are refused for exactly that value and nothing changed; the message."""
    before = store_counts()
    result = run_import(source=source, paths=paths, actor=None)
    assert result.status == CrmImport.Status.FAILED
    assert "unexpected" not in result.failure_message
    assert [(e["file"], e["row"], e["column"]) for e in result.errors] == [(file, row + 1, column)], result.errors
    assert store_counts() == before
    with store.session() as con:
        assert not [t for t in con.list_tables() if t.startswith(store.STAGING_PREFIX)]
    return str(result.errors[0]["message"])


def _accepted(source: str, paths: list[Path]) -> CrmImport:
    result = run_import(source=source, paths=paths, actor=None)
    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    return result


# --- the named examples ----------------------------------------------------------------------------------------

OFFSET = "time-zone offset beyond +-14:00"
TOO_LARGE = "too large: numbers must be less than 1,000,000,000,000,000 in size"
TOO_LONG = "is longer than 10,000 characters, the most a text value may have"


@pytest.mark.parametrize(("source", "folder", "file", "row", "column", "value", "message"), [
    pytest.param("salesforce", "good", "Task.csv", 1, "CompletedDateTime", "2026-01-15T10:12:00.000+99:00", OFFSET,
                 id="salesforce-offset-+99:00"),
    pytest.param("hubspot", "labels", "calls.csv", 1, "Activity date", "2026-01-10 10:00-99:00", OFFSET,
                 id="hubspot-offset--99:00"),
    pytest.param("salesforce", "good", "Task.csv", 1, "CallDurationInSeconds", "1E+20", TOO_LARGE,
                 id="salesforce-call-duration-1E+20"),
    pytest.param("hubspot", "labels", "calls.csv", 1, "Call duration", "1E+20", TOO_LARGE,
                 id="hubspot-call-duration-1E+20"),
    pytest.param("salesforce", "good", "Account.csv", 2, "Name", MEGABYTE_TEXT, TOO_LONG,
                 id="salesforce-text-of-1-MB"),
    pytest.param("hubspot", "labels", "deals.csv", 1, "Deal Name", MEGABYTE_TEXT, TOO_LONG,
                 id="hubspot-text-of-1-MB"),
    pytest.param("salesforce", "good", "Event.csv", 3, "EndDateTime", "2025-01-01T00:00:00.000Z",
                 "is before the event's start or more than 14 days after it",
                 id="salesforce-event-ends-before-it-starts"),  # Evt03's length comes from its start and end
    pytest.param("hubspot", "labels", "meetings.csv", 1, "Meeting end time", "2026-01-20 13:00",
                 "is before the meeting's start or more than 14 days after it",
                 id="hubspot-meeting-ends-before-it-starts"),
])
def test_a_value_that_cannot_be_true_refuses_the_file_by_row_and_column(  # type: ignore[no-untyped-def]
    company, analytics_url, tmp_path, source, folder, file, row, column, value, message
) -> None:
    paths = _export(tmp_path, source, folder, file, row, column, value)
    assert message in _refused(source, paths, file, row, column)


# --- the general rules -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "ok"), [
    ("2026-01-15T10:12:00.000+14:00", True), ("2026-01-15T10:12:00-12:00", True), ("2026-01-15T10:12:00+0530", True),
    ("2026-01-15T10:12:00+14:30", False), ("2026-01-15T10:12:00-15:00", False), ("2026-01-15T10:12:00+05:75", False),
    ("2026-01-15T10:12:00+1500", False),
])
def test_offsets_are_accepted_up_to_14_hours_either_way(company, analytics_url, tmp_path, value, ok) -> None:  # type: ignore[no-untyped-def]
    paths = _export(tmp_path, "salesforce", "good", "Task.csv", 1, "CompletedDateTime", value)
    if ok:
        _accepted("salesforce", paths)
    else:
        _refused("salesforce", paths, "Task.csv", 1, "CompletedDateTime")


@pytest.mark.parametrize(("file", "column", "value", "message"), [
    ("Opportunity.csv", "Amount", "1000000000000000", "too large"),
    ("Opportunity.csv", "Amount", "-1000000000000000.00", "too large"),
    ("OpportunityHistory.csv", "Probability", "inf", ""),
    ("OpportunityHistory.csv", "Probability", "NaN", ""),
    ("OpportunityHistory.csv", "Probability", "-1e15", "too large"),
    ("OpportunityHistory.csv", "Probability", "1e400", ""),
    ("Account.csv", "NumberOfEmployees", "1000000000000000", "too large"),
    ("OpportunityLineItem.csv", "Quantity", "12" + "0" * 400, ""),
    ("Task.csv", "CallDurationInSeconds", "86401", "from 0 to 86,400 seconds"),
    ("Task.csv", "CallDurationInSeconds", "-1", "from 0 to 86,400 seconds"),
    ("Event.csv", "DurationInMinutes", "20161", "from 0 to 20,160 minutes"),
])
def test_numbers_must_be_finite_under_10_to_the_15_and_durations_within_their_bounds(  # type: ignore[no-untyped-def]
    company, analytics_url, tmp_path, file, column, value, message
) -> None:
    paths = _export(tmp_path, "salesforce", "good", file, 1, column, value)
    assert message in _refused("salesforce", paths, file, 1, column)


def test_the_largest_accepted_values_import(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = _export(tmp_path, "salesforce", "good", "Task.csv", 1, "CallDurationInSeconds", "86400")
    _set(paths[0].parent / "Account.csv", 1, "Name", "y" * 10_000)
    _set(paths[0].parent / "Account.csv", 1, "AnnualRevenue", "999999999999999.99")
    _set(paths[0].parent / "Event.csv", 1, "DurationInMinutes", "20160")
    _accepted("salesforce", paths)


def test_a_long_list_of_associated_ids_is_not_limited(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = ";".join(["9001", *(str(100000 + i) for i in range(3000))])
    _accepted("hubspot", _export(tmp_path, "hubspot", "labels", "deals.csv", 1, "Associated Company IDs", ids))
