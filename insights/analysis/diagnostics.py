"""From task weights to people: each seller's gaps and coaching priorities, each manager's team needs, and how a
team compares with the other teams in the same situation.

Percentile: the seller's mid-rank among the situation's sellers with a value, on the "better" side (100 = best).
Target ("what good looks like"): the top-quartile level of the metric among the situation's sellers.
Gap: how far the seller is below the target, in the situation's standard deviations on the analysis scale (0 when
at or above it; at most 3). Priority: importance x gap, where importance is the task's weight in force (never
below 0). The top three priorities among the situation's critical tasks are the seller's coaching priorities.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from insights.analysis.evidence import analysis_scale
from insights.analysis.types import ComparisonOut, EvidenceOut, GapOut, NeedOut, SellerOut, TaskSpec
from insights.metrics import MetricDefinition

MAX_GAP = 3.0
TOP_PRIORITIES = 3


def ordinal(value: float) -> str:
    """42.4 -> "42nd"."""
    n = round(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def mid_rank_percentiles(values: np.ndarray) -> np.ndarray:
    """Percentile 0-100 of each value among the finite values (ties share the mid rank); NaN stays NaN."""
    out = np.full(len(values), np.nan)
    ok = np.isfinite(values)
    if not ok.any():
        return out
    sorted_values = np.sort(values[ok])
    below = np.searchsorted(sorted_values, values[ok], side="left")
    at_or_below = np.searchsorted(sorted_values, values[ok], side="right")
    out[ok] = (below + 0.5 * (at_or_below - below)) / ok.sum() * 100.0
    return out


def from_analysis_scale(value: float, metric: MetricDefinition) -> float:
    v = value if metric.higher_is_better else -value
    return math.expm1(v) if metric.log_scale else v


@dataclass
class TaskStanding:
    """One task across one situation's sellers."""

    raw: np.ndarray
    percentile: np.ndarray
    target: float | None
    gap: np.ndarray


def task_standing(raw: np.ndarray, metric: MetricDefinition) -> TaskStanding:
    better = analysis_scale(raw, metric)
    ok = np.isfinite(better)
    percentile = mid_rank_percentiles(better)
    if ok.sum() < 2:
        return TaskStanding(raw, percentile, None, np.zeros(len(raw)))
    target_b = float(np.quantile(better[ok], 0.75))
    sd = float(np.std(better[ok]))
    gap = np.zeros(len(raw))
    if sd > 1e-12:
        gap[ok] = np.clip((target_b - better[ok]) / sd, 0, MAX_GAP)
    return TaskStanding(raw, percentile, from_analysis_scale(target_b, metric), gap)


def gap_reason(
    *, task: TaskSpec, metric: MetricDefinition, value: float | None, target: float | None,
    percentile: float | None, evidence: EvidenceOut, situation_name: str, ramping_months: float | None,
) -> str:
    source = {
        "data": "from the company's data", "prior": "from the library prior", "override": "set by a reviewer",
    }.get(evidence.driven_by, "")
    standing = f" ({ordinal(percentile)} percentile of peers)" if percentile is not None else ""
    text = (
        f"{metric.name}: {metric.format(value)} against {metric.format(target)} for the top quartile in "
        f"{situation_name}{standing}. {task.name} is task #{evidence.rank} there (weight {evidence.weight:.2f}, "
        f"{source})."
    )
    if ramping_months is not None:
        text += f" Still ramping ({ramping_months:.0f} months in seat): expect part of this gap to close on its own."
    return text


