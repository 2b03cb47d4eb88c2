"""Seller gaps, manager needs and team comparisons: the array code gives what the plain definitions give, seller by
seller and team by team, to the last bit."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from insights.analysis.diagnostics import (
    TOP_PRIORITIES,
    _against_the_others,
    group_medians,
    manager_needs,
    ordinal,
    seller_gaps,
    task_standing,
    team_comparisons,
)
from insights.analysis.types import EvidenceOut, GapOut, SellerOut, SituationGaps, TaskSpec
from insights.metrics import METRICS

METRIC_KEYS = ["accounts_touched_share", "days_between_touches", "new_opportunities_per_quarter", "win_rate",
               "close_date_pushes"]


def evidence(task: TaskSpec, *, weight: float, critical: bool, rank: int, available: bool = True) -> EvidenceOut:
    return EvidenceOut(
        situation_key="s", task_id=task.task_id, task_key=task.key, metric_key=task.metric_keys[0],
        available=available, unavailable_reason="", seller_count=0, effect=None, ci_low=None, ci_high=None,
        prior_weight=0.2, data_share=0.0, blended=weight, weight=weight, driven_by="prior", override=None,
        is_critical=critical, rank=rank, higher_is_better=True, top_quartile=None, median=None,
        bottom_quartile=None, explanation="",
    )


def world(seed: int, *, situations: int = 3, sellers: int = 400, managers: int = 25
          ) -> tuple[list[SellerOut], list[SituationGaps], dict[int, TaskSpec]]:
    """Sellers in situations with random metrics (some missing, some tied), managers (some sellers without one),
    and critical tasks with tied weights, so every tie-break is exercised."""
    rng = np.random.default_rng(seed)
    tasks = {10 + k: TaskSpec(task_id=10 + k, key=f"task_{k}", name=f"Task {k}", metric_keys=(key,),
                              prior_weight=0.2, kind="behaviour") for k, key in enumerate(METRIC_KEYS)}
    all_sellers: list[SellerOut] = []
    tables: list[SituationGaps] = []
    for s in range(situations):
        n = int(rng.integers(sellers // 2, sellers))
        columns = {}
        for key in METRIC_KEYS:
            values = np.round(rng.gamma(2.0, 1.0, size=n), 1)  # rounded: ties
            values[rng.random(n) < 0.1] = np.nan
            columns[key] = values
        weights = [0.3, 0.3, 0.0, -0.1, 0.25]
        items = {t.task_id: evidence(t, weight=w, critical=w > 0 or k == 3, rank=k + 1, available=k != 2 or s != 1)
                 for k, (t, w) in enumerate(zip(tasks.values(), weights, strict=True))}
        members = []
        for i in range(n):
            manager = None if rng.random() < 0.05 else int(rng.integers(1, managers))
            tenure = float(rng.uniform(1, 60))
            percentile = None if rng.random() < 0.1 else float(np.round(rng.uniform(0, 100), 0))
            members.append(SellerOut(
                person_id=1000 * s + i, crm_user_id=f"u{s}-{i}", situation_key=f"s{s}", assigned_by="cluster",
                manager_id=manager, region="", tenure_months=tenure, is_ramping=tenure < 9, outcome=None,
                outcome_percentile=percentile, won_amount=0.0, features={},
            ))
        tables.append(seller_gaps(
            situation_key=f"s{s}", situation_name=f"Situation {s}", sellers=members, rows=np.arange(n),
            metric_columns=columns, evidence=items, tasks=tasks,
            metrics={t: METRICS[tasks[t].metric_keys[0]] for t, e in items.items() if e.available},
        ))
        all_sellers.extend(members)
    return all_sellers, tables, tasks


def plain_gaps(sellers: list[SellerOut], tables: list[SituationGaps]) -> dict[int, list[GapOut]]:
    out: dict[int, list[GapOut]] = {}
    for table in tables:
        for i, person_id in enumerate(table.person_ids):
            out[person_id] = table.gaps(i)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_group_medians_are_numpys_median_group_by_group(seed):
    rng = np.random.default_rng(seed)
    groups = rng.integers(-1, 40, size=3000)
    values = np.round(rng.normal(size=3000), 1)
    values[rng.random(3000) < 0.2] = np.nan
    medians, counts = group_medians(groups, values, 45)
    for g in range(45):
        mine = values[(groups == g) & np.isfinite(values)]
        assert counts[g] == mine.size
        if mine.size:
            assert medians[g] == float(np.median(mine))  # exactly
        else:
            assert np.isnan(medians[g])


def test_each_team_is_set_against_all_the_other_teams_of_its_situation():
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(0, 7))
        own = np.round(rng.uniform(0, 4, size=n))  # few values: ties
        own[rng.random(n) < 0.3] = np.nan
        count, median, rank = _against_the_others(own)
        for i in range(n):
            others = [v for j, v in enumerate(own) if j != i and np.isfinite(v)]
            assert count[i] == len(others)
            if others:
                assert median[i] == float(np.median(others))
            if np.isfinite(own[i]):
                assert rank[i] == 1 + sum(1 for v in others if v > own[i])


@pytest.mark.parametrize("seed", [1, 2])
def test_each_sellers_priorities_are_their_top_three_critical_gaps(seed):
    sellers, tables, tasks = world(seed)
    by_person = {s.person_id: s for s in sellers}
    for table in tables:
        for i, person_id in enumerate(table.person_ids):
            gaps = table.gaps(i)
            ranked = sorted((g for g in gaps if g.priority > 0), key=lambda g: -g.priority)[:TOP_PRIORITIES]
            assert {g.task_id: g.priority_rank for g in gaps if g.priority_rank} == {
                g.task_id: rank for rank, g in enumerate(ranked, start=1)
            }
            for g in gaps:
                assert g.priority == (g.importance * g.gap if g.is_critical else 0.0)
                assert bool(g.reason) == (g.priority > 0)
                if g.reason:
                    assert g.reason.startswith(f"{METRICS[tasks[g.task_id].metric_keys[0]].name}: ")
                    assert (" Still ramping" in g.reason) == by_person[person_id].is_ramping
                    assert (g.percentile is None) or f"({ordinal(g.percentile)} percentile of peers)" in g.reason


def test_a_task_not_measurable_in_a_situation_has_no_column_there():
    _, tables, _ = world(1)
    assert 12 not in tables[1].task_ids
    assert 12 in tables[0].task_ids


def test_gap_values_are_the_task_standings():
    _, tables, tasks = world(4, situations=1)
    table = tables[0]
    for j, task_id in enumerate(table.task_ids):
        standing = task_standing(table.value[:, j], METRICS[tasks[task_id].metric_keys[0]])
        assert np.array_equal(standing.gap, table.gap[:, j])
        assert np.array_equal(standing.percentile, table.percentile[:, j], equal_nan=True)
        assert standing.target == table.targets[j]


def reference_needs(sellers, gaps_of, tasks):
    """The definition, seller by seller (the engine's code before it worked on arrays)."""
    teams = defaultdict(list)
    for seller in sellers:
        if seller.manager_id is not None:
            teams[seller.manager_id].append(seller)
    needs = []
    for manager_id, team in teams.items():
        totals = defaultdict(float)
        flagged = defaultdict(list)
        percentiles = defaultdict(list)
        for seller in team:
            for g in gaps_of[seller.person_id]:
                totals[g.task_id] += g.priority
                if g.priority_rank is not None:
                    flagged[g.task_id].append(seller.person_id)
                    if g.percentile is not None:
                        percentiles[g.task_id].append(g.percentile)
        ranked = sorted(flagged, key=lambda t: (-totals[t] / len(team), tasks[t].key))
        for rank, task_id in enumerate(ranked, start=1):
            median = float(np.median(percentiles[task_id])) if percentiles[task_id] else None
            needs.append((manager_id, task_id, totals[task_id] / len(team), rank, sorted(flagged[task_id]),
                          len(team), median))
    return needs


def reference_comparisons(sellers, gaps_of, tasks):
    groups = defaultdict(list)
    for seller in sellers:
        if seller.manager_id is not None:
            groups[(seller.situation_key, seller.manager_id)].append(seller)
    medians = {}
    by_situation = defaultdict(list)
    for key, members in groups.items():
        values = [s.outcome_percentile for s in members if s.outcome_percentile is not None]
        medians[key] = float(np.median(values)) if values else None
        if medians[key] is not None:
            by_situation[key[0]].append((key[1], medians[key]))
    out = []
    for (situation_key, manager_id), members in groups.items():
        own = medians[(situation_key, manager_id)]
        others = [m for mid, m in by_situation[situation_key] if mid != manager_id]
        rank = 1 + sum(1 for m in others if own is not None and m > own) if own is not None else None
        task_values = defaultdict(list)
        for seller in members:
            for g in gaps_of[seller.person_id]:
                if g.is_critical and g.percentile is not None:
                    task_values[tasks[g.task_id].key].append(g.percentile)
        out.append((manager_id, situation_key, len(members), own, len(others),
                    float(np.median(others)) if others else None, rank,
                    list({k: float(np.median(v)) for k, v in task_values.items()}.items())))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_manager_needs_follow_the_definition(seed):
    sellers, tables, tasks = world(seed)
    needs = manager_needs(sellers, tables, tasks)
    expected = reference_needs(sellers, plain_gaps(sellers, tables), tasks)
    assert [(n.manager_id, n.task_id, n.priority, n.rank, n.seller_ids, n.team_size) for n in needs] == [
        e[:6] for e in expected
    ]
    for need, e in zip(needs, expected, strict=True):
        assert (f"the {ordinal(e[6])} percentile" in need.reason) if e[6] is not None else (
            "median standing" not in need.reason)
        assert need.reason.startswith(f"{len(need.seller_ids)} of {need.team_size} seller")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_team_comparisons_follow_the_definition(seed):
    sellers, tables, tasks = world(seed)
    comparisons = team_comparisons(sellers, tables, tasks)
    expected = reference_comparisons(sellers, plain_gaps(sellers, tables), tasks)
    assert [(c.manager_id, c.situation_key, c.seller_count, c.team_median_percentile, c.other_teams,
             c.other_teams_median_percentile, c.team_rank, list(c.task_percentiles.items()))
            for c in comparisons] == expected  # task keys in the same order too: they are stored as JSON text


def test_tables_must_line_up_with_the_sellers():
    sellers, tables, tasks = world(1)
    with pytest.raises(ValueError, match="line up"):
        manager_needs(sellers[1:], tables, tasks)
