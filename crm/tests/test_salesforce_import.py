"""The Salesforce importer end to end, on every engine: real Data Loader files in, canonical tables out."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from crm import store
from crm.importing import run_import, salesforce
from crm.importing.fields import Fields
from crm.importing.pipeline import Pipeline
from crm.models import CrmImport
from crm.tests.conftest import FIXTURES, fixture_files, store_counts, table_rows, write_csv
from demo.generator.formatting import salesforce_checksum

pytestmark = pytest.mark.django_db

SAM = "0055g00000SaMm1AAF"
PAT = "0055g00000PaTt1AAF"


def _import(company, files, **kw) -> CrmImport:  # type: ignore[no-untyped-def]
    return run_import(source="salesforce", paths=files, actor=company.admin, **kw)


def test_salesforce_export_lands_in_the_canonical_tables(company, analytics_url) -> None:  # type: ignore[no-untyped-def]
    result = _import(company, fixture_files("salesforce", "good"))

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    assert result.engine in ("duckdb", "postgres")
    assert {t: c["inserted"] for t, c in result.counts.items()} == {
        "crm_users": 6, "accounts": 3, "contacts": 3, "opportunities": 4, "opportunity_stage_history": 7,
        "opportunity_line_items": 2, "activities": 5, "quotas": 3, "account_ownership": 3,
    }
    # Deleted records (Export All) and invitees' copies of events are skipped, and the import says so.
    assert any("Opportunity.csv: 1 row(s) skipped (deleted records)" in w for w in result.warnings)
    assert any("Event.csv: 1 row(s) skipped" in w for w in result.warnings)

    users = {u["user_id"]: u for u in table_rows("crm_users")}
    # Linked by email, case-insensitively ("Nora@Acme.example" in the export).
    assert users["0055g00000NoRa1AAF"]["person_employee_id"] == company.nora.employee_id
    assert users[SAM]["person_employee_id"] == company.sam.employee_id
    assert users[SAM]["role_name"] == "Account Executive"
    assert users[SAM]["manager_user_id"] == "0055g00000NoRa1AAF"
    assert users[PAT]["person_employee_id"] is None
    assert result.link_summary["email"] == 5
    assert [o["user_id"] for o in result.unmatched_owners] == [PAT]
    assert result.unmatched_owners[0]["opportunities"] == 1

    opps = {o["opportunity_id"]: o for o in table_rows("opportunities")}
    won = opps["0065g00000Opp01AAB"]
    assert won["amount"] == Decimal("120000.00")
    assert won["is_won"] is True or won["is_won"] == 1
    assert won["opportunity_type"] == "new"
    assert won["forecast_category"] == "closed"
    assert opps["0065g00000Opp02AAB"]["forecast_category"] == "commit"
    assert opps["0065g00000Opp02AAB"]["opportunity_type"] == "existing"
    assert str(won["close_date"])[:10] == "2026-03-28"

    activities = {a["activity_id"]: a for a in table_rows("activities")}
    call = activities["00T5g00000Tsk01EAB"]
    assert call["activity_type"] == "call"
    assert call["duration_minutes"] == 9.0
    assert call["outcome"] == "connected"
    assert call["direction"] == "outbound"
    assert call["opportunity_id"] == "0065g00000Opp01AAB"
    assert str(call["occurred_at"]).startswith("2026-01-15 10:12:00")
    # A 15-character OwnerId (as in reports) is normalised to the 18-character id of User.csv.
    assert activities["00T5g00000Tsk02EAB"]["owner_user_id"] == SAM
    # A WhoId that is a Lead (00Q) is not a contact; the voicemail disposition becomes an outcome.
    assert activities["00T5g00000Tsk03EAB"]["contact_id"] is None
    assert activities["00T5g00000Tsk03EAB"]["outcome"] == "voicemail"
    assert activities["00U5g00000Evt03EAB"]["duration_minutes"] == 45.0  # from Start/EndDateTime
    assert "00U5g00000Evt02EAB" not in activities  # IsChild
    assert "00T5g00000Tsk05EAB" not in activities  # IsDeleted
    assert "00T5g00000Tsk04EAB" not in activities  # Not Started: a plan, not an activity

    quotas = table_rows("quotas")
    assert {str(q["period_end"])[:10] for q in quotas} == {"2026-03-31"}
    # Salesforce quotas never carry an end date: with one quota per owner, each is taken to be a quarter long, and
    # a note (not a warning) says how ends were read (crm/tests/test_salesforce_quotas.py has the other spacings).
    assert result.notes == ["ForecastingQuota.csv has no EndDate and there is no Period.csv: each quota runs to the "
                            "day before its owner's next one, the last one as long as the owner's usual spacing (one "
                            "quarter for 3 owners with no regular spacing)."]
    assert not any("quarter" in w for w in result.warnings)
    with store.session() as con:
        assert not [t for t in con.list_tables() if t.startswith(store.STAGING_PREFIX)]


def test_reimporting_the_same_export_changes_nothing(company, analytics_url) -> None:  # type: ignore[no-untyped-def]
    files = fixture_files("salesforce", "good")
    assert _import(company, files).status == CrmImport.Status.SUCCEEDED
    before = store_counts()

    again = _import(company, files)

    assert again.status == CrmImport.Status.SUCCEEDED
    assert again.total_changed == 0
    assert all(c["unchanged"] == c["rows"] for c in again.counts.values())
    assert store_counts() == before


def _edit(path: Path, row_id: str, **changes: str) -> None:
    rows = list(csv.reader(path.open(newline="")))
    header = rows[0]
    for row in rows[1:]:
        if row[0] == row_id:
            for column, value in changes.items():
                row[header.index(column)] = value
    with path.open("w", newline="") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)


def test_a_later_larger_export_updates_and_adds_by_source_id(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _import(company, fixture_files("salesforce", "good")).status == CrmImport.Status.SUCCEEDED
    later = tmp_path / "later"
    shutil.copytree(FIXTURES / "salesforce" / "good", later)
    opps = later / "Opportunity.csv"
    _edit(opps, "0065g00000Opp02AAB", StageName="Closed Won", IsClosed="true", IsWon="true",
          ForecastCategoryName="Closed")
    with opps.open("a", newline="") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(
            ["0065g00000Opp06AAB", "0015g00000Acc03AAB", SAM, "Initech - phase 2", "Prospecting", "9000", "10",
             "900", "2027-03-31", "false", "false", "Pipeline", "Pipeline", "New Business", "", "",
             "2026-11-01T09:00:00.000Z", "2026-11-01T09:00:00.000Z", "2027", "1", "false", "false"])

    result = _import(company, sorted(later.glob("*.csv")))

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors
    assert result.counts["opportunities"] == {"rows": 5, "inserted": 1, "updated": 1, "unchanged": 3}
    assert result.counts["activities"]["unchanged"] == 5
    opps_now = {o["opportunity_id"]: o for o in table_rows("opportunities")}
    assert len(opps_now) == 5
    assert opps_now["0065g00000Opp02AAB"]["stage"] == "Closed Won"


def test_a_broken_export_changes_nothing_and_says_exactly_what_is_wrong(company, analytics_url) -> None:  # type: ignore[no-untyped-def]
    assert _import(company, fixture_files("salesforce", "good")).status == CrmImport.Status.SUCCEEDED
    before = store_counts()
    opportunities_before = sorted(table_rows("opportunities"), key=lambda o: o["opportunity_id"])

    result = _import(company, fixture_files("salesforce", "broken"))

    assert result.status == CrmImport.Status.FAILED
    assert "nothing was changed" in result.failure_message
    found = {(e["file"], e["row"], e["column"], e["value"]) for e in result.errors}
    assert ("Opportunity.csv", 2, "Amount", "120,000.00") in found
    assert ("Opportunity.csv", 3, "CloseDate", "15/12/2026") in found
    assert ("Opportunity.csv", 4, "IsWon", "yes") in found
    assert ("Opportunity.csv", 5, "OwnerId", "0055g00000PaT") in found
    assert ("Account.csv", 3, "Id", "0015g00000Acc02AAB") in found
    assert ("Account.csv", 5, "Id", "0015g00000Acc02AAB") in found
    assert ("OpportunityHistory.csv", 8, "OpportunityId", "0065g00000Zzz99AAA") in found
    messages = {e["message"] for e in result.errors}
    assert any("duplicate" in m for m in messages)
    assert result.error_count == len(result.errors) == 7
    assert store_counts() == before
    assert sorted(table_rows("opportunities"), key=lambda o: o["opportunity_id"]) == opportunities_before
    with store.session() as con:
        assert not [t for t in con.list_tables() if t.startswith(store.STAGING_PREFIX)]


def test_unreadable_and_unknown_files_are_named(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "Opportunity.csv"
    broken.write_text('"Id","OwnerId","StageName","IsClosed","IsWon"\n"0065g00000Opp01AAB","x","Open\n')
    other = tmp_path / "Leads.csv"
    other.write_text('"Id","Company"\n"00Q5g00000Led01AAA","Initech"\n')
    empty = tmp_path / "Task.csv"
    empty.write_text("")
    missing = tmp_path / "Event.csv"
    missing.write_text('"Id","Subject"\n"00U5g00000Evt01AAA","Lunch"\n')

    result = _import(company, [broken, other, empty, missing])

    assert result.status == CrmImport.Status.FAILED
    by_file = {e["file"]: e for e in result.errors}
    assert by_file["Opportunity.csv"]["row"] == 2
    assert by_file["Opportunity.csv"]["message"].startswith("is not a well-formed CSV file: a quoted value starts")
    assert "Leads.csv" not in by_file  # a file of no known object is not read, and is no error
    assert any(w.startswith("Leads.csv was not read: it is not a Salesforce export") for w in result.warnings)
    assert "empty" in by_file["Task.csv"]["message"]
    event_columns = {e["column"] for e in result.errors if e["file"] == "Event.csv"}
    assert event_columns == {"OwnerId", "StartDateTime or ActivityDateTime or ActivityDate"}
    assert "required column" in by_file["Event.csv"]["message"]


def test_a_file_of_no_salesforce_object_in_the_export_folder_is_listed_as_not_read(company, duckdb_url,
                                                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "salesforce" / "good", export)
    (export / "hr_roster.csv").write_text("employee_id,first_name,last_name,email,department\n"
                                          "E1,Sam,Acme,sam@acme.example,Sales\n")
    (export / "hubspot_deals.csv").write_text("Record ID,Deal Name,Deal Stage\n1,Big,closedwon\n")

    result = _import(company, sorted(export.glob("*.csv")))

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors
    assert result.counts["opportunities"]["inserted"] == 4
    assert "hr_roster.csv" not in result.file_counts
    assert [w for w in result.warnings if "was not read" in w] == [
        "hr_roster.csv was not read: it is not a Salesforce export this importer knows (name the file after its "
        "object, e.g. Opportunity.csv; expected objects: Account, AccountHistory, Contact, Event, ForecastingQuota, "
        "Opportunity, OpportunityHistory, OpportunityLineItem, Period, Task, User, UserRole).",
        "hubspot_deals.csv was not read: it looks like a HubSpot export: import it with HubSpot as the source.",
    ]


def test_account_history_gives_ownership_over_time(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "salesforce" / "good", export)
    sara = "0055g00000SaRa1AAF"
    rows = [
        ["Id", "AccountId", "Field", "DataType", "OldValue", "NewValue", "CreatedDate", "CreatedById", "IsDeleted"],
        ["0175g00000Ahi01AAA", "0015g00000Acc01AAB", "Owner", "EntityId", SAM, sara, "2025-06-01T09:00:00.000Z",
         SAM, "false"],
        ["0175g00000Ahi02AAA", "0015g00000Acc01AAB", "Owner", "Text", "Sam Acme", "Sara Acme",
         "2025-06-01T09:00:00.000Z", SAM, "false"],
        ["0175g00000Ahi03AAA", "0015g00000Acc01AAB", "Name", "Text", "Globex", "Globex Holdings",
         "2024-02-01T09:00:00.000Z", SAM, "false"],
    ]
    with (export / "AccountHistory.csv").open("w", newline="") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)

    result = _import(company, sorted(export.glob("*.csv")))

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    ownership = sorted(
        ((o["account_id"], str(o["valid_from"])[:10], o["owner_user_id"], str(o["valid_to"])[:10])
         for o in table_rows("account_ownership")),
    )
    assert ownership == [
        ("0015g00000Acc01AAB", "2023-01-10", SAM, "2025-06-01"),
        ("0015g00000Acc01AAB", "2025-06-01", sara, "None"),
        ("0015g00000Acc02AAB", "2023-02-10", SAM, "None"),
        ("0015g00000Acc03AAB", "2024-06-01", "0055g00000SiDd1AAF", "None"),
    ]


def _role_export(folder: Path, roles: int) -> list[str]:
    """User.csv and UserRole.csv with `roles` roles; returns the roles' 18-character ids."""
    folder.mkdir()
    ids = [salesforce_checksum(f"00E5g0000R{n:05d}") for n in range(roles)]
    write_csv(folder / "UserRole.csv", [["Id", "Name", "DeveloperName", "ParentRoleId"],
                                        *([role, f"Role {n}", f"Role_{n}", ""] for n, role in enumerate(ids))])
    last = ids[-1]
    write_csv(folder / "User.csv", [
        ["Id", "Name", "Email", "IsActive", "UserRoleId", "UserRole.Name"],
        ["0055g00000UsR01AAF", "By id", "one@acme.example", "true", last[:15], ""],  # the 15-character form
        ["0055g00000UsR02AAF", "Named", "two@acme.example", "true", ids[0], "Named in User.csv"],
        ["0055g00000UsR03AAF", "Unknown role", "three@acme.example", "true", "00E5g0000X99999", ""],
        ["0055g00000UsR04AAF", "No role", "four@acme.example", "true", "", ""],
    ])
    return ids


