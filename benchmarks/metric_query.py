"""The metric query alone (`insights.metrics.seller_metrics` and `currency_breakdown`, executed to Arrow), the code
of earlier commits against the working tree's, in one process, interleaved, best of N.

The machine these run on is shared, so only times measured in the same run are compared, and only the best of
each (the least disturbed). Every version's result is checked against the working tree's, row for row, for the
versions named with --same-as (the definitions may differ from older ones on purpose).

    nice -n 19 uv run python benchmarks/metric_query.py --rev ef8c3b9^ --rev HEAD --same-as HEAD --repeat 5

Reuses (or generates) the export of benchmarks/crm_import.py for the sizes given and imports it once into a store
of its own (`benchmarks/out/metric-query-<sizes>-seed<seed>/`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import crm_import  # noqa: E402  (the export generator and its cache)

OUT = ROOT / "benchmarks" / "out"
# Two years of closed quarters before the export's date (crm_import.AS_OF), as the engine's default period is.
PERIOD = (dt.date(2024, 10, 1), dt.date(2026, 9, 30), crm_import.AS_OF)


def ensure_store(sizes: dict[str, int], seed: int) -> Path:
    """A DuckDB store with the export imported by the real importer (done once per size and seed)."""
    people = crm_import.ensure_people(sizes, seed)
    export, _ = crm_import.ensure_export(sizes, seed, people)
    data_dir = OUT / f"metric-query-{sizes['sellers']}-{sizes['opportunities']}-{sizes['activities']}-seed{seed}"
    store = data_dir / "analytics.duckdb"
    done = data_dir / "imported"
    if done.exists():
        return store
    data_dir.mkdir(parents=True, exist_ok=True)
    env = crm_import.django_env(data_dir)
    python = crm_import.PYTHON
    for cmd in (["manage.py", "migrate", "-v", "0"], ["manage.py", "import_people", str(people)],
                ["manage.py", "import_crm", "--source", "salesforce", str(export), "--sync"]):
        print("running", " ".join(cmd), flush=True)
        subprocess.run([python, *cmd], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    done.write_text(dt.datetime.now().isoformat(timespec="seconds"))
    return store


def load_revision(rev: str) -> ModuleType:
    """insights/metrics.py as it was at `rev` ("work" for the working tree, or the path of a .py file), loaded as
    a module of its own."""
    if rev == "work":
        source_path = ROOT / "insights" / "metrics.py"
    elif rev.endswith(".py"):
        source_path = Path(rev)  # a version of the file kept aside, for trying alternatives
    else:
        source = subprocess.run(["git", "show", f"{rev}:insights/metrics.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        source_path = OUT / "metric-query-revs" / f"metrics_{abs(hash(rev))}.py"
        source_path.parent.mkdir(parents=True, exist_ok=True)
        source_path.write_text(source)
    name = f"metrics_{abs(hash((rev, str(source_path))))}"
    spec = importlib.util.spec_from_file_location(name, source_path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_once(module: ModuleType, con: Any) -> tuple[float, float, dict[str, Any]]:
    """Wall and CPU seconds (this process, every thread) for the metric query (and the currency breakdown, where
    the version has one), and the results."""
    inv = module.inspect_store(con)
    period = module.Period(*PERIOD)
    started, cpu = time.perf_counter(), time.process_time()
    table, _ = module.seller_metrics(inv, period)
    results: dict[str, Any] = {"metrics": table.to_pyarrow()}
    breakdown: Callable[..., Any] | None = getattr(module, "currency_breakdown", None)
    if breakdown is not None:
        currencies = breakdown(inv, period)
        if currencies is not None:
            results["currencies"] = currencies.order_by(["user_id", "currency"]).to_pyarrow()
    return time.perf_counter() - started, time.process_time() - cpu, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sellers", type=int, default=480)
    parser.add_argument("--opportunities", type=int, default=48_000)
    parser.add_argument("--activities", type=int, default=900_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rev", action="append", default=[],
                        help="A commit whose insights/metrics.py to time (repeatable); the working tree always runs.")
    parser.add_argument("--same-as", action="append", default=[],
                        help="A --rev whose results must equal the working tree's (repeatable).")
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, one per core)")
    args = parser.parse_args()
    sizes = {"sellers": args.sellers, "opportunities": args.opportunities, "activities": args.activities}
    store = ensure_store(sizes, args.seed)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoted.settings")
    import ibis

    con = ibis.duckdb.connect(str(store), read_only=True)
    if args.threads:
        con.raw_sql(f"SET threads = {args.threads}")
    revs = [*args.rev, "work"]
    modules = {rev: load_revision(rev) for rev in revs}
    times: dict[str, list[float]] = {rev: [] for rev in revs}
    cpu_times: dict[str, list[float]] = {rev: [] for rev in revs}
    results_of: dict[str, dict[str, Any]] = {}
    for round_ in range(args.repeat):
        order = revs if round_ % 2 == 0 else list(reversed(revs))
        for rev in order:
            seconds, cpu, results = run_once(modules[rev], con)
            times[rev].append(seconds)
            cpu_times[rev].append(cpu)
            results_of.setdefault(rev, results)
            print(f"round {round_ + 1} {rev:>12}: {seconds:6.2f} s, CPU {cpu:6.2f} s", flush=True)
    for rev in args.same_as:
        theirs, ours = results_of[rev], results_of["work"]
        if theirs.keys() != ours.keys():
            raise SystemExit(f"{rev}: not the same results as the working tree's ({sorted(theirs)})")
        for key, table in ours.items():
            if not theirs[key].equals(table):
                raise SystemExit(f"{rev}: {key} differs from the working tree's")
        print(f"{rev}: results identical to the working tree's")
    # CPU time is the steadier figure on a shared machine (time spent waiting for a core is not in it).
    for label, measured in (("wall", times), ("CPU", cpu_times)):
        best_work = min(measured["work"])
        for rev in revs:
            best = min(measured[rev])
            print(f"{label:>4} {rev:>12}: best {best:6.2f} s of {', '.join(f'{t:.2f}' for t in measured[rev])}"
                  f"  (working tree / this = {best_work / best:.2f})")
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
