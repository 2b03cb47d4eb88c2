"""CRM import benchmark: a 20,000-seller Salesforce export (2 million opportunities, 50 million activities),
imported through `crm.importing.run_import`, against the floor of DuckDB alone reading the same CSV files.

    nice -n 19 uv run python benchmarks/crm_import.py                 # full size (about 18 GB of CSV)
    nice -n 19 uv run python benchmarks/crm_import.py --scale 0.1     # a tenth, to extrapolate
    ... --write-docs                                                  # put the results in docs/performance.md

Each measured step runs in a child process, timed by wall clock, its peak memory read from the kernel
(`wait4` rusage: the largest resident set of the child and anything it waited for). The export is generated
once per size and seed and cached under benchmarks/out/ (gitignored); the floor and the import each get a
fresh
DuckDB file, and the import a fresh Django database with the company's people already imported (so CRM users
link to people as they would in production).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
DOC = ROOT / "docs" / "performance.md"
PYTHON = sys.executable
AS_OF = dt.date(2026, 11, 22)  # fixed, so a cached export stays valid and runs are comparable
FULL = {"sellers": 20_000, "opportunities": 2_000_000, "activities": 50_000_000}
DOC_START = "<!-- crm-import-benchmark:start -->"
DOC_END = "<!-- crm-import-benchmark:end -->"

FLOOR_SCRIPT = """
import json, sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
result = {}
for path in sys.argv[2:]:
    name = path.rsplit("/", 1)[-1].removesuffix(".csv")
    started = time.monotonic()
    con.execute(f"CREATE TABLE \\"{name}\\" AS SELECT * FROM read_csv('{path}')")
    rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    result[name] = {"seconds": round(time.monotonic() - started, 2), "rows": rows}
con.close()
print("FLOOR " + json.dumps(result))
"""

TIMING_SCRIPT = """
from crm.models import CrmImport
i = CrmImport.objects.order_by("-pk").first()
import json
print("IMPORT " + json.dumps({"seconds": (i.finished_at - i.started_at).total_seconds(), "status": i.status,
      "errors": i.error_count, "warnings": i.warnings, "unmatched": len(i.unmatched_owners),
      "counts": {t: c["rows"] for t, c in i.counts.items()}}))
