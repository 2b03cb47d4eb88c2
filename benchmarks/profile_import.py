"""Where a CRM import spends its time: the pipeline's steps and the slowest store statements.

    DATA_DIR=/tmp/profile ANALYTICS_URL=duckdb:///tmp/profile/analytics.duckdb \\
        nice -n 19 uv run python benchmarks/profile_import.py
        benchmarks/out/salesforce-2000-200000-5000000-seed7

Run it against a migrated database (`manage.py migrate`; import the people first for realistic linking). It
wraps
the import pipeline's progress callback and the Ibis DuckDB backend's statement methods with timers, runs
`crm.importing.run_import`, and prints the time between progress steps and the twenty slowest statements.
"""

from __future__ import annotations

import itertools
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoted.settings")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import django

    django.setup()
    import ibis.backends.duckdb as ibis_duckdb

    from crm.importing import pipeline as pipeline_module
    from crm.importing import run_import

    steps: list[tuple[float, str, float]] = []  # (time, step, peak resident MB so far)
    statements: list[tuple[float, str, str]] = []
    original_init = pipeline_module.Pipeline.__init__

    def init(self, *args, progress=None, **kwargs):  # type: ignore[no-untyped-def]
        def timed(step: str, percent: int) -> None:
            steps.append((time.monotonic(), step, peak_mb()))
            if progress is not None:
                progress(step, percent)

        original_init(self, *args, progress=timed, **kwargs)

    pipeline_module.Pipeline.__init__ = init  # type: ignore[method-assign]

    def wrap(name: str) -> None:
        original = getattr(ibis_duckdb.Backend, name)

        def timed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.monotonic()
            try:
                return original(self, *args, **kwargs)
            finally:
                what = args[0] if args and isinstance(args[0], str) else repr(args[:1])
                statements.append((time.monotonic() - started, name, " ".join(str(what).split())[:160]))

        setattr(ibis_duckdb.Backend, name, timed)

    for method in ("raw_sql", "create_table", "to_pyarrow", "execute", "insert"):
        wrap(method)

    folder = Path(sys.argv[1])
    started = time.monotonic()
    steps.append((started, "start", peak_mb()))
    result = run_import(source="salesforce", paths=sorted(folder.glob("*.csv")), actor=None)
    finished = time.monotonic()
    steps.append((finished, "end", peak_mb()))
    print(f"status {result.status}, {finished - started:.1f} s")
    print("\nTime from each progress step to the next (and the process's peak memory when the next began):")
    for (at, step, _), (nxt, _, peak) in itertools.pairwise(steps):
        print(f"  {nxt - at:8.1f} s  {peak:8,.0f} MB  {step}")
    print("\nSlowest statements (nested calls are counted in their callers too):")
    for seconds, name, what in sorted(statements, reverse=True)[:20]:
        print(f"  {seconds:8.1f} s  {name}: {what}")


if __name__ == "__main__":
    main()
