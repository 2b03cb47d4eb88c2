"""Bottom-up engine benchmark: the full analysis on the CRM benchmark's export (20,000 sellers, 2 million
opportunities, 50 million activities) against the floor of one plain scan of the columns it reads, its peak
memory, and the manager and seller pages under 20 concurrent users.

    nice -n 19 uv run python benchmarks/insights_analysis.py --scale 0.1           # the 2,000-seller export
    nice -n 19 uv run python benchmarks/insights_analysis.py --write-docs          # full size, into the docs

It reuses the export (and HR file) that benchmarks/crm_import.py generated and caches a store of its own under
benchmarks/out/insights-<sizes>/ (a Django database with the people imported, and the DuckDB store the CRM
importer filled), so the import runs once per size. Each measured step runs in a child process: wall time by the
clock, peak memory from the kernel (`wait4` rusage). The page load runs the app under gunicorn on 127.0.0.1 only,
with a bounded number of requests and a time limit.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
DOC = ROOT / "docs" / "performance.md"
PYTHON = sys.executable
FULL = {"sellers": 20_000, "opportunities": 2_000_000, "activities": 50_000_000}
DOC_START = "<!-- insights-benchmark:start -->"
DOC_END = "<!-- insights-benchmark:end -->"
PASSWORD = "bench-insights-2026"  # set on benchmark users in a throwaway database
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crm_import import export_dir, machine, measure, replace_section  # noqa: E402

# The columns the analysis reads (insights/metrics.py), per table: the floor scans exactly these.
COLUMNS = {
    "crm_users": ["user_id", "person_employee_id"],
    "accounts": ["account_id", "owner_user_id", "segment", "region"],
    "opportunities": ["opportunity_id", "owner_user_id", "account_id", "amount", "is_closed", "is_won",
                      "created_at", "close_date", "opportunity_type"],
    "opportunity_stage_history": ["opportunity_id", "changed_at", "stage", "amount", "close_date"],
    "activities": ["owner_user_id", "activity_type", "occurred_at", "account_id", "opportunity_id", "contact_id"],
    "quotas": ["user_id", "period_start", "period_end", "amount"],
}

# The floor: one plain query per table reading every value of the columns the analysis reads. max() rather than
# count(): DuckDB answers count(column) from the column's validity data without reading its values, which is not
# a scan. Timed inside the process (as the analysis job is), after connecting; repeated in fresh processes.
FLOOR_SCRIPT = """
import json, sys, time
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET memory_limit = '" + sys.argv[2] + "'")
con.execute("SET enable_progress_bar = false")
columns = json.loads(sys.argv[3])
result = {}
started = time.monotonic()
for table, cols in columns.items():
    t = time.monotonic()
    reads = ", ".join(f'CAST(max("{c}") AS VARCHAR)' for c in cols)
    rows = con.execute(f'SELECT count(*), {reads} FROM "{table}"').fetchone()[0]
    result[table] = {"seconds": round(time.monotonic() - t, 2), "rows": rows}