"""


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    log: str
    load_before: float = 0.0  # 1-minute load average: how busy the shared machine was
    load_after: float = 0.0
    cpu_seconds: float = 0.0  # user + system time: the work done, whatever else the machine was doing


def measure(label: str, cmd: list[str], *, env: dict[str, str] | None = None, log: Path) -> Measured:
    """Run `cmd` to completion; its wall time and peak resident memory. Exits on failure."""
    shown = " ".join(part if len(part) < 80 else "..." for part in cmd[1:5])
    print(f"[{dt.datetime.now():%H:%M:%S}] {label}: {shown} ...", flush=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    with log.open("w") as handle:
        child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if child.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{label} failed (exit {child.returncode}); see {log}:\n{tail}")
    peak = usage.ru_maxrss / 1024  # kilobytes on Linux
    print(f"    {seconds:,.1f} s, peak {peak:,.0f} MB", flush=True)
    return Measured(
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 1),
        seconds=round(seconds, 1),
        peak_rss_mb=round(peak),
        log=str(log),
        load_before=round(load_before, 1),
        load_after=round(os.getloadavg()[0], 1),
    )


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory = ""
    try:
        kb = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, StopIteration, ValueError):
        pass
    import duckdb

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "os": platform.platform(),
    }


def django_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ANALYTICS_URL")}
    env.update(DATA_DIR=str(data_dir), ANALYTICS_URL=f"duckdb://{data_dir / 'analytics.duckdb'}", **extra)
    return env


def export_dir(sizes: dict[str, int], seed: int) -> Path:
    return OUT / f"salesforce-{sizes['sellers']}-{sizes['opportunities']}-{sizes['activities']}-seed{seed}"


def ensure_people(sizes: dict[str, int], seed: int) -> Path:
    """The HR file of a demo company with this many sellers (demo/company.py), and its truth beside it."""
    folder = OUT / f"people-{sizes['sellers']}-seed{seed}"
    path = folder / "people.csv"
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoted.settings")
    import django

    django.setup()
    from demo.company import generate_company, write_people_csv, write_truth

    plan = generate_company(seed=seed, sellers=sizes["sellers"], as_of=AS_OF)
    write_truth(plan, folder / "people_truth.json")
    return write_people_csv(plan, path)


def ensure_export(sizes: dict[str, int], seed: int, people: Path) -> tuple[Path, dict[str, object]]:
    """Generate the export, or reuse the cached one (truth.json is written last, so it marks a finished
    export)."""
    target = export_dir(sizes, seed)
    record = target / "generation.json"
    if (target / "truth.json").exists() and record.exists():
        print(f"Reusing the export in {target}")
        return target, json.loads(record.read_text())
    scratch = OUT / "work"
    scratch.mkdir(parents=True, exist_ok=True)
    measured = measure(
        "generate",
        [
            PYTHON,
            "manage.py",
            "generate_crm",
            "--out",
            str(target),
            "--people-csv",
            str(people),
            "--opportunities",
            str(sizes["opportunities"]),
            "--activities",
            str(sizes["activities"]),
            "--seed",
            str(seed),
            "--period-end",
            AS_OF.isoformat(),
        ],
        env=django_env(scratch / "generate"),
        log=OUT / "generate.log",
    )
    generation = {**asdict(measured), "at": dt.datetime.now().isoformat(timespec="seconds")}
    record.write_text(json.dumps(generation, indent=1))
    return target, generation


def files_of(export: Path) -> list[Path]:
    return sorted(export.glob("*.csv"))


def run_floor(export: Path) -> dict[str, object]:
    database = OUT / "work" / "floor.duckdb"
    database.unlink(missing_ok=True)
    Path(f"{database}.wal").unlink(missing_ok=True)
    measured = measure(
        "floor (DuckDB read_csv into tables)",
        [PYTHON, "-c", FLOOR_SCRIPT, str(database), *map(str, files_of(export))],
        log=OUT / "floor.log",
    )
    per_file = json.loads(
        next(line for line in Path(measured.log).read_text().splitlines() if line.startswith("FLOOR "))[6:]
    )
    database.unlink(missing_ok=True)
    return {**asdict(measured), "files": per_file}


def run_import(export: Path, people: Path) -> dict[str, object]:
    data_dir = OUT / "work" / "import"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = django_env(data_dir)
    measure("setup: migrate", [PYTHON, "manage.py", "migrate", "-v", "0"], env=env, log=OUT / "migrate.log")
    hr = measure(
        "setup: HR import of the people",
        [PYTHON, "manage.py", "import_people", str(people)],
        env=env,
        log=OUT / "people-import.log",
    )
    measured = measure(
        "import (crm.importing.run_import)",
        [PYTHON, "manage.py", "import_crm", "--source", "salesforce", str(export), "--sync"],
        env=env,
        log=OUT / "import.log",
    )
    timing = measure(
        "read the import record",
        [PYTHON, "manage.py", "shell", "-c", TIMING_SCRIPT],
        env=env,
        log=OUT / "import-record.log",
    )
    record = json.loads(
        next(line for line in Path(timing.log).read_text().splitlines() if line.startswith("IMPORT "))[7:]
    )
    store = data_dir / "analytics.duckdb"
    result = {
        **asdict(measured),
        "record": record,
        "store_mb": round(store.stat().st_size / 2**20),
        "people_import_seconds": hr.seconds,
    }
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


def sizes_for(scale: float, args: argparse.Namespace) -> dict[str, int]:
    sizes = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    for key in FULL:
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    return sizes


def file_table(export: Path) -> list[dict[str, object]]:
    return [{"file": p.name, "mb": round(p.stat().st_size / 2**20)} for p in files_of(export)]


def render(results: list[dict[str, object]]) -> str:
    """The benchmark's section of docs/performance.md."""
    lines = [
        DOC_START,
        "## CRM import (Salesforce export)",
        "",
        "Measured by `benchmarks/crm_import.py` (see benchmarks/README.md). The export is generated by "
        "`manage.py generate_crm` from an HR file of the demo company (demo/company.py) and imported with "
        "`manage.py import_crm --source salesforce DIR --sync` (`crm.importing.run_import`) into a fresh "
        "DuckDB store, with the company's people already in the database. The floor is a fresh DuckDB "
        "reading the same CSV files into tables (`CREATE TABLE t AS SELECT * FROM read_csv(file)`, one "
        "per file). Times are wall clock; memory is the peak resident set of the process (kernel rusage). "
        "Targets: the import within 2x the floor, peak memory under 4 GB.",
        "",
    ]
    for r in results:
        m = r["machine"]
        s = r["sizes"]
        rows = r["rows"]
        lines += [
            f"### {s['sellers']:,} sellers, {rows['Opportunity.csv']:,} opportunities, "
            f"{rows['Task.csv'] + rows['Event.csv']:,} activities ({r['date']})",
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; Python {m['python']}, "
            f"DuckDB {m['duckdb']}. Run under `nice -n 19` on a machine shared with other work, so "
            f"times are upper bounds.",
            "",
        ]
        total_mb = sum(f["mb"] for f in r["files"])
        lines += ["| step | wall time | CPU time | peak memory | notes |", "|---|---|---|---|---|"]

        def cpu(m: dict) -> str:  # type: ignore[type-arg]
            return f"{m['cpu_seconds']:,.0f} s" if m.get("cpu_seconds") else "-"

        gen = r["generation"]
        lines.append(
            f"| generate the export (`generate_crm`) | {gen['seconds']:,.0f} s | {cpu(gen)} | "
            f"{gen['peak_rss_mb']:,} MB | {total_mb:,} MB of CSV in {len(r['files'])} files |"
        )
        if r.get("floor"):
            floor = r["floor"]
            runs = ", ".join(f"{x:,.0f}" for x in r.get("floor_runs", []))
            lines.append(
                f"| floor: DuckDB reads the CSVs into tables | {floor['seconds']:,.0f} s | {cpu(floor)} | "
                f"{floor['peak_rss_mb']:,} MB | {f'best of runs: {runs} s' if runs else ''} |"
            )
        if r.get("import"):
            imp = r["import"]
            ratio = imp["seconds"] / r["floor"]["seconds"] if r.get("floor") else None
            rec = imp["record"]
            runs = ", ".join(f"{x:,.0f}" for x in r.get("import_runs", []))
            cpu_ratio = ""
            if r.get("floor") and imp.get("cpu_seconds") and r["floor"].get("cpu_seconds"):
                cpu_ratio = f" (CPU {imp['cpu_seconds'] / r['floor']['cpu_seconds']:.2f}x)"
            lines.append(
                f"| import (`run_import`) | {imp['seconds']:,.0f} s | {cpu(imp)} | "
                f"{imp['peak_rss_mb']:,} MB | "
                f"{f'{ratio:.2f}x the floor{cpu_ratio}; ' if ratio else ''}"
                f"{f'best of runs: {runs} s; ' if runs else ''}"
                f"status {rec['status']}, "
                f"{rec['errors']} errors, {rec['unmatched']} unmatched CRM users; store "
                f"{imp['store_mb']:,} MB |"
            )
        lines.append("")
        loads = [
            (label, r[key])
            for label, key in (("floor", "floor"), ("import", "import"))
            if r.get(key) and r[key].get("load_before") is not None and "load_before" in r[key]
        ]
        if loads:
            lines += [
                "Machine load (1-minute load average on 2 cores, before -> after): "
                + "; ".join(f"{label} {m['load_before']} -> {m['load_after']}" for label, m in loads)
                + ".",
                "",
            ]
        if r.get("floor"):
            lines += [
                "Rows and floor time per file:",
                "",
                "| file | rows | MB | floor |",
                "|---|---|---|---|",
            ]
            floor_files = r["floor"]["files"]
            for f in r["files"]:
                name = f["file"].removesuffix(".csv")
                got = floor_files.get(name, {})
                lines.append(
                    f"| {f['file']} | {rows.get(f['file'], 0):,} | {f['mb']:,} | "
                    f"{got.get('seconds', 0):,.1f} s |"
                )
            lines.append("")
        for note in r.get("notes", []):
            lines += [note, ""]
    lines += [
        "Rerun: `nice -n 19 uv run python benchmarks/crm_import.py [--scale 0.1] --write-docs` "
        "(about 18 GB of disk for the full size; the export is cached in benchmarks/out/).",
        DOC_END,
    ]
    return "\n".join(lines)


