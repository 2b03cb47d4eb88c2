"""Writes of the crm app: queue, claim and run imports; link CRM users to people by hand."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.services import audit_log
from crm import store
from crm.importing import linking
from crm.importing.errors import ImportFailed, IssueLog
from crm.importing.pipeline import Pipeline
from crm.importing.registry import plan_for
from crm.models import CrmImport, CrmSource, CrmUserLink
from people.models import Person

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=15)
ZIP_MAX_BYTES = 20 * 1024**3
UPLOAD_SUFFIXES = {".csv", ".toml", ".json", ".txt"}


class CrmImportBusy(RuntimeError):
    """Another CRM import is running; only one runs at a time."""


class UploadRejected(ValueError):
    """An uploaded file that is not a CSV export, a mapping file or a zip of them."""


# --- after an import -------------------------------------------------------------------------------------------

# What runs after every successful import, whatever its source or door (page, command, demo): the engine queues an
# analysis here. crm sits below insights (insights reads the store crm writes and imports crm.store), so crm cannot
# call insights itself without an import cycle; the insights app registers its callback when Django starts
# (insights/apps.py), and this module calls it explicitly at the end of `crm_import_execute`, where its order is
# visible, rather than through a signal.
_after_import: list[Callable[[CrmImport], object]] = []


def after_import_register(callback: Callable[[CrmImport], object]) -> None:
    """Call `callback(crm_import)` after every successful import (once per callback, however often registered)."""
    if callback not in _after_import:
        _after_import.append(callback)


def _after_import_run(crm_import: CrmImport) -> None:
    for callback in _after_import:
        try:
            callback(crm_import)
        except Exception:  # the import has succeeded and is saved; what follows it must not turn it into a failure
            logger.exception("CRM import %s: %s failed after the import", crm_import.pk, callback.__qualname__)


# --- queueing -------------------------------------------------------------------------------------------------


def upload_dir_for(crm_import: CrmImport) -> Path:
    return Path(settings.DATA_DIR) / "uploads" / "crm" / str(crm_import.pk)


@transaction.atomic
def crm_import_create(
    *, source: str, actor: Any | None, paths: Iterable[Path] = (), uploads: Iterable[UploadedFile] = (),
    mapping: Path | None = None, mapping_upload: UploadedFile | None = None,
) -> CrmImport:
    """Record a queued import. Uploaded files (CSV or a .zip of CSVs) are saved under
    DATA_DIR/uploads/crm/<import id>/; files given as paths (the command) are read where they are."""
    if source not in CrmSource.values:
        raise ValueError(f"unknown CRM source {source!r}; expected one of {', '.join(CrmSource.values)}")
    crm_import = CrmImport.objects.create(source=source, created_by=actor if _is_user(actor) else None)
    files: list[Path] = [Path(p).resolve() for p in paths]
    names = [p.name for p in files]
    uploads = list(uploads)
    if uploads or mapping_upload is not None:
        folder = upload_dir_for(crm_import)
        folder.mkdir(parents=True, exist_ok=True)
        crm_import.upload_dir = str(folder)
        try:
            for upload in uploads:
                for saved in _save_upload(upload, folder):
                    files.append(saved)
                    names.append(saved.name)
            if mapping_upload is not None:
                mapping_name = Path(mapping_upload.name or "mapping.toml").name
                mapping = _save_one(mapping_upload, folder / mapping_name, {".toml"})
        except UploadRejected:
            shutil.rmtree(folder, ignore_errors=True)  # the record is rolled back with the transaction
            raise
    mapping_files = [f for f in files if f.suffix.lower() in {".toml", ".json"}]
    csv_files = [f for f in files if f not in mapping_files]
    if mapping is None and mapping_files:
        mapping = mapping_files[0]
    crm_import.paths = [str(f) for f in csv_files]
    crm_import.file_names = [f.name for f in csv_files] + ([Path(mapping).name] if mapping else [])
    crm_import.mapping_path = str(mapping) if mapping else ""
    crm_import.save()
    audit_log(actor=actor, action="crm.import_queued", target=crm_import,
              summary=f"Queued a {crm_import.get_source_display()} import of {len(csv_files)} file(s)",
              details={"files": crm_import.file_names})
    return crm_import


def crm_import_enqueue(*, crm_import: CrmImport, delay_seconds: int = 0) -> CrmImport:
    """Hand a queued import to the background worker."""
    from crm.tasks import crm_import_run

    task = crm_import_run
    if delay_seconds:
        if not task.get_backend().supports_defer:
            return crm_import  # started by the running import when it finishes (crm_import_execute)
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay_seconds))
    # The database task backend writes the job in the current transaction, so the worker sees it only once
    # the import record it names is committed too.
    result = task.enqueue(crm_import.pk)
    CrmImport.objects.filter(pk=crm_import.pk).update(task_id=str(result.id))
    crm_import.task_id = str(result.id)
    return crm_import


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _save_upload(upload: UploadedFile, folder: Path) -> list[Path]:
    name = Path(upload.name or "upload").name
    if name.lower().endswith(".zip"):
        return _extract_zip(upload, folder)
    return [_save_one(upload, folder / name, UPLOAD_SUFFIXES)]


def _save_one(upload: UploadedFile, target: Path, suffixes: set[str]) -> Path:
    if target.suffix.lower() not in suffixes:
        raise UploadRejected(f"{upload.name}: only {', '.join(sorted(suffixes))} files (or a .zip of them) "
                             f"can be imported")
    target = target.with_name(_safe_name(target.name))
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


def _extract_zip(upload: UploadedFile, folder: Path) -> list[Path]:
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as error:
        raise UploadRejected(f"{upload.name} is not a readable zip file") from error
    saved: list[Path] = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not Path(m.filename).name.startswith(".")
                   and "__MACOSX" not in m.filename]
        if sum(m.file_size for m in members) > ZIP_MAX_BYTES:
            raise UploadRejected(f"{upload.name} unpacks to more than 20 GB, too large to upload; ask your "
                                 "administrator to load it on the server")
        for member in members:
            name = _safe_name(Path(member.filename).name)
            if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
                continue
            target = folder / name
            with archive.open(member) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            saved.append(target)
    if not saved:
        raise UploadRejected(f"{upload.name} holds no .csv files")
    return saved


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._- ()" else "_" for c in name).strip(" .")
    return cleaned or "file.csv"


# --- running --------------------------------------------------------------------------------------------------


def crm_import_claim(*, crm_import: CrmImport) -> bool:
    """Move a queued import to running, unless another one runs (the database refuses a second `running`).

    An import whose worker stopped answering for STALE_AFTER is marked failed first, so a killed worker
    cannot block imports forever (its staging tables are dropped by the next run; the live tables were never
    touched before its final transaction).
    """
    now = timezone.now()
    CrmImport.objects.filter(status=CrmImport.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER).update(
        status=CrmImport.Status.FAILED, finished_at=now,
        failure_message="The worker running this import stopped; nothing was changed. Start the import again.",
    )
    try:
        with transaction.atomic():
            claimed = CrmImport.objects.filter(pk=crm_import.pk, status=CrmImport.Status.QUEUED).update(
                status=CrmImport.Status.RUNNING, started_at=now, heartbeat_at=now,
                progress_step="Starting", progress_percent=1,
            )
    except IntegrityError:
        return False
    crm_import.refresh_from_db()
    return bool(claimed)


def running_import() -> CrmImport | None:
    return CrmImport.objects.filter(status=CrmImport.Status.RUNNING).first()


def crm_import_execute(*, crm_import: CrmImport, wait_if_busy: bool = False) -> CrmImport:
    """Run a claimed import to the end: validate, stage, link people, swap. Never raises for bad files:
    the outcome (counts, warnings, notes, errors with file/row/column/value) is recorded on the import.

    With `wait_if_busy` (the background job), an import that finds the store held by another writer (an
    analysis) goes back to the queue instead of failing."""
    assert crm_import.status == CrmImport.Status.RUNNING, "claim the import first"
    log = IssueLog()

    def progress(step: str, percent: int) -> None:
        CrmImport.objects.filter(pk=crm_import.pk).update(
            progress_step=step[:200], progress_percent=max(1, min(percent, 99)), heartbeat_at=timezone.now())

    mapping = Path(crm_import.mapping_path) if crm_import.mapping_path else None
    paths = [Path(p) for p in crm_import.paths]
    try:
        with _heartbeat(crm_import.pk), store.session() as con:
            crm_import.engine = con.name
            if not _other_running(crm_import):
                store.staging_drop_all(con)  # left behind by a worker that was killed mid-import
            with Pipeline(con, crm_import.pk, log=log, progress=progress) as pipeline:
                # Every readable file is checked even when another one is broken, so one run reports all.
                plan_for(crm_import.source)(pipeline, paths, mapping)
                pipeline.run_files()
                pipeline.check_tables()
                staged_users = pipeline.staged.get("crm_users")
                if staged_users:
                    progress("Linking CRM users to people", 76)
                    linked = linking.link_staged_users(con, staged_users, crm_import.pk)
                    crm_import.link_summary = {**linked.methods, "unmatched": linked.unmatched}
                counts = pipeline.merge()
                progress("Listing unmatched owners", 96)
                crm_import.unmatched_owners = linking.unmatched_owners(con)
                crm_import.link_summary = {
                    **crm_import.link_summary,
                    "unmatched_total": int(con.execute(
                        con.table("crm_users").filter(con.table("crm_users").person_employee_id.isnull()).count())),
                }
            crm_import.counts = {table: c.as_dict() for table, c in counts.items()}
            crm_import.file_counts = {
                p.raw.name: {"table": p.table, "rows": p.rows, "skipped": p.skipped} for p in pipeline.parts
            }
            crm_import.status = CrmImport.Status.SUCCEEDED
    except ImportFailed:
        crm_import.status = CrmImport.Status.FAILED
        crm_import.failure_message = (f"{log.error_total} problem(s) found; nothing was changed. Fix the files "
                                      f"and import them again.")
    except store.StoreBusy as error:
        if wait_if_busy and not crm_import.counts:
            return _requeue(crm_import)
        crm_import.status = CrmImport.Status.FAILED
        crm_import.failure_message = f"{error} Nothing was changed."
    except Exception as error:
        logger.exception("CRM import %s failed unexpectedly", crm_import.pk)
        crm_import.status = CrmImport.Status.FAILED
        crm_import.failure_message = (f"The import stopped on an unexpected error and changed nothing: "
                                      f"{type(error).__name__}: {str(error)[:500]}")
    finished = _finish(crm_import, log)
    if finished.status == CrmImport.Status.SUCCEEDED:
        _after_import_run(finished)
    _start_next_queued(after=finished)
    return finished


def _start_next_queued(*, after: CrmImport) -> None:
    """Hand the oldest waiting import to the worker now that the store is free (it may already be queued with
    a delay; whichever run comes second finds it no longer waiting and does nothing)."""
    waiting = CrmImport.objects.filter(status=CrmImport.Status.QUEUED).exclude(pk=after.pk).order_by(
        "created_at", "pk").first()
    if waiting is not None:
        crm_import_enqueue(crm_import=waiting)


def _requeue(crm_import: CrmImport) -> CrmImport:
    CrmImport.objects.filter(pk=crm_import.pk).update(
        status=CrmImport.Status.QUEUED, started_at=None, progress_percent=0,
        progress_step="Waiting for the analytics store (an analysis is writing to it)")
    crm_import.refresh_from_db()
    return crm_import_enqueue(crm_import=crm_import, delay_seconds=60)


HEARTBEAT_SECONDS = 60


@contextmanager
def _heartbeat(import_id: int) -> Iterator[None]:
    """Keep `heartbeat_at` fresh while one step runs for many minutes (a 50-million-row file), so a running
    import is never taken for one whose worker died."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                CrmImport.objects.filter(pk=import_id, status=CrmImport.Status.RUNNING).update(
                    heartbeat_at=timezone.now())
        except Exception:  # the import itself reports what matters; a missed beat only delays nothing
            logger.warning("CRM import %s: heartbeat failed", import_id, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"crm-import-{import_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _other_running(crm_import: CrmImport) -> bool:
    return CrmImport.objects.filter(status=CrmImport.Status.RUNNING).exclude(pk=crm_import.pk).exists()


@transaction.atomic
def _finish(crm_import: CrmImport, log: IssueLog) -> CrmImport:
    crm_import.warnings = log.warnings
    crm_import.notes = log.notes
    files = list(dict.fromkeys(issue.file for issue in log.errors))
    ordered = sorted(log.errors, key=lambda issue: (files.index(issue.file), issue.row or 0, issue.column))
    crm_import.errors = [issue.as_dict() for issue in ordered]
    crm_import.error_count = log.error_total
    crm_import.finished_at = timezone.now()
    crm_import.progress_percent = 100
    crm_import.progress_step = "Finished" if crm_import.status == CrmImport.Status.SUCCEEDED else "Failed"
    crm_import.save()
    changed = crm_import.total_changed
    audit_log(
        actor=crm_import.created_by, action=f"crm.import_{crm_import.status}", target=crm_import,
        summary=(f"CRM import #{crm_import.pk} {crm_import.status}: {changed} record(s) added or updated"
                 if crm_import.status == CrmImport.Status.SUCCEEDED
                 else f"CRM import #{crm_import.pk} failed with {crm_import.error_count} error(s)"),
        details={"counts": crm_import.counts, "errors": crm_import.error_count},
    )
    return crm_import


def run_import(*, source: str, paths: list[Path], actor: Any, mapping: Path | None = None) -> CrmImport:
    """Import CRM export files now, in this process (the command's --sync and the demo use it).

    Raises CrmImportBusy when another import is running; otherwise returns the finished CrmImport, whose
    status says whether it succeeded (bad files are reported on the record, not raised).
    """
    running = running_import()
    if running is not None:
        raise CrmImportBusy(f"CRM import #{running.pk} is running; wait for it to finish.")
    crm_import = crm_import_create(source=source, actor=actor, paths=paths, mapping=mapping)
    if not crm_import_claim(crm_import=crm_import):
        crm_import.status = CrmImport.Status.FAILED
        crm_import.failure_message = "Another CRM import started at the same moment; nothing was changed."
        return _finish(crm_import, IssueLog())
    return crm_import_execute(crm_import=crm_import)


# --- linking people by hand -----------------------------------------------------------------------------------


@transaction.atomic
def crm_user_link_set(*, actor: Any, crm_user_id: str, crm_user_name: str, person: Person,
                      apply: bool = True) -> CrmUserLink:
    """Say that a CRM user is `person` (audit-logged); a background job writes it into the store (unless
    `apply` is false: the caller applies many links at once)."""
    link, created = CrmUserLink.objects.update_or_create(
        crm_user_id=crm_user_id,
        defaults={"person": person, "crm_user_name": crm_user_name[:200], "set_by": actor, "applied_at": None},
    )
    audit_log(actor=actor, action="crm.user_linked", target=link,
              summary=f"Linked CRM user {crm_user_name or crm_user_id} to {person.full_name}",
              details={"crm_user_id": crm_user_id, "employee_id": person.employee_id, "new": created})
    if apply:
        crm_links_enqueue()
    return link


def crm_links_enqueue() -> None:
    """Have the worker write the hand-made links into the store once the current transaction commits."""
    from crm.tasks import crm_links_apply

    transaction.on_commit(lambda: crm_links_apply.enqueue())


def crm_links_apply() -> int:
    """Write every CRM user's link into the live store; returns how many links changed."""
    with store.session() as con:
        changed = linking.apply_links_to_live(con)
    CrmUserLink.objects.filter(applied_at=None).update(applied_at=timezone.now())
    return changed
