"""Importer fuzzing, the long run: many mutated files through the HR importer and the CRM importers, with the
properties of the suite's fuzz tests (people/tests/test_import_fuzz.py, crm/tests/test_import_fuzz.py) checked
for each one.

    nice -n 19 uv run python benchmarks/import_fuzz.py                       # 1,000 HR files, 1,000 CRM files
    nice -n 19 uv run python benchmarks/import_fuzz.py --hr 200 --crm 100    # a quick look
    ... --write-docs                                                         # the section in docs/performance.md

Each file is a valid file mutated by tests/fuzzing.py (Hypothesis draws the mutations; no shrinking, the run
only counts). An outcome is "accepted" (the import succeeded), "refused" (it failed, said where and changed
nothing) or "crashed": the importer raised, or broke a property (a refused file changed something, an error
without its place, the CRM import stopped on an unexpected error, more people marked as left than allowed). A
crashed file is saved under benchmarks/out/fuzz/crashes/ with what was done to it.

The HR files are the full file of a generated company (demo/company.py), the suite's people_valid.csv and the
company's file as an XLSX workbook, imported full or partial, for real or as a check, into a fresh SQLite
database; every import runs in a savepoint that is rolled back. The CRM files are one file of the suite's
Salesforce or HubSpot export (imported alone into a DuckDB store that holds the rest of the export) or one file
of the mapped export (imported with the rest); each import gets its own copy of the store.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "fuzz"
DOC = ROOT / "docs" / "performance.md"
DOC_START = "<!-- import-fuzz-benchmark:start -->"
DOC_END = "<!-- import-fuzz-benchmark:end -->"
AS_OF = dt.date(2026, 11, 22)

sys.path.insert(0, str(ROOT))


@dataclass
class Tally:
    """Outcomes of one importer's run."""

    name: str
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    seconds: list[float] = field(default_factory=list)
    by_step: dict[str, collections.Counter[str]] = field(default_factory=lambda: collections.defaultdict(
        collections.Counter))
    crashes: list[str] = field(default_factory=list)

    def record(self, outcome: str, steps: tuple[str, ...], seconds: float) -> None:
        self.outcomes[outcome] += 1
        self.seconds.append(seconds)
        for step in set(steps):
            self.by_step[step][outcome] += 1

    def summary(self) -> dict[str, Any]:
        total = sum(self.seconds)
        ordered = sorted(self.seconds)
        return {
            "files": len(self.seconds),
            "accepted": self.outcomes["accepted"],
            "refused": self.outcomes["refused"],
            "crashed": self.outcomes["crashed"],
            "seconds": round(total, 1),
            "files_per_second": round(len(self.seconds) / total, 2) if total else 0.0,
            "median_ms": round(1000 * ordered[len(ordered) // 2]) if ordered else 0,
            "p95_ms": round(1000 * ordered[int(len(ordered) * 0.95)]) if ordered else 0,
            "max_ms": round(1000 * ordered[-1]) if ordered else 0,
            "by_mutation": {step: dict(counts) for step, counts in sorted(self.by_step.items())},
            "crashes": self.crashes,
            "times": [round(seconds, 4) for seconds in self.seconds],
        }

    @classmethod
    def combined(cls, name: str, summaries: list[dict[str, Any]]) -> Tally:
        """One tally from the summaries of several runs (runs side by side, each with its own seed)."""
        tally = cls(name)
        for summary in summaries:
            for outcome in ("accepted", "refused", "crashed"):
                tally.outcomes[outcome] += summary[outcome]
            tally.seconds += summary["times"]
            for step, counts in summary["by_mutation"].items():
                tally.by_step[step].update(counts)
            tally.crashes += summary["crashes"]
        return tally


def _save_crash(tally: Tally, name: str, data: bytes, steps: tuple[str, ...], problem: str) -> None:
    folder = OUT / "crashes" / tally.name
    folder.mkdir(parents=True, exist_ok=True)
    index = len(tally.crashes) + 1
    (folder / f"{index:04d}-{name}").write_bytes(data)
    (folder / f"{index:04d}-{name}.txt").write_text(f"steps: {steps}\n\n{problem}\n")
    tally.crashes.append(f"{name} after {', '.join(steps)}: {problem.strip().splitlines()[-1][:300]}")


def _outcome(run: Any) -> tuple[str, str]:
    """Run one checked import: ("accepted" | "refused" | "crashed", what went wrong)."""
    try:
        status = run()
    except AssertionError:
        return "crashed", "a property failed:\n" + traceback.format_exc()
    except Exception:
        return "crashed", "the importer raised:\n" + traceback.format_exc()
    return ("accepted" if status == "succeeded" else "refused"), ""


def _run_settings(examples: int) -> Any:
    """Generate `examples` files and nothing else: no shrinking (the body never fails), no example database."""
    from hypothesis import HealthCheck, Phase, settings

    return settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck))


