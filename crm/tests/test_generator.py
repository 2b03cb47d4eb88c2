# ruff: noqa: S608 - SQL here joins "?" placeholders; values are bound, not formatted in.
"""The CRM generator: deterministic bytes, real Salesforce file shapes, exact sizes, and the planted truth
(drivers per situation, struggling managers, quotas) visible in the generated data."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crm.tests.generator_support import attainment_from_export, balanced_roster, connect, observables
from demo.company import generate_company, write_people_csv, write_truth
from demo.generator import GeneratorConfig, generate_export, roster_from_company_plan, roster_from_people_csv
from demo.generator.formatting import iso_dates, iso_datetimes, salesforce_checksum, salesforce_ids
from demo.generator.model import BEHAVIOURS, DRIVERS, SITUATIONS
from demo.generator.plan import allocate, default_period, quarters_of
from demo.generator.salesforce import FILES

AS_OF = dt.date(2026, 11, 22)
START = dt.date(2025, 7, 1)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def small_company():  # type: ignore[no-untyped-def]
    return generate_company(seed=2, sellers=14, as_of=AS_OF)


@pytest.fixture(scope="module")
def small_export(small_company, tmp_path_factory):  # type: ignore[no-untyped-def]
    config = GeneratorConfig(
        period_start=START, period_end=AS_OF, seed=4, opportunities=1_500, activities=20_000
    )
    return generate_export(roster_from_company_plan(small_company), config, tmp_path_factory.mktemp("small"))


# --- building blocks ----------------------------------------------------------------------------------------


def test_salesforce_ids_carry_the_documented_checksum() -> None:
    keys = np.array([0, 1, 61, 62, 3_844, 123_456_789, (20_000 << 26) + 12_345, 62**9 - 1])
    ids = salesforce_ids(keys, "006").to_pylist()
    short = salesforce_ids(keys, "006", length=15).to_pylist()
    for long_id, short_id in zip(ids, short, strict=True):
        assert len(long_id) == 18
        assert long_id.startswith("0065g0")
        assert salesforce_checksum(short_id) == long_id
    assert len(set(ids)) == len(ids)
    # Salesforce's own documented example: 001A0000006Vm9r -> 001A0000006Vm9rIAC.
    assert salesforce_checksum("001A0000006Vm9r") == "001A0000006Vm9rIAC"


def test_dates_and_times_format_like_data_loader() -> None:
    seconds = np.array([0, 1_488_377_100, 1_709_251_199, 4_102_444_800])
    assert iso_datetimes(seconds).to_pylist() == [
        "1970-01-01T00:00:00.000Z",
        "2017-03-01T14:05:00.000Z",
        "2024-02-29T23:59:59.000Z",
        "2100-01-01T00:00:00.000Z",
    ]
    days = np.array([0, 11_016, 19_782, -1])
    assert iso_dates(days).to_pylist() == [
        (dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in days
    ]


def test_allocate_hits_the_total_exactly_in_proportion() -> None:
    counts = allocate(np.array([0.0, 1.0, 2.0, 3.5, 0.0]), 1_000)
    assert counts.sum() == 1_000
    assert counts[0] == counts[4] == 0
    assert abs(counts[3] / counts[1] - 3.5) < 0.01


def test_default_period_runs_from_five_quarters_back_to_as_of() -> None:
    start, end = default_period(AS_OF)
    assert (start, end) == (dt.date(2025, 7, 1), AS_OF)
    quarters = quarters_of(start, end)
    assert quarters[0].start_date == START
    assert len(quarters) == 6
    assert [q.completed for q in quarters] == [True] * 5 + [False]
    assert quarters[3].season > quarters[0].season  # Q4 heavier than Q3


# --- determinism --------------------------------------------------------------------------------------------


def test_same_seed_same_bytes_whatever_the_chunk_size(small_company, small_export, tmp_path: Path) -> None:
    roster = roster_from_company_plan(small_company)
    base = dict(period_start=START, period_end=AS_OF, seed=4, opportunities=1_500, activities=20_000)
    one_by_one = generate_export(roster, GeneratorConfig(**base, chunk_sellers=1), tmp_path / "a")
    odd_chunks = generate_export(roster, GeneratorConfig(**base, chunk_sellers=7), tmp_path / "b")

    expected = _digest(small_export.out_dir)
    assert _digest(one_by_one.out_dir) == expected
    assert _digest(odd_chunks.out_dir) == expected


def test_another_seed_gives_another_company(small_company, small_export, tmp_path: Path) -> None:
    other = generate_export(
        roster_from_company_plan(small_company),
        GeneratorConfig(period_start=START, period_end=AS_OF, seed=5, opportunities=1_500, activities=20_000),
        tmp_path / "other",
    )
    assert _digest(other.out_dir)["Opportunity.csv"] != _digest(small_export.out_dir)["Opportunity.csv"]
    assert other.rows["Opportunity.csv"] == 1_500


# --- the files ----------------------------------------------------------------------------------------------

ID_COLUMNS = {
    "User.csv": {"Id": "005", "ManagerId": "005", "UserRoleId": "00E", "ProfileId": "00e"},
    "UserRole.csv": {"Id": "00E", "ParentRoleId": "00E", "ForecastUserId": "005"},
    "Account.csv": {"Id": "001", "OwnerId": "005", "ParentId": "001"},
    "Contact.csv": {"Id": "003", "AccountId": "001", "OwnerId": "005"},
    "Opportunity.csv": {"Id": "006", "AccountId": "001", "OwnerId": "005"},
    "OpportunityHistory.csv": {"Id": "008", "OpportunityId": "006", "CreatedById": "005"},
    "OpportunityLineItem.csv": {
        "Id": "00k",
        "OpportunityId": "006",
        "PricebookEntryId": "01u",
        "Product2Id": "01t",
    },
    "Task.csv": {"Id": "00T", "OwnerId": "005", "WhoId": "003", "AccountId": "001"},
    "Event.csv": {"Id": "00U", "OwnerId": "005", "WhoId": "003", "AccountId": "001"},
    "ForecastingQuota.csv": {"Id": "0J9", "ForecastingTypeId": "0Db", "PeriodId": "026"},
    "Period.csv": {"Id": "026", "FiscalYearSettingsId": "022"},
}
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def test_files_have_data_loader_headers_ids_and_formats(small_export) -> None:
    out = small_export.out_dir
    assert sorted(p.name for p in out.glob("*.csv")) == sorted(FILES)
    tables = {name: _rows(out / name) for name in FILES}
    for name, columns in FILES.items():
        assert (out / name).read_text(encoding="utf-8").splitlines()[0] == ",".join(f'"{c}"' for c in columns)
        assert len(tables[name]) == small_export.rows[name]
    for name, columns in ID_COLUMNS.items():
        for column, prefix in columns.items():
            values = [r[column] for r in tables[name] if r[column]]
            assert values or column == "ParentId", (name, column)
            for value in values:
                assert len(value) == 18, (name, column, value)
                assert value.startswith(prefix), (name, column, value)
                assert salesforce_checksum(value[:15]) == value, (name, column, value)
    ids = {name: {r["Id"] for r in rows} for name, rows in tables.items() if name != "ForecastingQuota.csv"}
    assert {r["OwnerId"] for r in tables["Opportunity.csv"]} <= ids["User.csv"]
    assert {r["AccountId"] for r in tables["Opportunity.csv"]} <= ids["Account.csv"]
    assert {r["OpportunityId"] for r in tables["OpportunityHistory.csv"]} <= ids["Opportunity.csv"]
    for activity in ("Task.csv", "Event.csv"):
        assert {r["WhoId"] for r in tables[activity]} <= ids["Contact.csv"]
        assert {r["WhatId"] for r in tables[activity]} <= ids["Opportunity.csv"] | ids["Account.csv"]
    # Quota owners are written in the 15-character form; their checksum form is a user.
    owners = {r["QuotaOwnerId"] for r in tables["ForecastingQuota.csv"]}
    assert all(len(o) == 15 for o in owners)
    assert {salesforce_checksum(o) for o in owners} <= ids["User.csv"]
    # Each quota names its quarter in Period.csv, which also has the years and months, as an org's export does.
    periods = {r["Id"]: r for r in tables["Period.csv"]}
    for quota in tables["ForecastingQuota.csv"]:
        assert (periods[quota["PeriodId"]]["Type"], periods[quota["PeriodId"]]["StartDate"]) == (
            "Quarter", quota["StartDate"])
    assert {r["Type"] for r in tables["Period.csv"]} == {"Year", "Quarter", "Month"}
    for row in tables["Opportunity.csv"]:
        assert DATETIME.match(row["CreatedDate"])
        assert DATE.match(row["CloseDate"])
        assert row["IsClosed"] in ("true", "false")
        assert row["IsWon"] in ("true", "false")
        assert row["Type"] in ("New Business", "Existing Business")
        assert (row["StageName"] in ("Closed Won", "Closed Lost")) == (row["IsClosed"] == "true")
        assert (row["StageName"] == "Closed Won") == (row["IsWon"] == "true")
    assert {r["TaskSubtype"] for r in tables["Task.csv"]} == {"Call", "Email", "Task"}
    calls = [r for r in tables["Task.csv"] if r["TaskSubtype"] == "Call"]
    assert all(r["CallDurationInSeconds"].isdigit() and r["CallDisposition"] for r in calls)
    assert all(r["DurationInMinutes"] in ("30", "45", "60", "90") for r in tables["Event.csv"])
    # Line items add up to the opportunity's amount.
    totals: dict[str, float] = {}
    for item in tables["OpportunityLineItem.csv"]:
        totals[item["OpportunityId"]] = totals.get(item["OpportunityId"], 0) + float(item["TotalPrice"])
        assert math.isclose(float(item["UnitPrice"]) * float(item["Quantity"]), float(item["TotalPrice"]))
    assert all(math.isclose(totals[o["Id"]], float(o["Amount"])) for o in tables["Opportunity.csv"])


def test_sizes_are_exact_and_crm_only_users_are_in_the_export(small_export) -> None:
    rows = small_export.rows
    assert rows["Opportunity.csv"] == 1_500
    assert rows["Task.csv"] + rows["Event.csv"] == 20_000
    users = {u["Id"]: u for u in _rows(small_export.out_dir / "User.csv")}
    crm_only = small_export.truth["crm_only_users"]
    assert sorted(u["kind"] for u in crm_only) == ["automation", "ex_employee", "integration"]
    for user in crm_only:
        assert users[user["crm_user_id"]]["EmployeeNumber"] == ""
    former = next(u for u in crm_only if u["kind"] == "ex_employee")
    assert users[former["crm_user_id"]]["IsActive"] == "false"
    owned = [
        o for o in _rows(small_export.out_dir / "Opportunity.csv") if o["OwnerId"] == former["crm_user_id"]
    ]
    left = START + dt.timedelta(days=40)
    assert owned
    assert all(dt.date.fromisoformat(o["CreatedDate"][:10]) < left for o in owned)


def test_every_seller_has_quarterly_quotas_for_each_quarter_they_work(small_export) -> None:
    truth = small_export.truth
    quotas: dict[str, list[str]] = {}
    for row in _rows(small_export.out_dir / "ForecastingQuota.csv"):
        quotas.setdefault(salesforce_checksum(row["QuotaOwnerId"]), []).append(row["StartDate"])
        assert float(row["QuotaAmount"]) > 0
    quarters = quarters_of(START, AS_OF)
    for seller in truth["sellers"].values():
        first, last = dt.date.fromisoformat(seller["active_from"]), dt.date.fromisoformat(seller["active_to"])
        if last < first:  # left before the period
            assert seller["crm_user_id"] not in quotas
            continue
        expected = [
            q.start_date.isoformat() for q in quarters if q.start_date <= last and q.last_date >= first
        ]
        assert quotas[seller["crm_user_id"]] == expected, seller


def test_people_csv_roster_gives_the_same_export_as_the_plan(
    small_company, small_export, tmp_path: Path
) -> None:
    csv_path = write_people_csv(small_company, tmp_path / "people.csv")
    write_truth(small_company, tmp_path / "people_truth.json")
    from demo.generator import read_people_truth

    roster = roster_from_people_csv(csv_path, truth=read_people_truth(tmp_path / "people_truth.json"))
    again = generate_export(
        roster,
        GeneratorConfig(period_start=START, period_end=AS_OF, seed=4, opportunities=1_500, activities=20_000),
        tmp_path / "x",
    )
    assert _digest(again.out_dir)["Opportunity.csv"] == _digest(small_export.out_dir)["Opportunity.csv"]
    assert _digest(again.out_dir)["Task.csv"] == _digest(small_export.out_dir)["Task.csv"]


def test_hubspot_export_writes_the_documented_files(small_company, tmp_path: Path) -> None:
    from demo.generator.hubspot import FILES as HUBSPOT_FILES

    export = generate_export(
        roster_from_company_plan(small_company),
        GeneratorConfig(
            period_start=START,
            period_end=AS_OF,
            seed=4,
            opportunities=1_500,
            activities=20_000,
            format="hubspot",
        ),
        tmp_path / "hs",
    )
    for name, columns in HUBSPOT_FILES.items():
        assert (export.out_dir / name).read_text(encoding="utf-8").splitlines()[0] == ",".join(columns)
    deals = _rows(export.out_dir / "deals.csv")
    assert len(deals) == 1_500
    won = [d for d in deals if d["dealstage"] == "closedwon"]
    assert won
    assert all(d["hs_is_closed_won"] == "true" for d in won)
    assert all(d["hs_date_entered_closedwon"] for d in won)
    calls = _rows(export.out_dir / "calls.csv")
    assert all(c["hs_timestamp"].isdigit() for c in calls)  # epoch milliseconds
    assert (export.out_dir / "quotas" / "mapping.toml").exists()


# --- the planted truth --------------------------------------------------------------------------------------

PER_SITUATION = 150


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A balanced sales force (150 established sellers per situation) at about half the natural volume, with
    each seller's observables computed from the export's CSV files."""
    roster = balanced_roster(PER_SITUATION, as_of=AS_OF)
    config = GeneratorConfig(
        period_start=START, period_end=AS_OF, seed=11, opportunities=50_000, activities=1_200_000
    )
    export = generate_export(roster, config, tmp_path_factory.mktemp("planted"))
    con = connect(export.out_dir)
    return {
        "export": export,
        "truth": export.truth,
        "observed": observables(con, export.truth),
        "attainment": attainment_from_export(con, export.truth),
        "con": con,
    }


