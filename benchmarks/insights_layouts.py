"""Would another layout of the store bring the analysis within 3x of its scan? (benchmarks/insights_notes.md)

Runs, on the store `insights_analysis.py` built, the scan of the activity columns the analysis reads and the two
activity aggregations its metrics need (the same hand-written SQL as that script's essential step), for:

- the activities as stored (18-character CRM ids);
- the activities rewritten sorted by owner, account, opportunity and time (`--sorted`);
- the activities rewritten with integer surrogate keys for owner, account, opportunity and contact (`--integer`),
  with DuckDB's default and then its largest perfect-hash-aggregation threshold;

and the stage history grouped per opportunity, with and without the distinct count of close dates (`--history`).
Each layout is compared with its own scan: the question is the ratio, not the seconds. The rewritten tables go to a
scratch DuckDB file (deleted at the end; the full size needs about 3 GB of disk for it).

    uv run python benchmarks/insights_layouts.py --sorted --integer --history
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = ROOT / "benchmarks" / "out" / "insights-20000-2000000-50000000-seed7" / "analytics.duckdb"
PROPOSAL_WORDS = ("proposal", "quote", "negotiat", "contract", "won")


def quarter_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the calendar quarters strictly inside [start, end)."""
    starts, day = [], dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while day < end:
        if day > start:
            starts.append(day)
        month = day.month + 3
        day = dt.date(day.year + (month > 12), (month - 1) % 12 + 1, 1)
    return starts


