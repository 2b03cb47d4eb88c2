"""manage.py import_people PATH [--partial] [--dry-run] [--as EMAIL] [--function-from COLUMN]
[--default-function FUNCTION]: load an HR file from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from core.commands import ActingCommand
from people.importing import import_people
from people.importing.columns import FUNCTION_HINT, function_source_parse
from people.models import PeopleImport


class Command(ActingCommand):
    as_help = "Record the import as made by this user (email)."
    as_deprecated_aliases = ("--actor",)
    help = (
        "Import people and org units from an HR file (CSV or XLSX; see docs/imports.md). Full by default: active "
        "people missing from the file are marked as having left. Prints the counts, or every problem with its row "
        "and column and exits with status 1 (nothing is changed then)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("path", type=Path, help="The .csv (UTF-8) or .xlsx file.")
        parser.add_argument("--partial", action="store_true",
                            help="Only add or update the people in the file; leave everyone else as is.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check the file and show what would change, without changing anything.")
        parser.add_argument(
            "--confirm-deactivations", type=int, metavar="N",
            help="A full import that marks more than 10%% of the active people as left runs only when N is exactly "
                 "how many it marks (run with --dry-run first to see the number).",
        )
        parser.add_argument(
            "--function-from", metavar="COLUMN", default="",
            help="Without a function column (or where it is empty): take each person's function from this column, "
                 "e.g. department, division or job_family (\"Inside Sales EMEA\" is Sales).",
        )
        parser.add_argument(
            "--default-function", metavar="FUNCTION", default="",
            help=f"The function of everyone the file gives none ({FUNCTION_HINT}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            function_source = function_source_parse(column=options["function_from"],
                                                    default=options["default_function"])
        except ValueError as problem:
            raise CommandError(str(problem)) from problem
        actor = self.acting_user(options)
        record = import_people(file=path, filename=path.name, actor=actor, full=not options["partial"],
                               dry_run=options["dry_run"],
                               confirmed_deactivations=options["confirm_deactivations"],
                               function_source=function_source)
        for warning in record.warnings:
            self.stderr.write(f"Note: {_where(warning)}{warning['message']}")
        if record.status == PeopleImport.Status.FAILED:
            for error in record.errors:
                self.stderr.write(f"{_where(error)}{error['message']}")
            to_confirm = (record.changes or {}).get("deactivations_to_confirm")
            if to_confirm is not None:
                self.stderr.write(f"If the file is complete, run again with --confirm-deactivations {to_confirm}.")
            count = len(record.errors)
            raise CommandError(
                f"{path.name}: {count} problem{'s' if count != 1 else ''}, nothing was changed (import {record.pk})."
            )
        self.stdout.write(self.style.SUCCESS(_outcome(record)))


def _where(issue: dict[str, Any]) -> str:
    parts = []
    if issue.get("row"):
        parts.append(f"row {issue['row']}")
    if issue.get("column"):
        parts.append(f"column {issue['column']}")
    if issue.get("value"):
        parts.append(f"value {issue['value']!r}")
    if not parts:
        return ""
    text = ", ".join(parts)
    return text[0].upper() + text[1:] + ": "


def _outcome(record: PeopleImport) -> str:
    mode = "full" if record.full else "partial"
    verb = "Checked" if record.dry_run else "Imported"
    would = "would be " if record.dry_run else ""
    return (
        f"{verb} {record.filename} ({mode} import, {record.rows} rows): {record.created} {would}created, "
        f"{record.updated} {would}updated, {record.unchanged} unchanged, {record.deactivated} {would}deactivated, "
        f"{record.reactivated} {would}reactivated."
        + (" Nothing was changed." if record.dry_run else "")
    )