# --- HR -------------------------------------------------------------------------------------------------------


def fuzz_hr(examples: int, seed: int, sellers: int) -> Tally:
    from hypothesis import given
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    from demo.company import generate_company, write_people_csv
    from people.importing import import_people
    from people.tests.fixtures.hr_files import FIXTURES, csv_bytes, database_state, everyone_rows, xlsx_bytes
    from people.tests.test_import_fuzz import HR_VALUES, check_import, rolled_back
    from tests.fuzzing import BYTE_MUTATIONS, MUTATIONS, mutated

    people_csv = write_people_csv(generate_company(seed=seed, sellers=sellers, as_of=AS_OF), OUT / "people.csv")
    company = import_people(file=people_csv, filename="people.csv", actor=None, full=True)
    assert company.status == "succeeded", company.errors
    print(f"HR: a company of {company.created} people imported; fuzzing {examples} files", flush=True)
    rows = everyone_rows()
    bases = [
        ("everyone.csv", csv_bytes(rows), MUTATIONS),
        ("people_valid.csv", (FIXTURES / "people_valid.csv").read_bytes(), MUTATIONS),
        ("everyone.xlsx", xlsx_bytes(rows), BYTE_MUTATIONS),
    ]
    start = database_state()
    tally = Tally("hr")

    @hypothesis_seed(seed)
    @_run_settings(examples)
    @given(data=st.data(), base=st.sampled_from(bases), full=st.booleans(), dry_run=st.booleans())
    def one(data: Any, base: tuple[str, bytes, Any], full: bool, dry_run: bool) -> None:
        name, original, mutations = base
        mutant = data.draw(mutated(original, values=HR_VALUES, mutations=mutations))
        started = time.perf_counter()

        def run() -> str:
            with rolled_back():
                return str(check_import(mutant, filename=name, actor=None, full=full, dry_run=dry_run,
                                        start=start).status)

        outcome, problem = _outcome(run)
        tally.record(outcome, mutant.steps, time.perf_counter() - started)
        if problem:
            _save_crash(tally, name, mutant.data, mutant.steps, problem)
        _progress(tally, examples)

    one()
    return tally


# --- CRM ------------------------------------------------------------------------------------------------------


def fuzz_crm(examples: int, seed: int) -> Tally:
    from django.conf import settings as django_settings
    from hypothesis import given
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    from crm.tests.test_import_fuzz import EXPORTS, base_for, check_import, mutated_file

    bases = {}
    for source, export in EXPORTS.items():
        bases[source] = base_for(export, OUT / f"base-{source}.duckdb", django_settings)
    print(f"CRM: base stores of {', '.join(bases)} made; fuzzing {examples} files", flush=True)
    tally = Tally("crm")

    @hypothesis_seed(seed)
    @_run_settings(examples)
    @given(data=st.data(), source=st.sampled_from(sorted(EXPORTS)))
    def one(data: Any, source: str) -> None:
        export = EXPORTS[source]
        file, mutant = mutated_file(data, export)
        started = time.perf_counter()

        def run() -> str:
            return str(check_import(export, bases[source], mutant, file, django_settings).status)

        outcome, problem = _outcome(run)
        tally.record(outcome, (f"{source}:{file}", *mutant.steps), time.perf_counter() - started)
        if problem:
            _save_crash(tally, f"{source}-{file}", mutant.data, mutant.steps, problem)
        _progress(tally, examples)

    one()
    return tally


RUN: dict[str, Any] = {}  # the run's date, seed and machine, for the results written as it goes


def _progress(tally: Tally, examples: int) -> None:
    done = len(tally.seconds)
    if done % 50 == 0 or done == examples:
        # Written as the run goes, so a run stopped early still has its figures.
        (OUT / "results.json").write_text(json.dumps({**RUN, "machine": _machine(), tally.name: tally.summary(),
                                                      "partial": done < examples}, indent=1))
        counts = ", ".join(f"{k} {v}" for k, v in sorted(tally.outcomes.items()))
        print(f"[{dt.datetime.now():%H:%M:%S}] {tally.name}: {done}/{examples} ({counts}), "
              f"{sum(tally.seconds):.0f} s", flush=True)


# --- setup, report --------------------------------------------------------------------------------------------