def _series(planted: dict[str, Any], situation: str, behaviour: str) -> tuple[np.ndarray, ...]:
    truth, observed = planted["truth"], planted["observed"][behaviour]
    metric, skill, attainment = [], [], []
    for employee_id in truth["situations"][situation]["sellers"]:
        seller = truth["sellers"][employee_id]
        if seller["crm_user_id"] in observed and seller["attainment"]:
            metric.append(observed[seller["crm_user_id"]])
            skill.append(seller["skills"][behaviour])
            attainment.append(math.log(seller["attainment"]))
    return np.array(metric), np.array(skill), np.array(attainment)


def test_attainment_in_the_export_is_the_planted_attainment(planted) -> None:
    truth, measured = planted["truth"], planted["attainment"]
    for seller in truth["sellers"].values():
        if seller["attainment"] is not None:
            assert measured[seller["crm_user_id"]] == pytest.approx(seller["attainment"], rel=1e-3)


def test_each_observable_shows_its_skill(planted) -> None:
    for situation in SITUATIONS:
        for behaviour in BEHAVIOURS:
            metric, skill, _ = _series(planted, situation, behaviour)
            assert len(metric) >= PER_SITUATION * 0.9, (situation, behaviour)
            r = np.corrcoef(metric, skill)[0, 1]
            assert r > 0.5, (
                f"{behaviour} in {situation}: the observable follows the skill only weakly ({r:.2f})"
            )