def seller_gaps(
    sellers: list[SellerOut],
    rows: list[int],
    metric_columns: dict[str, np.ndarray],
    evidence: dict[int, EvidenceOut],
    tasks: dict[int, TaskSpec],
    metrics: dict[int, MetricDefinition],
    situation_name: str,
) -> None:
    """Fill `gaps` for the sellers of one situation (`rows` index the metric columns)."""
    standings: dict[int, TaskStanding] = {}
    for task_id, ev in evidence.items():
        metric = metrics.get(task_id)
        if not ev.available or metric is None:
            continue
        standings[task_id] = task_standing(metric_columns[metric.key][rows], metric)
    for i, seller in enumerate(sellers):
        gaps: list[GapOut] = []
        for task_id, standing in standings.items():
            ev = evidence[task_id]
            metric = metrics[task_id]
            value = float(standing.raw[i]) if math.isfinite(standing.raw[i]) else None
            percentile = float(standing.percentile[i]) if math.isfinite(standing.percentile[i]) else None
            importance = max(ev.weight, 0.0)
            gap = float(standing.gap[i])
            priority = importance * gap if ev.is_critical else 0.0
            # Reasons are read for coaching priorities, which only critical tasks can be.
            reason = gap_reason(
                task=tasks[task_id], metric=metric, value=value, target=standing.target, percentile=percentile,
                evidence=ev, situation_name=situation_name,
                ramping_months=seller.tenure_months if seller.is_ramping else None,
            ) if priority > 0 else ""
            gaps.append(GapOut(
                task_id=task_id, value=value, percentile=percentile, target=standing.target, gap=gap,
                importance=importance, priority=priority, priority_rank=None, is_critical=ev.is_critical,
                reason=reason,
            ))
        ranked = sorted((g for g in gaps if g.priority > 0), key=lambda g: -g.priority)
        for rank, g in enumerate(ranked[:TOP_PRIORITIES], start=1):
            g.priority_rank = rank
        seller.gaps = gaps


def manager_needs(sellers: list[SellerOut], tasks: dict[int, TaskSpec]) -> list[NeedOut]:
    """Per manager: tasks in any of their sellers' top three, by mean priority across the team."""
    teams: dict[int, list[SellerOut]] = defaultdict(list)
    for seller in sellers:
        if seller.manager_id is not None:
            teams[seller.manager_id].append(seller)
    needs: list[NeedOut] = []
    for manager_id, team in teams.items():
        totals: dict[int, float] = defaultdict(float)
        flagged: dict[int, list[int]] = defaultdict(list)
        percentiles: dict[int, list[float]] = defaultdict(list)
        for seller in team:
            for g in seller.gaps:
                totals[g.task_id] += g.priority
                if g.priority_rank is not None:
                    flagged[g.task_id].append(seller.person_id)
                    if g.percentile is not None:
                        percentiles[g.task_id].append(g.percentile)
        ranked = sorted(flagged, key=lambda t: (-totals[t] / len(team), tasks[t].key))
        for rank, task_id in enumerate(ranked, start=1):
            count = len(flagged[task_id])
            standing = (
                f" Their median standing on it is the {ordinal(float(np.median(percentiles[task_id])))} percentile "
                "of their situation peers." if percentiles[task_id] else ""
            )
            needs.append(NeedOut(
                manager_id=manager_id, task_id=task_id, priority=totals[task_id] / len(team), rank=rank,
                seller_ids=sorted(flagged[task_id]), team_size=len(team),
                reason=f"{count} of {len(team)} seller{'s' if len(team) != 1 else ''} in the team "
                f"{'have' if count != 1 else 'has'} {tasks[task_id].name.lower()} among their top three coaching "
                f"priorities.{standing}",
            ))
    return needs


def team_comparisons(sellers: list[SellerOut], tasks: dict[int, TaskSpec]) -> list[ComparisonOut]:
    """Per manager and situation: the team's median outcome percentile against the other teams there."""
    groups: dict[tuple[str, int], list[SellerOut]] = defaultdict(list)
    for seller in sellers:
        if seller.manager_id is not None:
            groups[(seller.situation_key, seller.manager_id)].append(seller)
    medians: dict[tuple[str, int], float | None] = {}
    by_situation: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for key, members in groups.items():
        values = [s.outcome_percentile for s in members if s.outcome_percentile is not None]
        medians[key] = float(np.median(values)) if values else None
        if medians[key] is not None:
            by_situation[key[0]].append((key[1], medians[key]))  # type: ignore[arg-type]
    out: list[ComparisonOut] = []
    for (situation_key, manager_id), members in groups.items():
        own = medians[(situation_key, manager_id)]
        others = [m for mid, m in by_situation[situation_key] if mid != manager_id]
        rank = 1 + sum(1 for m in others if own is not None and m > own) if own is not None else None
        task_values: dict[str, list[float]] = defaultdict(list)
        for seller in members:
            for g in seller.gaps:
                if g.is_critical and g.percentile is not None:
                    task_values[tasks[g.task_id].key].append(g.percentile)
        out.append(ComparisonOut(
            manager_id=manager_id, situation_key=situation_key, seller_count=len(members),
            team_median_percentile=own, other_teams=len(others),
            other_teams_median_percentile=float(np.median(others)) if others else None, team_rank=rank,
            task_percentiles={k: float(np.median(v)) for k, v in task_values.items()},
        ))
    return out