def setup_django(data_dir: Path) -> None:
    """A fresh SQLite database and data directory for this run only."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    for name in ("DATABASE_URL", "ANALYTICS_URL"):
        os.environ.pop(name, None)
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ["ANALYTICS_URL"] = f"duckdb://{data_dir / 'analytics.duckdb'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoted.settings")
    import logging

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # The CRM importer logs every unexpected error with its traceback; the run counts them instead.
    logging.getLogger("crm.services").setLevel(logging.CRITICAL)
    logging.getLogger("people").setLevel(logging.CRITICAL)


def report(results: dict[str, Any]) -> str:
    rows = []
    for key, label in (("hr", "HR importer (`import_people`)"), ("crm", "CRM importers (`run_import`)")):
        r = results.get(key)
        if not r:
            continue
        rows.append(f"| {label} | {r['files']:,} | {r['accepted']:,} | {r['refused']:,} | {r['crashed']} | "
                    f"{r['files_per_second']} | {r['median_ms']} | {r['p95_ms']} | {r['max_ms']:,} |")
    return "\n".join([
        "| Importer | Files | Accepted | Refused | Crashed | Files/s | Median ms | p95 ms | Max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ])


def write_docs(results: dict[str, Any]) -> None:
    machine = results["machine"]
    body = "\n".join([
        DOC_START,
        f"### {results['date']}: {results.get('hr', {}).get('files', 0):,} HR files, "
        f"{results.get('crm', {}).get('files', 0):,} CRM files (seed {results['seed']})",
        "",
        report(results),
        "",
        f"Machine: {machine['cores']} cores ({machine['processor']}), Python {machine['python']}, load average "
        f"{machine['load_before']:.1f} before and {machine['load_after']:.1f} after the run; other sessions were "
        "running tests on the same cores, so the times are indicative only. Time per file includes checking the "
        "properties (the database or store compared before and after).",
        "",
        "Rerun: `nice -n 19 uv run python benchmarks/import_fuzz.py --write-docs` (or an HR run and CRM runs side "
        "by side with `--out` and `--seed` each, then `--docs-from <each results.json>`).",
        DOC_END,
    ])
    text = DOC.read_text()
    if DOC_START in text:
        before, rest = text.split(DOC_START, 1)
        text = before + body + rest.split(DOC_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Importer fuzzing\n\n" + body + "\n"
    DOC.write_text(text)


def _machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "load_before": RUN.get("load_before", 0.0),
            "load_after": os.getloadavg()[0]}


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from several runs (an HR run and CRM runs side by side): each importer's files added up."""
    result: dict[str, Any] = {"date": max(run["date"] for run in runs),
                              "seed": ", ".join(sorted({str(run["seed"]) for run in runs}))}
    for key in ("hr", "crm"):
        summaries = [run[key] for run in runs if key in run]
        if len(summaries) == 1:
            result[key] = summaries[0]
        elif summaries:
            result[key] = Tally.combined(key, summaries).summary()
    machines = [run["machine"] for run in runs]
    result["machine"] = {**machines[0], "load_before": max(m["load_before"] for m in machines),
                         "load_after": max(m["load_after"] for m in machines)}
    return result


def main() -> None:
    global OUT  # the run's folder, for the helpers above
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hr", type=int, default=1000, help="HR files to import (0: skip)")
    parser.add_argument("--crm", type=int, default=1000, help="CRM files to import (0: skip)")
    parser.add_argument("--sellers", type=int, default=20, help="sellers of the generated HR company")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT, help="the run's folder (default benchmarks/out/fuzz)")
    parser.add_argument("--docs-from", type=Path, nargs="+", metavar="RESULTS_JSON",
                        help="only write the docs section, from these runs' results.json (an HR-only run and a "
                             "CRM-only run are merged)")
    args = parser.parse_args()
    if args.docs_from:
        write_docs(merged([json.loads(path.read_text()) for path in args.docs_from]))
        return
    OUT = args.out

    RUN.update(date=dt.date.today().isoformat(), seed=args.seed, load_before=os.getloadavg()[0])
    shutil.rmtree(OUT / "crashes", ignore_errors=True)
    setup_django(OUT / "data")
    results: dict[str, Any] = {"date": RUN["date"], "seed": args.seed}
    if args.hr:
        results["hr"] = fuzz_hr(args.hr, args.seed, args.sellers).summary()
    if args.crm:
        results["crm"] = fuzz_crm(args.crm, args.seed).summary()
    results["machine"] = _machine()
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    print()
    print(report(results))
    for key in ("hr", "crm"):
        for crash in results.get(key, {}).get("crashes", []):
            print(f"CRASH ({key}): {crash}")
    if args.write_docs:
        write_docs(results)
        print(f"Written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
