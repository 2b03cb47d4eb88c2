"""manage.py generate_crm --out DIR [--format salesforce|hubspot] [--seed 7] [--people-csv PATH] [--sellers N]
[--opportunities N] [--activities N] [--period-start DATE] [--period-end DATE]

Writes a realistic CRM export with planted truth (docs/planted-truth.md) for the people of the company.
"""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.generator import (
    TRUTH_FILE,
    GeneratorConfig,
    Roster,
    RosterError,
    default_period,
    generate_export,
    read_people_truth,
    roster_from_company_plan,
    roster_from_database,
    roster_from_people_csv,
)

MAX_SELLERS = 20_000
MAX_OPPORTUNITIES = 10_000_000
MAX_ACTIVITIES = 200_000_000


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ArgumentTypeError(f"{value!r} is not a yyyy-mm-dd date") from exc


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", "").replace(",", ""))
    except ValueError as exc:
        raise ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 0:
        raise ArgumentTypeError(f"{value!r} must not be negative")
    return number


class Command(BaseCommand):
    help = (
        "Generate a Salesforce (or HubSpot) export for the company's sellers, deterministic from --seed, "
        "with the planted truth in truth.json beside it. People come from the database (function sales), "
        "from --people-csv, or from a generated company of --sellers sellers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", required=True, help="Folder to write the export into (created if needed)."
        )
        parser.add_argument("--format", choices=["salesforce", "hubspot"], default="salesforce")
        parser.add_argument(
            "--seed", type=int, default=7, help="Same seed and inputs, same bytes (default 7)."
        )
        parser.add_argument(
            "--people-csv",
            type=Path,
            help="An HR-format people CSV to take the sellers from instead of the database.",
        )
        parser.add_argument(
            "--people-truth",
            type=Path,
            help="The people truth JSON (demo/company.py): sellers' situations and turnover "
            "managers. Default: people_truth.json beside --people-csv, or "
            "var/demo/people_truth.json for the database.",
        )
        parser.add_argument(
            "--sellers",
            type=_count,
            help=f"Generate a company of this many active sellers (demo.company, --seed) instead "
            f"of reading people (1-{MAX_SELLERS}).",
        )
        parser.add_argument(
            "--opportunities",
            type=_count,
            help="Exact number of opportunities (default: each seller's natural volume).",
        )
        parser.add_argument(
            "--activities",
            type=_count,
            help="Exact number of activities: tasks plus events (default: natural volume).",
        )
        parser.add_argument("--period-start", type=_date, help="First day of the data (yyyy-mm-dd).")
        parser.add_argument(
            "--period-end",
            type=_date,
            help="Last day of the data, the export's 'today' (default: the people data's as-of "
            "date, else today).",
        )
        parser.add_argument(
            "--chunk-sellers",
            type=int,
            default=250,
            help="Sellers simulated per chunk: bounds memory; does not change the output.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["people_csv"] and options["sellers"]:
            raise CommandError("Give either --people-csv or --sellers, not both.")
        if options["sellers"] is not None and not 1 <= options["sellers"] <= MAX_SELLERS:
            raise CommandError(f"--sellers must be between 1 and {MAX_SELLERS}, got {options['sellers']}.")
        if (options["opportunities"] or 0) > MAX_OPPORTUNITIES or (
            options["activities"] or 0
        ) > MAX_ACTIVITIES:
            raise CommandError(
                f"At most {MAX_OPPORTUNITIES:,} opportunities and {MAX_ACTIVITIES:,} activities."
            )
        try:
            roster = self._roster(options)
        except RosterError as exc:
            raise CommandError(str(exc)) from exc
        as_of = options["period_end"] or roster.as_of or dt.datetime.now(tz=dt.UTC).date()
        start = options["period_start"] or default_period(as_of)[0]
        try:
            config = GeneratorConfig(
                period_start=start,
                period_end=as_of,
                seed=options["seed"],
                format=options["format"],
                opportunities=options["opportunities"],
                activities=options["activities"],
                chunk_sellers=options["chunk_sellers"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out = Path(options["out"]).resolve()
        self.stdout.write(
            f"Generating a {config.format} export for {len(roster.sellers)} sellers from {roster.source}, "
            f"{start} to {as_of}, seed {config.seed}, into {out} ..."
        )
        started = time.monotonic()
        last = [started]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 10 or done == total:
                last[0] = now
                self.stdout.write(f"  {done:,}/{total:,} sellers ({now - started:.0f} s)")

        result = generate_export(roster, config, out, progress=progress)
        for name, rows in result.rows.items():
            self.stdout.write(f"  {name:<28} {rows:>12,} rows")
        for note in result.plan.notes:
            self.stdout.write(self.style.WARNING(f"  note: {note}"))
        truth = result.truth
        managers = truth["struggling_managers"]
        shown = ", ".join(f"{m['employee_id']} ({' + '.join(m['patterns'])})" for m in managers[:5]) or "none"
        more = f" and {len(managers) - 5} more" if len(managers) > 5 else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {result.seconds:.1f} s. Planted truth in {out / TRUTH_FILE}; "
                f"{len(managers)} struggling managers: {shown}{more}."
            )
        )

    def _roster(self, options: dict[str, Any]) -> Roster:
        truth_path: Path | None = options["people_truth"]
        if options["sellers"]:
            from demo.company import generate_company

            as_of = options["period_end"] or dt.datetime.now(tz=dt.UTC).date()
            return roster_from_company_plan(
                generate_company(seed=options["seed"], sellers=options["sellers"], as_of=as_of)
            )
        if options["people_csv"]:
            path: Path = options["people_csv"]
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            truth = read_people_truth(truth_path or path.parent / "people_truth.json")
            if truth is not None and truth_path is None:
                self.stdout.write(f"Using the people truth {path.parent / 'people_truth.json'}.")
            return roster_from_people_csv(path, truth=truth, as_of=options["period_end"])
        if truth_path is not None and not truth_path.is_file():
            raise CommandError(f"{truth_path}: no such file")
        truth = read_people_truth(truth_path or Path(settings.DATA_DIR) / "demo" / "people_truth.json")
        return roster_from_database(truth=truth, as_of=options["period_end"])
