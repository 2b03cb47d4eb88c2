"""Writes of the bottom-up engine: analysis runs and their snapshots, the task library, situations and overrides.

Every service is keyword-only and atomic; the ones a person triggers write the audit log in the same transaction.
The analysis itself runs in a background job (insights.tasks.run_analysis) that calls `analysis_execute`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Field, JSONField, Max, Model, Q
from django.utils import timezone

from core.services import audit_log
from crm import store
from insights.analysis.pipeline import analyse, default_period
from insights.analysis.types import (
    AnalysisResult,
    Condition,
    EngineInputs,
    EngineSettings,
    ProposedSpec,
    RuleSpec,
    SellerNumbers,
    SellerOut,
    SellerRecord,
    SituationGaps,
    TaskSpec,
    WeightOverrideSpec,
)
from insights.metrics import METRICS, Period, StoreInventory, inspect_store
from insights.models import (
    AnalysisRun,
    CoachingNeed,
    SellerDiagnostic,
    SellerSituationOverride,
    SellerTaskGap,
    SellingTask,
    Situation,
    SituationResult,
    TaskEvidence,
    TaskWeightOverride,
    TeamComparison,
)
from people.models import EmploymentStatus, OrgUnit, Person

logger = logging.getLogger(__name__)

RULE_FEATURES: dict[str, str] = {
    "accounts": "Accounts owned",
    "deal_size": "Deal size (median won amount)",
    "cycle_days": "Sales cycle (median days to win)",
    "new_business_share": "Share of new business (0-1)",
    "opportunities_per_year": "Opportunities a year",
    "segment": "Account segment (most common)",
    "account_region": "Account region (most common)",
    "region": "Seller's region (HR data)",
    "job_title": "Seller's job title (HR data)",
}
RULE_OPERATORS: dict[str, str] = {
    "gt": "more than", "gte": "at least", "lt": "less than", "lte": "at most",
    "eq": "is", "ne": "is not", "contains": "contains",
}
TEXT_RULE_FEATURES = {"segment", "account_region", "region", "job_title"}


class AnalysisError(Exception):
    """A problem a person can act on (no CRM data yet, a bad period)."""


# ---------------------------------------------------------------------------------------------------------------
# Running the analysis
# ---------------------------------------------------------------------------------------------------------------


def _keep_detailed_runs() -> int:
    return int(getattr(settings, "INSIGHTS_KEEP_DETAILED_RUNS", 6))


@transaction.atomic
def analysis_enqueue(
    *, actor: Any | None, reason: str = "after import", period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> AnalysisRun:
    """Queue an analysis run (the background job picks it up). A run that is still queued absorbs the request
    instead of queueing another; the importer calls this after every successful import."""
    if period_start and period_end and period_end < period_start:
        raise AnalysisError(f"The period ends ({period_end}) before it starts ({period_start}).")
    params = {"period_start": period_start.isoformat() if period_start else None,
              "period_end": period_end.isoformat() if period_end else None}
    stale_runs_fail()
    # Any run still waiting for the worker with the same period will read the newest data: it absorbs the request.
    queued = next((run for run in AnalysisRun.objects.select_for_update().filter(status=AnalysisRun.Status.QUEUED)
                   if run.params == params), None)
    if queued is not None:
        return queued
    run = AnalysisRun.objects.create(
        reason=reason[:200], requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        params=params, stage="Waiting for the background worker",
    )
    audit_log(actor=actor, action="insights.analysis_enqueued", target=run, summary=f"Analysis queued: {reason}",
              details=params)
    transaction.on_commit(lambda: _enqueue_job(run.pk))
    return run


def analysis_after_import(crm_import: Any) -> AnalysisRun:
    """Queue an analysis of the default period after a successful CRM import (crm calls this for every source and
    door, see crm.services.after_import_register). Imports that finish close together share one queued run."""
    return analysis_enqueue(actor=crm_import.created_by, reason=f"after CRM import #{crm_import.pk}")


def _enqueue_job(run_id: int) -> None:
    from insights.tasks import run_analysis

    result = run_analysis.enqueue(run_id)
    AnalysisRun.objects.filter(pk=run_id).update(job_id=str(result.id)[:64])


def inputs_build(*, period: Period, engine_settings: EngineSettings | None = None) -> EngineInputs:
    """Everything the engine needs from the application database, as plain data."""
    units = {pk: (name, kind, parent_id) for pk, name, kind, parent_id in
             OrgUnit.objects.order_by().values_list("pk", "name", "kind", "parent_id")}
    unit_regions: dict[int, str] = {}

    def unit_region(unit_id: int) -> str:
        """The name of the nearest region at or above the unit ("" when there is none)."""
        if unit_id not in unit_regions:
            unit = units.get(unit_id)
            while unit is not None and unit[1] != OrgUnit.Kind.REGION:
                unit = units.get(unit[2]) if unit[2] else None
            unit_regions[unit_id] = unit[0] if unit is not None else ""
        return unit_regions[unit_id]

    # Tuples, not model instances, in no particular order: a sales force of 20,000 has about 50,000 people in the
    # HR data, looked up here by their (unique) employee id.
    people = Person.objects.order_by().values_list(
        "pk", "employee_id", "manager_id", "region", "org_unit_id", "hire_date", "job_title", "status", "end_date",
    )
    managing = set(
        Person.objects.exclude(status=EmploymentStatus.INACTIVE).exclude(manager=None).order_by()
        .values_list("manager_id", flat=True).distinct()
    )
    sellers: dict[str, SellerRecord] = {}
    managers = 0
    for pk, employee_id, manager_id, region, org_unit_id, hire_date, job_title, status, end_date in people:
        if pk in managing:
            managers += 1
            continue
        # People who have left count in the evidence for their time in seat (survivors alone would bias it).
        has_left = status == EmploymentStatus.INACTIVE
        sellers[employee_id] = SellerRecord(
            person_id=pk, employee_id=employee_id, manager_id=manager_id,
            region=region or (unit_region(org_unit_id) if org_unit_id else ""), hire_date=hire_date,
            job_title=job_title, end_date=end_date if has_left else None, has_left=has_left,
        )
    notes = ["People who manage others are analysed as managers, not as sellers."] if managers else []
    tasks = [
        TaskSpec(task_id=t.pk, key=t.key, name=t.name, metric_keys=tuple(k for k in t.metric_keys if k in METRICS),
                 prior_weight=t.prior_weight, kind=t.kind)
        for t in SellingTask.objects.filter(is_active=True).order_by("position", "name")
    ]
    rules = [
        RuleSpec(situation_id=s.pk, name=s.name, conditions=tuple(
            Condition(feature=c["feature"], op=c["op"], value=c["value"]) for c in s.conditions
        ))
        for s in Situation.objects.filter(kind=Situation.Kind.RULE, is_active=True).order_by("priority", "pk")
    ]
    proposed = [
        ProposedSpec(situation_id=s.pk, name=s.name, centroid=s.centroid)
        for s in Situation.objects.filter(kind=Situation.Kind.PROPOSED, is_active=True)
    ]
    active_situations = {s.situation_id for s in rules} | {p.situation_id for p in proposed}
    latest_place: dict[int, int | None] = {}
    for seller_id, situation_id in SellerSituationOverride.objects.order_by(
        "seller_id", "-created_at", "-id"
    ).values_list("seller_id", "situation_id"):
        latest_place.setdefault(seller_id, situation_id)
    seller_overrides = {
        seller_id: situation_id for seller_id, situation_id in latest_place.items()
        if situation_id is not None and situation_id in active_situations
    }
    latest_weight: dict[tuple[int, int], TaskWeightOverride] = {}
    for o in TaskWeightOverride.objects.select_related("author").order_by("-created_at", "-id"):
        latest_weight.setdefault((o.situation_id, o.task_id), o)
    weight_overrides = {
        key: WeightOverrideSpec(weight=o.weight, note=o.note, author=_author_name(o.author), at=o.created_at)
        for key, o in latest_weight.items() if o.weight is not None
    }
    return EngineInputs(
        period=period, sellers=sellers, tasks=tasks, rules=rules, proposed=proposed,
        seller_overrides=seller_overrides, weight_overrides=weight_overrides,
        settings=engine_settings or EngineSettings(), excluded_notes=notes,
    )


def _author_name(user: Any | None) -> str:
    if user is None:
        return "a former user"
    person = getattr(user, "person", None)
    return person.full_name if person is not None else user.email


def _period_for(run: AnalysisRun, con: Any, inventory: StoreInventory) -> Period:
    start = run.params.get("period_start")
    end = run.params.get("period_end")
    if start and end:
        return Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end), dt.date.fromisoformat(end))
    base = default_period(con, inventory=inventory)
    if end:
        end_date = dt.date.fromisoformat(end)
        return Period(dt.date(end_date.year - 1, end_date.month, end_date.day) + dt.timedelta(days=1), end_date,
                      end_date)
    if start:
        start_date = dt.date.fromisoformat(start)
        return Period(start_date, base.end, base.as_of)
    return base


def analysis_execute(*, run_id: int, url: str | None = None) -> AnalysisRun:
    """The background job's body: run the analysis for `run_id` and save its snapshot. Never raises for a
    problem in the data: the run is marked failed with the reason, which the runs page shows."""
    run = AnalysisRun.objects.get(pk=run_id)
    if run.status != AnalysisRun.Status.QUEUED:
        return run
    started = timezone.now()
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=AnalysisRun.Status.RUNNING, started_at=started, progress=1, stage="Starting"
    )
    last = {"pct": 0}
    clock = time.monotonic()
    marks: dict[int, float] = {}

    def progress(pct: int, stage: str) -> None:
        marks[pct] = time.monotonic() - clock
        if pct - last["pct"] >= 5 or pct >= 95:
            last["pct"] = pct
            AnalysisRun.objects.filter(pk=run.pk).update(progress=pct, stage=stage[:200])

    try:
        # A job's session: the analysis's joins stay inside the engine's memory budget, and intermediates are
        # built on every core (the per-seller result is ordered by the query itself).
        with _cyclic_gc_paused(), store.session(url=url, read_only=True, job=True) as con:
            inventory = inspect_store(con)
            period = _period_for(run, con, inventory)
            AnalysisRun.objects.filter(pk=run.pk).update(period_start=period.start, period_end=period.end)
            inputs = inputs_build(period=period)
            marks[0] = time.monotonic() - clock
            result = analyse(con, inputs, progress=progress, inventory=inventory)
        with _cyclic_gc_paused(), transaction.atomic():
            snapshot_write(run=run, result=result)
            total = time.monotonic() - clock
            timings = {
                "setup": marks.get(0, 0.0),
                "inventory": marks.get(15, 0.0) - marks.get(5, 0.0),
                "queries": marks.get(55, 0.0) - marks.get(15, 0.0),
                "statistics": marks.get(95, 0.0) - marks.get(55, 0.0),
                "saving": total - marks.get(95, total),
                "total": total,
            }
            AnalysisRun.objects.filter(pk=run.pk).update(
                status=AnalysisRun.Status.SUCCEEDED, progress=100, stage="Done", finished_at=timezone.now(),
                outcome=result.outcome, seller_count=len(result.sellers), data_notes=result.notes,
                metric_availability=result.metric_availability,
                timings={k: round(v, 2) for k, v in timings.items()},
            )
            # Dropping older runs' per-task rows is housekeeping: its own job, once this run is saved.
            transaction.on_commit(_details_prune_enqueue, robust=True)
    except Exception as error:
        logger.exception("Analysis %s failed", run.pk)
        message = str(error) if isinstance(error, AnalysisError | ValueError | store.StoreBusy) else (
            f"{type(error).__name__}: {error}"
        )
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=AnalysisRun.Status.FAILED, finished_at=timezone.now(), error=message[:2000],
            stage="Failed",
        )
    run.refresh_from_db()
    return run


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting goes on freeing everything else).

    A run at 20,000 sellers keeps a few hundred thousand small objects alive at once (sellers, reasons, rows to
    insert), none of them in reference cycles; the collector would walk them, and everything Django, Ibis and
    pyarrow hold, dozens of times for next to nothing (building the store query leaves a few thousand objects in
    cycles): 0.2 to 0.6 s a run. It runs again as soon as the block ends and frees those then."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def snapshot_write(*, run: AnalysisRun, result: AnalysisResult) -> None:
    """Write one run's results. New proposed situations are created here; matched ones get their centre moved."""
    situation_ids: dict[str, int] = {}
    for out in result.situations:
        if out.situation_id is None:
            situation = Situation.objects.create(
                name=out.name, kind=Situation.Kind.PROPOSED, description=out.summary, centroid=out.centroid,
            )
        else:
            situation = Situation.objects.get(pk=out.situation_id)
            if situation.kind == Situation.Kind.PROPOSED:
                fields = ["updated_at"]
                if out.centroid:
                    situation.centroid, fields = out.centroid, [*fields, "centroid"]
                # A description nobody has edited is the engine's summary of the last run: it follows the books.
                last = (SituationResult.objects.filter(situation=situation).order_by("-run_id")
                        .values_list("summary", flat=True).first())
                if last is not None and situation.description[:300] == last and out.summary:
                    situation.description, fields = out.summary, [*fields, "description"]
                if len(fields) > 1:
                    situation.save(update_fields=fields)
        situation_ids[out.key] = situation.pk
        SituationResult.objects.create(
            run=run, situation=situation, seller_count=len(out.members), by_rule=out.by_rule,
            by_cluster=out.by_cluster, by_override=out.by_override, summary=out.summary[:300],
            features=out.features, estimated_from_data=out.estimated_from_data,
        )
    TaskEvidence.objects.bulk_create([
        TaskEvidence(
            run=run, situation_id=situation_ids[e.situation_key], task_id=e.task_id, metric_key=e.metric_key,
            available=e.available, unavailable_reason=e.unavailable_reason[:300], seller_count=e.seller_count,
            effect=e.effect, ci_low=e.ci_low, ci_high=e.ci_high, prior_weight=e.prior_weight,
            data_share=e.data_share, blended=e.blended, weight=e.weight, driven_by=e.driven_by,
            override_note=e.override.note if e.override else "",
            override_author=e.override.author[:200] if e.override else "",
            override_at=e.override.at if e.override else None, is_critical=e.is_critical, rank=e.rank,
            higher_is_better=e.higher_is_better, top_quartile=e.top_quartile, median=e.median,
            bottom_quartile=e.bottom_quartile, explanation=e.explanation,
        )
        for e in result.evidence
    ], batch_size=1000)
    sellers = result.sellers
    features = _json_prep(SellerDiagnostic, "features")
    _rows_insert(SellerDiagnostic, {
        "run": [run.pk] * len(sellers),
        "seller": [s.person_id for s in sellers],
        "crm_user_id": [s.crm_user_id[:64] for s in sellers],
        "situation": [situation_ids[s.situation_key] for s in sellers],
        "assigned_by": [s.assigned_by for s in sellers],
        "manager": [s.manager_id for s in sellers],
        "region": [s.region[:200] for s in sellers],
        "tenure_months": [s.tenure_months for s in sellers],
        "is_ramping": [s.is_ramping for s in sellers],
        "outcome": [s.outcome for s in sellers],
        "outcome_percentile": [s.outcome_percentile for s in sellers],
        "won_amount": [s.won_amount for s in sellers],
        "features": [features(s.features) for s in sellers],
        **_numbers_columns(sellers),
    })
    # The per-task rows point at the diagnostics just written: one query reads their ids back.
    diagnostic_ids = dict(SellerDiagnostic.objects.filter(run=run).order_by().values_list("seller_id", "id"))
    for table in result.gaps:
        _rows_insert(SellerTaskGap, _gap_columns(run.pk, table, diagnostic_ids))
    needs = result.needs
    seller_ids = _json_prep(CoachingNeed, "seller_ids")
    _rows_insert(CoachingNeed, {
        "run": [run.pk] * len(needs),
        "manager": [n.manager_id for n in needs],
        "task": [n.task_id for n in needs],
        "priority": [n.priority for n in needs],
        "rank": [n.rank for n in needs],
        "seller_ids": [seller_ids(n.seller_ids) for n in needs],
        "team_size": [n.team_size for n in needs],
        "reason": [n.reason for n in needs],
    })
    comparisons = result.comparisons
    task_percentiles = _json_prep(TeamComparison, "task_percentiles")
    _rows_insert(TeamComparison, {
        "run": [run.pk] * len(comparisons),
        "manager": [c.manager_id for c in comparisons],
        "situation": [situation_ids[c.situation_key] for c in comparisons],
        "seller_count": [c.seller_count for c in comparisons],
        "team_median_percentile": [c.team_median_percentile for c in comparisons],
        "other_teams": [c.other_teams for c in comparisons],
        "other_teams_median_percentile": [c.other_teams_median_percentile for c in comparisons],
        "team_rank": [c.team_rank for c in comparisons],
        "task_percentiles": [task_percentiles(c.task_percentiles) for c in comparisons],
    })


