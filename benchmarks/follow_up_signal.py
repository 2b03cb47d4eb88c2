"""Does a follow-up metric measure the planted follow-up skill? Spearman correlations, within each kind of book,
between candidate definitions of "days between touches on open deals" and the planted skill (negative is right).

    nice -n 19 uv run python benchmarks/follow_up_signal.py --seeds 1001 1006 --activities 1500
    nice -n 19 uv run python benchmarks/follow_up_signal.py --seeds 1001 --activities 0     # the natural volume

Each seed is a company of demo.generator.companies.random_company, generated as benchmarks/calibration.py does
(`--activities` per seller; 0 for the generator's own volume) and read straight from the Salesforce files with
DuckDB: completed tasks (dated by CompletedDateTime, else ActivityDate) and events on opportunities, by their
owner, in the period, while the opportunity was open. Sellers at least 6 months in seat. The candidates:

- per_deal: the mean over deals with two touches of (last - first) / (touches - 1) (the definition before 412b7de);
- open_per_touch_14, open_per_touch_30: days open in the period over touches, deals open at least 14 / 30 days
  (the definition since 412b7de is the 14-day one);
- median_gap_30: the median gap between consecutive touches on deals open at least 30 days.
The result is printed per company and kind: the planted follow-up weight, then each candidate's correlation and
in brackets the sellers it has a value for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import duckdb
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.generator.companies import company_roster, random_company  # noqa: E402
from insights.tests import calibration  # noqa: E402

SELLERS_PER_KIND = (25, 45)
CANDIDATES = {
    "per_deal": "SELECT owner, avg(date_diff('second', f, l) / 86400.0 / (n - 1)) FROM per WHERE n >= 2 GROUP BY 1",
    "open_per_touch_14": "SELECT owner, sum(open_days) / nullif(sum(n), 0) FROM per WHERE open_days >= 14 GROUP BY 1",
    "open_per_touch_30": "SELECT owner, sum(open_days) / nullif(sum(n), 0) FROM per WHERE open_days >= 30 GROUP BY 1",
    "median_gap_30": "SELECT g.owner, median(g.g) FROM gaps g JOIN per USING (opp) WHERE g.g IS NOT NULL "
                     "AND per.open_days >= 30 GROUP BY 1",
}


def load(con: duckdb.DuckDBPyConnection, export: Path, start: dt.date, end: dt.date) -> None:
    """Tables `per` (per opportunity: owner, open_days in the period, touches n, first f, last l) and `gaps`."""
    lo, hi = f"TIMESTAMP '{start}'", f"TIMESTAMP '{end + dt.timedelta(days=1)}'"
    con.execute(f"""
        CREATE TABLE a AS
          SELECT OwnerId AS owner, WhatId AS opp,
                 coalesce(CompletedDateTime::TIMESTAMP, ActivityDate::DATE::TIMESTAMP) AS t
          FROM read_csv('{export / "Task.csv"}', all_varchar = true)
          WHERE Status = 'Completed' AND WhatId LIKE '006%'
          UNION ALL
          SELECT OwnerId, WhatId, ActivityDateTime::TIMESTAMP
          FROM read_csv('{export / "Event.csv"}', all_varchar = true) WHERE WhatId LIKE '006%';
        CREATE TABLE o AS
          SELECT Id AS opp, OwnerId AS owner, CreatedDate::TIMESTAMP AS created,
                 CASE WHEN IsClosed = 'true' THEN (CloseDate::DATE + 1)::TIMESTAMP END AS close_end
          FROM read_csv('{export / "Opportunity.csv"}', all_varchar = true);
        CREATE TABLE j AS
          SELECT a.owner, a.opp, a.t FROM a JOIN o ON a.opp = o.opp AND a.owner = o.owner
          WHERE a.t >= {lo} AND a.t < {hi} AND (o.close_end IS NULL OR a.t < o.close_end);
        CREATE TABLE per AS
          SELECT o.opp, o.owner,
                 date_diff('second', greatest(o.created, {lo}), least(coalesce(o.close_end, {hi}), {hi}))
                   / 86400.0 AS open_days,
                 count(j.t) AS n, min(j.t) AS f, max(j.t) AS l
          FROM o LEFT JOIN j USING (opp)
          WHERE o.created < {hi} AND coalesce(o.close_end, {hi}) > {lo} GROUP BY ALL;
        CREATE TABLE gaps AS
          SELECT owner, opp, date_diff('second', lag(t) OVER (PARTITION BY opp ORDER BY t), t) / 86400.0 AS g
          FROM j;
    """)


def company(seed: int, activities: int, work: Path) -> list[str]:
    spec = random_company(seed)
    roster = company_roster(spec, seed, sellers=SELLERS_PER_KIND)
    assert roster.as_of is not None
    per_seller = activities or None
    _, truth = calibration.generate(spec, roster, work / f"export-{seed}", seed=seed,
                                    activities=per_seller and per_seller * len(roster.situations))
    start, end = calibration.default_period(roster.as_of)
    con = duckdb.connect()
    load(con, work / f"export-{seed}", start, end)
    values = {name: dict(con.execute(sql).fetchall()) for name, sql in CANDIDATES.items()}
    lines = []
    for kind, info in truth["situations"].items():
        sellers = [s for s in truth["sellers"].values() if s["situation"] == kind and s["tenure_months"] >= 6]
        row = [f"{seed} {kind} follow_up planted {info['drivers'].get('follow_up', 0.0):.2f}:"]
        for name, by_owner in values.items():
            pairs = [(by_owner[s["crm_user_id"]], s["skills"]["follow_up"]) for s in sellers
                     if by_owner.get(s["crm_user_id"]) is not None]
            rho = spearmanr(*zip(*pairs, strict=True)).statistic if len(pairs) > 5 else float("nan")
            row.append(f"{name} {rho:+.2f} ({len(pairs)})")
        lines.append(" ".join(row))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1001, 1002, 1003, 1006])
    parser.add_argument("--activities", type=int, default=1500, help="per seller; 0 for the generator's own")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for line in company(seed, args.activities, Path(tmp)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
