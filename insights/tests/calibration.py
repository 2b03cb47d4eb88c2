"""The engine on generated companies it was never tuned on (demo.generator.companies): run one end to end and
score the run against what was planted. Used by the calibration tests and by benchmarks/calibration.py.

Scores, per company:
- situations: the number the engine found against the number of planted kinds of book, and each situation's
  purity (the share of its sellers from the planted kind most of them have);
- planted nulls: in each situation whose evidence came from the data, the behaviours that drive success in none
  of the planted kinds making up at least a tenth of it; how many of them were called critical;
- what each critical call rested on (`critical_calls`, every behaviour called critical, null or driver): the
  data ("data": the data drove the weight and passed the engine's test), the data's 95% interval alone
  ("interval": the prior drove the weight but the interval excludes zero) or the prior alone ("prior": the
  interval holds zero, or there was no estimate), so a false alarm can be traced to its cause;
- strong drivers (planted weight at least STRONG): in each situation of at least 90% purity with at least
  MIN_FOR_RANKING established sellers, whether each ranks in the top three of the behaviour tasks by weight;
- interval coverage: whether the 95% interval of each behaviour's estimate holds the effect the engine would
  estimate without the planted noise, in companies with quotas (attainment is the outcome). That effect is the
  same ridge fit the engine makes (same metrics, same sellers, same tenure covariates), of the planted signal
  (the sum of planted weight times skill) on the engine's outcome scale instead of the outcome itself.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from demo.generator import GeneratorConfig, default_period, generate_export
from demo.generator.plan import CompanySpec
from demo.generator.roster import Roster
from insights.analysis import evidence as ev
from insights.analysis.types import EngineSettings
from insights.metrics import METRICS

STRONG = 0.25
MIN_FOR_RANKING = 20
OPPORTUNITIES_ONLY = {"User.csv", "UserRole.csv", "Account.csv", "Opportunity.csv", "OpportunityHistory.csv",
                      "ForecastingQuota.csv"}


@dataclass
class CompanyScore:
    kinds: int
    situations: int
    purities: list[float] = field(default_factory=list)
    nulls: int = 0
    nulls_critical: list[str] = field(default_factory=list)
    strong: int = 0
    strong_in_top_three: int = 0
    strong_missed: list[str] = field(default_factory=list)
    intervals: int = 0
    intervals_covering: int = 0
    critical_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count_right(self) -> bool:
        return self.kinds == self.situations

    def as_dict(self) -> dict[str, Any]:
        return {
            "kinds": self.kinds, "situations": self.situations, "purities": [round(p, 3) for p in self.purities],
            "nulls": self.nulls, "nulls_critical": self.nulls_critical, "strong": self.strong,
            "strong_in_top_three": self.strong_in_top_three, "strong_missed": self.strong_missed,
            "intervals": self.intervals, "intervals_covering": self.intervals_covering,
            "critical_calls": self.critical_calls,
        }


def generate(company: CompanySpec, roster: Roster, out_dir: Path, *, seed: int, activities: int | None = None,
             only: set[str] | None = None) -> tuple[list[Path], dict[str, Any]]:
    """The company's Salesforce export (the CSV files, or only those named in `only`) and its truth."""
    assert roster.as_of is not None
    start, end = default_period(roster.as_of)
    config = GeneratorConfig(period_start=start, period_end=end, seed=seed, activities=activities, company=company)
    result = generate_export(roster, config, out_dir)
    truth = json.loads(result.truth_path.read_text())
    files = [p for p in result.files if p.suffix == ".csv" and (only is None or p.name in only)]
    return files, truth


def run_company(roster: Roster, files: list[Path]) -> tuple[Any, dict[int, str]]:
    """People in the database, the export imported by the real Salesforce importer, the real analysis run.
    Returns the run and the employee id of each person id. The caller points ANALYTICS_URL at a fresh store."""
    from crm import services as crm_services
    from insights import services
    from insights.models import AnalysisRun
    from insights.tests import real_company

    persons = real_company.people_from(roster)
    imported = crm_services.run_import(source="salesforce", paths=files, actor=None)
    if imported.status != "succeeded":
        raise RuntimeError(f"import failed: {imported.failure_message} {imported.errors[:3]}")
    run = services.analysis_run_now(actor=None, reason="calibration")
    if run.status != AnalysisRun.Status.SUCCEEDED:
        raise RuntimeError(f"analysis failed: {run.error}")
    return run, {p.pk: e for e, p in persons.items()}