def _numbers_columns(sellers: Sequence[SellerOut]) -> dict[str, list[Any]]:
    """The sellers' own numbers as SellerDiagnostic columns (zeros and blanks for a seller without them)."""
    currencies = _json_prep(SellerDiagnostic, "currencies")
    own = [s.numbers or SellerNumbers(0, 0, 0, 0, s.won_amount, None, None, None) for s in sellers]
    return {
        "opportunities_created": [n.created for n in own],
        "opportunities_won": [n.won for n in own],
        "opportunities_lost": [n.lost for n in own],
        "opportunities_open": [n.open for n in own],
        "win_rate": [n.win_rate for n in own],
        "quota": [n.quota for n in own],
        "attainment": [n.attainment for n in own],
        "currencies": [currencies(list(n.currencies)) for n in own],
        "seat_start": [n.seat_start for n in own],
    }


# Measured at 20,000 sellers on SQLite: 1,000 rows a statement saved the snapshot about a quarter faster than the
# 83 that Django's 999-parameter batches allow; larger statements were no faster.
ROWS_PER_STATEMENT = 1000
STATEMENTS_PER_CALL = 20


def _rows_insert(model: type[Model], columns: Mapping[str, Sequence[Any] | np.ndarray]) -> None:
    """Insert rows, given column by column (field name -> every row's value, as the database takes it), into the
    model's table, up to ROWS_PER_STATEMENT rows a statement (fewer if the database takes fewer parameters).

    The snapshot of a run at 20,000 sellers is about 250,000 rows; a model instance for each, as bulk_create
    builds, would cost more than the analysis itself. Only JSON fields need converting first (`_json_prep`). The
    values are laid out once as a rows x fields matrix of Python objects, so each statement's parameters are one
    slice of it.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(_column(model, name)) for name in columns)
    one_row = f"({', '.join(['%s'] * len(columns))})"
    per_statement = max(1, min(ROWS_PER_STATEMENT, _parameters_per_statement() // len(columns)))
    row_count = len(next(iter(columns.values())))
    matrix = np.empty((row_count, len(columns)), dtype=object)
    for f, (name, values) in enumerate(columns.items()):
        if len(values) != row_count:
            raise ValueError(f"{model.__name__}.{name} has {len(values)} values, not {row_count}.")
        # fromiter, not assignment: a value that is itself a sequence must stay one value.
        matrix[:, f] = values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=object,
                                                                                   count=row_count)

    def statement(rows: int) -> str:
        # Only names from the model's own metadata and placeholders go into the text; values are parameters.
        values = ", ".join([one_row] * rows)
        return f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {values}"  # noqa: S608

    full = statement(per_statement)
    in_full = row_count - row_count % per_statement
    with connection.cursor() as cursor:
        for start in range(0, in_full, per_statement * STATEMENTS_PER_CALL):
            stop = min(start + per_statement * STATEMENTS_PER_CALL, in_full)
            cursor.executemany(full, [matrix[i:i + per_statement].ravel().tolist()
                                      for i in range(start, stop, per_statement)])
        if in_full < row_count:
            cursor.execute(statement(row_count - in_full), matrix[in_full:].ravel().tolist())


def _parameters_per_statement() -> int:
    """How many parameters one statement may carry: what the connection's SQLite says (Django assumes the 999 of
    SQLite before 3.32; later builds take 32,766 or more), PostgreSQL's 65,535."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return connection.features.max_query_params or 65_535


