"""The demo's CRM step (order 20: after the people, before the insights that analyse the CRM data).

It generates the Salesforce export of the demo company's sellers into var/demo/crm/ (with the planted truth in
truth.json beside it) and loads it through the real importer, as a company would load its own export.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from django.core.management.base import CommandError
from django.db import transaction

from demo.generator import (
    GeneratorConfig,
    default_period,
    generate_export,
    read_people_truth,
    roster_from_company_plan,
    roster_from_database,
)
from demo.registry import DemoContext, register_demo_step

DEMO_ORDER = 20


def register_demo_steps() -> None:
    register_demo_step("crm", DEMO_ORDER, crm_demo_step, reset=crm_demo_reset)


def crm_demo_step(context: DemoContext) -> None:
    """Generate the demo company's Salesforce export and import it (fails the demo loudly if the import
    fails)."""
    from crm.importing import run_import
    from crm.models import CrmImport

    if context.plan is not None:
        roster = roster_from_company_plan(context.plan)
    else:
        roster = roster_from_database(truth=read_people_truth(context.data_dir / "people_truth.json"))
    as_of = roster.as_of or dt.datetime.now(tz=dt.UTC).date()
    start, end = default_period(as_of)
    out = context.data_dir / "crm"
    export = generate_export(
        roster, GeneratorConfig(period_start=start, period_end=end, seed=context.seed), out
    )
    rows = export.rows
    context.write(
        f"Generated a Salesforce export for {len(export.truth['sellers'])} sellers (leavers included) "
        f"in {out} "
        f"({rows['Opportunity.csv']:,} opportunities, {rows['Task.csv'] + rows['Event.csv']:,} activities, "
        f"{start} to {end}); planted truth in {export.truth_path}."
    )
    started = time.monotonic()
    crm_import = run_import(source="salesforce", paths=sorted(out.glob("*.csv")), actor=None)
    if crm_import.status != CrmImport.Status.SUCCEEDED:
        shown = "\n".join(f"  {e}" for e in (crm_import.errors or [])[:20])
        raise CommandError(
            f"The CRM importer rejected the demo export in {out}: {crm_import.failure_message}\n{shown}"
        )
    unmatched = len(crm_import.unmatched_owners or [])
    context.write(
        f"Imported it through the Salesforce importer in {time.monotonic() - started:.1f} s "
        f"(import #{crm_import.pk}; {unmatched} CRM users without a person, as planted)."
    )
    context.shared["crm"] = {"import_id": crm_import.pk, "truth": str(export.truth_path)}


def crm_demo_reset() -> None:
    """Delete the CRM imports, the owner links, the analytics store's CRM tables and the generated files."""
    from django.conf import settings

    from crm import store
    from crm.models import CrmImport, CrmUserLink
    from crm.schema import TABLES

    with transaction.atomic():
        CrmUserLink.objects.all().delete()
        CrmImport.objects.all().delete()
    with store.session() as con:
        existing = set(con.list_tables())
        for table in TABLES:
            if table in existing:
                # Our own table names, not input.
                store.execute(con, f"DELETE FROM {store.quote(con, table)}")  # noqa: S608
    shutil.rmtree(Path(settings.DATA_DIR) / "demo" / "crm", ignore_errors=True)
