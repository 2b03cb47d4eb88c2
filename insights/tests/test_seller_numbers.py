"""The seller's own numbers (opportunities created, won, lost, open, win rate, won revenue, quota, attainment) equal
what the CRM export says: on a hand-made store, and end to end on a generated Salesforce export whose CSV files are
read here with plain Python; shown on the seller page, the team view and the API, to those who may see them."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from insights import services
from insights.metrics import Period, inspect_store, seller_metrics
from insights.models import AnalysisRun, SellerDiagnostic
from insights.tests import real_company
from insights.tests.crm_builder import CrmBuilder

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 6, 30), as_of=dt.date(2025, 9, 30))


def hand_made() -> CrmBuilder:
    b = CrmBuilder()
    b.user("UA", "EA")
    b.user("UB", "EB")
    a = b.account("UA", "a1")
    # UA: created before and won in the period; created and won in it; created in it and lost after it; lost in
    # it; open (created before the period); won before the period; created after the period and still open.
    b.opportunity("UA", a, amount=1000, created="2024-11-01", close="2025-02-01", won=True)
    b.opportunity("UA", a, amount=2500.5, created="2025-02-01", close="2025-06-30", won=True)
    b.opportunity("UA", a, amount=700, created="2025-03-01", close="2025-07-15", won=False)
    b.opportunity("UA", a, amount=300, created="2024-12-01", close="2025-01-01", won=False)
    b.opportunity("UA", a, amount=900, created="2024-10-01", close="2025-08-01", won=None)
    b.opportunity("UA", a, amount=5000, created="2024-06-01", close="2024-12-31", won=True)
    b.opportunity("UA", a, amount=400, created="2025-07-01", close="2025-09-01", won=None)
    # UB: one created on the period's last instant, won the day after.
    b.opportunity("UB", None, amount=800, created="2025-06-30 23:59", close="2025-07-01", won=True)
    b.quota("UA", "2025-01-01", "2025-03-31", 3000)
    b.quota("UA", "2025-04-01", "2025-09-30", 6000)  # 91 of its 183 days in the period
    return b


def expected_numbers(b: CrmBuilder, period: Period) -> dict[str, dict[str, Any]]:
    """The numbers worked out from the builder's rows with plain Python, independently of the store query."""
    start_ts = dt.datetime.combine(period.start, dt.time(), tzinfo=dt.UTC)
    end_ts = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"created": 0, "won": 0, "lost": 0, "open": 0,
                                                          "won_amount": 0.0, "quota": 0.0})
    for o in b.rows["opportunities"]:
        n = out[o["owner_user_id"]]
        closed_in = o["is_closed"] and period.start <= o["close_date"] <= period.end
        n["created"] += start_ts <= o["created_at"] < end_ts
        n["won"] += bool(closed_in and o["is_won"])
        n["lost"] += bool(closed_in and not o["is_won"])
        n["open"] += not o["is_closed"]
        n["won_amount"] += float(o["amount"]) if closed_in and o["is_won"] else 0.0
    for q in b.rows["quotas"]:
        days = (q["period_end"] - q["period_start"]).days + 1
        overlap = (min(q["period_end"], period.end) - max(q["period_start"], period.start)).days + 1
        out[q["user_id"]]["quota"] += float(q["amount"]) * max(overlap, 0) / days
    return out


def test_the_numbers_on_a_hand_made_store(store):
    con, database = store
    b = hand_made()
    b.write(con, database=database)
    table, _ = seller_metrics(inspect_store(con, database=database), PERIOD)
    rows = {r["user_id"]: r for r in table.to_pyarrow().to_pylist()}
    want = expected_numbers(b, PERIOD)
    # Worked out by hand as well: UA created 2 in the period, won 2 (1,000 + 2,500.50), lost 1, 2 open now.
    assert (want["UA"]["created"], want["UA"]["won"], want["UA"]["lost"], want["UA"]["open"]) == (2, 2, 1, 2)
    assert want["UA"]["won_amount"] == 3500.5
    assert want["UA"]["quota"] == pytest.approx(3000 + 6000 * 91 / 183)
    for user in ("UA", "UB"):
        got, w = rows[user], want[user]
        assert (got["n_created"], got["n_won"], got["n_lost"], got["n_open"]) == (
            w["created"], w["won"], w["lost"], w["open"]), user
        assert got["won_amount"] == pytest.approx(w["won_amount"])
    a = rows["UA"]
    assert a["numbers_win_rate"] == pytest.approx(2 / 3)
    assert a["quota"] == pytest.approx(want["UA"]["quota"])
    assert a["attainment"] == pytest.approx(3500.5 / want["UA"]["quota"])
    ub = rows["UB"]
    assert (ub["n_created"], ub["n_won"], ub["numbers_win_rate"], ub["quota"], ub["attainment"]) == (
        1, 0, None, None, None)