class Bench:
    def __init__(self, store: Path, scratch: Path, start: dt.date, end: dt.date, repeat: int) -> None:
        self.con = duckdb.connect(str(scratch))
        self.con.execute("SET memory_limit = '3GB'; SET enable_progress_bar = false; "
                         "SET preserve_insertion_order = false")
        self.con.execute(f"ATTACH '{store}' AS s (READ_ONLY)")
        self.repeat = repeat
        ts = "TIMESTAMPTZ '{} 00:00:00+00'".format
        self.period = f"occurred_at >= {ts(start)} AND occurred_at < {ts(end)}"
        self.later = " + ".join(f"(occurred_at < {ts(b)})::int" for b in quarter_starts(start, end)) or "0"

    def time(self, label: str, sql: str) -> float:
        best = float("inf")
        for _ in range(self.repeat):
            began = time.monotonic()
            self.con.execute(sql).arrow()
            best = min(best, time.monotonic() - began)
        print(f"  {label:44s} {best:6.2f} s", flush=True)
        return best

    def activity_suite(self, title: str, act: str, acc: str, opp: str, keys: tuple[str, str, str, str]) -> None:
        owner, account, opportunity, contact = keys
        print(title)
        floor = self.time("scan of the columns read (max of each)",
                          f"SELECT count(*), max({owner}), max({account}), max({opportunity}), max({contact}), "
                          f"max(occurred_at), max(activity_type) FROM {act}")
        coverage = self.time("coverage: per owner and account", f"""
            WITH g AS (SELECT {owner} AS ownr, {account} AS acct, count(*) AS n, min(occurred_at) AS f,
                              bit_or(1 << ({self.later})) AS m
                       FROM {act} WHERE {self.period} GROUP BY 1, 2)
            SELECT * FROM (SELECT ownr, sum(n), min(f) FROM g GROUP BY 1) a
            LEFT JOIN (SELECT ownr AS o2, sum(bit_count(m)) FROM g JOIN {acc} ac ON g.acct = ac.acct
                       WHERE g.ownr = ac.acct_owner GROUP BY 1) b ON a.ownr = b.o2""")
        is_open = "(close_end IS NULL OR occurred_at < close_end)"
        per_opportunity = self.time("per opportunity (after the join)", f"""
            WITH j AS (SELECT a.{opportunity} AS opp, a.{contact} AS ct, a.occurred_at, a.activity_type, o.close_end
                       FROM {act} a JOIN {opp} o ON a.{opportunity} = o.opp
                       WHERE {self.period} AND a.{owner} = o.opp_owner),
                 p AS (SELECT opp, ct, sum({is_open}::int) AS t, min(occurred_at) FILTER (WHERE {is_open}) AS f,
                              max(occurred_at) FILTER (WHERE {is_open}) AS l,
                              sum((activity_type = 'meeting' AND occurred_at < close_end)::int) AS m
                       FROM j GROUP BY 1, 2)
            SELECT opp, sum(t), min(f), max(l), count(ct), sum(m) FROM p GROUP BY 1""")
        print(f"  ratio to the scan: coverage {coverage / floor:.1f}x, per opportunity "
              f"{per_opportunity / floor:.1f}x")

    def as_stored(self) -> None:
        self.con.execute("CREATE OR REPLACE TEMP TABLE acc_s AS "
                         "SELECT account_id AS acct, owner_user_id AS acct_owner FROM s.accounts")
        self.con.execute("CREATE OR REPLACE TEMP TABLE opp_s AS SELECT opportunity_id AS opp, owner_user_id AS "
                         "opp_owner, CASE WHEN is_closed THEN (close_date + 1)::TIMESTAMPTZ END AS close_end "
                         "FROM s.opportunities")
        keys = ("owner_user_id", "account_id", "opportunity_id", "contact_id")
        self.activity_suite("As stored (18-character CRM ids)", "s.activities", "acc_s", "opp_s", keys)

    def sorted_layout(self) -> None:
        began = time.monotonic()
        self.con.execute("CREATE OR REPLACE TABLE act_sorted AS SELECT * FROM s.activities "
                         "ORDER BY owner_user_id, account_id, opportunity_id, occurred_at")
        self.con.execute("CHECKPOINT")
        keys = ("owner_user_id", "account_id", "opportunity_id", "contact_id")
        self.activity_suite(f"Sorted by owner, account, opportunity, time (rewrite {time.monotonic() - began:.0f} s)",
                            "act_sorted", "acc_s", "opp_s", keys)

    def integer_layout(self) -> None:
        began = time.monotonic()
        for name, table, column in (("k_user", "crm_users", "user_id"), ("k_acc", "accounts", "account_id"),
                                    ("k_opp", "opportunities", "opportunity_id"), ("k_con", "contacts", "contact_id")):
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS "
                             f"SELECT {column} AS id, (row_number() OVER ())::INT AS k FROM s.{table}")
        self.con.execute("""CREATE OR REPLACE TABLE act_int AS
            SELECT u.k AS owner_k, ac.k AS account_k, o.k AS opp_k, c.k AS contact_k, a.occurred_at, a.activity_type
            FROM s.activities a LEFT JOIN k_user u ON a.owner_user_id = u.id
            LEFT JOIN k_acc ac ON a.account_id = ac.id LEFT JOIN k_opp o ON a.opportunity_id = o.id
            LEFT JOIN k_con c ON a.contact_id = c.id""")
        self.con.execute("CHECKPOINT")
        rewrite = time.monotonic() - began
        self.con.execute("CREATE OR REPLACE TEMP TABLE acc_i AS SELECT ka.k AS acct, u.k AS acct_owner "
                         "FROM s.accounts a JOIN k_acc ka ON a.account_id = ka.id "
                         "LEFT JOIN k_user u ON a.owner_user_id = u.id")
        self.con.execute("CREATE OR REPLACE TEMP TABLE opp_i AS SELECT ko.k AS opp, u.k AS opp_owner, "
                         "CASE WHEN is_closed THEN (close_date + 1)::TIMESTAMPTZ END AS close_end "
                         "FROM s.opportunities o JOIN k_opp ko ON o.opportunity_id = ko.id "
                         "LEFT JOIN k_user u ON o.owner_user_id = u.id")
        keys = ("owner_k", "account_k", "opp_k", "contact_k")
        self.activity_suite(f"Integer surrogate keys (rewrite {rewrite:.0f} s)", "act_int", "acc_i", "opp_i", keys)
        threshold = self.con.execute("SELECT current_setting('perfect_ht_threshold')").fetchone()
        self.con.execute("SET perfect_ht_threshold = 32")
        self.activity_suite("Integer keys, perfect hash aggregation allowed (perfect_ht_threshold 32)",
                            "act_int", "acc_i", "opp_i", keys)
        self.con.execute(f"SET perfect_ht_threshold = {threshold[0] if threshold else 12}")

    def history(self) -> None:
        labels = [r[0] for r in self.con.execute("SELECT DISTINCT stage FROM s.opportunity_stage_history "
                                                  "WHERE stage IS NOT NULL").fetchall()]
        proposal = [x for x in labels if any(w in x.lower() for w in PROPOSAL_WORDS) and "lost" not in x.lower()]
        stages = ", ".join("'" + x.replace("'", "''") + "'" for x in proposal) or "NULL"
        facts = (f"min(changed_at) FILTER (WHERE stage IN ({stages})), arg_min(amount::DOUBLE, changed_at) "
                 f"FILTER (WHERE stage IN ({stages}) AND amount IS NOT NULL), count(*)")
        print("Stage history per opportunity")
        self.time("scan of the columns read (max of each)", "SELECT count(*), max(opportunity_id), max(changed_at), "
                  "max(stage), max(amount), max(close_date) FROM s.opportunity_stage_history")
        self.time("as the analysis groups it", f"SELECT opportunity_id, {facts}, "
                  "greatest(count(DISTINCT close_date) - 1, 0) FROM s.opportunity_stage_history GROUP BY 1")
        self.time("the same without the distinct close dates",
                  f"SELECT opportunity_id, {facts} FROM s.opportunity_stage_history GROUP BY 1")
        self.time("only the distinct close dates", "SELECT opportunity_id, count(DISTINCT close_date) "
                  "FROM s.opportunity_stage_history GROUP BY 1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--start", default="2025-07-01", help="The analysis period's first day (default: the "
                        "benchmark store's default period).")
    parser.add_argument("--end", default="2026-10-01", help="The first day after the period.")
    parser.add_argument("--repeat", type=int, default=2, help="Runs of each query; the best counts.")
    parser.add_argument("--sorted", action="store_true")
    parser.add_argument("--integer", action="store_true")
    parser.add_argument("--history", action="store_true")
    args = parser.parse_args()
    scratch = args.store.parent / "layouts.duckdb"
    scratch.unlink(missing_ok=True)
    try:
        bench = Bench(args.store, scratch, dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end),
                      args.repeat)
        bench.as_stored()
        if args.sorted:
            bench.sorted_layout()
        if args.integer:
            bench.integer_layout()
        if args.history:
            bench.history()
        bench.con.close()
    finally:
        scratch.unlink(missing_ok=True)
        Path(f"{scratch}.wal").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
