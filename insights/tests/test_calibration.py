"""The engine on companies it was never tuned on: kinds of book at uneven distances and sizes, drivers drawn at
random per kind (demo.generator.companies), through the real importer and the real analysis.

benchmarks/calibration.py runs the same over many companies and writes the rates in docs/engine.md; these tests
keep a handful of small ones in the suite.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from demo.generator.companies import company_roster, random_company
from demo.generator.model import SITUATION_PROFILES
from demo.generator.plan import CompanySpec
from insights import services
from insights.analysis import evidence as ev
from insights.analysis.pipeline import NOT_CRITICAL_UNPROVEN, NOT_CRITICAL_UNTESTED, mark_critical
from insights.analysis.types import EngineSettings, EvidenceOut, WeightOverrideSpec
from insights.models import Situation, TaskEvidence
from insights.tests import calibration

ACTIVITIES_PER_SELLER = 700


def _run(company: CompanySpec, seed: int, tmp_path: Path, settings: Any, *, sellers: tuple[int, int] = (45, 70),
         before_analysis: Any = None, activities_per_seller: int = ACTIVITIES_PER_SELLER) -> tuple[Any, dict[str, Any]]:
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    roster = company_roster(company, seed, sellers=sellers)
    files, truth = calibration.generate(company, roster, tmp_path / "export", seed=seed,
                                        activities=activities_per_seller * len(roster.situations))
    if before_analysis is not None:
        before_analysis()
    run, _ = calibration.run_company(roster, files)
    return run, truth


def _item(task_id: int, *, weight: float, driven_by: str, estimate: ev.Estimate | None = None,
          override: WeightOverrideSpec | None = None) -> EvidenceOut:
    return EvidenceOut(
        situation_key="s", task_id=task_id, task_key=f"task_{task_id}", metric_key="m", available=True,
        unavailable_reason="", seller_count=estimate.n if estimate else 0,
        effect=estimate.effect if estimate else None, ci_low=estimate.ci[0] if estimate else None,
        ci_high=estimate.ci[1] if estimate else None, prior_weight=0.25, data_share=0.3, blended=weight,
        weight=weight, driven_by=driven_by, override=override, is_critical=False, rank=0, higher_is_better=True,
        top_quartile=None, median=None, bottom_quartile=None, explanation="", estimate=estimate,
    )


def test_a_weight_the_starting_weight_drove_is_not_critical_without_evidence_from_the_data():
    """The rule behind the calibration's false alarms: a large weight that leans on the task library's starting
    weight orders the tasks, but only this company's data (or a reviewer) can make a task critical."""
    weak = ev.Estimate(effect=0.15, se=0.18, n=30, dof=20)  # interval holds zero
    strong = ev.Estimate(effect=0.9, se=0.15, n=30, dof=20)  # t = 6, clears the test for 4 tasks at once
    override = WeightOverrideSpec(weight=0.3, note="", author="", at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    items = {
        1: _item(1, weight=0.32, driven_by="prior", estimate=weak),
        2: _item(2, weight=0.30, driven_by="prior"),  # too few sellers: no estimate at all
        3: _item(3, weight=0.28, driven_by="prior", estimate=strong),
        4: _item(4, weight=0.25, driven_by="override", override=override),
    }
    mark_critical(items, EngineSettings(), {i: "behaviour" for i in items})
    assert [items[i].rank for i in (1, 2, 3, 4)] == [1, 2, 3, 4]  # the order still follows the weights
    assert not items[1].is_critical
    assert items[1].explanation.endswith(NOT_CRITICAL_UNPROVEN)
    assert not items[2].is_critical
    assert items[2].explanation.endswith(NOT_CRITICAL_UNTESTED)
    assert "not called critical" in NOT_CRITICAL_UNPROVEN
    assert "not called critical" in NOT_CRITICAL_UNTESTED
    assert items[3].is_critical  # the prior drove its size, but the data shows it clearly
    assert items[4].is_critical  # a reviewer's weight


@pytest.mark.parametrize("seed", range(5))
def test_every_critical_task_clears_the_data_test_or_was_set_by_a_reviewer(seed):
    """Random situations (weights, estimates or none, data or prior): whatever is critical either was set by a
    reviewer or has an estimate whose t clears the familywise threshold over the tasks estimated there."""
    rng = np.random.default_rng(seed)
    settings = EngineSettings()
    items: dict[int, EvidenceOut] = {}
    for i in range(12):
        estimate = None if rng.random() < 0.3 else ev.Estimate(
            effect=float(rng.normal(0.2, 0.3)), se=float(rng.uniform(0.05, 0.3)), n=40, dof=30)
        driven = "data" if estimate is not None and rng.random() < 0.5 else "prior"
        items[i] = _item(i, weight=float(rng.uniform(0, 0.5)), driven_by=driven, estimate=estimate)
    mark_critical(items, settings, {i: "behaviour" for i in items})
    estimated = sum(1 for e in items.values() if e.estimate is not None)
    critical = [e for e in items.values() if e.is_critical]
    for e in critical:
        assert e.estimate is not None
        assert e.estimate.t() >= ev.t_quantile(1 - settings.critical_alpha / estimated, e.estimate.dof)
    assert len(critical) <= settings.max_critical


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [3, 8])
def test_uneven_companies_situations_recovered_and_no_null_critical(seed, tmp_path, settings):
    company = random_company(seed, kinds=3, quota_share=1.0)
    run, truth = _run(company, seed, tmp_path, settings)
    result = calibration.score(run, truth)
    assert result.count_right, result.as_dict()
    assert min(result.purities) >= 0.9, result.as_dict()
    assert result.nulls > 0
    assert not result.nulls_critical, result.as_dict()