def test_drivers_move_attainment_and_non_drivers_do_not(planted) -> None:
    for situation in SITUATIONS:
        drivers = DRIVERS[situation]
        driver_r = []
        for behaviour in BEHAVIOURS:
            metric, skill, attainment = _series(planted, situation, behaviour)
            r = np.corrcoef(metric, attainment)[0, 1]
            # Nothing but the behaviour's own skill links its observable to attainment (no leakage).
            expected = np.corrcoef(metric, skill)[0, 1] * np.corrcoef(skill, attainment)[0, 1]
            assert abs(r - expected) < 0.15, f"{behaviour} in {situation}: r={r:.2f}, expected {expected:.2f}"
            if behaviour in drivers:
                assert r > 0.1, f"driver {behaviour} in {situation}: r={r:.2f}"
                driver_r.append(r)
            else:
                assert abs(r) < 0.3, f"non-driver {behaviour} in {situation}: r={r:.2f}"
        assert np.mean(driver_r) > 0.3, situation


def test_struggling_managers_leave_their_marks(planted) -> None:
    truth, con = planted["truth"], planted["con"]
    managers = truth["struggling_managers"]
    patterns = {p for m in managers for p in m["patterns"]}
    assert patterns == {"closes_team_deals", "end_of_quarter_spike", "team_turnover"}
    turnover = [m for m in managers if "team_turnover" in m["patterns"]]
    assert [m["voluntary_leavers_last_12_months"] for m in turnover] == [4]
    sellers = truth["sellers"]
    for manager in managers:
        team_users = [sellers[e]["crm_user_id"] for e in manager["team"] if e in sellers]
        placeholders = ", ".join("?" * len(team_users))
        won_by_manager, won_on_team_accounts = con.execute(
            f"""
            select count(*) filter (where o.OwnerId = ?), count(*) from opps o join accounts a on a.Id =
            o.AccountId
            where o.is_won and a.OwnerId in ({placeholders})""",
            [manager["crm_user_id"], *team_users],
        ).fetchone()
        late, wins = con.execute(
            f"""
            select count(*) filter (where date_diff('day', close_date, (date_trunc('quarter', close_date)
                   + interval 3 month)::date) <= 14), count(*)
            from opps where is_won and OwnerId in ({placeholders})""",
            team_users,
        ).fetchone()
        if "closes_team_deals" in manager["patterns"]:
            assert won_by_manager / won_on_team_accounts > 0.2, manager["employee_id"]
        else:
            assert won_by_manager == 0
        if "end_of_quarter_spike" in manager["patterns"]:
            assert late / wins > 0.5, manager["employee_id"]
        else:
            assert late / wins < 0.3, manager["employee_id"]
    # Nobody else closes their team's deals.
    manager_users = {m["crm_user_id"] for m in managers if "closes_team_deals" in m["patterns"]}
    owners = {
        r[0]
        for r in con.execute(
            "select distinct o.OwnerId from opps o join accounts a "
            "on a.Id = o.AccountId where o.OwnerId <> a.OwnerId"
        ).fetchall()
    }
    assert owners == manager_users
