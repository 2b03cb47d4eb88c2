"""Salesforce quotas and how long each one runs: ForecastingQuota has a StartDate but no end, so the end comes from
an EndDate column, the Period.csv row its PeriodId names, or the spacing of its owner's quotas. On every engine."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from crm import store
from crm.importing import run_import
from crm.models import CrmImport
from crm.tests.conftest import store_counts, table_rows, write_csv
from demo.generator.formatting import salesforce_checksum
from insights.metrics import Period, inspect_store, seller_quota_facts

pytestmark = pytest.mark.django_db

QUOTA_HEADER = ["Id", "QuotaOwnerId", "StartDate", "QuotaAmount", "CurrencyIsoCode", "IsAmount", "IsQuantity",
                "ForecastingTypeId", "PeriodId"]
PERIOD_HEADER = ["Id", "FiscalYearSettingsId", "Type", "StartDate", "EndDate", "IsForecastPeriod", "Number"]
REVENUE = "0Db5g00000Fty01"
QUANTITY = "0Db5g00000Fty02"
MONTHLY, QUARTERLY, YEARLY, SWITCHED, GAP, SINGLE, FISCAL = (
    salesforce_checksum(f"0055g00000Own{n:02d}") for n in range(1, 8))


def _quota(owner: str, start: str, amount: int = 10_000, *, kind: str = REVENUE, period: str = "",
           is_amount: str = "true") -> list[str]:
    # The Id is filled in by `_export`, from the row's place in the file.
    return ["", owner[:15], start, f"{amount}.00", "USD", is_amount, "false" if is_amount == "true" else "true",
            kind, period]


def _export(folder: Path, quotas: list[list[str]], periods: list[list[str]] | None = None) -> list[Path]:
    """User.csv for the quota owners, ForecastingQuota.csv with `quotas` and, when given, Period.csv."""
    folder.mkdir()
    owners = sorted({salesforce_checksum(q[1]) for q in quotas})
    write_csv(folder / "User.csv", [["Id", "Name", "Email", "IsActive"],
                                    *([o, f"Seller {o[-6:]}", f"{o.lower()}@acme.example", "true"] for o in owners)])
    rows = [[salesforce_checksum(f"0J95g0000Q{n:05d}"), *row[1:]] for n, row in enumerate(quotas)]
    write_csv(folder / "ForecastingQuota.csv", [QUOTA_HEADER, *rows])
    if periods is not None:
        write_csv(folder / "Period.csv", [PERIOD_HEADER, *periods])
    return sorted(folder.glob("*.csv"))


def _with_end_dates(folder: Path, *ends: str) -> None:
    """ForecastingQuota.csv with an EndDate column (a quota sheet prepared by hand), `ends` in row order."""
    path = folder / "ForecastingQuota.csv"
    header, *rows = list(csv.reader(path.open(newline="")))
    write_csv(path, [[*header, "EndDate"], *([*row, end] for row, end in zip(rows, ends, strict=True))])


def _import(company, files: list[Path]) -> CrmImport:  # type: ignore[no-untyped-def]
    return run_import(source="salesforce", paths=files, actor=company.admin)


def _periods_by_owner() -> dict[str, list[tuple[str, str]]]:
    periods: dict[str, list[tuple[str, str]]] = {}
    for q in sorted(table_rows("quotas"), key=lambda q: (q["user_id"], q["period_start"])):
        periods.setdefault(q["user_id"], []).append((str(q["period_start"])[:10], str(q["period_end"])[:10]))
    return periods


def _quota_for(start: str, end: str) -> dict[str, float]:
    """Each seller's quota for a period, as the analysis reads it (prorated by days of overlap)."""
    with store.session() as con:
        facts = seller_quota_facts(inspect_store(con), Period(
            start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end), as_of=dt.date.fromisoformat(end)))
        assert facts is not None
        return {r["user_id"]: r["quota"] for r in con.to_pyarrow(facts).to_pylist()}