def _column(model: type[Model], field_name: str) -> str:
    field = model._meta.get_field(field_name)
    assert isinstance(field, Field)
    assert field.column
    return field.column


def _json_prep(model: type[Model], field_name: str) -> Callable[[Any], Any]:
    """A JSON field's values as the connection stores them (text on SQLite, jsonb on PostgreSQL), prepared the
    way the ORM prepares them for a save."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, JSONField)
    # The connection itself, not the thread-local proxy: this runs for every row.
    return functools.partial(field.get_db_prep_save, connection=connections[DEFAULT_DB_ALIAS])


def _gap_columns(run_id: int, table: SituationGaps, diagnostic_ids: dict[int, int]
                 ) -> dict[str, list[Any] | np.ndarray]:
    """One situation's seller x task arrays as SellerTaskGap columns, row by row of the arrays (seller by seller,
    and each seller task by task)."""
    n, task_count = table.value.shape

    def optional(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
        column = values.ravel().astype(object)  # Python numbers
        column[missing.ravel()] = None
        return column

    reasons = np.full(n * task_count, "", dtype=object)
    for (i, j), text in table.reasons.items():
        reasons[i * task_count + j] = text
    return {
        "run": [run_id] * (n * task_count),
        "diagnostic": [diagnostic_ids[person_id] for person_id in table.person_ids for _ in range(task_count)],
        "task": table.task_ids * n,
        "value": optional(table.value, ~np.isfinite(table.value)),
        "percentile": optional(table.percentile, ~np.isfinite(table.percentile)),
        "target": table.targets * n,
        "gap": table.gap.ravel().astype(object),
        "importance": table.importance.tolist() * n,
        "priority": table.priority.ravel().astype(object),
        "priority_rank": optional(table.priority_rank, table.priority_rank == 0),
        "is_critical": table.is_critical.tolist() * n,
        "reason": reasons,
    }


def analysis_details_prune() -> int:
    """Keep per-task seller rows only for the latest few succeeded runs (INSIGHTS_KEEP_DETAILED_RUNS); summaries
    stay for trends. Runs in its own background job after each analysis (insights.tasks.prune_analysis_details),
    so the analysis does not wait for the delete. Answers how many rows went."""
    runs = list(
        AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk").values_list("pk", flat=True)
    )[_keep_detailed_runs():]
    # By run, not "all but the kept": a run that succeeds while this deletes keeps its rows.
    deleted = 0
    for start in range(0, len(runs), 500):
        deleted += SellerTaskGap.objects.filter(run_id__in=runs[start:start + 500]).delete()[0]
    return deleted


def _details_prune_enqueue() -> None:
    from insights.tasks import prune_analysis_details

    prune_analysis_details.enqueue()


def analysis_run_now(*, actor: Any | None, reason: str, url: str | None = None) -> AnalysisRun:
    """Queue and execute in this process (the management command and the demo; pages enqueue instead)."""
    run = analysis_enqueue(actor=actor, reason=reason)
    return analysis_execute(run_id=run.pk, url=url)


# ---------------------------------------------------------------------------------------------------------------
# Task library
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class TaskData:
    name: str
    definition: str
    behaviours: list[str]
    coaching_focus: str
    metric_keys: list[str]
    prior_weight: float
    prior_source: str
    kind: str = SellingTask.Kind.BEHAVIOUR
    is_active: bool = True


def _check_task(data: TaskData) -> None:
    unknown = [k for k in data.metric_keys if k not in METRICS]
    if unknown:
        raise AnalysisError(f"Unknown metric {', '.join(unknown)}: choose from the metric catalogue.")
    if not data.metric_keys:
        raise AnalysisError("Choose at least one metric that evidences the task.")
    if not -1.0 <= data.prior_weight <= 1.0:
        raise AnalysisError(f"Prior weight {data.prior_weight} is outside -1 to 1.")


@transaction.atomic
def selling_task_create(*, actor: Any, key: str, data: TaskData) -> SellingTask:
    """Add a task to the library (administrators)."""
    _check_task(data)
    if SellingTask.objects.filter(key=key).exists():
        raise AnalysisError(f"A task with the key {key!r} already exists.")
    task = SellingTask.objects.create(
        key=key, name=data.name, definition=data.definition, behaviours=data.behaviours,
        coaching_focus=data.coaching_focus, metric_keys=data.metric_keys, prior_weight=data.prior_weight,
        prior_source=data.prior_source, kind=data.kind, is_active=data.is_active, is_default=False,
        position=(SellingTask.objects.aggregate(m=Max("position"))["m"] or 0) + 10, updated_by=actor,
    )
    audit_log(actor=actor, action="insights.task_created", target=task, summary=f"Task added: {task.name}")
    return task


@transaction.atomic
def selling_task_update(*, actor: Any, task: SellingTask, data: TaskData) -> SellingTask:
    """Edit a task (administrators). Takes effect at the next analysis."""
    _check_task(data)
    before = {"prior_weight": task.prior_weight, "metric_keys": task.metric_keys, "is_active": task.is_active}
    for field in ("name", "definition", "behaviours", "coaching_focus", "metric_keys", "prior_weight",
                  "prior_source", "kind", "is_active"):
        setattr(task, field, getattr(data, field))
    task.updated_by = actor
    task.save()
    audit_log(actor=actor, action="insights.task_updated", target=task, summary=f"Task edited: {task.name}",
              details={"before": before, "after": {"prior_weight": task.prior_weight,
                                                   "metric_keys": task.metric_keys, "is_active": task.is_active}})
    return task


# ---------------------------------------------------------------------------------------------------------------
# Situations and overrides
# ---------------------------------------------------------------------------------------------------------------


def conditions_check(conditions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated rule clauses ({feature, op, value}); raises AnalysisError naming the bad clause."""
    cleaned: list[dict[str, Any]] = []
    for number, clause in enumerate(conditions, start=1):
        feature, op, value = clause.get("feature"), clause.get("op"), clause.get("value")
        if feature not in RULE_FEATURES:
            raise AnalysisError(f"Condition {number}: unknown feature {feature!r}.")
        if op not in RULE_OPERATORS:
            raise AnalysisError(f"Condition {number}: unknown comparison {op!r}.")
        if feature in TEXT_RULE_FEATURES:
            if op not in {"eq", "ne", "contains"}:
                raise AnalysisError(f"Condition {number}: {RULE_FEATURES[feature]} is text; use is, is not or "
                                    "contains.")
            if not str(value or "").strip():
                raise AnalysisError(f"Condition {number}: give the text to compare with.")
            cleaned.append({"feature": feature, "op": op, "value": str(value).strip()})
        else:
            if op not in {"gt", "gte", "lt", "lte"}:
                raise AnalysisError(f"Condition {number}: {RULE_FEATURES[feature]} is a number; use more than, "
                                    "at least, less than or at most.")
            try:
                number_value = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise AnalysisError(f"Condition {number}: {value!r} is not a number.") from None
            cleaned.append({"feature": feature, "op": op, "value": number_value})
    if not cleaned:
        raise AnalysisError("A rule needs at least one condition.")
    return cleaned


