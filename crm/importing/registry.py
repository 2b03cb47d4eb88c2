"""Which importer reads which source. Each `plan` registers a source's files with the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crm.importing.pipeline import Pipeline

Plan = Callable[[Pipeline, list[Path], Path | None], None]


def plan_for(source: str) -> Plan:
    from crm.importing import hubspot, mapped, salesforce

    plans: dict[str, Plan] = {"salesforce": salesforce.plan, "hubspot": hubspot.plan, "mapped": mapped.plan}
    try:
        return plans[source]
    except KeyError:
        raise ValueError(f"unknown CRM source {source!r}") from None