def test_monthly_quotas_each_cover_their_month(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A seller hired in January whose quota ramps up month by month.
    files = _export(tmp_path / "export", [_quota(MONTHLY, f"2025-{m:02d}-01", 10_000 * m) for m in (1, 2, 3)])

    result = _import(company, files)

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    assert _periods_by_owner()[MONTHLY] == [
        ("2025-01-01", "2025-01-31"), ("2025-02-01", "2025-02-28"), ("2025-03-01", "2025-03-31")]
    # Read as quarters, the February and March quotas would spill into April and May: the first quarter's quota
    # would be 33,400 instead of 60,000, and attainment 1.8 times what it is.
    assert _quota_for("2025-01-01", "2025-03-31")[MONTHLY] == pytest.approx(60_000)
    assert _quota_for("2025-04-01", "2025-06-30").get(MONTHLY, 0) == pytest.approx(0)
    assert result.notes == [
        "ForecastingQuota.csv has no EndDate and there is no Period.csv: each quota runs to the day before its "
        "owner's next one, the last one as long as the owner's usual spacing (monthly for 1 owner)."]
    assert result.warnings == []


def test_quarterly_yearly_and_mixed_owners_each_get_their_own_spacing(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    quotas = [
        *(_quota(MONTHLY, f"2025-{m:02d}-01") for m in range(1, 13)),
        *(_quota(QUARTERLY, f"2025-{m:02d}-01") for m in (1, 4, 7, 10)),
        # Quantity quotas (IsAmount false) are not imported and do not count as the owner's spacing.
        *(_quota(QUARTERLY, f"2025-{m:02d}-01", kind=QUANTITY, is_amount="false") for m in (2, 3, 5)),
        _quota(YEARLY, "2024-01-01"), _quota(YEARLY, "2025-01-01"),
        # Quarterly until the org switched to monthly forecasts; the tie on usual spacing goes to the shorter.
        _quota(SWITCHED, "2024-07-01"), _quota(SWITCHED, "2024-10-01"),
        *(_quota(SWITCHED, f"2025-{m:02d}-01") for m in (1, 2, 3)),
        # A quarter without a quota: the one before the gap is still one quarter, not two.
        *(_quota(GAP, f"2025-{m:02d}-01") for m in (1, 4, 10)),
        _quota(SINGLE, "2025-04-01"),
        # Fiscal months of a 4-4-5 calendar (28, 28 and 35 days).
        *(_quota(FISCAL, day) for day in ("2025-01-05", "2025-02-02", "2025-03-02", "2025-04-06")),
    ]

    result = _import(company, _export(tmp_path / "export", quotas))

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    periods = _periods_by_owner()
    month_ends = ["01-31", "02-28", "03-31", "04-30", "05-31", "06-30", "07-31", "08-31", "09-30", "10-31",
                  "11-30", "12-31"]
    assert periods[MONTHLY] == [(f"2025-{m + 1:02d}-01", f"2025-{end}") for m, end in enumerate(month_ends)]
    assert periods[QUARTERLY] == [("2025-01-01", "2025-03-31"), ("2025-04-01", "2025-06-30"),
                                  ("2025-07-01", "2025-09-30"), ("2025-10-01", "2025-12-31")]
    assert periods[YEARLY] == [("2024-01-01", "2024-12-31"), ("2025-01-01", "2025-12-31")]
    assert periods[SWITCHED] == [("2024-07-01", "2024-09-30"), ("2024-10-01", "2024-12-31"),
                                 ("2025-01-01", "2025-01-31"), ("2025-02-01", "2025-02-28"),
                                 ("2025-03-01", "2025-03-31")]
    assert periods[GAP] == [("2025-01-01", "2025-03-31"), ("2025-04-01", "2025-06-30"),
                            ("2025-10-01", "2025-12-31")]
    assert periods[SINGLE] == [("2025-04-01", "2025-06-30")]
    assert periods[FISCAL] == [("2025-01-05", "2025-02-01"), ("2025-02-02", "2025-03-01"),
                               ("2025-03-02", "2025-04-05"), ("2025-04-06", "2025-05-05")]
    assert result.notes == [
        "ForecastingQuota.csv has no EndDate and there is no Period.csv: each quota runs to the day before its "
        "owner's next one, the last one as long as the owner's usual spacing (monthly for 3 owners, quarterly for "
        "2 owners, yearly for 1 owner; one quarter for 1 owner with no regular spacing)."]
    assert "quantity (not amount) quotas" in " ".join(result.warnings)

    again = _import(company, _export(tmp_path / "again", quotas))

    assert again.status == CrmImport.Status.SUCCEEDED
    assert again.total_changed == 0
    assert _periods_by_owner() == periods


def test_forecast_types_are_spaced_apart(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Two amount forecast types of one owner, quarterly each but a month apart: read together they would look
    # monthly.
    other_type = "0Db5g00000Fty03"
    quotas = [_quota(QUARTERLY, "2025-01-01"), _quota(QUARTERLY, "2025-04-01"),
              _quota(QUARTERLY, "2025-02-01", kind=other_type), _quota(QUARTERLY, "2025-05-01", kind=other_type)]

    result = _import(company, _export(tmp_path / "export", quotas))

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    assert _periods_by_owner()[QUARTERLY] == [("2025-01-01", "2025-03-31"), ("2025-02-01", "2025-04-30"),
                                              ("2025-04-01", "2025-06-30"), ("2025-05-01", "2025-07-31")]


# --- Period.csv -------------------------------------------------------------------------------------------------

FISCAL_YEAR = "0225g00000Fys01"


def _period(n: int, kind: str, start: str, end: str) -> list[str]:
    return [_period_id(n), FISCAL_YEAR, kind, start, end, "true" if kind == "Month" else "false", str(n)]


def _period_id(n: int) -> str:
    return salesforce_checksum(f"0265g00000Per{n:02d}")


# Months of a fiscal year that starts on 2025-02-01, the year itself and its first quarter.
PERIODS = [
    _period(1, "Month", "2025-02-01", "2025-02-28"),
    _period(2, "Month", "2025-03-01", "2025-03-31"),
    _period(3, "Month", "2025-04-01", "2025-04-30"),
    _period(4, "Quarter", "2025-02-01", "2025-04-30"),
    _period(5, "Year", "2025-02-01", "2026-01-31"),
]


def test_period_csv_gives_each_quota_its_period(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    quotas = [
        _quota(MONTHLY, "2025-02-01", period=_period_id(1)),
        _quota(MONTHLY, "2025-03-01", period=_period_id(2)[:15]),  # the 15-character form of the id
        # The owner's last quota: one month from Period.csv, where inference would give it the usual spacing.
        _quota(MONTHLY, "2025-04-01", period=_period_id(3)),
        _quota(YEARLY, "2025-02-01", period=_period_id(5)),
        # Not in Period.csv: inferred from the owner's spacing, with a warning.
        _quota(QUARTERLY, "2025-02-01", period=_period_id(4)), _quota(QUARTERLY, "2025-05-01",
                                                                      period=_period_id(9)),
        # A period that does not hold the quota's start is not its period.
        _quota(SINGLE, "2025-06-01", period=_period_id(1)),
        # No PeriodId at all: inferred, and only noted.
        _quota(GAP, "2025-02-01"),
    ]
    files = _export(tmp_path / "export", quotas, periods=PERIODS)

    result = _import(company, files)

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    periods = _periods_by_owner()
    assert periods[MONTHLY] == [("2025-02-01", "2025-02-28"), ("2025-03-01", "2025-03-31"),
                                ("2025-04-01", "2025-04-30")]
    assert periods[YEARLY] == [("2025-02-01", "2026-01-31")]
    assert periods[QUARTERLY] == [("2025-02-01", "2025-04-30"), ("2025-05-01", "2025-07-31")]
    assert periods[SINGLE] == [("2025-06-01", "2025-08-31")]
    assert periods[GAP] == [("2025-02-01", "2025-04-30")]
    assert result.warnings == [
        f"2 quota(s) in ForecastingQuota.csv have a PeriodId that Period.csv does not list, or lists with dates "
        f"that do not hold the quota's StartDate (for example {_period_id(1)}); their ends were inferred as for "
        f"quotas without a period."]
    assert result.notes == [
        "3 quota(s) in ForecastingQuota.csv have no period in Period.csv: each quota runs to the day before its "
        "owner's next one, the last one as long as the owner's usual spacing (quarterly for 1 owner; one quarter "
        "for 2 owners with no regular spacing)."]

    again = _import(company, files)

    assert again.status == CrmImport.Status.SUCCEEDED
    assert again.total_changed == 0
    assert _periods_by_owner() == periods


def test_an_end_date_column_wins_over_period_csv(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = _export(tmp_path / "export", [_quota(MONTHLY, "2025-02-01", period=_period_id(4))], periods=PERIODS)
    _with_end_dates(tmp_path / "export", "2025-02-28")

    result = _import(company, files)

    assert result.status == CrmImport.Status.SUCCEEDED, result.errors or result.failure_message
    assert _periods_by_owner()[MONTHLY] == [("2025-02-01", "2025-02-28")]
    assert result.notes == []
    assert result.warnings == []


def test_a_broken_period_csv_changes_nothing_and_says_where(company, analytics_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _import(company, _export(tmp_path / "first", [_quota(MONTHLY, "2025-02-01")])).status == (
        CrmImport.Status.SUCCEEDED)
    before = store_counts()
    periods = [
        *PERIODS,
        _period(6, "Month", "2025-05-01", "2025-05-31"),
        [_period_id(7), FISCAL_YEAR, "Month", "2025-06-01", "30/06/2025", "true", "7"],
        [_period_id(8), FISCAL_YEAR, "Month", "2025-07-31", "2025-07-01", "true", "8"],
        ["0265g00000Per", FISCAL_YEAR, "Month", "2025-08-01", "2025-08-31", "true", "9"],
    ]
    files = _export(tmp_path / "second", [_quota(MONTHLY, "2025-02-01", period=_period_id(1)),
                                          _quota(MONTHLY, "2025-03-01", 5_000, period=_period_id(2))],
                    periods=periods)

    result = _import(company, files)

    assert result.status == CrmImport.Status.FAILED
    assert {(e["file"], e["row"], e["column"], e["value"]) for e in result.errors} == {
        ("Period.csv", 8, "EndDate", "30/06/2025"),
        ("Period.csv", 9, "EndDate", "2025-07-01"),
        ("Period.csv", 10, "Id", "0265g00000Per"),
    }
    assert "before the period's StartDate" in next(e["message"] for e in result.errors if e["row"] == 9)
    assert store_counts() == before


def test_a_quota_that_ends_before_it_starts_is_an_error(company, duckdb_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = _export(tmp_path / "export", [_quota(MONTHLY, "2025-02-01")])
    _with_end_dates(tmp_path / "export", "2025-01-31")

    result = _import(company, files)

    assert result.status == CrmImport.Status.FAILED
    assert [(e["file"], e["row"], e["column"], e["value"], e["message"]) for e in result.errors] == [
        ("ForecastingQuota.csv", 2, "EndDate", "2025-01-31", "is before the quota's StartDate")]