def conditions_text(conditions: list[dict[str, Any]]) -> str:
    """A rule in words: "Accounts owned more than 100 and Deal size (median won amount) less than 20000"."""
    parts = []
    for c in conditions:
        value = c["value"]
        shown = f"{value:g}" if isinstance(value, float) else f"“{value}”"
        parts.append(f"{RULE_FEATURES.get(c['feature'], c['feature'])} {RULE_OPERATORS.get(c['op'], c['op'])} "
                     f"{shown}")
    return " and ".join(parts)


@transaction.atomic
def situation_rule_save(
    *, actor: Any, name: str, description: str, conditions: list[dict[str, Any]], priority: int,
    situation: Situation | None = None, is_active: bool = True,
) -> Situation:
    """Create or edit a rule-defined situation (HR partners, sales leaders, administrators)."""
    cleaned = conditions_check(conditions)
    name = name.strip()
    if not name:
        raise AnalysisError("Give the situation a name.")
    clash = Situation.objects.filter(name__iexact=name, is_active=True)
    if situation is not None:
        clash = clash.exclude(pk=situation.pk)
    if clash.exists():
        raise AnalysisError(f"A situation called {name!r} already exists.")
    created = situation is None
    if situation is None:
        situation = Situation(kind=Situation.Kind.RULE, created_by=actor)
    elif situation.kind != Situation.Kind.RULE:
        raise AnalysisError("Only rule situations have conditions.")
    situation.name, situation.description, situation.conditions = name, description.strip(), cleaned
    situation.priority, situation.is_active = priority, is_active
    situation.save()
    audit_log(actor=actor, action="insights.situation_rule_created" if created else "insights.situation_rule_updated",
              target=situation, summary=f"Situation rule {name}: {conditions_text(cleaned)}",
              details={"conditions": cleaned, "priority": priority, "is_active": is_active})
    return situation


