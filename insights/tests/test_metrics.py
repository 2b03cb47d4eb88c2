"""The metric functions on tiny hand-built tables, with values worked out by hand; on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from insights.metrics import (
    METRICS,
    QUARTER_DAYS,
    Period,
    inspect_store,
    is_proposal_or_later,
    proposal_stages,
    seller_metrics,
)
from insights.tests.crm_builder import CrmBuilder

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), as_of=dt.date(2025, 12, 31))


def build() -> CrmBuilder:
    """Seller A: six opportunities, stage history and eight activities; seller B: one activity on A's account."""
    b = CrmBuilder()
    b.user("UA", "EA")
    b.user("UB", "EB")
    b.user("UC", None)  # an integration user: no person behind it
    a1, a2, a3, a4 = (b.account("UA", f"a{i}") for i in range(1, 5))
    b.account("UB", "b1")
    # o1: won, new, 59-day cycle; close date pushed twice; proposed at 12,500, won at 10,000.
    o1 = b.opportunity("UA", a1, amount=10000, created="2025-01-01", close="2025-03-01", won=True, kind="new")
    b.history(o1, "2025-01-01", "Prospecting", amount=12000, close="2025-02-15")
    b.history(o1, "2025-02-01", "Prospecting", amount=12000, close="2025-02-28")
    b.history(o1, "2025-02-10", "Proposal/Price Quote", amount=12500, close="2025-03-01")
    b.history(o1, "2025-03-01", "Closed Won", amount=10000, close="2025-03-01")
    # o2: won, existing, 70-day cycle; reached the proposal stage at Negotiation/Review (25,000), won 22,500.
    o2 = b.opportunity("UA", a2, amount=22500, created="2025-03-01", close="2025-05-10", won=True, kind="existing")
    b.history(o2, "2025-03-01", "Prospecting", amount=20000, close="2025-05-10")
    b.history(o2, "2025-04-01", "Negotiation/Review", amount=25000, close="2025-05-10")
    b.history(o2, "2025-05-10", "Closed Won", amount=22500, close="2025-05-10")
    # o3: lost after 20 days, never proposed (lost early).
    o3 = b.opportunity("UA", a3, amount=5000, created="2025-04-01", close="2025-04-21", won=False, kind="new")
    b.history(o3, "2025-04-01", "Qualification", amount=5000, close="2025-05-01")
    b.history(o3, "2025-04-21", "Closed Lost", amount=5000, close="2025-05-01")
    # o4: lost after 90 days, after a proposal (lost late).
    o4 = b.opportunity("UA", a4, amount=8000, created="2025-05-01", close="2025-07-30", won=False, kind="new")
    b.history(o4, "2025-05-01", "Prospecting", amount=8000, close="2025-07-30")
    b.history(o4, "2025-06-01", "Proposal/Price Quote", amount=8000, close="2025-07-30")
    b.history(o4, "2025-07-30", "Closed Lost", amount=8000, close="2025-07-30")
    # o5 open and past its close date; o6 open and not.
    b.opportunity("UA", a1, amount=3000, created="2025-11-01", close="2025-12-15", won=None, kind="existing")
    b.opportunity("UA", a2, amount=4000, created="2025-12-01", close="2026-02-01", won=None, kind="existing")
    # Activities (all at midnight, so days between them are whole).
    b.activity("UA", "2025-01-15", kind="meeting", account=a1, opportunity=o1, contact="c1")
    b.activity("UA", "2025-02-01", kind="meeting", account=a1, opportunity=o1, contact="c2")
    b.activity("UA", "2025-02-20", kind="call", account=a1, opportunity=o1, contact="c2")
    b.activity("UA", "2025-03-05", kind="email", account=a1, opportunity=o1, contact="c3")  # after the close
    b.activity("UA", "2025-03-10", kind="call", account=a2, opportunity=o2, contact="c4")
    b.activity("UA", "2025-03-20", kind="meeting", account=a2, opportunity=o2, contact="c4")
    b.activity("UA", "2025-05-15", kind="meeting", account=a4, opportunity=o4, contact="c5")
    b.activity("UA", "2025-10-15", kind="call", account=a3)
    b.activity("UA", "2024-12-20", kind="call", account=a3)  # before the period: ignored
    b.activity("UB", "2025-06-01", kind="call", account=a1)  # on A's account: not B's coverage
    b.quota("UA", "2025-01-01", "2025-06-30", 40000)
    b.quota("UA", "2024-10-01", "2025-03-31", 20000)
    return b


def metrics_of(con, database, builder: CrmBuilder, *, tables: list[str] | None = None):
    builder.write(con, tables=tables, database=database)
    inventory = inspect_store(con, database=database)
    table, missing = seller_metrics(inventory, PERIOD)
    rows = {r["user_id"]: r for r in table.to_pyarrow().to_pylist()}
    return rows, missing