def test_role_names_come_by_id_from_thousands_of_roles(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _role_export(tmp_path / "export", 5000)

    result = _import(company, sorted((tmp_path / "export").glob("*.csv")))

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    assert result.counts["crm_users"]["inserted"] == 4
    roles = {u["user_id"]: u["role_name"] for u in table_rows("crm_users")}
    assert roles == {
        "0055g00000UsR01AAF": "Role 4999",
        "0055g00000UsR02AAF": "Named in User.csv",  # the users file's own role name wins
        "0055g00000UsR03AAF": None,  # a role UserRole.csv does not list
        "0055g00000UsR04AAF": None,
    }


def test_the_users_query_does_not_grow_with_the_roles(duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A CASE branch per role took 25 s and a gigabyte of memory to plan at 4,514 roles; a join stays one clause.
    def users_sql(roles: int) -> str:
        _role_export(tmp_path / str(roles), roles)
        with store.session() as con, Pipeline(con, "roles") as pipeline:
            salesforce.plan(pipeline, sorted((tmp_path / str(roles)).glob("*.csv")))
            [part] = [p for p in pipeline.parts if p.table == "crm_users"]
            built = part.build(Fields(part.raw, part.raw.table, pipeline.engine))
            return store.sql_of(con, part.raw.table.select(**built.values))

    many = users_sql(3000)
    assert "Role 2999" not in many
    assert len(many) == len(users_sql(3))


def test_quotas_with_an_end_date_keep_it_and_need_no_note(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "salesforce" / "good", export)
    quotas = export / "ForecastingQuota.csv"
    rows = list(csv.reader(quotas.open(newline="")))
    write_csv(quotas, [[*rows[0], "EndDate"], *([*row, "2026-01-31"] for row in rows[1:])])

    result = _import(company, sorted(export.glob("*.csv")))

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    assert result.notes == []
    assert {str(q["period_end"])[:10] for q in table_rows("quotas")} == {"2026-01-31"}


@pytest.mark.parametrize("file_name", ["Contact.csv", "ForecastingQuota.csv"])
def test_bytes_that_are_not_utf8_inside_a_quoted_value_refuse_the_file_by_line_and_clean_up(  # type: ignore[no-untyped-def]
    company, analytics_url, tmp_path, file_name
) -> None:
    assert _import(company, fixture_files("salesforce", "good")).status == CrmImport.Status.SUCCEEDED
    before = store_counts()
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "salesforce" / "good", folder)
    target = folder / file_name
    lines = target.read_bytes().split(b"\n")
    first_quote = lines[2].index(b'"')
    lines[2] = lines[2][: first_quote + 1] + b"\xff\xfe\xc3\x28" + lines[2][first_quote + 1 :]
    target.write_bytes(b"\n".join(lines))

    result = _import(company, sorted(folder.iterdir()))

    assert result.status == CrmImport.Status.FAILED
    errors = [e for e in result.errors if e["file"] == file_name]
    assert errors, result.errors
    assert errors[0]["row"] == 3
    assert "not UTF-8" in errors[0]["message"]
    assert "unexpected" not in result.failure_message
    assert store_counts() == before
    with store.session() as con:
        assert not [t for t in con.list_tables() if t.startswith(store.STAGING_PREFIX)]