@transaction.atomic
def situation_update(*, actor: Any, situation: Situation, name: str, description: str, is_active: bool
                     ) -> Situation:
    """Rename, describe or retire a situation (a retired proposed situation is not matched again)."""
    name = name.strip()
    if not name:
        raise AnalysisError("Give the situation a name.")
    if Situation.objects.filter(name__iexact=name, is_active=True).exclude(pk=situation.pk).exists():
        raise AnalysisError(f"A situation called {name!r} already exists.")
    situation.name, situation.description, situation.is_active = name, description.strip(), is_active
    situation.save(update_fields=["name", "description", "is_active", "updated_at"])
    audit_log(actor=actor, action="insights.situation_updated", target=situation,
              summary=f"Situation {name} edited", details={"is_active": is_active})
    return situation


@transaction.atomic
def seller_situation_override_set(
    *, actor: Any, seller: Person, situation: Situation | None, reason: str,
) -> SellerSituationOverride:
    """Place a seller in a situation by hand (or, with None, back to automatic), with who and why."""
    reason = reason.strip()
    if not reason:
        raise AnalysisError("Say why the seller belongs in this situation.")
    if situation is not None and not situation.is_active:
        raise AnalysisError(f"The situation {situation.name!r} is retired.")
    row = SellerSituationOverride.objects.create(seller=seller, situation=situation, reason=reason, author=actor)
    audit_log(actor=actor, action="insights.seller_situation_override", target=seller,
              summary=f"{seller.full_name} placed in {situation.name if situation else 'automatic assignment'}",
              details={"situation_id": situation.pk if situation else None, "reason": reason})
    return row


