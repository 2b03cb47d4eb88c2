"""manage.py import_crm --source salesforce FILE_OR_FOLDER... [--mapping mapping.toml] [--sync] [--as EMAIL]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from core.commands import ActingCommand
from crm import services
from crm.models import CrmImport, CrmSource


class Command(ActingCommand):
    as_help = "Record the import as started by this user (email)."
    help = ("Import CRM export files into the analytics store: queue a background job (default) or run it now "
            "(--sync). A folder stands for every .csv file in it.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+", help="CSV files, or folders of them, of one export.")
        parser.add_argument("--source", required=True, choices=CrmSource.values)
        parser.add_argument("--mapping", help="The TOML mapping file (source 'mapped'; optional for HubSpot "
                                              "custom pipelines).")
        parser.add_argument("--sync", action="store_true", help="Run the import in this process and wait.")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = self._files(options["paths"])
        mapping = Path(options["mapping"]).resolve() if options.get("mapping") else None
        if mapping is not None and not mapping.is_file():
            raise CommandError(f"{mapping}: no such mapping file")
        if options["source"] == "mapped" and mapping is None:
            raise CommandError("--source mapped needs --mapping (see docs/imports.md)")
        actor = self.acting_user(options)
        if options["sync"]:
            try:
                crm_import = services.run_import(source=options["source"], paths=paths, actor=actor,
                                                 mapping=mapping)
            except services.CrmImportBusy as error:
                raise CommandError(str(error)) from error
            self._report(crm_import)
            if crm_import.status != CrmImport.Status.SUCCEEDED:
                raise CommandError(f"CRM import #{crm_import.pk} failed; nothing was changed.")
            return
        crm_import = services.crm_import_create(source=options["source"], actor=actor, paths=paths,
                                                mapping=mapping)
        services.crm_import_enqueue(crm_import=crm_import)
        running = services.running_import()
        behind = f" (it waits for import #{running.pk})" if running else ""
        self.stdout.write(f"Queued CRM import #{crm_import.pk}{behind}. A worker (manage.py db_worker) runs it; "
                          f"follow it on /crm/imports/{crm_import.pk}/.")

    def _files(self, given: list[str]) -> list[Path]:
        files: list[Path] = []
        for raw in given:
            path = Path(raw).resolve()
            if path.is_dir():
                found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
                if not found:
                    raise CommandError(f"{path}: no .csv files in this folder")
                files.extend(found)
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path}: no such file or folder")
        return files

    def _report(self, crm_import: CrmImport) -> None:
        out = self.stdout
        out.write(f"CRM import #{crm_import.pk}: {crm_import.get_status_display()}")
        for table, c in crm_import.counts.items():
            out.write(f"  {table:<28} {c['rows']:>10} rows: {c['inserted']} new, {c['updated']} updated, "
                      f"{c['unchanged']} unchanged")
        for warning in crm_import.warnings:
            out.write(f"  warning: {warning}")
        for note in crm_import.notes:
            out.write(f"  note: {note}")
        if crm_import.unmatched_owners:
            total = crm_import.link_summary.get("unmatched_total", len(crm_import.unmatched_owners))
            out.write(f"  {total} CRM user(s) not linked to a person, e.g.:")
            for owner in crm_import.unmatched_owners[:10]:
                out.write(f"    {owner['user_id']} {owner['name'] or '(no name)'} <{owner['email']}>: "
                          f"{owner['opportunities']} opportunities, {owner['activities']} activities")
        for error in crm_import.errors:
            where = error["file"] + (f", row {error['row']}" if error["row"] else "")
            where += f", column {error['column']}" if error["column"] else ""
            value = f" (value {error['value']!r})" if error["value"] else ""
            self.stderr.write(f"  error: {where}: {error['message']}{value}")
        if crm_import.error_count > len(crm_import.errors):
            self.stderr.write(f"  ... {crm_import.error_count} errors in all")
        if crm_import.failure_message:
            self.stderr.write(f"  {crm_import.failure_message}")
