"""Import another learning system's completions export (CSV): all or nothing, safe to re-run.

    manage.py import_completions completions.csv --source "Cornerstone" [--as hr.partner@example.com]

With --as, only people that user may see are matched (as on the page); without it, everyone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from core.commands import ActingCommand
from development.models import CompletionImport
from development.services import completions_import


class Command(ActingCommand):
    as_help = "Import as this user (email), within their scope."
    as_must_be_active = True
    help = "Import course completions from another learning system's CSV export (see docs/development.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", required=True, help="The learning system the file comes from.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = self.acting_user(options)
        record = completions_import(actor=actor, file_name=path.name, content=path.read_bytes(),
                                    source_system=options["source"])
        if record.status == CompletionImport.Status.REJECTED:
            for error in record.errors:
                where = f"row {error['row']}" if error["row"] else "file"
                column = f", column {error['column']}" if error["column"] else ""
                value = f" ({error['value']!r})" if error["value"] else ""
                self.stderr.write(f"{path.name}: {where}{column}{value}: {error['message']}")
            raise CommandError(f"{path.name}: rejected with {len(record.errors)} error(s); nothing was imported.")
        self.stdout.write(
            f"{path.name}: {record.rows_total} rows: {record.created_count} new, {record.updated_count} updated, "
            f"{record.unchanged_count} unchanged"
        )