def score(run: Any, truth: dict[str, Any]) -> CompanyScore:
    """How the run compares with the planted truth (see the module docstring)."""
    from insights.models import SellerDiagnostic, TaskEvidence

    planted_kinds = truth["situations"]
    sellers = truth["sellers"]
    results = list(run.situation_results.select_related("situation"))
    out = CompanyScore(kinds=len(planted_kinds), situations=len(results))
    settings = EngineSettings()
    period_months = (run.period_end - run.period_start).days / 30.4375
    for result in results:
        diagnostics = list(SellerDiagnostic.objects.filter(run=run, situation=result.situation)
                           .select_related("seller"))
        kinds = Counter(sellers[d.seller.employee_id]["situation"] for d in diagnostics)
        main, count = kinds.most_common(1)[0]
        purity = count / max(len(diagnostics), 1)
        out.purities.append(purity)
        evidence = {e.task.key: e for e in TaskEvidence.objects.filter(run=run, situation=result.situation)
                    .select_related("task")}
        behaviours = [key for key, e in evidence.items() if e.available and e.task.kind == "behaviour"
                      and key in truth["behaviours"]]
        if not result.estimated_from_data:
            continue
        present = [k for k, c in kinds.items() if c >= 0.1 * len(diagnostics)]
        drivers_anywhere = {b for k in present for b in planted_kinds[k]["drivers"]}
        for key in behaviours:
            if key not in drivers_anywhere:
                out.nulls += 1
                if evidence[key].is_critical:
                    out.nulls_critical.append(f"{result.situation.name}: {key}")
            if evidence[key].is_critical:
                out.critical_calls.append({"task": key, "null": key not in drivers_anywhere,
                                           "basis": critical_basis(evidence[key]),
                                           "weight": round(evidence[key].weight, 3),
                                           "sellers": evidence[key].seller_count})
        established = evidence[behaviours[0]].seller_count if behaviours else 0
        if purity >= 0.9 and established >= MIN_FOR_RANKING:
            ranked = sorted(behaviours, key=lambda b: (-evidence[b].weight, b))
            for b, w in planted_kinds[main]["drivers"].items():
                if w >= STRONG and b in behaviours:
                    out.strong += 1
                    if b in ranked[:3]:
                        out.strong_in_top_three += 1
                    else:
                        e = evidence[b]
                        out.strong_missed.append(
                            f"{result.situation.name}: {b} ranked {ranked.index(b) + 1} (planted {w:.2f}, weight "
                            f"{e.weight:.2f} by {e.driven_by}, effect {_rounded(e.effect)} [{_rounded(e.ci_low)}, "
                            f"{_rounded(e.ci_high)}], {e.seller_count} sellers; above it: "
                            f"{', '.join(f'{k} {evidence[k].weight:.2f}' for k in ranked[:3])})")
        if run.outcome == "attainment" and purity >= 0.9 and not result.features.get("mixed"):
            _coverage(out, diagnostics, evidence, behaviours, truth, settings, period_months)
    return out


def _rounded(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


def critical_basis(evidence: Any) -> str:
    """What a critical call rested on: "data" (the data drove the weight), "interval" (the prior drove it but
    the data's 95% interval excludes zero), "prior" (no estimate, or an interval holding zero), "override"."""
    if evidence.driven_by in ("data", "override"):
        return str(evidence.driven_by)
    if evidence.ci_low is not None and evidence.ci_high is not None and (evidence.ci_low > 0 or evidence.ci_high < 0):
        return "interval"
    return "prior"


def _coverage(out: CompanyScore, diagnostics: list[Any], evidence: dict[str, Any], behaviours: list[str],
              truth: dict[str, Any], settings: EngineSettings, period_months: float) -> None:
    """Count the behaviour intervals that hold the noise-free effect (the engine's fit of the planted signal)."""
    from insights.models import SellerTaskGap

    fit = [d for d in diagnostics if d.outcome is not None and not d.is_ramping]
    if len(fit) < settings.min_sellers_for_data or not behaviours:
        return
    values: dict[str, dict[int, float | None]] = {b: {} for b in behaviours}
    for gap in SellerTaskGap.objects.filter(diagnostic__in=fit).select_related("task"):
        if gap.task.key in values:
            values[gap.task.key][gap.diagnostic_id] = gap.value
    y = ev.standardise(ev.winsorise(ev.log_outcome(np.array([d.outcome for d in fit], dtype=float))))
    raw_y = ev.winsorise(ev.log_outcome(np.array([d.outcome for d in fit], dtype=float)))
    if y is None:
        return
    columns, used = [], []
    for b in behaviours:
        metric = METRICS[evidence[b].metric_key]
        raw = np.array([np.nan if values[b].get(d.pk) is None else values[b][d.pk] for d in fit], dtype=float)
        prepared = ev.prepare_metric(raw, metric, min_coverage=settings.min_metric_coverage)
        if prepared.z is not None:
            columns.append(prepared.z)
            used.append(b)
    covariates = ev.tenure_covariates(np.array([np.nan if d.tenure_months is None else d.tenure_months
                                                for d in fit]), settings.ramp_months, period_months)
    x = np.column_stack(columns + ([covariates] if covariates.size else []))
    if len(fit) < 2 * x.shape[1]:
        return  # the engine fitted these one at a time; the joint oracle would not be its target
    kinds = truth["situations"]
    signal = np.array([
        sum(w * truth["sellers"][d.seller.employee_id]["skills"][b]
            for b, w in kinds[truth["sellers"][d.seller.employee_id]["situation"]]["drivers"].items())
        for d in fit
    ])
    target = ev.ridge_fit((signal - signal.mean()) / float(raw_y.std()), x, ridge=settings.ridge).coefficients
    for j, b in enumerate(used):
        e = evidence[b]
        if e.ci_low is None or e.ci_high is None:
            continue
        out.intervals += 1
        if e.ci_low <= target[j] <= e.ci_high:
            out.intervals_covering += 1