print("FLOOR " + json.dumps({"seconds": round(time.monotonic() - started, 2), "tables": result}))
"""

# The analysis as the background worker runs it: a process that has started Django runs the job (queue a run,
# execute it) twice. The first job also pays for importing the analysis libraries (Ibis, its SQL compiler, pandas),
# which a worker does once; the second is the steady state. Each job is timed by the clock around
# services.analysis_execute, with the run's own stage timings.
ANALYSIS_SCRIPT = """
import json, os, resource, sys, time
started = time.monotonic()
import django
django.setup()
from insights import services
from insights.models import AnalysisRun
from insights.tasks import prune_analysis_details
boot = time.monotonic() - started
prune_analysis_details.call()  # runs left by earlier benchmark runs, as a worker would have pruned them
jobs = []
for _ in range(int(sys.argv[1])):
    run = services.analysis_enqueue(actor=None, reason="benchmark")
    t = time.monotonic()
    run = services.analysis_execute(run_id=run.pk)
    seconds = time.monotonic() - t
    if run.status != AnalysisRun.Status.SUCCEEDED:
        raise SystemExit(f"Analysis {run.pk} failed: {run.error}")
    jobs.append({"seconds": round(seconds, 2), "timings": run.timings, "sellers": run.seller_count,
                 "period": [run.period_start.isoformat(), run.period_end.isoformat()],
                 "situations": run.situation_results.count(),
                 "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    print(f"job {len(jobs)}: {seconds:.1f} s {run.timings}", flush=True)
    # The housekeeping job a worker runs after each analysis (older runs' per-task rows), untimed.
    prune_analysis_details.call()
print("ANALYSIS " + json.dumps({"boot_seconds": round(boot, 2), "jobs": jobs}))
"""

SETUP_USERS = """
import json, os
PASSWORD = os.environ["BENCH_PASSWORD"]
from insights.models import CoachingNeed, SellerDiagnostic
from insights.selectors import latest_run
run = latest_run()
managers = list(CoachingNeed.objects.filter(run=run).values_list("manager_id", flat=True).distinct()[:200])
sellers = list(SellerDiagnostic.objects.filter(run=run).values_list("seller_id", flat=True)[:400])
from people.models import Person
logins = []
for kind, ids in (("manager", managers), ("seller", sellers)):
    for person in Person.objects.filter(pk__in=ids).exclude(user=None).select_related("user")[:10]:
        person.user.set_password(PASSWORD)
        person.user.save(update_fields=["password"])
        logins.append({"kind": kind, "email": person.user.email, "person_id": person.pk})
print("LOGINS " + json.dumps(logins))
"""


def store_dir(sizes: dict[str, int], seed: int) -> Path:
    return OUT / f"insights-{sizes['sellers']}-{sizes['opportunities']}-{sizes['activities']}-seed{seed}"


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ANALYTICS_URL")}
    env.update(DATA_DIR=str(data_dir), ANALYTICS_URL=f"duckdb://{data_dir / 'analytics.duckdb'}",
               TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend", **extra)
    return env


def ensure_store(sizes: dict[str, int], seed: int) -> Path:
    """A database with the company's people and a store with its CRM data, imported once and cached."""
    data_dir = store_dir(sizes, seed)
    if (data_dir / "ready.json").exists():
        print(f"Reusing the store in {data_dir}")
        return data_dir
    export = export_dir(sizes, seed)
    people = OUT / f"people-{sizes['sellers']}-seed{seed}" / "people.csv"
    if not (export / "truth.json").exists() or not people.exists():
        raise SystemExit(f"No export in {export}: run benchmarks/crm_import.py for this size first.")
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = env_for(data_dir)
    log = data_dir / "setup.log"
    measure("setup: migrate", [PYTHON, "manage.py", "migrate", "-v", "0"], env=env, log=log)
    measure("setup: HR import", [PYTHON, "manage.py", "import_people", str(people)], env=env, log=log)
    imported = measure("setup: CRM import", [PYTHON, "manage.py", "import_crm", "--source", "salesforce",
                                             str(export), "--sync"], env=env, log=data_dir / "import.log")
    (data_dir / "ready.json").write_text(json.dumps({"import_seconds": imported.seconds}))
    return data_dir


def run_floor(data_dir: Path, memory_limit: str) -> dict[str, object]:
    measured = measure("floor: one scan of the columns the analysis reads",
                       [PYTHON, "-c", FLOOR_SCRIPT, str(data_dir / "analytics.duckdb"), memory_limit,
                        json.dumps(COLUMNS)], log=data_dir / "floor.log")
    line = next(x for x in Path(measured.log).read_text().splitlines() if x.startswith("FLOOR "))
    return {"wall_seconds": measured.seconds, "peak_rss_mb": measured.peak_rss_mb, **json.loads(line[6:])}


def run_analysis(data_dir: Path, memory_limit: str, jobs: int = 2) -> dict[str, object]:
    env = env_for(data_dir, ANALYTICS_MEMORY_LIMIT=memory_limit, DJANGO_SETTINGS_MODULE="promoted.settings")
    measured = measure("analysis: the background job, run twice in one started process",
                       [PYTHON, "-c", ANALYSIS_SCRIPT, str(jobs)], env=env, log=data_dir / "analysis.log")
    text = Path(measured.log).read_text()
    out = json.loads(next(x for x in text.splitlines() if x.startswith("ANALYSIS "))[9:])
    steady = min(out["jobs"][1:] or out["jobs"], key=lambda j: j["seconds"])
    return {"wall_seconds": measured.seconds, "peak_rss_mb": measured.peak_rss_mb, "cpu_seconds":
            measured.cpu_seconds, "boot_seconds": out["boot_seconds"], "first_job": out["jobs"][0],
            "job": steady, "seconds": steady["seconds"], "timings": steady["timings"],
            "sellers": steady["sellers"], "situations": steady["situations"], "period": steady.get("period")}


# The two activity aggregations the metrics cannot do without, as the plainest hand-written SQL for DuckDB: per
# owner and account, the quarters touched (account coverage); per opportunity, its owner's touches while open,
# first and last touch, meetings before the proposal and distinct contacts. A lower bound for the store queries.
ESSENTIAL_SCRIPT = """
import json, sys, time
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET memory_limit = '" + sys.argv[2] + "'")
con.execute("SET enable_progress_bar = false")
con.execute("SET preserve_insertion_order = false")
start, end, bounds = json.loads(sys.argv[3])
ts = lambda d: "TIMESTAMPTZ '" + d + " 00:00:00+00'"
period = f"occurred_at >= {ts(start)} AND occurred_at < {ts(end)}"
later = " + ".join(f"(occurred_at < {ts(b)})::int" for b in bounds) or "0"
con.execute("CREATE TEMP TABLE o AS SELECT opportunity_id, owner_user_id AS opp_owner, "
            "CASE WHEN is_closed THEN (close_date + 1)::TIMESTAMPTZ END AS close_end FROM opportunities")
coverage = f\"\"\"WITH g AS (SELECT owner_user_id AS ownr, account_id, count(*) AS n, min(occurred_at) AS f,
    bit_or(1 << ({later})) AS m FROM activities WHERE {period} GROUP BY 1, 2)
  SELECT * FROM (SELECT ownr, sum(n), min(f) FROM g GROUP BY 1) a LEFT JOIN (SELECT ownr AS o2, sum(bit_count(m))
    FROM g JOIN accounts ac ON g.account_id = ac.account_id WHERE g.ownr = ac.owner_user_id GROUP BY 1) b
    ON a.ownr = b.o2\"\"\"
joined = f\"\"\"SELECT a.opportunity_id, a.contact_id, a.occurred_at, a.activity_type, o.close_end
  FROM activities a JOIN o ON a.opportunity_id = o.opportunity_id WHERE {period} AND a.owner_user_id = o.opp_owner\"\"\"
open_ = "(close_end IS NULL OR occurred_at < close_end)"
per_opportunity = f\"\"\"WITH p AS (SELECT opportunity_id, contact_id, sum({open_}::int) AS t,
    min(occurred_at) FILTER (WHERE {open_}) AS f, max(occurred_at) FILTER (WHERE {open_}) AS l,
    sum((activity_type = 'meeting' AND occurred_at < close_end)::int) AS m FROM ({joined}) GROUP BY 1, 2)
  SELECT opportunity_id, sum(t), min(f), max(l), count(contact_id), sum(m) FROM p GROUP BY 1\"\"\"
result = {}
for name, sql in (("coverage", coverage), ("per_opportunity", per_opportunity)):
    best = 1e9
    for _ in range(3):
        t = time.monotonic()
        con.execute(sql).to_arrow_table()
        best = min(best, time.monotonic() - t)
    result[name] = round(best, 2)
print("ESSENTIAL " + json.dumps(result))
"""


def quarter_bounds(start: str, end: str) -> tuple[str, str, list[str]]:
    """The period as [start, end) dates and the quarter starts inside it."""
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end) + dt.timedelta(days=1)
    bounds, month, year = [], 1, first.year
    while dt.date(year, month, 1) < last:
        if dt.date(year, month, 1) > first:
            bounds.append(dt.date(year, month, 1).isoformat())
        month += 3
        if month > 12:
            month, year = month - 12, year + 1
    return first.isoformat(), last.isoformat(), bounds


def run_essential(data_dir: Path, memory_limit: str, period: list[str]) -> dict[str, float]:
    measured = measure("essential aggregations as hand-written SQL (best of three each)",
                       [PYTHON, "-c", ESSENTIAL_SCRIPT, str(data_dir / "analytics.duckdb"), memory_limit,
                        json.dumps(quarter_bounds(*period))], log=data_dir / "essential.log")
    text = Path(measured.log).read_text()
    return dict(json.loads(text[text.index("ESSENTIAL ") + 10:].splitlines()[0]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_pages(data_dir: Path, *, users: int, requests_total: int, time_limit: float, workers: int,
              think: float) -> dict[str, object]:
    """Serve the app with gunicorn on 127.0.0.1 and have `users` concurrent signed-in people load their manager or
    seller pages until `requests_total` requests or `time_limit` seconds; latencies per page. Each person pauses
    a random 0.5x-1.5x `think` seconds between pages (0: back to back, a stress test)."""
    import httpx

    env = env_for(data_dir, DEBUG="false", SECURE_COOKIES="false", STATIC_MANIFEST="false",
                  ALLOWED_HOSTS="127.0.0.1", LOG_LEVEL="WARNING")
    setup = subprocess.run([PYTHON, "manage.py", "shell", "-c", SETUP_USERS], cwd=ROOT,
                           env={**env, "BENCH_PASSWORD": PASSWORD},
                           capture_output=True, text=True, check=True)
    logins = json.loads(next(x for x in setup.stdout.splitlines() if x.startswith("LOGINS "))[7:])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (data_dir / "gunicorn.log").open("w")
    server = subprocess.Popen([PYTHON, "-m", "gunicorn", "promoted.wsgi", "-b", f"127.0.0.1:{port}", "-w",
                               str(workers), "--threads", "2", "--timeout", "60"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        for _ in range(60):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(1)
        latencies: dict[str, list[float]] = {"manager": [], "seller": []}
        errors: list[str] = []
        lock = threading.Lock()
        budget = {"left": requests_total}
        deadline = time.monotonic() + time_limit

        def session(login: dict[str, object]) -> None:
            client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
            page = client.get("/accounts/login/")
            token = client.cookies.get("csrftoken", "")
            signed = client.post("/accounts/login/", data={"username": login["email"], "password": PASSWORD,
                                                           "csrfmiddlewaretoken": token},
                                 headers={"Referer": f"{base}/accounts/login/"})
            if signed.status_code != 302 or page.status_code != 200:
                with lock:
                    errors.append(f"sign-in failed for {login['email']}: {signed.status_code}")
                return
            path = (f"/insights/managers/{login['person_id']}/" if login["kind"] == "manager"
                    else f"/insights/sellers/{login['person_id']}/")
            client.get(path)  # warm this worker's connection and caches; not counted
            pause = random.Random(str(login["email"]))
            while time.monotonic() < deadline:
                if think:
                    time.sleep(think * pause.uniform(0.5, 1.5))
                with lock:
                    if budget["left"] <= 0:
                        break
                    budget["left"] -= 1
                started = time.monotonic()
                response = client.get(path)
                elapsed = (time.monotonic() - started) * 1000
                with lock:
                    if response.status_code != 200:
                        errors.append(f"{path}: {response.status_code}")
                    latencies[str(login["kind"])].append(elapsed)

        people = [logins[i % len(logins)] for i in range(users)]
        random.Random(7).shuffle(people)
        threads = [threading.Thread(target=session, args=(p,)) for p in people]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    def summary(values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        ordered = sorted(values)
        return {"count": len(values), "p50_ms": round(statistics.median(ordered), 1),
                "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
                "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 1), "max_ms": round(ordered[-1], 1)}

    return {"users": users, "workers": workers, "think_seconds": think, "seconds": round(seconds, 1),
            "errors": errors[:10],
            "error_count": len(errors), "manager": summary(latencies["manager"]),
            "seller": summary(latencies["seller"]),
            "all": summary(latencies["manager"] + latencies["seller"])}


def pages_both(data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    """The page load with people pausing between pages, then back to back."""
    out = {}
    for label, think in (("think", args.think), ("stress", 0.0)):
        pages = run_pages(data_dir, users=args.users, requests_total=args.requests, time_limit=args.time_limit,
                          workers=args.workers, think=think)
        print(f"Pages ({label}): manager {pages['manager']}, seller {pages['seller']}, errors {pages['error_count']}")
        out[label] = pages
    return out


def render(results: list[dict[str, object]]) -> str:
    lines = [DOC_START, "## Bottom-up analysis (insights)", "",
             "Measured by `benchmarks/insights_analysis.py` on the CRM benchmark's export, imported once into a "
             "store of its own (DuckDB, `ANALYTICS_MEMORY_LIMIT=3GB`). Targets: the full analysis within 3x the "
             "floor, peak memory under 4 GB; the manager and seller pages under 200 ms at the 95th percentile "
             "with 20 concurrent users.", "",
             "- **Floor**: one plain query per table reading every value of the columns the analysis reads "
             "(`SELECT count(*), max(col), ... FROM table`), timed inside a fresh process after it connects. "
             "`max()` and not `count()`: DuckDB answers `count(col)` from validity data without reading the values.",
             "- **Analysis**: the background job (`insights.services.analysis_execute`: read the store, statistics, "
             "write the snapshot to the application database, SQLite here), run twice in one process that has "
             "started Django, as the worker does. The first job also imports the analysis libraries (Ibis, its "
             "SQL compiler, pandas), which a worker does once; the second is the steady state and is the one "
             "compared with the floor. Peak memory is the process's peak resident set over both jobs.",
             "- **Pages**: the app under gunicorn on 127.0.0.1, signed-in managers and sellers loading their team "
             "view and diagnostic; the load generator shares the two cores.", ""]
    for r in results:
        m, s = r["machine"], r["sizes"]
        floor, analysis, pages = r["floor"], r["analysis"], r.get("pages") or {}
        if "job" not in analysis:
            continue  # recorded by an earlier version of this script
        ratio = analysis["seconds"] / floor["seconds"]
        timings = analysis["timings"]
        first = analysis["first_job"]
        scans = ", ".join(f"{t} {v['seconds']:.2f} s" for t, v in floor["tables"].items())
        lines += [f"### {s['sellers']:,} sellers, {s['opportunities']:,} opportunities, {s['activities']:,} "
                  f"activities ({r['date']})", "",
                  f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; DuckDB {m['duckdb']}; "
                  f"`nice -n 19`. {analysis['sellers']:,} sellers analysed in {analysis['situations']} situations. "
                  f"Runs: floor {', '.join(f'{x:.2f}' for x in r['floor_runs'])} s; analysis job "
                  f"{', '.join(f'{x:.1f}' for x in r['analysis_runs'])} s (best counts).", "",
                  "| step | time | peak memory | notes |", "|---|---|---|---|",
                  f"| floor: one scan of the columns read | {floor['seconds']:,.2f} s | {floor['peak_rss_mb']:,} MB "
                  f"| {scans}; {floor['wall_seconds']:.1f} s with process start |",
                  f"| analysis job (steady state) | {analysis['seconds']:,.1f} s | {analysis['peak_rss_mb']:,} MB | "
                  f"**{ratio:.2f}x the floor**; reading people and period {timings.get('setup', 0):.1f} s, store "
                  f"queries {timings.get('queries', 0) + timings.get('inventory', 0):.1f} s, statistics "
                  f"{timings.get('statistics', 0):.1f} s, saving the snapshot {timings.get('saving', 0):.1f} s |",
                  f"| first job after the worker starts | {first['seconds']:,.1f} s | — | includes importing Ibis and "
                  f"pandas; process start {analysis['boot_seconds']:.1f} s; whole process "
                  f"{analysis['wall_seconds']:.1f} s for both jobs |"]
        essential = r.get("essential") or {}
        if essential:
            both = sum(essential.values())
            lines.append(f"| the two essential activity aggregations alone, hand-written SQL | {both:,.2f} s | — | "
                         f"{both / floor['seconds']:.2f}x the floor: coverage {essential['coverage']:.2f} s, per "
                         f"opportunity {essential['per_opportunity']:.2f} s (best of three each) |")
        for run in pages.values():
            how = (f"pausing {run['think_seconds']:g} s (±50%) between pages" if run["think_seconds"]
                   else "back to back, no pause (stress)")
            for kind in ("manager", "seller"):
                p = run[kind]
                if p:
                    lines.append(f"| {kind} page, {run['users']} concurrent users {how} | p95 {p['p95_ms']:,.0f} ms "
                                 f"| — | p50 {p['p50_ms']:,.0f} ms, p99 {p['p99_ms']:,.0f} ms, {p['count']:,} "
                                 f"requests, {run['error_count']} errors, {run['workers']} gunicorn workers |")
        lines.append("")
        verdict = "met" if ratio <= 3 else "**not met**"
        memory = "met" if analysis["peak_rss_mb"] < 4096 else "**not met**"
        page_p95 = [run[k]["p95_ms"] for run in pages.values() if run["think_seconds"] for k in ("manager", "seller")
                    if run[k]]
        page_verdict = ("met" if page_p95 and max(page_p95) < 200 else "**not met**") if page_p95 else "not measured"
        lines += [f"Against the targets: analysis {ratio:.1f}x the floor (target 3x: {verdict}); peak memory "
                  f"{analysis['peak_rss_mb']:,} MB (target under 4,096 MB: {memory}); pages p95 with 20 users "
                  f"({page_verdict}).", ""]
        for note in r.get("notes", []):
            lines += [note, ""]
    notes = ROOT / "benchmarks" / "insights_notes.md"
    if notes.exists():
        lines += [notes.read_text(encoding="utf-8").strip(), ""]
    lines += ["Rerun: `nice -n 19 uv run python benchmarks/insights_analysis.py [--scale 0.1] [--repeat 2] "
              "--write-docs` (after `benchmarks/crm_import.py` has generated the export of that size).", DOC_END]
    return "\n".join(lines)


def write_docs(results: list[dict[str, object]]) -> None:
    replace_section(render(results), DOC_START, DOC_END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit for the floor and analysis.")
    parser.add_argument("--repeat", type=int, default=1, help="Floor and analysis runs; the best counts.")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000, help="At most this many page requests.")
    parser.add_argument("--time-limit", type=float, default=180.0, help="Stop the page load after this long.")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes.")
    parser.add_argument("--think", type=float, default=1.0,
                        help="Mean seconds a person pauses between pages (also measured with none, as a stress test).")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--pages-only", action="store_true",
                        help="Only the page load; the floor and analysis of the last run of this size are kept.")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    sizes = {k: max(1, round(v * args.scale)) for k, v in FULL.items()}
    data_dir = ensure_store(sizes, args.seed)
    stamp = f"{sizes['sellers']}-{sizes['opportunities']}-{sizes['activities']}"
    results_file = OUT / f"insights-results-{stamp}.json"
    if args.pages_only:
        result = json.loads(results_file.read_text())
        result["pages"] = pages_both(data_dir, args)
        results_file.write_text(json.dumps(result, indent=1))
        if args.write_docs:
            write_docs([json.loads(p.read_text()) for p in sorted(
                OUT.glob("insights-results-*.json"), key=lambda p: json.loads(p.read_text())["sizes"]["activities"])])
        return
    floors, analyses = [], []
    for _ in range(max(1, args.repeat)):
        floors.append(run_floor(data_dir, args.memory_limit))
        analyses.append(run_analysis(data_dir, args.memory_limit))
    floor = min(floors, key=lambda r: r["seconds"])  # type: ignore[arg-type,return-value]
    analysis = min(analyses, key=lambda r: r["seconds"])  # type: ignore[arg-type,return-value]
    print(f"Analysis job / floor = {analysis['seconds'] / floor['seconds']:.2f} (target 3.0); "
          f"peak {analysis['peak_rss_mb']:,} MB (target 4,096)")
    essential = run_essential(data_dir, args.memory_limit, analysis["period"]) if analysis.get("period") else {}
    result: dict[str, object] = {"date": dt.date.today().isoformat(), "machine": machine(), "sizes": sizes,
                                 "essential": essential,
                                 "seed": args.seed, "floor": floor, "analysis": analysis,
                                 "floor_runs": [f["seconds"] for f in floors],
                                 "analysis_runs": [a["seconds"] for a in analyses]}
    if not args.skip_pages:
        result["pages"] = pages_both(data_dir, args)
    elif results_file.exists() and json.loads(results_file.read_text()).get("pages"):
        previous = json.loads(results_file.read_text())
        result["pages"] = previous["pages"]  # the last page measurement of this size, kept
        result["notes"] = [f"Pages measured on {previous['date']} in an earlier run of this script (same code)."]
    results_file.write_text(json.dumps(result, indent=1))
    if args.write_docs:
        recorded = sorted(OUT.glob("insights-results-*.json"),
                          key=lambda p: json.loads(p.read_text())["sizes"]["activities"])
        write_docs([json.loads(p.read_text()) for p in recorded])


if __name__ == "__main__":
    main()
