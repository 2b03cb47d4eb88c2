"""Calibration: the engine on many generated companies it was never tuned on, scored against what was planted.

    nice -n 19 uv run python benchmarks/calibration.py --companies 50 --jobs 2      # about 20 minutes
    nice -n 19 uv run python benchmarks/calibration.py --companies 4 --jobs 1       # a quick look

Each company (demo.generator.companies.random_company, seed FIRST_SEED + i) has 2 to 6 kinds of book at uneven
distances and sizes, drivers drawn at random per kind, planted nulls, manager take-overs, quotas for everyone,
most or nobody; every fifth is imported from its opportunities alone (no activities). It is generated, imported
by the real Salesforce importer into a fresh DuckDB store with its people in a fresh copy of a migrated SQLite
database, analysed by the real job, and scored by insights.tests.calibration (its docstring defines each rate).
Companies run in `--jobs` worker processes; the results go to benchmarks/out/calibration.json, and with
`--write-docs` into the "Calibration" section of docs/engine.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "calibration"
DOC = ROOT / "docs" / "engine.md"
DOC_START = "<!-- calibration:start -->"
DOC_END = "<!-- calibration:end -->"
FIRST_SEED = 1000
SELLERS_PER_KIND = (25, 45)
ACTIVITIES_PER_SELLER = 400
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crm_import import replace_section  # noqa: E402


def worker(seeds: list[int], out: Path) -> None:
    """Run and score the companies `seeds` in this process, one JSON line each into `out`."""
    work = OUT / f"worker-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ.update(DATA_DIR=str(work), DATABASE_URL=f"sqlite:///{work / 'template.sqlite3'}",
                      TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend",
                      DJANGO_SETTINGS_MODULE="promoted.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from demo.generator.companies import company_roster, random_company
    from insights.tests import calibration

    call_command("migrate", verbosity=0)
    connections.close_all()
    template = work / "template.sqlite3"
    for seed in seeds:
        started = time.monotonic()
        company_dir = work / f"company-{seed}"
        shutil.rmtree(company_dir, ignore_errors=True)
        company_dir.mkdir()
        database = company_dir / "promoted.sqlite3"
        shutil.copy(template, database)
        connections["default"].settings_dict["NAME"] = str(database)
        settings.ANALYTICS_URL = f"duckdb://{company_dir / 'analytics.duckdb'}"
        only = calibration.OPPORTUNITIES_ONLY if seed % 5 == 0 else None
        record: dict[str, object] = {"seed": seed, "opportunities_only": only is not None}
        try:
            company = random_company(seed)
            roster = company_roster(company, seed, sellers=SELLERS_PER_KIND)
            record.update(kinds=len(company.keys), quota_share=company.quota_share, sellers=len(roster.situations))
            files, truth = calibration.generate(company, roster, company_dir / "export", seed=seed,
                                                activities=ACTIVITIES_PER_SELLER * len(roster.situations),
                                                only=only)
            run, _ = calibration.run_company(roster, files)
            record.update(calibration.score(run, truth).as_dict(), outcome=run.outcome)
        except Exception as error:  # one company failing is a finding, not the end of the benchmark
            record["error"] = f"{type(error).__name__}: {error}"
        record["seconds"] = round(time.monotonic() - started, 1)
        connections.close_all()
        shutil.rmtree(company_dir, ignore_errors=True)
        with out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        print(json.dumps({k: record.get(k) for k in ("seed", "kinds", "situations", "seconds", "error")}),
              flush=True)
    shutil.rmtree(work, ignore_errors=True)


def summarise(records: list[dict]) -> dict[str, object]:
    scored = [r for r in records if "error" not in r]
    purities = [p for r in scored for p in r["purities"]]

    def share(a: int, b: int) -> float | None:
        return round(a / b, 3) if b else None

    return {
        "companies": len(records),
        "failed": len(records) - len(scored),
        "kinds": sum(r["kinds"] for r in scored),
        "count_right": share(sum(r["kinds"] == r["situations"] for r in scored), len(scored)),
        "situations": len(purities),
        "purity_median": round(sorted(purities)[len(purities) // 2], 3) if purities else None,
        "purity_at_least_0_9": share(sum(p >= 0.9 for p in purities), len(purities)),
        "nulls": sum(r["nulls"] for r in scored),
        "nulls_critical": share(sum(len(r["nulls_critical"]) for r in scored), sum(r["nulls"] for r in scored)),
        "strong": sum(r["strong"] for r in scored),
        "strong_top_three": share(sum(r["strong_in_top_three"] for r in scored), sum(r["strong"] for r in scored)),
        "intervals": sum(r["intervals"] for r in scored),
        "coverage": share(sum(r["intervals_covering"] for r in scored), sum(r["intervals"] for r in scored)),
        "critical_by_basis": _by_basis(scored),
        "seconds_per_company": round(sum(r["seconds"] for r in records) / max(len(records), 1), 1),
    }


def _by_basis(scored: list[dict]) -> dict[str, dict[str, int]]:
    """Critical calls counted by what they rested on (insights.tests.calibration.critical_basis), for planted
    nulls and for planted drivers apart."""
    out: dict[str, dict[str, int]] = {"null": {}, "driver": {}}
    for r in scored:
        for call in r.get("critical_calls", []):
            side = out["null" if call["null"] else "driver"]
            side[call["basis"]] = side.get(call["basis"], 0) + 1
    return out


def doc_section(summary: dict[str, object], wall: float) -> str:
    s = summary
    day = dt.datetime.now(tz=dt.UTC).date().isoformat()
    lines = [
        DOC_START,
        f"Measured {day} by `benchmarks/calibration.py --companies {s['companies']}` ({wall / 60:.0f} minutes on "
        "this project's 2-core machine, shared). Each company: 2 to 6 kinds of book at uneven distances and "
        f"sizes ({SELLERS_PER_KIND[0]}-{SELLERS_PER_KIND[1]} sellers each), 2 to 4 drivers drawn at random per "
        "kind, the other behaviours planted nulls, manager take-overs, quotas for everyone, 80% or nobody; every "
        "fifth from its opportunities alone.",
        "",
        "| rate | measured | target |",
        "|---|---|---|",
        f"| companies whose number of situations equals the planted kinds | {_pct(s['count_right'])} "
        f"({s['companies']} companies, {s['kinds']} kinds, {s['failed']} failed to run) | |",
        f"| situations of at least 90% purity | {_pct(s['purity_at_least_0_9'])} (median purity "
        f"{_pct(s['purity_median'])}, {s['situations']} situations) | purity ≥ 90% |",
        f"| planted nulls called critical | {_pct(s['nulls_critical'])} ({s['nulls']} nulls tested) | ≤ 5% |",
        f"| planted strong drivers (weight ≥ 0.25) in the top three | {_pct(s['strong_top_three'])} "
        f"({s['strong']} drivers) | ≥ 95% |",
        f"| 95% intervals holding the planted effect | {_pct(s['coverage'])} ({s['intervals']} intervals, "
        "companies with quotas) | ≥ 90% |",
        "",
        f"What the critical calls rested on (data / the interval alone / the starting weight alone): planted nulls "
        f"{_basis(s, 'null')}, planted drivers {_basis(s, 'driver')}.",
        DOC_END,
    ]
    return "\n".join(lines)


def _basis(summary: dict[str, object], side: str) -> str:
    counts = summary["critical_by_basis"][side]  # type: ignore[index]
    return " / ".join(str(counts.get(b, 0)) for b in ("data", "interval", "prior"))


def _pct(value: object) -> str:
    return "—" if value is None else f"{float(value):.0%}" if isinstance(value, int | float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--summarise-only", action="store_true",
                        help="Summarise the companies already in benchmarks/out/calibration/companies.jsonl.")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # comma-separated seeds, run in this process
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker([int(s) for s in args.worker.split(",")], Path(args.out))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    lines = OUT / "companies.jsonl"
    started = time.monotonic()
    codes: list[int] = []
    if not args.summarise_only:
        lines.unlink(missing_ok=True)
        seeds = list(range(args.first_seed, args.first_seed + args.companies))
        children = [
            subprocess.Popen([sys.executable, __file__, "--worker", ",".join(map(str, seeds[j::args.jobs])),
                              "--out", str(lines)], cwd=ROOT)
            for j in range(args.jobs) if seeds[j::args.jobs]
        ]
        codes = [child.wait() for child in children]
    wall = time.monotonic() - started
    records = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines() if line.strip()]
    summary = summarise(records)
    if args.summarise_only:
        wall = sum(r["seconds"] for r in records) / max(args.jobs, 1)
    (ROOT / "benchmarks" / "out" / "calibration.json").write_text(
        json.dumps({"summary": summary, "wall_seconds": round(wall), "companies": records}, indent=1))
    print(json.dumps(summary, indent=1))
    if any(codes):
        sys.exit(f"A worker failed (exit codes {codes}).")
    if args.write_docs:
        replace_section(doc_section(summary, wall), DOC_START, DOC_END, DOC)


if __name__ == "__main__":
    main()