@transaction.atomic
def task_weight_override_set(
    *, actor: Any, situation: Situation, task: SellingTask, weight: float | None, note: str,
) -> TaskWeightOverride:
    """Override a task's weight in a situation (or, with None, return it to the evidence), with a note.
    Queues a new analysis so the profile and every seller's priorities reflect it."""
    note = note.strip()
    if not note:
        raise AnalysisError("Add a note saying why the weight should differ from the evidence.")
    if weight is not None and not -1.0 <= weight <= 1.0:
        raise AnalysisError(f"Weight {weight} is outside -1 to 1.")
    row = TaskWeightOverride.objects.create(situation=situation, task=task, weight=weight, note=note, author=actor)
    audit_log(actor=actor, action="insights.task_weight_override", target=situation,
              summary=f"{task.name} in {situation.name}: weight "
              f"{'back to the evidence' if weight is None else f'{weight:.2f}'}",
              details={"task": task.key, "weight": weight, "note": note})
    analysis_enqueue(actor=actor, reason=f"after a weight override on {task.name} in {situation.name}")
    return row


def weight_override_current(*, situation: Situation, task: SellingTask) -> TaskWeightOverride | None:
    """The override in force for a task in a situation, if any."""
    row = (TaskWeightOverride.objects.filter(situation=situation, task=task)
           .select_related("author").order_by("-created_at", "-id").first())
    return row if row is not None and row.weight is not None else None


def seller_override_current(*, seller: Person) -> SellerSituationOverride | None:
    row = (SellerSituationOverride.objects.filter(seller=seller).select_related("situation", "author")
           .order_by("-created_at", "-id").first())
    return row if row is not None and row.situation_id is not None else None


def stale_runs_fail(*, older_than: dt.timedelta = dt.timedelta(hours=6)) -> int:
    """Mark runs stuck in running (a killed worker) as failed, so the page stops showing progress."""
    cutoff = timezone.now() - older_than
    return AnalysisRun.objects.filter(
        Q(status=AnalysisRun.Status.RUNNING, started_at__lt=cutoff)
    ).update(status=AnalysisRun.Status.FAILED, error="The worker stopped before the analysis finished.",
             finished_at=timezone.now())