def test_every_metric_by_hand(store):
    con, database = store
    rows, missing = metrics_of(con, database, build())
    assert missing == {}
    a = rows["UA"]
    assert a["person_employee_id"] == "EA"
    assert a["active_days"] == pytest.approx(365)
    assert a["new_opportunities_per_quarter"] == pytest.approx(6 / (365 / QUARTER_DAYS))
    # Distinct (account, quarter) touches on owned accounts: a1, a2 in the first quarter-block, a4 in the second,
    # a3 in the last: 4 of 4 accounts x 4 quarters.
    assert a["accounts_touched_share"] == pytest.approx(4 / 16)
    assert a["contacts_per_opportunity"] == pytest.approx((3 + 1 + 1) / 3)
    # Meetings before the proposal (or the close): o1 2, o2 1, o3 0, o4 1.
    assert a["meetings_before_proposal"] == pytest.approx(1.0)
    assert a["early_loss_share"] == pytest.approx(0.5)
    assert a["days_to_loss"] == pytest.approx((20 + 90) / 2)
    # Days open in the period per touch while open, on deals open at least 14 days: o1 60 days, o2 71, o3 21,
    # o4 91, o5 61, o6 31; touches o1 3 (the email after the close does not count), o2 2, o4 1.
    assert a["days_between_touches"] == pytest.approx((60 + 71 + 21 + 91 + 61 + 31) / 6)
    assert a["won_vs_proposal_amount"] == pytest.approx((10000 / 12500 + 22500 / 25000) / 2)
    assert a["win_rate"] == pytest.approx(0.5)
    assert a["existing_revenue_share"] == pytest.approx(22500 / 32500)
    assert a["close_date_pushes"] == pytest.approx(2 / 4)
    assert a["stale_open_share"] == pytest.approx(0.5)
    assert a["activities_per_week"] == pytest.approx(8 / (365 / 7))
    assert a["feature_accounts"] == 4
    assert a["feature_deal_size"] == pytest.approx((10000 + 22500) / 2)
    assert a["feature_cycle_days"] == pytest.approx((59 + 70) / 2)
    assert a["feature_new_business_share"] == pytest.approx(3 / 6)
    assert a["feature_opportunities_per_year"] == pytest.approx(6 / (365 / 365.25))
    assert a["won_amount"] == pytest.approx(32500)
    assert a["quota"] == pytest.approx(40000 + 20000 * 90 / 182)


def test_seller_without_deals_gets_zeros_where_zero_is_true_and_nothing_where_undefined(store):
    con, database = store
    rows, _ = metrics_of(con, database, build())
    b = rows["UB"]
    assert b["accounts_touched_share"] == 0  # owns b1 and never touched it
    assert b["new_opportunities_per_quarter"] == 0
    assert b["activities_per_week"] == pytest.approx(1 / ((dt.date(2026, 1, 1) - dt.date(2025, 6, 1)).days / 7))
    assert b["win_rate"] is None  # nothing closed: undefined, not zero
    assert b["days_between_touches"] is None
    assert b["won_amount"] == 0
    assert rows["UC"]["person_employee_id"] is None


def test_without_activities_the_activity_metrics_are_unavailable_never_zero(store):
    con, database = store
    rows, missing = metrics_of(con, database, build(),
                               tables=["crm_users", "accounts", "opportunities", "quotas"])
    needs_activities = {"accounts_touched_share", "contacts_per_opportunity", "meetings_before_proposal",
                        "days_between_touches", "activities_per_week"}
    needs_history = {"early_loss_share", "won_vs_proposal_amount", "close_date_pushes", "meetings_before_proposal"}
    assert set(missing) == needs_activities | needs_history
    assert "activities.occurred_at" in missing["activities_per_week"]
    assert "opportunity_stage_history.changed_at" in missing["close_date_pushes"]
    a = rows["UA"]
    for key in needs_activities | needs_history:
        assert key not in a  # no column at all, so nobody can read it as zero
    # What the opportunities alone support is still measured.
    assert a["win_rate"] == pytest.approx(0.5)
    assert a["days_to_loss"] == pytest.approx(55)
    assert a["stale_open_share"] == pytest.approx(0.5)
    assert a["new_opportunities_per_quarter"] == pytest.approx(6 / (365 / QUARTER_DAYS))


def test_an_empty_activities_table_counts_as_missing(store):
    con, database = store
    builder = build()
    builder.rows["activities"] = []
    _, missing = metrics_of(con, database, builder)
    assert "activities_per_week" in missing
    assert "accounts_touched_share" in missing


def test_a_column_the_export_leaves_empty_is_missing(store):
    con, database = store
    builder = build()
    for row in builder.rows["activities"]:
        row["contact_id"] = None
    rows, missing = metrics_of(con, database, builder)
    assert missing == {"contacts_per_opportunity": ["activities.contact_id"]}
    assert "contacts_per_opportunity" not in rows["UA"]
    assert rows["UA"]["days_between_touches"] == pytest.approx(335 / 6)


def test_proposal_stage_words():
    labels = ["Proposal/Price Quote", "Negotiation/Review", "Closed Won", "contractsent", "closedwon",
              "Closed Lost", "closedlost", "Qualification", "Id. Decision Makers", "appointmentscheduled"]
    result = [is_proposal_or_later(label) for label in labels]
    assert dict(zip(labels, result, strict=True)) == {
        "Proposal/Price Quote": True, "Negotiation/Review": True, "Closed Won": True, "contractsent": True,
        "closedwon": True, "Closed Lost": False, "closedlost": False, "Qualification": False,
        "Id. Decision Makers": False, "appointmentscheduled": False,
    }


def test_the_proposal_stages_are_read_from_the_store(store):
    con, database = store
    build().write(con, database=database)
    inventory = inspect_store(con, database=database)
    assert proposal_stages(inventory) == ["Closed Won", "Negotiation/Review", "Proposal/Price Quote"]


def test_every_metric_declares_its_data_and_task():
    for metric in METRICS.values():
        assert metric.requires, metric.key
        assert all("." in req for req in metric.requires), metric.key
        assert metric.task_key
        assert "{v}" in metric.phrase


def test_period_rejects_an_end_before_the_start():
    with pytest.raises(ValueError, match="ends"):
        Period(dt.date(2025, 2, 1), dt.date(2025, 1, 1), dt.date(2025, 1, 1))
