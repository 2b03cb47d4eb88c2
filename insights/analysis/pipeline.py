"""The whole analysis, store to snapshot-ready results, as one function: `analyse(con, inputs)`.

Steps (progress percentages in brackets): check which data the store has [5]; compute every seller's metrics and
book features in one query and pull one row per CRM user [15-55]; pick the sellers (linked to a person, not
managing others, active in the period) [55]; assign situations [60]; compute the outcome [65]; estimate each
task's effect per situation and blend it with the prior [70-80]; rank and mark critical tasks; seller gaps and
priorities; manager needs and team comparisons [85-95].
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import numpy as np

from insights.analysis import evidence as ev
from insights.analysis import situations as sit
from insights.analysis.diagnostics import manager_needs, mid_rank_percentiles, seller_gaps, team_comparisons
from insights.analysis.frame import SellerFrame
from insights.analysis.types import (
    AnalysisResult,
    EngineInputs,
    EvidenceOut,
    Progress,
    SellerNumbers,
    SellerOut,
    SellerRecord,
    SituationGaps,
    SituationOut,
    TaskSpec,
)
from insights.metrics import (
    BOOK_FEATURES,
    METRICS,
    MetricDefinition,
    Period,
    StoreInventory,
    currency_breakdown,
    inspect_store,
    seller_metrics,
)

MIN_FOR_QUARTILES = 8
NOT_CRITICAL_UNTESTED = (" It is not called critical: there are too few sellers here to check it against this "
                         "company's own results.")
NOT_CRITICAL_UNPROVEN = (" It is not called critical: this company's own results do not yet show clearly enough "
                         "that it goes with success, with this many tasks checked at once.")
DAYS_PER_MONTH = 30.4375


def default_period(con: Any, *, database: str | None = None, max_years: int = 2,
                   inventory: StoreInventory | None = None, today: dt.date | None = None) -> Period:
    """The complete calendar quarters of closed business, up to `max_years` of them.

    The period ends with the last quarter that is over in the data: its "today" is the latest close date of a
    won or lost deal, or the latest opportunity created or activity logged if either is later. The latest
    created opportunity alone is not enough: an export taken on 31 December whose last deal was opened on 27
    December still holds the whole fourth quarter's closings. Close dates after `today` (the real date) are
    left out: a lost deal can keep the expected date it had when it was dropped.

    The period starts where the data does: the first quarter that begins on or after the first opportunity
    created, the first activity and the first quota period, whichever of them the store has and is latest.
    More quarters mean more deals per seller and steadier estimates; two years keeps the evidence recent.
    """
    inventory = inventory or inspect_store(con, database=database)
    today = today or dt.datetime.now(dt.UTC).date()
    latest: list[dt.datetime | dt.date] = []
    starts: list[dt.datetime | dt.date] = []
    if "opportunities" in inventory.tables:
        o = inventory.tables["opportunities"]
        span = o.aggregate(first=o.created_at.min(), last=o.created_at.max()).to_pyarrow().to_pylist()[0]
        closed = o.filter(o.is_closed.fill_null(False) & (o.close_date <= today))
        last_close = closed.close_date.max().execute()
        for value in (span["last"], last_close):
            if value is not None:
                latest.append(value)
        if span["first"] is not None:
            starts.append(span["first"])
    if "activities" in inventory.tables and inventory.has("activities.occurred_at"):
        a = inventory.tables["activities"]
        span = a.aggregate(first=a.occurred_at.min(), last=a.occurred_at.max()).to_pyarrow().to_pylist()[0]
        if span["last"] is not None:
            latest.append(span["last"])
            starts.append(span["first"])
    if "quotas" in inventory.tables and inventory.has("quotas.period_start"):
        starts.append(inventory.tables["quotas"].period_start.min().execute())
    if not latest:
        raise ValueError("The analytics store has no opportunities or activities: import CRM data first.")
    as_of = max(_as_date(v) for v in latest)
    period = period_ending_before(as_of, years=max_years)
    if not starts:
        return period_ending_before(as_of, years=1)
    first = max(_as_date(v) for v in starts)  # where every kind of record the store has is recorded
    quarter_start = _quarter_start(first)
    data_start = first if first == quarter_start else _next_quarter(quarter_start)
    start = max(period.start, data_start)
    if start > period.end:
        return period_ending_before(as_of, years=1)
    return Period(start=start, end=period.end, as_of=as_of)


def _as_date(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_quarter(quarter_start: dt.date) -> dt.date:
    month = quarter_start.month + 3
    return dt.date(quarter_start.year + (month > 12), (month - 1) % 12 + 1, 1)


def period_ending_before(as_of: dt.date, *, years: int = 1) -> Period:
    """Complete quarters: the period ends on the last quarter end on or before `as_of`."""
    next_day = as_of + dt.timedelta(days=1)
    if next_day.month in (1, 4, 7, 10) and next_day.day == 1:
        end = as_of
    else:
        end = _quarter_start(as_of) - dt.timedelta(days=1)
    start = dt.date(end.year - years, end.month, end.day) + dt.timedelta(days=1)
    return Period(start=start, end=end, as_of=as_of)


def seat_span(record: SellerRecord, period: Period, first_seen: dt.datetime | dt.date | None
              ) -> tuple[dt.date | None, dt.date]:
    """When the seller's time in seat starts (the HR hire date, else their first record in the CRM; None when
    neither is known) and the last day of it the period covers (the period's end, or the day before they left)."""
    start = record.hire_date
    if start is None and first_seen is not None:
        start = first_seen.date() if isinstance(first_seen, dt.datetime) else first_seen
    end = period.end
    if record.end_date is not None:
        end = min(end, record.end_date - dt.timedelta(days=1))
    return start, end


def _tenure_months(seat_start: dt.date | None, seat_end: dt.date) -> float:
    """Months in seat at the end of the period (or when they left); NaN when the start is unknown."""
    if seat_start is None:
        return math.nan
    return max((seat_end - seat_start).days / DAYS_PER_MONTH, 0.0)


def _seat_days(seat_start: dt.date | None, seat_end: dt.date, period: Period, crm_days: float) -> float:
    """Days of the period in seat: from the later of the period's start and the seat's start to the seat's end;
    the CRM's own count (`active_days`) when the start is unknown."""
    start = max(seat_start, period.start) if seat_start is not None else None
    if start is None or start > seat_end:  # unknown, or HR dates that contradict the CRM's records
        return crm_days
    return float((seat_end - start).days + 1)


def select_sellers(frame: SellerFrame, inputs: EngineInputs) -> tuple[SellerFrame, list[str]]:
    """The CRM users the analysis covers, with their person fields added; notes on who was left out and why.

    Sellers who have left count like everyone else, for their time in seat (they are marked `has_left`: they
    take part in the evidence but get no diagnostic). Rates per time in seat are rescaled to the HR time in
    seat where HR knows it (hire date, leaving date)."""
    notes = list(inputs.excluded_notes)
    employee_ids = frame["person_employee_id"]
    activity = frame["n_created"] + frame["n_won"] + frame["n_lost"]
    if "n_activities" in frame:
        activity = activity + np.nan_to_num(frame["n_activities"])
    active = np.nan_to_num(activity) > 0
    linked = np.array([e is not None and e in inputs.sellers for e in employee_ids], dtype=bool)
    unlinked_active = int((active & np.array([e is None for e in employee_ids])).sum())
    if unlinked_active:
        notes.append(
            f"{unlinked_active} CRM user{'s' if unlinked_active != 1 else ''} with activity in the period "
            f"{'are' if unlinked_active != 1 else 'is'} not linked to a person in the HR data and "
            f"{'were' if unlinked_active != 1 else 'was'} left out."
        )
    current = np.array([linked[i] and not inputs.sellers[str(e)].has_left for i, e in enumerate(employee_ids)],
                       dtype=bool)
    idle = int((current & ~active).sum())
    if idle:
        notes.append(f"{idle} linked seller{'s' if idle != 1 else ''} had no opportunities or activities in the "
                     "period and were left out.")
    # Someone who left before the period began was not in seat during it, whatever the CRM still shows.
    gone = np.array([linked[i] and (r := inputs.sellers[str(e)]).end_date is not None
                     and r.end_date <= inputs.period.start for i, e in enumerate(employee_ids)], dtype=bool)
    rows = np.flatnonzero(linked & active & ~gone)
    selected = frame.take(rows)
    records = [inputs.sellers[str(e)] for e in selected["person_employee_id"]]
    first_seen = selected.get("first_seen_at")
    spans = [seat_span(r, inputs.period, first_seen[i] if first_seen is not None else None)
             for i, r in enumerate(records)]
    crm_days = selected["active_days"]
    seat_days = np.array([_seat_days(a, b, inputs.period, float(d)) for (a, b), d in zip(spans, crm_days,
                                                                                         strict=True)], dtype=float)
    # Rates per time in seat were divided by the CRM's days: put them over the HR time in seat instead. (The
    # book features stay as the CRM shows the book: they form situations, and a new seller's book is the same
    # book whatever their start date.)
    rescale = crm_days / seat_days
    for key in [m.key for m in METRICS.values() if m.per_time_in_seat]:
        if key in selected:
            selected.columns[key] = selected[key] * rescale
    has_left = np.array([r.has_left for r in records], dtype=bool)
    left = int(has_left.sum())
    if left:
        notes.append(f"{left} seller{'s' if left != 1 else ''} who left during or after the period "
                     f"count{'' if left != 1 else 's'} in the evidence for {'their' if left != 1 else 'the'} time "
                     "in seat, as everyone else does, but get no diagnostic.")
    selected.columns.update({
        "person_id": np.array([r.person_id for r in records], dtype=object),
        "manager_id": np.array([r.manager_id for r in records], dtype=object),
        "region": np.array([r.region for r in records], dtype=object),
        "job_title": np.array([r.job_title for r in records], dtype=object),
        "tenure_months": np.array([_tenure_months(a, b) for a, b in spans], dtype=float),
        "seat_days": seat_days,
        "seat_start": np.array([a for a, _ in spans], dtype=object),
        "has_left": has_left,
    })
    return selected, notes


def assign_situations(frame: SellerFrame, inputs: EngineInputs) -> tuple[list[SituationOut], np.ndarray]:
    """Every seller gets one situation: override, else first matching rule, else a proposed (clustered) one.

    Returns the situations with members and, per seller, how they were assigned.
    """
    settings = inputs.settings
    n = frame.n
    assigned: list[str | None] = [None] * n
    how = np.full(n, "", dtype=object)
    known: dict[int, tuple[str, str]] = {r.situation_id: ("rule", r.name) for r in inputs.rules}
    known.update({p.situation_id: ("proposed", p.name) for p in inputs.proposed})
    person_ids = frame["person_id"] if n else np.array([], dtype=object)
    for i, person_id in enumerate(person_ids):
        target = inputs.seller_overrides.get(int(person_id))
        if target is not None and target in known:
            assigned[i], how[i] = f"s{target}", "override"
    for rule in inputs.rules:
        mask = sit.rule_mask(frame, rule)
        for i in np.flatnonzero(mask).tolist():
            if assigned[i] is None:
                assigned[i], how[i] = f"s{rule.situation_id}", "rule"
    rest = np.array([i for i in range(n) if assigned[i] is None], dtype=int)
    cluster_info: dict[str, tuple[str, dict[str, float]]] = {}
    exhausted = False
    if rest.size:
        space = sit.book_space(frame, rest)
        rng = np.random.default_rng(settings.seed)
        max_k = min(settings.max_situations, max(1, rest.size // 10))
        min_size = max(3, math.ceil(settings.min_cluster_share * rest.size))
        labels, centres, exhausted = sit.choose_clusters(space.z, max_k=max_k, min_size=min_size, rng=rng,
                                                         weights=space.weights)
        matched = sit.match_proposed(centres, space, inputs.proposed)
        taken = {name for _, name in known.values()}
        for j, centre in enumerate(centres):
            centre_values = centre / space.weights * space.scale + space.center
            centroid = {k: float(v) for k, v in zip(space.keys, centre_values, strict=True)}
            if j in matched:
                key = f"s{matched[j]}"
                name = known[matched[j]][1]
            else:
                key = f"new{j}"
                name = sit.cluster_name(centre, space.keys, taken) if len(centres) > 1 else "All sellers"
                if name in taken:
                    name = sit.cluster_name(centre, space.keys, taken | {name})
                taken.add(name)
            cluster_info[key] = (name, centroid)
            for i in rest[labels == j].tolist():
                assigned[i], how[i] = key, "cluster"
    out: dict[str, SituationOut] = {}
    for i, assigned_key in enumerate(assigned):
        assert assigned_key is not None
        key = assigned_key
        if key not in out:
            if key in cluster_info:
                name, centroid = cluster_info[key]
                sid = int(key[1:]) if key.startswith("s") else None
                kind = "proposed"
            else:
                sid = int(key[1:])
                kind, name = known[sid]
                centroid = {}
            out[key] = SituationOut(key=key, situation_id=sid, kind=kind, name=name, summary="",
                                    centroid=centroid, members=[])
        situation = out[key]
        situation.members.append(i)
        if how[i] == "rule":
            situation.by_rule += 1
        elif how[i] == "cluster":
            situation.by_cluster += 1
        else:
            situation.by_override += 1
    for situation in out.values():
        rows = np.array(situation.members, dtype=int)
        medians: dict[str, Any] = {}
        for feature_key in BOOK_FEATURES:
            column = frame.get(f"feature_{feature_key}")
            if column is None:
                continue
            values = column[rows]
            values = values[np.isfinite(values)]
            medians[feature_key] = float(np.median(values)) if values.size else None
        segment = None
        if "segment" in frame:
            counts = Counter(s for s in frame["segment"][rows] if s)
            segment = counts.most_common(1)[0][0] if counts else None
        medians["segment"] = segment
        situation.features = medians
        situation.summary = sit.book_summary(medians, segment)
        # A situation formed only by clustering that was tested for structure of its own is not split again.
        tested = exhausted and situation.by_cluster == len(rows)
        mixed = sit.mixed_book(frame, rows, seed=settings.seed, tested=tested)
        if mixed is not None:
            situation.mixed, situation.book_groups = mixed.warning, mixed.groups
            medians["mixed"] = mixed.warning
    return sorted(out.values(), key=lambda s: -len(s.members)), how


def compute_outcome(frame: SellerFrame, situations: list[SituationOut], inputs: EngineInputs
                    ) -> tuple[np.ndarray, str, list[str]]:
    """Attainment where enough sellers have quotas; otherwise won revenue per year in seat relative to the
    situation's median seller."""
    notes: list[str] = []
    won = np.nan_to_num(frame["won_amount"])
    quota = frame.get("quota")
    if quota is not None:
        has_quota = np.isfinite(quota) & (quota > 0)
        if frame.n and has_quota.mean() >= inputs.settings.quota_coverage_needed:
            without = int((~has_quota).sum())
            if without:
                notes.append(f"{without} seller{'s' if without != 1 else ''} had no quota for the period: they "
                             "get diagnostics but do not count in the evidence.")
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(has_quota, won / np.where(has_quota, quota, 1.0), np.nan), "attainment", notes
    notes.append("Quotas are missing for most sellers, so success is won revenue per year in seat relative to "
                 "the median seller of the same situation.")
    per_year = won / (frame["seat_days"] / 365.25)  # per year in seat, from the HR hire date where there is one
    outcome = np.full(frame.n, np.nan)
    for situation in situations:
        rows = np.array(situation.members, dtype=int)
        median = float(np.median(per_year[rows])) if rows.size else 0.0
        if median > 0:
            outcome[rows] = per_year[rows] / median
    return outcome, "relative_revenue", notes


def _choose_metric(task: TaskSpec, frame: SellerFrame, rows: np.ndarray, settings: Any
                   ) -> tuple[MetricDefinition | None, ev.PreparedMetric | None, str]:
    """The first of the task's metrics that the store has and enough of these sellers have a value for."""
    reasons: list[str] = []
    for key in task.metric_keys:
        metric = METRICS.get(key)
        if metric is None:
            reasons.append(f"metric {key!r} is not in the catalogue")
            continue
        column = frame.get(key)
        if column is None:
            continue
        prepared = ev.prepare_metric(column[rows], metric, min_coverage=settings.min_metric_coverage)
        if prepared.z is not None:
            return metric, prepared, ""
        reasons.append(f"{metric.name.lower()}: {prepared.reason}")
    if not reasons:
        return None, None, "the CRM data lacks what its metrics need"
    return None, None, "; ".join(reasons)


def analyse(con: Any, inputs: EngineInputs, *, progress: Progress | None = None,
            database: str | None = None, inventory: StoreInventory | None = None) -> AnalysisResult:
    """Run the analysis over the store behind `con` for the period and library in `inputs`."""
    report: Progress = progress or (lambda pct, stage: None)
    settings = inputs.settings
    period = inputs.period
    report(5, "Checking which CRM data the store holds")
    inventory = inventory or inspect_store(con, database=database)
    report(15, "Computing each seller's metrics from the CRM data")
    table, missing = seller_metrics(inventory, period)
    frame = SellerFrame.from_arrow(table.to_pyarrow())
    currencies = _currencies(inventory, period)
    report(55, "Picking the sellers to analyse")
    frame, notes = select_sellers(frame, inputs)
    notes.extend(currency_notes(currencies))
    availability: dict[str, dict[str, Any]] = {
        key: {"available": key not in missing, "missing": missing.get(key, []), "task": metric.task_key,
              "name": metric.name}
        for key, metric in METRICS.items()
    }
    for task in inputs.tasks:
        usable = [k for k in task.metric_keys if k in METRICS and k not in missing]
        if not usable:
            lacking = sorted({req for k in task.metric_keys for req in missing.get(k, [])})
            notes.append(f"{task.name} cannot be measured: the CRM data lacks {', '.join(lacking) or 'its metric'}.")
        elif usable[0] != task.metric_keys[0] and task.metric_keys[0] in METRICS:
            preferred = METRICS[task.metric_keys[0]]
            notes.append(f"{task.name} is measured by {METRICS[usable[0]].name.lower()}, because the data lacks "
                         f"{', '.join(missing.get(preferred.key, []))} for {preferred.name.lower()}.")
    if any(not [k for k in t.metric_keys if k in METRICS and k not in missing] for t in inputs.tasks):
        notes.append("Because some tasks cannot be measured, the tasks that can may partly stand in for them: read "
                     "their weights with that in mind.")
    report(60, "Assigning situations")
    situations, how = assign_situations(frame, inputs)
    report(65, "Measuring success")
    outcome, outcome_kind, outcome_notes = compute_outcome(frame, situations, inputs)
    notes.extend(outcome_notes)
    outcome_label = "attainment" if outcome_kind == "attainment" else "relative won revenue"
    y_all = ev.log_outcome(outcome)
    tasks_by_id = {t.task_id: t for t in inputs.tasks}

    ramping = int(np.sum(np.isfinite(frame["tenure_months"]) & (frame["tenure_months"] < settings.ramp_months)))
    if ramping:
        notes.append(f"{ramping} seller{'s are' if ramping != 1 else ' is'} still ramping (under "
                     f"{settings.ramp_months:g} months in seat): they get diagnostics, but their results do not "
                     "count in the evidence.")
    report(70, "Estimating which tasks go with success in each situation")
    raw_estimates: dict[tuple[str, int], ev.Estimate] = {}
    chosen: dict[tuple[str, int], tuple[MetricDefinition | None, str]] = {}
    situation_n: dict[str, int] = {}
    needed: dict[str, int] = {}
    for situation in situations:
        rows = np.array(situation.members, dtype=int)
        # Sellers still ramping have results that say little yet: they get diagnostics, not a vote in the evidence.
        tenure = frame["tenure_months"][rows]
        has_y = np.isfinite(y_all[rows]) & ~(np.isfinite(tenure) & (tenure < settings.ramp_months))
        fit_rows = rows[has_y]
        n_y = int(fit_rows.size)
        situation_n[situation.key] = n_y
        sample = fit_rows if n_y >= settings.min_sellers_for_data else rows
        groups = _fit_groups(situation, has_y)
        behaviour: dict[int, np.ndarray] = {}
        results: dict[int, np.ndarray] = {}
        for task in inputs.tasks:
            metric, prepared, reason = _choose_metric(task, frame, sample, settings)
            chosen[(situation.key, task.task_id)] = (metric, reason)
            if metric is None or prepared is None or prepared.z is None or sample is not fit_rows:
                continue
            (results if task.kind == "result" else behaviour)[task.task_id] = ev.within_groups(prepared.z, groups)
        y = ev.standardise(ev.winsorise(y_all[fit_rows])) if n_y else None
        if y is not None:
            y = ev.within_groups(y, groups)
        needed[situation.key] = settings.min_sellers_for_data
        if y is not None and n_y >= needed[situation.key]:
            covariates = ev.tenure_covariates(frame["tenure_months"][fit_rows], settings.ramp_months,
                                              period.days / DAYS_PER_MONTH)
            # Fitting every behaviour together needs about two sellers per coefficient; fewer, one at a time.
            joint = n_y >= 2 * (len(behaviour) + covariates.shape[1])
            fitted = ev.estimate_effects(y, behaviour, results, covariates, ridge=settings.ridge, joint=joint)
            for task_id, fit in fitted.items():
                raw_estimates[(situation.key, task_id)] = fit
            situation.estimated_from_data = True
    triples = [(e.effect, e.se, tasks_by_id[t].prior_weight) for (_, t), e in raw_estimates.items()]
    tau2 = ev.between_variance(triples, settings)

    report(80, "Ranking the critical tasks")
    evidence: list[EvidenceOut] = []
    evidence_by_situation: dict[str, dict[int, EvidenceOut]] = {}
    for situation in situations:
        rows = np.array(situation.members, dtype=int)
        top_mask, bottom_mask = ev.quartile_groups(outcome[rows])
        n_y = situation_n[situation.key]
        items: dict[int, EvidenceOut] = {}
        for task in inputs.tasks:
            metric, reason = chosen[(situation.key, task.task_id)]
            override = inputs.weight_overrides.get((situation.situation_id or -1, task.task_id))
            if metric is None:
                items[task.task_id] = EvidenceOut(
                    situation_key=situation.key, task_id=task.task_id, task_key=task.key, metric_key="",
                    available=False, unavailable_reason=reason, seller_count=len(rows), effect=None, ci_low=None,
                    ci_high=None, prior_weight=task.prior_weight, data_share=0.0, blended=None,
                    weight=override.weight if override else 0.0,
                    driven_by="override" if override else "unavailable", override=override, is_critical=False,
                    rank=0, higher_is_better=True, top_quartile=None, median=None, bottom_quartile=None,
                    explanation=f"Not measurable here: {reason}.",
                )
                continue
            estimate = raw_estimates.get((situation.key, task.task_id))
            blended_ = ev.blend(estimate, task.prior_weight, tau2) if estimate else None
            blended = blended_.blended if blended_ else task.prior_weight
            driven = "override" if override else (blended_.driven_by if blended_ else "prior")
            raw = frame[metric.key][rows]
            enough = n_y >= MIN_FOR_QUARTILES
            top = ev.group_median(raw, top_mask) if enough else None
            bottom = ev.group_median(raw, bottom_mask) if enough else None
            small_reason = (
                f"only {n_y} seller{'s' if n_y != 1 else ''} in this situation "
                f"{'have' if n_y != 1 else 'has'} an outcome (at least {needed[situation.key]} are needed "
                "to estimate from the data)"
            )
            explanation = " ".join(p for p in [
                ev.quartile_sentence(metric, top, bottom),
                ev.evidence_sentence(outcome_label=outcome_label, estimate=estimate, blend_=blended_,
                                     prior=task.prior_weight, n=n_y, reason=small_reason),
            ] if p)
            items[task.task_id] = EvidenceOut(
                situation_key=situation.key, task_id=task.task_id, task_key=task.key, metric_key=metric.key,
                available=True, unavailable_reason="", seller_count=n_y,
                effect=estimate.effect if estimate else None,
                ci_low=estimate.ci[0] if estimate else None, ci_high=estimate.ci[1] if estimate else None,
                prior_weight=task.prior_weight, data_share=blended_.data_share if blended_ else 0.0,
                blended=blended, weight=override.weight if override else blended, driven_by=driven,
                override=override, is_critical=False, rank=0, higher_is_better=metric.higher_is_better,
                top_quartile=top, median=ev.group_median(raw, np.ones(len(raw), dtype=bool)),
                bottom_quartile=bottom, explanation=explanation,
                posterior_sd=blended_.posterior_sd if blended_ else None, estimate=estimate,
            )
        mark_critical(items, settings, {t.task_id: t.kind for t in inputs.tasks})
        evidence.extend(items.values())
        evidence_by_situation[situation.key] = items

    report(85, "Diagnosing each seller")
    metric_columns = {k: frame[k] for k in METRICS if k in frame}
    outcome_percentile = np.full(frame.n, np.nan)
    sellers: list[SellerOut] = []
    gaps: list[SituationGaps] = []
    features = _features(frame)
    for situation in situations:
        rows = np.array(situation.members, dtype=int)
        # Sellers who have left counted in the evidence; diagnostics and coaching are for those still here.
        rows = rows[~frame["has_left"][rows]]
        outcome_percentile[rows] = mid_rank_percentiles(y_all[rows])
        members = _seller_outs(frame, rows, situation.key, how, outcome, outcome_percentile, features,
                               settings.ramp_months, currencies)
        metrics_for = {
            task_id: METRICS[item.metric_key]
            for task_id, item in evidence_by_situation[situation.key].items() if item.available
        }
        gaps.append(seller_gaps(
            situation_key=situation.key, situation_name=situation.name, sellers=members, rows=rows,
            metric_columns=metric_columns, evidence=evidence_by_situation[situation.key], tasks=tasks_by_id,
            metrics=metrics_for,
        ))
        sellers.extend(members)

    report(92, "Summing up each manager's coaching needs")
    needs = manager_needs(sellers, gaps, tasks_by_id)
    comparisons = team_comparisons(sellers, gaps, tasks_by_id)
    report(95, "Writing the results")
    return AnalysisResult(
        period=period, outcome=outcome_kind, notes=notes, metric_availability=availability,
        situations=situations, evidence=evidence, sellers=sellers, gaps=gaps, needs=needs, comparisons=comparisons,
    )


def _fit_groups(situation: SituationOut, has_y: np.ndarray) -> np.ndarray | None:
    """The kinds of book of a mixed situation's sellers in the fit, when each kind has enough of them to be
    compared within (MIN_FOR_QUARTILES); else None."""
    if situation.book_groups is None:
        return None
    groups = situation.book_groups[has_y]
    counts = np.bincount(groups)
    return groups if (counts[counts > 0] >= MIN_FOR_QUARTILES).all() and (counts > 0).sum() > 1 else None


def mark_critical(items: dict[int, EvidenceOut], settings: Any, kinds: dict[int, str]) -> None:
    """Rank a situation's tasks by weight and mark the critical ones (see docs/engine.md)."""
    available = sorted((e for e in items.values() if e.available or e.driven_by == "override"),
                       key=lambda e: (-e.weight, e.task_key))
    unavailable = sorted((e for e in items.values() if e not in available), key=lambda e: e.task_key)
    # Result-linked tasks (win rate) are partly outcomes of the behaviours: shown and ranked, but critical only
    # when a reviewer sets their weight.
    eligible = [e for e in available if kinds.get(e.task_id) != "result" or e.driven_by == "override"]
    top = max((e.weight for e in eligible), default=0.0)
    threshold = max(settings.critical_min_weight, top * settings.critical_relative)
    # Familywise: with this many tasks tested at once, a non-driver passes anywhere with under 5% probability.
    estimated = sum(1 for e in items.values() if e.effect is not None)
    critical = 0
    for rank, item in enumerate(available + unavailable, start=1):
        item.rank = rank
        if item not in eligible or item.weight < threshold or critical >= settings.max_critical:
            continue
        # Critical only on evidence from this company's data (or a reviewer's weight): a weight the starting
        # weight drove still orders the tasks, but its size alone proves nothing about this company.
        if item.driven_by != "override":
            if item.estimate is None:
                item.explanation += NOT_CRITICAL_UNTESTED
                continue
            needed = ev.t_quantile(1 - settings.critical_alpha / max(estimated, 1), item.estimate.dof)
            if item.estimate.t() < needed:
                item.explanation += NOT_CRITICAL_UNPROVEN
                continue  # the data cannot tell its effect from none
        item.is_critical = True
        critical += 1


def _seller_outs(frame: SellerFrame, rows: np.ndarray, situation_key: str, how: np.ndarray, outcome: np.ndarray,
                 outcome_percentile: np.ndarray, features: list[dict[str, Any]], ramp_months: float,
                 currencies: dict[str, list[str]] | None = None) -> list[SellerOut]:
    """The sellers at `rows` of the frame, as plain values (the columns are read once, not seller by seller)."""
    tenure = frame["tenure_months"][rows].tolist()
    outcomes = outcome[rows].tolist()
    percentiles = outcome_percentile[rows].tolist()
    won = np.nan_to_num(frame["won_amount"][rows]).tolist()
    numbers = _seller_numbers(frame, rows, currencies or {})
    return [
        SellerOut(
            person_id=int(person_id), crm_user_id=str(user_id), situation_key=situation_key,
            assigned_by=str(assigned_by), manager_id=int(manager_id) if manager_id is not None else None,
            region=str(region or ""), tenure_months=t if math.isfinite(t) else None,
            is_ramping=math.isfinite(t) and t < ramp_months,
            outcome=o if math.isfinite(o) else None, outcome_percentile=p if math.isfinite(p) else None,
            won_amount=w, features=features[i], numbers=own,
        )
        for i, person_id, user_id, assigned_by, manager_id, region, t, o, p, w, own in zip(
            rows.tolist(), frame["person_id"][rows].tolist(), frame["user_id"][rows].tolist(), how[rows].tolist(),
            frame["manager_id"][rows].tolist(), frame["region"][rows].tolist(), tenure, outcomes, percentiles, won,
            numbers, strict=True,
        )
    ]


def _seller_numbers(frame: SellerFrame, rows: np.ndarray, currencies: dict[str, list[str]]
                    ) -> list[SellerNumbers]:
    """The sellers' own numbers (computed by the store query, insights.metrics.seller_number_aggregates)."""

    def optional(name: str) -> list[float | None]:
        column = frame.get(name)
        if column is None:
            return [None] * len(rows)
        return [v if math.isfinite(v) else None for v in column[rows].tolist()]

    def count(name: str) -> list[int]:
        return [int(v) for v in np.nan_to_num(frame[name][rows]).tolist()]

    return [
        SellerNumbers(created=c, won=w, lost=lo, open=op, won_amount=amount, win_rate=rate, quota=q, attainment=att,
                      currencies=tuple(currencies.get(str(user), ())), seat_start=start)
        for c, w, lo, op, amount, rate, q, att, user, start in zip(
            count("n_created"), count("n_won"), count("n_lost"), count("n_open"),
            np.nan_to_num(frame["won_amount"][rows]).tolist(), optional("numbers_win_rate"), optional("quota"),
            optional("attainment"), frame["user_id"][rows].tolist(), frame["seat_start"][rows].tolist(),
            strict=True,
        )
    ]


def _currencies(inventory: StoreInventory, period: Period) -> dict[str, list[str]]:
    """Per CRM user, the currencies of the opportunities their numbers count, in order of use (most first)."""
    breakdown = currency_breakdown(inventory, period)
    if breakdown is None:
        return {}
    per_user: dict[str, list[tuple[int, str]]] = {}
    for row in breakdown.to_pyarrow().to_pylist():
        per_user.setdefault(str(row["user_id"]), []).append((-int(row["n_opportunities"]), str(row["currency"])))
    return {user: [c for _, c in sorted(pairs)] for user, pairs in per_user.items()}


def currency_notes(currencies: dict[str, list[str]]) -> list[str]:
    """A note for the run when the opportunities are in more than one currency: the store holds no exchange
    rates, so amounts are added up as they are, and people must be told."""
    found = sorted({c for values in currencies.values() for c in values})
    if len(found) < 2:
        return []
    mixed = sum(1 for values in currencies.values() if len(values) > 1)
    return [f"The opportunities are in {len(found)} currencies ({', '.join(found)}) and the CRM data has no "
            "exchange rates, so amounts are not converted: won revenue, deal sizes, quotas and attainment add "
            f"them up as they are. {mixed} CRM user{'s have' if mixed != 1 else ' has'} deals in more than one."]


def _features(frame: SellerFrame) -> list[dict[str, Any]]:
    """Each seller's book features that have a value: numbers, then the segment and account region."""
    numeric = [(key, column.tolist()) for key in BOOK_FEATURES
               if (column := frame.get(f"feature_{key}")) is not None]
    text = [(key, column.tolist()) for key in ("segment", "account_region") if (column := frame.get(key)) is not None]
    out: list[dict[str, Any]] = []
    for i in range(frame.n):
        row: dict[str, Any] = {}
        for key, values in numeric:
            if math.isfinite(values[i]):
                row[key] = float(values[i])
        for key, values in text:
            if values[i]:
                row[key] = str(values[i])
        out.append(row)
    return out
