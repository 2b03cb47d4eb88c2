"""Generate a CRM export for a roster: plan, simulate sellers chunk by chunk, write files, write the truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from demo.generator.model import region_geo
from demo.generator.plan import GeneratorConfig, Plan, build_plan
from demo.generator.records import Records, SellerStats, concatenate
from demo.generator.roster import Roster
from demo.generator.simulate import simulate_seller
from demo.generator.truth import build_truth, write_truth

TRUTH_FILE = "truth.json"


class ExportWriter(Protocol):
    format: str

    def begin(self) -> None: ...

    def write(self, records: Records) -> None: ...

    def finish(self) -> dict[str, int]: ...

    def crm_user_id(self, index: int) -> str: ...


@dataclass
class ExportResult:
    """A finished export: where it is, rows per file, the truth, and how long it took."""

    out_dir: Path
    rows: dict[str, int]
    truth_path: Path
    truth: dict[str, Any]
    seconds: float
    plan: Plan

    @property
    def files(self) -> list[Path]:
        return [self.out_dir / name for name in self.rows]


def make_writer(plan: Plan, out_dir: Path) -> ExportWriter:
    if plan.config.format == "hubspot":
        from demo.generator.hubspot import HubSpotWriter

        return HubSpotWriter(out_dir, plan)
    from demo.generator.salesforce import SalesforceWriter

    return SalesforceWriter(out_dir, plan)


def _stale_files(out_dir: Path) -> list[Path]:
    from demo.generator.hubspot import FILES as HUBSPOT_FILES
    from demo.generator.salesforce import FILES as SALESFORCE_FILES

    names = {*SALESFORCE_FILES, *HUBSPOT_FILES, TRUTH_FILE}
    return [out_dir / name for name in sorted(names) if (out_dir / name).exists()]


def generate_export(
    roster: Roster,
    config: GeneratorConfig,
    out_dir: Path | str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Write a `config.format` export for `roster` into `out_dir`, and truth.json beside it.

    Sellers are simulated `config.chunk_sellers` at a time and each chunk is appended to the files, so memory
    stays bounded whatever the size; the bytes written do not depend on the chunk size. Export files and a
    truth.json already in `out_dir` are replaced; truth.json is written last, so its presence means the export
    is complete. `progress(done, total)` is called after each chunk.
    """
    started = time.monotonic()
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    for stale in _stale_files(target):
        stale.unlink()
    plan = build_plan(roster, config)
    writer = make_writer(plan, target)
    writer.begin()
    geo = {region: np.array(region_geo(region)) for region in set(plan.region)}
    stats: list[SellerStats] = []
    size = max(1, config.chunk_sellers)
    for first in range(0, plan.rows, size):
        rows = list(range(first, min(first + size, plan.rows)))
        parts = [simulate_seller(plan, row, geo[plan.region[row]]) for row in rows]
        records = concatenate(parts, rows)
        writer.write(records)
        stats.extend(records.stats)
        if progress is not None:
            progress(rows[-1] + 1, plan.rows)
    counts = writer.finish()
    truth = build_truth(plan, stats, writer.crm_user_id, counts)
    truth_path = write_truth(truth, target / TRUTH_FILE)
    return ExportResult(
        out_dir=target,
        rows=counts,
        truth_path=truth_path,
        truth=truth,
        seconds=time.monotonic() - started,
        plan=plan,
    )
