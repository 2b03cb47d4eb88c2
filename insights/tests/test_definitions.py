"""The metric definitions fixed in issue 11, each on a small hand-made export whose right answer is worked out by
hand here: close-date changes, days between touches on open deals (days open per touch), coverage by account
ownership over time, sellers who left, time in seat from the HR hire date, and amounts in several currencies."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insights.analysis.frame import SellerFrame
from insights.analysis.pipeline import currency_notes, select_sellers
from insights.analysis.types import EngineInputs, SellerRecord
from insights.metrics import Period, currency_breakdown, inspect_store, seller_metrics
from insights.tests.crm_builder import CrmBuilder, ts

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), as_of=dt.date(2025, 12, 31))


def metrics(store, builder: CrmBuilder) -> dict[str, dict]:
    con, database = store
    builder.write(con, database=database)
    table, _ = seller_metrics(inspect_store(con, database=database), PERIOD)
    return {r["user_id"]: r for r in table.to_pyarrow().to_pylist()}


def test_close_date_changes_are_counted_in_time_order_without_the_change_at_closing(store):
    b = CrmBuilder()
    b.user("UA", "EA")
    # o1: 1 Mar -> 1 Apr -> 1 Mar -> 1 Apr is three changes (away and back counts each time); closing on 20 May
    # sets the actual date, which is not a change of plan. Distinct dates less one would say 2.
    o1 = b.opportunity("UA", None, amount=100, created="2025-01-01", close="2025-05-20", won=True)
    b.history(o1, "2025-01-01", "Prospecting", close="2025-03-01")
    b.history(o1, "2025-02-01", "Prospecting", close="2025-04-01")
    b.history(o1, "2025-02-15", "Qualification", close="2025-03-01")
    b.history(o1, "2025-02-20", "Qualification")  # a change of stage only: no close date recorded
    b.history(o1, "2025-03-01", "Proposal/Price Quote", close="2025-04-01")
    b.history(o1, "2025-05-20", "Closed Won", close="2025-05-20")
    # o2: the expected date never moved; closing early replaced it. 0 changes (distinct dates less one: 1).
    o2 = b.opportunity("UA", None, amount=100, created="2025-02-01", close="2025-04-10", won=False)
    b.history(o2, "2025-02-01", "Prospecting", close="2025-06-30")
    b.history(o2, "2025-04-10", "Closed Lost", close="2025-04-10")
    # o3: open, moved once.
    o3 = b.opportunity("UA", None, amount=100, created="2025-06-01", close="2026-02-01", won=None)
    b.history(o3, "2025-06-01", "Prospecting", close="2025-12-01")
    b.history(o3, "2025-11-20", "Prospecting", close="2026-02-01")
    a = metrics(store, b)["UA"]
    assert a["close_date_pushes"] == pytest.approx((3 + 0 + 1) / 3)


def test_days_between_touches_are_days_open_per_touch_on_deals_open_two_weeks_or_more(store):
    b = CrmBuilder()
    b.user("UA", "EA")
    b.user("UB", "EB")
    won = b.opportunity("UA", None, amount=100, created="2025-01-01", close="2025-03-01", won=True)
    lost = b.opportunity("UA", None, amount=100, created="2025-04-01", close="2025-06-01", won=False)
    lost_fast = b.opportunity("UA", None, amount=100, created="2025-07-01", close="2025-07-10", won=False)
    still_open = b.opportunity("UA", None, amount=100, created="2025-09-01", close="2026-03-01", won=None)
    from_last_year = b.opportunity("UA", None, amount=100, created="2024-11-01", close="2025-01-31", won=True)
    for day in ("2025-01-10", "2025-01-20", "2025-02-09"):  # won: open 1 Jan to the end of 1 Mar, 60 days
        b.activity("UA", day, opportunity=won)
    b.activity("UA", "2025-03-10", opportunity=won)  # after it closed: not a touch on an open deal
    b.activity("UB", "2025-02-01", opportunity=won)  # not the owner's touch
    for day in ("2025-04-05", "2025-05-05"):  # lost: open 1 Apr to the end of 1 Jun, 62 days
        b.activity("UA", day, opportunity=lost)
    for day in ("2025-07-02", "2025-07-03", "2025-07-04"):  # open 10 days: less than two weeks, left out
        b.activity("UA", day, opportunity=lost_fast)
    for day in ("2025-09-02", "2025-09-12", "2025-09-22", "2025-10-02"):  # open from 1 Sep to the period's end,
        b.activity("UA", day, opportunity=still_open)                       # 122 days
    b.activity("UA", "2024-12-01", opportunity=from_last_year)  # before the period
    b.activity("UA", "2025-01-15", opportunity=from_last_year)  # open in the period 1 to 31 Jan, 31 days
    a = metrics(store, b)["UA"]
    # (60 + 62 + 122 + 31) days open over (3 + 2 + 4 + 1) touches. Averaging each deal's own gaps instead, the
    # deal lost in ten days (1 day between touches) would pull it down: the shorter the deals, the closer the gaps.
    assert a["days_between_touches"] == pytest.approx((60 + 62 + 122 + 31) / (3 + 2 + 4 + 1))
    # UB owns no deal: nothing to measure, not zero.
    assert metrics(store, b)["UB"]["days_between_touches"] is None


def test_coverage_counts_each_account_for_the_quarters_it_was_owned(store):
    b = CrmBuilder()
    b.user("UA", "EA")
    b.user("UB", "EB")
    b.account("UB", "x")  # owned by UA until 1 July, by UB since
    b.account("UA", "y")  # created on 15 May, UA's since
    b.account(None, "z")  # nobody's
    ownership = [("x", "UA", "2020-01-01", "2025-07-01"), ("x", "UB", "2025-07-01", None),
                 ("y", "UA", "2025-05-15", None)]
    for account, owner, start, end in ownership:
        b.rows["account_ownership"].append({"account_id": account, "owner_user_id": owner, "valid_from": ts(start),
                                            "valid_to": ts(end) if end else None})
    b.opportunity("UA", "y", amount=100, created="2025-01-02", close="2026-03-01", won=None)
    b.activity("UA", "2025-02-01", account="x")  # Q1, UA's: counts
    b.activity("UA", "2025-08-01", account="x")  # Q3, UB's by then: not UA's coverage
    b.activity("UA", "2025-06-01", account="y")  # Q2: counts
    b.activity("UB", "2025-01-05", account="z")  # UB in seat from Q1, on an account of nobody's
    b.activity("UB", "2025-11-01", account="x")  # Q4: counts
    rows = metrics(store, b)
    # UA owned x in Q1 and Q2 and y in Q2, Q3 and Q4: 5 account-quarters, 2 touched. (By today's owners alone:
    # y x 4 quarters, 1 touched.)
    assert rows["UA"]["accounts_touched_share"] == pytest.approx(2 / 5)
    # UB owned x in Q3 and Q4 and touched it in Q4.
    assert rows["UB"]["accounts_touched_share"] == pytest.approx(1 / 2)


def _frame(**columns) -> SellerFrame:
    return SellerFrame({k: np.asarray(v, dtype=object if k in ("user_id", "person_employee_id", "first_seen_at")
                                      else float) for k, v in columns.items()})


def test_sellers_who_left_count_for_their_time_in_seat_and_tenure_counts_from_the_hire_date():
    period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), as_of=dt.date(2025, 12, 31))
    frame = _frame(
        user_id=["U1", "U2", "U3", "U4"], person_employee_id=["E1", "E2", "E3", "E4"],
        first_seen_at=[dt.datetime(2025, 10, 1, tzinfo=dt.UTC), dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
                       dt.datetime(2022, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 3, 1, tzinfo=dt.UTC)],
        # active_days as the store counts them: from the first CRM record in the period to its end
        active_days=[92.0, 365.0, 365.0, 365.0], n_created=[3, 10, 2, 4], n_won=[1, 4, 1, 2], n_lost=[0, 2, 0, 1],
        n_open=[1, 1, 0, 0], won_amount=[100.0, 400.0, 50.0, 80.0],
        activities_per_week=[20 / (92 / 7), 100 / (365 / 7), 5 / (365 / 7), 30 / (365 / 7)],
    )
    inputs = EngineInputs(period=period, tasks=[], sellers={
        # hired on 1 July, first CRM record on 1 October: in seat 184 days of the period, not 92
        "E1": SellerRecord(person_id=1, employee_id="E1", manager_id=9, region="", hire_date=dt.date(2025, 7, 1)),
        # left on 1 April: in seat 90 days of the period (1 January to 31 March)
        "E2": SellerRecord(person_id=2, employee_id="E2", manager_id=9, region="", hire_date=dt.date(2022, 1, 1),
                           end_date=dt.date(2025, 4, 1), has_left=True),
        # left before the period began: not in seat during it
        "E3": SellerRecord(person_id=3, employee_id="E3", manager_id=9, region="", hire_date=dt.date(2020, 1, 1),
                           end_date=dt.date(2024, 12, 1), has_left=True),
        # no hire date: in seat since the first CRM record
        "E4": SellerRecord(person_id=4, employee_id="E4", manager_id=9, region="", hire_date=None),
    })
    selected, notes = select_sellers(frame, inputs)
    assert list(selected["user_id"]) == ["U1", "U2", "U4"]
    assert list(selected["seat_days"]) == [184.0, 90.0, 365.0]
    assert list(selected["has_left"]) == [False, True, False]
    assert selected["activities_per_week"][0] == pytest.approx(20 / (184 / 7))
    assert selected["activities_per_week"][1] == pytest.approx(100 / (90 / 7))
    months = 30.4375
    assert selected["tenure_months"][0] == pytest.approx(183 / months)  # 1 Jul to 31 Dec
    assert selected["tenure_months"][1] == pytest.approx((dt.date(2025, 3, 31) - dt.date(2022, 1, 1)).days / months)
    assert selected["tenure_months"][2] == pytest.approx((dt.date(2025, 12, 31) - dt.date(2024, 3, 1)).days / months)
    assert list(selected["seat_start"]) == [dt.date(2025, 7, 1), dt.date(2022, 1, 1), dt.date(2024, 3, 1)]
    assert any("1 seller who left" in n and "get no diagnostic" in n for n in notes)


@pytest.mark.django_db
def test_people_who_left_are_in_the_engine_inputs(company):
    from insights import services

    inputs = services.inputs_build(period=PERIOD)
    lou = inputs.sellers[company.lou.employee_id]
    assert lou.has_left
    assert lou.end_date == company.lou.end_date
    assert not inputs.sellers[company.sam.employee_id].has_left


def test_amounts_in_several_currencies_are_named_and_not_converted(store):
    con, database = store
    b = CrmBuilder()
    b.user("UA", "EA")
    b.user("UB", "EB")
    b.opportunity("UA", None, amount=100, created="2025-02-01", close="2025-03-01", won=True)
    usd = b.opportunity("UA", None, amount=200, created="2025-02-01", close="2025-03-01", won=True)
    b.opportunity("UB", None, amount=300, created="2025-02-01", close="2025-03-01", won=True)
    for row in b.rows["opportunities"]:
        if row["opportunity_id"] == usd:
            row["currency"] = "USD"
    b.write(con, database=database)
    inv = inspect_store(con, database=database)
    rows = currency_breakdown(inv, PERIOD).to_pyarrow().to_pylist()
    assert sorted((r["user_id"], r["currency"], r["n_opportunities"], r["won_amount"]) for r in rows) == [
        ("UA", "EUR", 1, 100.0), ("UA", "USD", 1, 200.0), ("UB", "EUR", 1, 300.0)]
    table, _ = seller_metrics(inv, PERIOD)
    won = {r["user_id"]: r["won_amount"] for r in table.to_pyarrow().to_pylist()}
    assert won["UA"] == pytest.approx(300.0)  # added up as recorded: the export has no exchange rates
    (note,) = currency_notes({"UA": ["EUR", "USD"], "UB": ["EUR"]})
    assert "2 currencies (EUR, USD)" in note
    assert "not converted" in note
    assert "1 CRM user has deals in more than one" in note
    assert currency_notes({"UA": ["EUR"], "UB": ["EUR"]}) == []
