"""CRM importers: Salesforce Data Loader exports, HubSpot exports, and any CRM's CSV files with a mapping file.

`run_import` is the synchronous entry point (the command's --sync and the demo call it); pages and the command
queue a background job (crm.tasks.crm_import_run) that runs the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm.models import CrmImport


def run_import(*, source: str, paths: list[Path], actor: Any, mapping: Path | None = None) -> CrmImport:
    """Import the files now and return the finished CrmImport (see crm.services.run_import)."""
    from crm.services import run_import as _run

    return _run(source=source, paths=paths, actor=actor, mapping=mapping)
