"""The HR import as a whole: read, validate, compare, load, rebuild the trees and access, record it.

All-or-nothing: a file with any problem changes nothing but its own `PeopleImport` record (status failed, every
problem listed). A valid file is loaded, the org and reporting paths rebuilt and sign-ins and derived roles
synced, and an audit event written, in one transaction.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path
from typing import Any, BinaryIO

from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.models import User
from core.services import audit_log
from people.importing.columns import FunctionSource
from people.importing.hooks import after_import_run
from people.importing.loading import apply_changes, hr_partner_units, plan_changes
from people.importing.promotions import promotions_preview
from people.importing.reading import FileRejected, Issue, read_sheet
from people.importing.scope import ImportScope, import_scope
from people.importing.state import Snapshot
from people.importing.validation import validate
from people.models import EmploymentStatus, PeopleImport
from people.services import access_sync, org_unit_paths_rebuild, reporting_paths_rebuild

logger = logging.getLogger(__name__)

_LOCK_KEY = 7_310_442  # PostgreSQL advisory lock: one people import at a time
# A full import that would mark more than this share of the active people as left is refused until the importer
# confirms the exact count: a file cut short, or a one-team export uploaded as "full", looks exactly like that.
CONFIRM_DEACTIVATIONS_ABOVE = 0.10


class _Invalid(Exception):
    def __init__(self, errors: list[Issue], warnings: list[Issue], *, to_confirm: int | None = None) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors
        self.warnings = warnings
        self.to_confirm = to_confirm  # set when only a confirmation of this many deactivations is missing


def _read(file: BinaryIO | Path) -> bytes:
    return file.read_bytes() if isinstance(file, Path) else file.read()


def import_people(
    *,
    file: BinaryIO | Path,
    filename: str,
    actor: User | None,
    full: bool = True,
    dry_run: bool = False,
    enrol_new_managers: bool = True,
    confirmed_deactivations: int | None = None,
    function_source: FunctionSource | None = None,
) -> PeopleImport:
    """Import people and org units from an HR file (CSV or XLSX) and return the saved import record.

    - `full`: the file lists everyone; active people missing from it become inactive (end date today if they
      have none). With `full=False` only the rows given are created or updated.
    - `dry_run`: validate and work out what would change, write nothing but the record.
    - `enrol_new_managers`: apply the development program's enrolment rules in the same transaction (always, except
      for a demo that reconstructs the program's history itself).
    - `confirmed_deactivations`: a full import that would mark more than CONFIRM_DEACTIVATIONS_ABOVE of the
      active people (in the importer's scope) as left fails unless this is exactly how many it marks.
    - `function_source`: where people's function comes from when the file has no `function` column, or leaves it
      empty for someone: another column of the file (department, division, job family) or one function for all.
    On any problem the record has status failed and every problem in `errors`; nothing else changed.
    """
    data = _read(file)
    record = PeopleImport(
        actor=actor, filename=filename[:255], sha256=hashlib.sha256(data).hexdigest(), full=full,
        dry_run=dry_run, status=PeopleImport.Status.RUNNING, confirmed_deactivations=confirmed_deactivations,
        **_function_fields(function_source),
    )
    return _process(record, data, enrol_new_managers=enrol_new_managers)


def _function_fields(source: FunctionSource | None) -> dict[str, str]:
    source = source or FunctionSource()
    return {"function_column": source.column, "function_default": source.default}


def _function_source(record: PeopleImport) -> FunctionSource:
    return FunctionSource(column=record.function_column, default=record.function_default)


def people_import_enqueue(
    *, file: BinaryIO | Path, filename: str, actor: User | None, full: bool, dry_run: bool,
    confirmed_deactivations: int | None = None, function_source: FunctionSource | None = None,
) -> PeopleImport:
    """Save the upload as a queued import for the background worker (manage.py db_worker) and enqueue it."""
    from people.importing.tasks import run_people_import

    data = _read(file)
    record = PeopleImport.objects.create(
        actor=actor, filename=filename[:255], sha256=hashlib.sha256(data).hexdigest(), full=full,
        dry_run=dry_run, status=PeopleImport.Status.QUEUED, upload=data,
        confirmed_deactivations=confirmed_deactivations, **_function_fields(function_source),
    )
    run_people_import.enqueue(import_id=record.pk)
    record.refresh_from_db()  # a worker running in-process (tests, demos) may have finished it already
    return record


def people_import_confirm(
    *, check: PeopleImport, actor: User | None, confirmed_deactivations: int | None = None
) -> PeopleImport:
    """Import for real the file a successful check (dry run) validated, with the same mode.

    For a full import, `confirmed_deactivations` is the number of people the importer saw the check would mark
    as left; the import refuses to mark more (or fewer) than that without asking again.
    """
    if not (check.dry_run and check.succeeded and check.upload):
        raise ValueError("Only a successful check that still holds its file can be imported.")
    if check.full and confirmed_deactivations != check.deactivated:
        raise ValueError("Confirm how many people this full import marks as left.")
    data = bytes(check.upload)
    check.upload = None
    check.save(update_fields=["upload", "updated_at"])
    return people_import_enqueue(file=io.BytesIO(data), filename=check.filename, actor=actor, full=check.full,
                                 dry_run=False, confirmed_deactivations=confirmed_deactivations,
                                 function_source=_function_source(check))


def people_import_run(*, import_id: int) -> PeopleImport:
    """Run a queued import (the background job's body). Safe to call twice: a finished import is left alone."""
    with transaction.atomic():
        record = PeopleImport.objects.select_for_update().get(pk=import_id)
        if record.status != PeopleImport.Status.QUEUED:
            return record
        record.status = PeopleImport.Status.RUNNING
        record.save(update_fields=["status", "updated_at"])
    data = bytes(record.upload or b"")
    try:
        return _process(record, data)
    except Exception:
        logger.exception("People import %s failed unexpectedly", import_id)
        problem = Issue(None, "", "", (
            "Promoted hit an unexpected error while importing this file, so nothing was changed. The error was "
            "logged for the administrators; please try again or contact them."
        ))
        return _finish_failed(record, [problem], [])


def _finish_failed(record: PeopleImport, errors: list[Issue], warnings: list[Issue], *,
                   to_confirm: int | None = None) -> PeopleImport:
    record.status = PeopleImport.Status.FAILED
    record.errors = [issue.as_dict() for issue in errors]
    record.warnings = [issue.as_dict() for issue in warnings]
    record.created = record.updated = record.unchanged = record.deactivated = record.reactivated = 0
    record.changes = {} if to_confirm is None else {"deactivations_to_confirm": to_confirm}
    record.upload = None
    record.finished_at = timezone.now()
    record.save()
    return record


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _same_file_warning(record: PeopleImport) -> list[Issue]:
    earlier = (
        PeopleImport.objects.filter(sha256=record.sha256, status=PeopleImport.Status.SUCCEEDED, dry_run=False)
        .exclude(pk=record.pk)
        .select_related("actor")
        .only("created_at", "actor__email")
        .first()
    )
    if earlier is None:
        return []
    who = earlier.actor.email if earlier.actor else "the command line"
    when = timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M")
    return [Issue(None, "", "", f"This exact file was already imported on {when} by {who}.")]


def _process(record: PeopleImport, data: bytes, *, enrol_new_managers: bool = True) -> PeopleImport:
    today = timezone.localdate()
    function_source = _function_source(record)
    try:
        sheet = read_sheet(data, record.filename, extra_columns=frozenset({function_source.column} - {""}),
                           not_required=frozenset({"function"} if function_source.given else ()))
    except FileRejected as rejected:
        return _finish_failed(record, rejected.issues, [])
    try:
        with transaction.atomic():
            _lock()
            snapshot = Snapshot.load()
            scope = import_scope(actor=record.actor, snapshot=snapshot)
            plan = validate(sheet, snapshot=snapshot, full=record.full, today=today, scope=scope,
                            function_source=function_source)
            warnings = [*sheet.warnings, *plan.warnings, *_same_file_warning(record)]
            if plan.errors:
                raise _Invalid(plan.errors, warnings)
            changes = plan_changes(plan, snapshot, full=record.full, today=today, scope=scope)
            if record.full and not record.dry_run:
                _check_deactivations(record, changes.count("deactivated"), snapshot, scope, warnings)
            record.rows = len(plan.people)
            for outcome in ("created", "updated", "unchanged", "deactivated", "reactivated"):
                setattr(record, outcome, changes.count(outcome))
            record.changes = changes.summary()
            record.changes["promotions"] = promotions_preview(changes, today=today)
            record.warnings = [issue.as_dict() for issue in warnings]
            record.errors = []
            record.status = PeopleImport.Status.SUCCEEDED
            if not record.dry_run:
                keys = apply_changes(changes, snapshot)
                org_unit_paths_rebuild()
                reporting_paths_rebuild()
                grants = hr_partner_units(plan, full=record.full, keys=keys) if scope.may_grant else None
                record.changes["access"] = access_sync(hr_partner_units=grants)
                if enrol_new_managers:
                    record.changes.update(after_import_run(today=today, actor=record.actor))
                record.upload = None
            elif record.upload:
                # A successful check keeps its file so it can be imported with one click; only the latest.
                PeopleImport.objects.filter(dry_run=True, status=PeopleImport.Status.SUCCEEDED).exclude(
                    upload=None).exclude(pk=record.pk).update(upload=None)
            record.finished_at = timezone.now()
            record.save()
            if not record.dry_run:
                audit_log(actor=record.actor, action="people.imported", target=record,
                          summary=_summary(record), details=_counts(record))
        return record
    except _Invalid as invalid:
        record.rows = len(sheet.rows)
        return _finish_failed(record, invalid.errors, invalid.warnings, to_confirm=invalid.to_confirm)
    except IntegrityError:
        logger.warning("People import %s hit a conflicting change", record.pk, exc_info=True)
        problem = Issue(None, "", "", (
            "The people data changed in Promoted while this file was being imported, so nothing was changed. "
            "Please import the file again."
        ))
        return _finish_failed(record, [problem], [])


def _check_deactivations(record: PeopleImport, deactivated: int, snapshot: Snapshot, scope: ImportScope,
                         warnings: list[Issue]) -> None:
    """Refuse a full import that marks many people as left unless the importer confirmed that exact count."""
    active = sum(
        1 for person in snapshot.people.values()
        if person.status != EmploymentStatus.INACTIVE and scope.covers(person, snapshot)
    )
    if deactivated <= CONFIRM_DEACTIVATIONS_ABOVE * active or record.confirmed_deactivations == deactivated:
        return
    share = round(100 * deactivated / active) if active else 100
    whom = "active people" if scope.is_everything else "active people in the units you support"
    raise _Invalid([Issue(None, "", "", (
        f"This full import would mark {deactivated} of the {active} {whom} as having left ({share}%), because "
        "they are missing from the file. A file that was cut short, or a partial list uploaded as a full import, "
        "does exactly this, so nothing was changed. If the file is complete, check it first (\"Check only\") "
        f"and confirm the {deactivated} {pluralize(deactivated, 'person,people')} on the check's page; to add or "
        "update only the people in the "
        "file, choose a partial import."
    ))], warnings, to_confirm=deactivated)


def _counts(record: PeopleImport) -> dict[str, Any]:
    return {
        "filename": record.filename,
        "sha256": record.sha256,
        "full": record.full,
        "rows": record.rows,
        "created": record.created,
        "updated": record.updated,
        "unchanged": record.unchanged,
        "deactivated": record.deactivated,
        "reactivated": record.reactivated,
    }


def _summary(record: PeopleImport) -> str:
    mode = "full" if record.full else "partial"
    return (
        f"Imported {record.filename} ({mode}): {record.rows} rows, {record.created} created, {record.updated} "
        f"updated, {record.unchanged} unchanged, {record.deactivated} deactivated, {record.reactivated} "
        "reactivated"
    )
