"""Which importer reads which source. Each `plan` registers a source's files with the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crm.importing.fields import salesforce_id18_py
from crm.importing.pipeline import Pipeline
from crm.models import CrmSource

Plan = Callable[[Pipeline, list[Path], Path | None], None]


def plan_for(source: str) -> Plan:
    from crm.importing import hubspot, mapped, salesforce

    plans: dict[str, Plan] = {"salesforce": salesforce.plan, "hubspot": hubspot.plan, "mapped": mapped.plan}
    try:
        return plans[source]
    except KeyError:
        raise ValueError(f"unknown CRM source {source!r}") from None


def user_id_as_stored(source: str, raw: str) -> str:
    """A CRM user id typed by a person (in a links file) in the form `source`'s importer writes it into
    the store, so it joins: Salesforce ids of 15 characters (as in reports) get their 18-character form; every
    other source's ids are kept as given (trimmed). Only the source that wrote an id knows its normal form: a
    15-character id from another CRM is just a 15-character string."""
    if source not in CrmSource.values:
        raise ValueError(f"unknown CRM source {source!r}")
    value = raw.strip()
    return salesforce_id18_py(value) if source == "salesforce" else value
