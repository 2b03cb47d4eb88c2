"""The realistic CRM generator: exports with planted truth for the demo, the tests and the benchmarks.

    roster = roster_from_people_csv("people.csv")  # or roster_from_database() / roster_from_company_plan()
    config = GeneratorConfig(period_start=..., period_end=..., seed=7, opportunities=2_000_000)
    result = generate_export(roster, config, "out/")  # Salesforce (or HubSpot) files + truth.json

See docs/planted-truth.md for what is planted and docs/imports.md ("Files written by generate_crm") for the
files.
"""

from demo.generator.export import TRUTH_FILE, ExportResult, generate_export
from demo.generator.plan import GeneratorConfig, default_period
from demo.generator.roster import (
    Roster,
    RosterError,
    read_people_truth,
    roster_from_company_plan,
    roster_from_database,
    roster_from_people_csv,
)

__all__ = [
    "TRUTH_FILE",
    "ExportResult",
    "GeneratorConfig",
    "Roster",
    "RosterError",
    "default_period",
    "generate_export",
    "read_people_truth",
    "roster_from_company_plan",
    "roster_from_database",
    "roster_from_people_csv",
]
