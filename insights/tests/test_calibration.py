"""The engine on companies it was never tuned on: kinds of book at uneven distances and sizes, drivers drawn at
random per kind (crm.generator.companies), through the real importer and the real analysis.

benchmarks/calibration.py runs the same over many companies and writes the rates in docs/engine.md; these tests
keep a handful of small ones in the suite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm.generator.companies import company_roster, random_company
from crm.generator.model import SITUATION_PROFILES
from crm.generator.plan import CompanySpec
from insights import services
from insights.models import Situation, TaskEvidence
from insights.tests import calibration

pytestmark = pytest.mark.django_db

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


@pytest.mark.parametrize("seed", [3, 8])
def test_uneven_companies_situations_recovered_and_no_null_critical(seed, tmp_path, settings):
    company = random_company(seed, kinds=3, quota_share=1.0)
    run, truth = _run(company, seed, tmp_path, settings)
    result = calibration.score(run, truth)
    assert result.count_right, result.as_dict()
    assert min(result.purities) >= 0.9, result.as_dict()
    assert result.nulls > 0
    assert not result.nulls_critical, result.as_dict()


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
