"""From task weights to people: each seller's gaps and coaching priorities, each manager's team needs, and how a
team compares with the other teams in the same situation.

Percentile: the seller's mid-rank among the situation's sellers with a value, on the "better" side (100 = best).
Target ("what good looks like"): the top-quartile level of the metric among the situation's sellers.
Gap: how far the seller is below the target, in the situation's standard deviations on the analysis scale (0 when
at or above it; at most 3). Priority: importance x gap, where importance is the task's weight in force (never
below 0). The top three priorities among the situation's critical tasks are the seller's coaching priorities.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from insights.analysis.evidence import analysis_scale
from insights.analysis.types import ComparisonOut, EvidenceOut, NeedOut, SellerOut, SituationGaps, TaskSpec
from insights.metrics import MetricDefinition

MAX_GAP = 3.0
TOP_PRIORITIES = 3


def ordinal(value: float) -> str:
    """42.4 -> "42nd"."""
    return _ordinal(round(value))


@functools.cache
def _ordinal(n: int) -> str:  # percentiles: a hundred or so distinct words, asked for tens of thousands of times
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


@dataclass(frozen=True)
class ReasonText:
    """The words of a seller's gap on one task in one situation; all but the seller's own numbers are the same for
    every seller there, so they are put together once per task.

    "Accounts touched: 41% against 78% for the top quartile in Large books (12th percentile of peers). Territory
    and account coverage is task #1 there (weight 0.31, from the company's data)."
    """

    metric: MetricDefinition
    middle: str
    end: str

    @classmethod
    def for_task(cls, *, task: TaskSpec, metric: MetricDefinition, target: float | None, evidence: EvidenceOut,
                 situation_name: str) -> ReasonText:
        source = {
            "data": "from the company's data", "prior": "from the task library's starting weight",
            "override": "set by a reviewer",
        }.get(evidence.driven_by, "")
        return cls(
            metric=metric,
            middle=f" against {metric.format(target)} for the top quartile in {situation_name}",
            end=f". {task.name} is task #{evidence.rank} there (weight {evidence.weight:.2f}, {source}).",
        )

    def text(self, *, value: float | None, percentile: float | None, ramping_months: float | None) -> str:
        standing = f" ({ordinal(percentile)} percentile of peers)" if percentile is not None else ""
        text = f"{self.metric.name}: {self.metric.format(value)}{self.middle}{standing}{self.end}"
        if ramping_months is not None:
            text += (f" Still ramping ({ramping_months:.0f} months in seat): expect part of this gap to close on its "
                     "own.")
        return text


def seller_gaps(
    *,
    situation_key: str,
    situation_name: str,
    sellers: list[SellerOut],
    rows: np.ndarray,
    metric_columns: dict[str, np.ndarray],
    evidence: dict[int, EvidenceOut],
    tasks: dict[int, TaskSpec],
    metrics: dict[int, MetricDefinition],
) -> SituationGaps:
    """Gaps and coaching priorities of the sellers of one situation (`rows` index the metric columns, in the order
    of `sellers`), on every task measurable there."""
    n = len(sellers)
    task_ids: list[int] = []
    standings: list[TaskStanding] = []
    for task_id, ev in evidence.items():
        metric = metrics.get(task_id)
        if not ev.available or metric is None:
            continue
        task_ids.append(task_id)
        standings.append(task_standing(metric_columns[metric.key][rows], metric))

    def matrix(columns: list[np.ndarray]) -> np.ndarray:
        return np.column_stack(columns).astype(float) if columns else np.zeros((n, 0))

    value = matrix([s.raw for s in standings])
    percentile = matrix([s.percentile for s in standings])
    gap = matrix([s.gap for s in standings])
    importance = np.array([max(evidence[t].weight, 0.0) for t in task_ids], dtype=float)
    is_critical = np.array([evidence[t].is_critical for t in task_ids], dtype=bool)
    priority = np.where(is_critical, importance * gap, 0.0)
    # The top three positive priorities, ties in task order (a stable sort, like sorting each seller's list).
    priority_rank = np.zeros((n, len(task_ids)), dtype=int)
    if task_ids and n:
        order = np.argsort(-priority, axis=1, kind="stable")[:, :TOP_PRIORITIES]
        top = np.take_along_axis(priority, order, axis=1)
        for place in range(order.shape[1]):
            chosen = np.flatnonzero(top[:, place] > 0)
            priority_rank[chosen, order[chosen, place]] = place + 1
    # Reasons are read for coaching priorities, which only critical tasks can be.
    texts = [
        ReasonText.for_task(task=tasks[t], metric=metrics[t], target=s.target, evidence=evidence[t],
                            situation_name=situation_name)
        for t, s in zip(task_ids, standings, strict=True)
    ]
    reasons: dict[tuple[int, int], str] = {}
    cells_i, cells_j = np.nonzero(priority > 0)
    for i, j in zip(cells_i.tolist(), cells_j.tolist(), strict=True):
        seller = sellers[i]
        reasons[(i, j)] = texts[j].text(
            value=_number(value[i, j]), percentile=_number(percentile[i, j]),
            ramping_months=seller.tenure_months if seller.is_ramping else None,
        )
    return SituationGaps(
        situation_key=situation_key, person_ids=[s.person_id for s in sellers], task_ids=task_ids,
        targets=[s.target for s in standings], importance=importance, is_critical=is_critical, value=value,
        percentile=percentile, gap=gap, priority=priority, priority_rank=priority_rank, reasons=reasons,
    )


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def group_medians(groups: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The median of each group's finite values (groups numbered 0 to n_groups - 1; a negative number is no
    group) and how many there were; NaN for a group without any. Equal to np.median group by group."""
    keep = (groups >= 0) & np.isfinite(values)
    g, v = groups[keep], values[keep]
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    medians = np.full(n_groups, np.nan)
    has = counts > 0
    # The mean of the middle two (one, when the count is odd): (a + b) / 2 as np.median computes it.
    medians[has] = (v[(starts + (counts - 1) // 2)[has]] + v[(starts + counts // 2)[has]]) / 2
    return medians, counts


def _sliced(sellers: list[SellerOut], gaps: list[SituationGaps]) -> list[tuple[slice, SituationGaps]]:
    """Each situation's table with the slice of `sellers` its rows are."""
    out: list[tuple[slice, SituationGaps]] = []
    start = 0
    for table in gaps:
        out.append((slice(start, start + len(table.person_ids)), table))
        start += len(table.person_ids)
    if start != len(sellers):
        raise ValueError("The gap tables do not line up with the sellers.")
    return out


def manager_needs(sellers: list[SellerOut], gaps: list[SituationGaps], tasks: dict[int, TaskSpec]) -> list[NeedOut]:
    """Per manager: tasks in any of their sellers' top three, by mean priority across the team."""
    managers: dict[int, int] = {}  # manager id -> number, in order of first appearance
    manager_of = np.full(len(sellers), -1, dtype=np.int64)
    for i, seller in enumerate(sellers):
        if seller.manager_id is not None:
            manager_of[i] = managers.setdefault(seller.manager_id, len(managers))
    team_size = np.bincount(manager_of[manager_of >= 0], minlength=len(managers))
    task_number = {task_id: k for k, task_id in enumerate(tasks)}
    n_tasks = len(task_number)
    n_keys = len(managers) * n_tasks  # one key per (manager, task)
    keys: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    priorities: list[np.ndarray] = [np.zeros(0)]
    flag_keys: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    flag_people: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    flag_percentiles: list[np.ndarray] = [np.zeros(0)]
    for rows, table in _sliced(sellers, gaps):
        manager = manager_of[rows][:, None]
        columns = np.array([task_number[t] for t in table.task_ids], dtype=np.int64)[None, :]
        key = np.where(manager >= 0, manager * n_tasks + columns, -1)
        keys.append(key.ravel())
        priorities.append(table.priority.ravel())
        cells_i, cells_j = np.nonzero((table.priority_rank > 0) & (key >= 0))
        flag_keys.append(key[cells_i, cells_j])
        flag_people.append(np.asarray(table.person_ids, dtype=np.int64)[cells_i])
        flag_percentiles.append(table.percentile[cells_i, cells_j])
    key_all = np.concatenate(keys)
    ok = key_all >= 0
    # bincount adds in order, seller by seller, as summing over each team's sellers does.
    totals = np.bincount(key_all[ok], weights=np.concatenate(priorities)[ok], minlength=n_keys)
    flag_key = np.concatenate(flag_keys)
    medians, with_percentile = group_medians(flag_key, np.concatenate(flag_percentiles), n_keys)
    order = np.lexsort((np.concatenate(flag_people), flag_key))
    flag_key, flag_person = flag_key[order], np.concatenate(flag_people)[order]
    bounds = np.flatnonzero(np.diff(flag_key)) + 1
    firsts = flag_key[np.r_[0, bounds]].tolist() if flag_key.size else []
    sellers_of = dict(zip(firsts, np.split(flag_person, bounds) if flag_key.size else [], strict=True))
    needs: list[NeedOut] = []
    for manager_id, number in managers.items():
        size = int(team_size[number])
        flagged = [(task_id, number * n_tasks + k) for task_id, k in task_number.items()
                   if number * n_tasks + k in sellers_of]
        ranked = sorted(flagged, key=lambda tk: (-float(totals[tk[1]]) / size, tasks[tk[0]].key))
        for rank, (task_id, key_) in enumerate(ranked, start=1):
            seller_ids = sellers_of[key_].tolist()
            count = len(seller_ids)
            standing = (
                f" Their median standing on it is the {ordinal(float(medians[key_]))} percentile "
                "of their situation peers." if with_percentile[key_] else ""
            )
            needs.append(NeedOut(
                manager_id=manager_id, task_id=task_id, priority=float(totals[key_]) / size, rank=rank,
                seller_ids=seller_ids, team_size=size,
                reason=f"{count} of {size} seller{'s' if size != 1 else ''} in the team "
                f"{'have' if count != 1 else 'has'} {tasks[task_id].name.lower()} among their top three coaching "
                f"priorities.{standing}",
            ))
    return needs


def team_comparisons(sellers: list[SellerOut], gaps: list[SituationGaps], tasks: dict[int, TaskSpec]
                     ) -> list[ComparisonOut]:
    """Per manager and situation: the team's median outcome percentile against the other teams there."""
    groups: dict[tuple[str, int], int] = {}  # (situation key, manager id) -> number, in order of first appearance
    group_of = np.full(len(sellers), -1, dtype=np.int64)
    for i, seller in enumerate(sellers):
        if seller.manager_id is not None:
            group_of[i] = groups.setdefault((seller.situation_key, seller.manager_id), len(groups))
    n_groups = len(groups)
    outcome = np.array([np.nan if s.outcome_percentile is None else s.outcome_percentile for s in sellers],
                       dtype=float)
    own_median, with_outcome = group_medians(group_of, outcome, n_groups)
    members = np.bincount(group_of[group_of >= 0], minlength=n_groups)
    in_situation: dict[str, list[int]] = {}
    for (situation_key, _), number in groups.items():
        in_situation.setdefault(situation_key, []).append(number)
    other_teams = np.zeros(n_groups, dtype=np.int64)
    others_median = np.full(n_groups, np.nan)
    rank = np.zeros(n_groups, dtype=np.int64)
    for numbers in in_situation.values():
        teams = np.array(numbers, dtype=np.int64)
        other_teams[teams], others_median[teams], rank[teams] = _against_the_others(own_median[teams])
    # A team's median percentile per critical task, keyed in the order its sellers' rows first have one.
    cells: list[list[tuple[int, int, str, float]]] = [[] for _ in range(n_groups)]
    for rows, table in _sliced(sellers, gaps):
        group = group_of[rows]
        row_number = np.arange(len(group))
        for j, task_id in enumerate(table.task_ids):
            if not table.is_critical[j]:
                continue
            values = table.percentile[:, j]
            medians, counts = group_medians(group, values, n_groups)
            first = np.full(n_groups, len(group))
            has = (group >= 0) & np.isfinite(values)
            np.minimum.at(first, group[has], row_number[has])
            for number in np.flatnonzero(counts).tolist():
                cells[number].append((int(first[number]), j, tasks[task_id].key, float(medians[number])))
    return [
        ComparisonOut(
            manager_id=manager_id, situation_key=situation_key, seller_count=int(members[number]),
            team_median_percentile=float(own_median[number]) if with_outcome[number] else None,
            other_teams=int(other_teams[number]),
            other_teams_median_percentile=float(others_median[number]) if other_teams[number] else None,
            team_rank=int(rank[number]) if with_outcome[number] else None,
            task_percentiles={key: value for _, _, key, value in sorted(cells[number])},
        )
        for (situation_key, manager_id), number in groups.items()
    ]


def _against_the_others(own: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each team of one situation (its median percentile, NaN for none): how many other teams there have a
    median, the median of their medians (np.median's value, NaN when there are none) and the team's rank among
    them (1 = best; 0 without a median of its own). The others are all the medians but the team's own: its place
    in the sorted medians is skipped, one index arithmetic for every team at once."""
    has = np.isfinite(own)
    medians = np.sort(own[has])
    m = len(medians)
    count = np.where(has, m - 1, m)
    place = np.searchsorted(medians, np.where(has, own, 0.0))

    def kth(k: np.ndarray) -> np.ndarray:  # the k-th smallest of a team's others
        index = np.where(has & (k >= place), k + 1, k)
        return medians[np.clip(index, 0, max(m - 1, 0))] if m else np.full(len(own), np.nan)

    with np.errstate(invalid="ignore"):
        median = np.where(count > 0, (kth((count - 1) // 2) + kth(count // 2)) / 2, np.nan)
    rank = np.where(has, 1 + m - np.searchsorted(medians, np.where(has, own, 0.0), side="right"), 0)
    return count, median, rank