@pytest.mark.django_db
def test_pooling_two_kinds_into_one_rule_calls_no_null_critical(tmp_path, settings):
    """Two kinds of book with different drivers, far apart in cycle length, deal size and revenue (the default
    generator's key-account and inside-sales books), pooled by a rule that takes everyone: the kinds' differences
    in level (more contacts and meetings per deal and longer gaps between touches where deals are larger and
    cycles longer, and several times the revenue) must not make a planted null critical, and the planted strong
    drivers must lead the profile. Issue 11: there pooling made multi-threading and discovery critical."""
    # No quotas: success is revenue relative to the situation's median, so the pooled kinds differ in it.
    company = CompanySpec(
        profiles={k: SITUATION_PROFILES[k] for k in ("key_accounts", "inside_sales")},
        drivers={"key_accounts": {"negotiation": 0.30, "expansion": 0.2},
                 "inside_sales": {"qualification": 0.30, "pipeline_hygiene": 0.2}},
        quota_share=0.0,
    )

    def everyone() -> None:
        services.situation_rule_save(actor=None, name="Everyone", description="", priority=1,
                                     conditions=[{"feature": "accounts", "op": "gt", "value": 0}])

    run, truth = _run(company, 5, tmp_path, settings, sellers=(75, 75), before_analysis=everyone,
                      activities_per_seller=1500)
    (result,) = run.situation_results.select_related("situation")
    assert result.situation.kind == Situation.Kind.RULE
    assert "different kinds of book" in result.features.get("mixed", "")
    evidence = {e.task.key: e for e in TaskEvidence.objects.filter(run=run).select_related("task")}
    planted = {b for d in company.drivers.values() for b in d}
    weights = {b: round(evidence[b].weight, 3) for b in truth["behaviours"] if evidence[b].available}
    nulls = [b for b in weights if b not in planted]
    assert nulls
    assert not [b for b in nulls if evidence[b].is_critical], weights
    # The strong planted drivers (0.25 or more in either kind) are among the top three, and outweigh every null.
    strong = {b for d in company.drivers.values() for b, w in d.items() if w >= calibration.STRONG}
    ranked = sorted(weights, key=lambda b: -weights[b])
    said = [(b, weights[b]) for b in ranked]
    assert strong <= set(ranked[:3]), said
    assert all(weights[b] > max(weights[n] for n in nulls) for b in strong), said