def write_docs(results: list[dict[str, object]]) -> None:
    replace_section(render(results), DOC_START, DOC_END)


def replace_section(section: str, start: str, end: str, doc: Path = DOC) -> None:
    """Put `section` (which begins with `start` and ends with `end`) in `doc` (docs/performance.md) in place of
    the text between those markers, or at the end of the file."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")
    print(f"Wrote {doc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the full size (default 1).")
    parser.add_argument("--sellers", type=int)
    parser.add_argument("--opportunities", type=int)
    parser.add_argument("--activities", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Run the floor and the import this many times, alternating; the best run counts "
        "(the machine is shared, so the fastest run is the least disturbed).",
    )
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="Record this run in docs/performance.md (keeps the other recorded sizes).",
    )
    parser.add_argument(
        "--docs-only",
        action="store_true",
        help="Only rewrite docs/performance.md from the recorded results (no measuring).",
    )
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        help="A sentence to record with this size's results (shown under its table).",
    )
    args = parser.parse_args()
    sizes = sizes_for(args.scale, args)
    stamp = f"{sizes['sellers']}-{sizes['opportunities']}-{sizes['activities']}"
    if args.docs_only:
        recorded_path = OUT / f"results-{stamp}.json"
        if args.note and recorded_path.exists():
            recorded = json.loads(recorded_path.read_text())
            recorded["notes"] = [*recorded.get("notes", []), *args.note]
            recorded_path.write_text(json.dumps(recorded, indent=1))
        write_docs_from_results()
        return
    OUT.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(OUT).free / 2**30
    print(f"Sizes {sizes}; {free:,.0f} GB free in {OUT}")
    people = ensure_people(sizes, args.seed)
    export, generation = ensure_export(sizes, args.seed, people)
    truth = json.loads((export / "truth.json").read_text())
    result: dict[str, object] = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "sizes": sizes,
        "seed": args.seed,
        "rows": truth["rows"],
        "files": file_table(export),
        "generation": generation,
    }
    floors: list[dict[str, object]] = []
    imports: list[dict[str, object]] = []
    for _ in range(max(1, args.repeat)):
        if not args.skip_floor:
            floors.append(run_floor(export))
        if not args.skip_import:
            imports.append(run_import(export, people))
    if floors:
        result["floor"] = min(floors, key=lambda r: r["seconds"])  # type: ignore[arg-type,return-value]
        result["floor_runs"] = [r["seconds"] for r in floors]
    if imports:
        result["import"] = min(imports, key=lambda r: r["seconds"])  # type: ignore[arg-type,return-value]
        result["import_runs"] = [r["seconds"] for r in imports]
    if result.get("floor") and result.get("import"):
        ratio = result["import"]["seconds"] / result["floor"]["seconds"]  # type: ignore[index]
        print(f"Import / floor = {ratio:.2f} (target 2.0)")
    if args.note:
        result["notes"] = list(args.note)
    (OUT / f"results-{stamp}.json").write_text(json.dumps(result, indent=1))
    if args.write_docs:
        write_docs_from_results()


def write_docs_from_results() -> None:
    recorded = sorted(
        OUT.glob("results-*.json"), key=lambda p: json.loads(p.read_text())["sizes"]["activities"]
    )
    write_docs([json.loads(p.read_text()) for p in recorded])


if __name__ == "__main__":
    main()