# ---------------------------------------------------------------------------------------------------------------
# End to end: a generated Salesforce export, imported and analysed, against its own CSV files
# ---------------------------------------------------------------------------------------------------------------


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def numbers_from_export(folder: Path, start: dt.date, end: dt.date) -> dict[str, dict[str, Any]]:
    """Per owner (15-character Salesforce id), the numbers as a person would total them from the export's CSV
    files: Opportunity.csv (CreatedDate, CloseDate, IsClosed, IsWon, Amount) and ForecastingQuota.csv with the
    quota periods' end dates from Period.csv."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"created": 0, "won": 0, "lost": 0, "open": 0,
                                                          "won_amount": 0.0, "quota": 0.0, "currencies": set()})
    for row in _csv(folder / "Opportunity.csv"):
        n = out[row["OwnerId"][:15]]
        created = dt.datetime.fromisoformat(row["CreatedDate"].replace("Z", "+00:00")).date()
        close = dt.date.fromisoformat(row["CloseDate"])
        closed, won = row["IsClosed"] == "true", row["IsWon"] == "true"
        in_period = start <= close <= end
        n["created"] += start <= created <= end
        n["won"] += closed and won and in_period
        n["lost"] += closed and not won and in_period
        n["open"] += not closed
        if closed and won and in_period:
            n["won_amount"] += float(row["Amount"])
        if (start <= created <= end) or (closed and in_period) or not closed:
            n["currencies"].add(row["CurrencyIsoCode"])
    period_end = {row["Id"][:15]: dt.date.fromisoformat(row["EndDate"]) for row in _csv(folder / "Period.csv")}
    for row in _csv(folder / "ForecastingQuota.csv"):
        q_start, q_end = dt.date.fromisoformat(row["StartDate"]), period_end[row["PeriodId"][:15]]
        overlap = (min(q_end, end) - max(q_start, start)).days + 1
        if overlap > 0:
            out[row["QuotaOwnerId"][:15]]["quota"] += float(row["QuotaAmount"]) * overlap / (
                (q_end - q_start).days + 1)
    return out


@pytest.fixture
def generated(tmp_path: Path, settings: Any) -> tuple[AnalysisRun, Path, dict[str, Any]]:
    from crm import services as crm_services

    roster = real_company.roster(8)
    folder = tmp_path / "export"
    folder.mkdir()
    files, _ = real_company.generate(roster, folder, seed=11, activities=30_000)
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    persons = real_company.people_from(roster)
    imported = crm_services.run_import(source="salesforce", paths=files, actor=None)
    assert imported.status == "succeeded", imported.failure_message
    run = services.analysis_run_now(actor=None, reason="seller numbers test")
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run, folder, {p.pk: p for p in persons.values()}


@pytest.mark.django_db
def test_every_sellers_numbers_equal_the_export(generated):
    run, folder, persons = generated
    assert run.period_start
    assert run.period_end
    want = numbers_from_export(folder, run.period_start, run.period_end)
    diagnostics = list(SellerDiagnostic.objects.filter(run=run))
    assert len(diagnostics) >= 20
    assert sum(d.opportunities_won for d in diagnostics) > 100
    for d in diagnostics:
        w = want[d.crm_user_id[:15]]
        assert (d.opportunities_created, d.opportunities_won, d.opportunities_lost, d.opportunities_open) == (
            w["created"], w["won"], w["lost"], w["open"]), d.crm_user_id
        assert d.won_amount == pytest.approx(w["won_amount"], abs=0.005)
        closed = w["won"] + w["lost"]
        assert d.win_rate == (pytest.approx(w["won"] / closed) if closed else None)
        if w["quota"]:
            assert d.quota == pytest.approx(w["quota"], abs=0.01)
            assert d.attainment == pytest.approx(w["won_amount"] / w["quota"])
        else:
            assert d.quota is None
            assert d.attainment is None
        assert d.currencies == sorted(w["currencies"])
        # In seat since the HR hire date, which every generated seller has.
        assert d.seat_start == persons[d.seller_id].hire_date


@pytest.mark.django_db
def test_the_numbers_on_the_pages_and_the_api_for_those_who_may_see_them(analysed, login, api_as):
    sam, nora = analysed.company.sam, analysed.company.nora
    d = SellerDiagnostic.objects.get(run=analysed.run, seller=sam)
    assert d.opportunities_won > 0
    assert d.won_amount
    team = list(SellerDiagnostic.objects.filter(run=analysed.run, manager=nora))

    page = login("sam").get(f"/insights/sellers/{sam.pk}/").content.decode()
    assert f"Your numbers, {analysed.run.period_label}" in page
    assert f'<td class="num">{d.opportunities_created}</td>' in page
    won_text = f"{d.won_amount:,.0f}" if d.won_amount == round(d.won_amount) else f"{d.won_amount:,.2f}"
    assert won_text in page

    team_page = login("nora").get(f"/insights/managers/{nora.pk}/").content.decode()
    assert "Your team&#x27;s numbers" in team_page or "Your team's numbers" in team_page
    total_won = sum(m.opportunities_won for m in team)
    assert f'<th scope="row">Team</th><td class="num">{sum(m.opportunities_created for m in team)}</td>' \
           f'<td class="num">{total_won}</td>' in team_page

    body = api_as("sam").get(f"/api/v1/insights/sellers/{sam.pk}").json()
    numbers = body["numbers"]
    assert numbers["opportunities_won"] == d.opportunities_won
    assert numbers["opportunities_lost"] == d.opportunities_lost
    assert numbers["won_revenue"] == pytest.approx(d.won_amount)
    assert numbers["win_rate"] == pytest.approx(d.win_rate)
    assert numbers["currencies"] == d.currencies
    for who, status in [("nora", 200), ("hana", 200), ("mick", 404), ("sara", 404), ("otto", 404)]:
        response = api_as(who).get(f"/api/v1/insights/sellers/{sam.pk}")
        assert response.status_code == status, who
        if status == 404:
            assert "numbers" not in response.json()
    assert login("otto").get(f"/insights/sellers/{sam.pk}/").status_code == 404
    assert login("mick").get(f"/insights/managers/{nora.pk}/").status_code == 404
