"""Which tasks go with success in a situation: regression on the company's data, blended with the library prior.

For each situation with enough sellers:
  y = standardised log outcome (attainment, or won revenue relative to situation peers);
  X = the behaviour tasks' metrics, each made "higher is better", log-scaled where the metric says so, winsorised
      at the 2.5th/97.5th percentiles, missing values set to the median, standardised; plus two tenure
      covariates (the share of the period the seller spent ramping and its square, and log tenure).
  Sellers still ramping at the end of the period (under ramp_months in seat) are left out of the fit: their
  results say little yet, and counting them would read new sellers as weak ones. y is winsorised like X.
  A ridge-stabilised least-squares fit gives each task's standardised coefficient and its standard error; the
  95% confidence interval is coefficient +/- 1.96 SE. When a situation looks like more than one kind of book
  (situations.mixed_book), y and every metric are standardised within each kind, so sellers are compared with
  their own kind and the pooled kinds' differences in level cannot be credited to a task. Result-linked tasks
  (win rate) are fitted one at a time with the tenure covariates only, because they are partly outcomes of the
  behaviours.

Empirical-Bayes blend: tau^2, how far companies' true effects stray from the library prior, is estimated from all
the run's estimates (method of moments: mean squared distance from the prior minus mean sampling variance,
clipped to [min_tau, max_tau]^2). Each estimate gets data share w = tau^2 / (tau^2 + SE^2): a small situation
(large SE) leans on the prior, a large one on its data. blended = w * coefficient + (1 - w) * prior, and the
result is "driven by the data" when w >= 0.5, otherwise "by the prior".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from insights.analysis.types import EngineSettings
from insights.metrics import MetricDefinition

Z95 = 1.959964
Z90 = 1.644854
OUTCOME_FLOOR = 0.05


@dataclass
class PreparedMetric:
    """A metric for one situation's sellers on the analysis scale (higher is better, standardised)."""

    z: np.ndarray | None
    coverage: float
    reason: str = ""


def log_outcome(outcome: np.ndarray) -> np.ndarray:
    """Log of the outcome, floored at 5% so a seller with nothing won is very low rather than minus infinity."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isfinite(outcome), np.log(np.maximum(outcome, OUTCOME_FLOOR)), np.nan)


def standardise(values: np.ndarray) -> np.ndarray | None:
    sd = float(np.std(values))
    if not math.isfinite(sd) or sd < 1e-9:
        return None
    return (values - values.mean()) / sd


def analysis_scale(raw: np.ndarray, metric: MetricDefinition) -> np.ndarray:
    """The metric as analysed: log1p for multiplicative metrics, sign flipped when lower is better."""
    values = np.asarray(raw, dtype=float)
    if metric.log_scale:
        values = np.log1p(np.clip(values, 0, None))
    return values if metric.higher_is_better else -values


def prepare_metric(raw: np.ndarray, metric: MetricDefinition, *, min_coverage: float) -> PreparedMetric:
    """Winsorise, impute and standardise one metric for one situation; say why when it cannot be used."""
    ok = np.isfinite(raw)
    coverage = float(ok.mean()) if len(raw) else 0.0
    if coverage < min_coverage:
        return PreparedMetric(
            None, coverage,
            f"only {coverage:.0%} of the sellers here have a value (at least {min_coverage:.0%} are needed)",
        )
    values = analysis_scale(raw, metric)
    low, high = np.quantile(values[ok], [0.025, 0.975])
    values = np.where(ok, np.clip(values, low, high), np.median(values[ok]))
    z = standardise(values)
    if z is None:
        return PreparedMetric(None, coverage, "every seller here has the same value")
    return PreparedMetric(z, coverage)


def within_groups(values: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Each value standardised within its group (a kind of book inside a mixed situation), then overall.

    A metric whose level follows the kind of book (longer cycles, longer gaps between touches; larger deals,
    larger amounts) is then relative to the seller's own kind, so pooling two kinds cannot make a task look
    like it drives success because one kind both does more of it and attains more. Without groups (or with
    one) this is plain standardisation.
    """
    if groups is None or len(np.unique(groups)) < 2:
        return values
    out = np.zeros(len(values))
    for g in np.unique(groups):
        mask = groups == g
        sd = float(values[mask].std())
        if sd > 1e-9:
            out[mask] = (values[mask] - values[mask].mean()) / sd
    sd = float(out.std())
    return (out - out.mean()) / sd if sd > 1e-9 else out


def tenure_covariates(tenure_months: np.ndarray, ramp_months: float, period_months: float) -> np.ndarray:
    """n x 3 standardised tenure controls: the share of the seller's time in seat during the period that fell in
    their first `ramp_months` (ramping), its square, and log tenure. Unknown tenure counts as the median."""
    t = np.asarray(tenure_months, dtype=float)
    known = np.isfinite(t)
    t = np.where(known, t, np.median(t[known]) if known.any() else 24.0)
    t = np.clip(t, 0.01, None)
    in_seat = np.minimum(t, period_months)
    ramping = np.clip(in_seat - np.maximum(t - ramp_months, 0.0), 0.0, None) / in_seat
    # The square lets the fit follow a ramp that is not a straight line on the log scale.
    columns = [c for c in (standardise(ramping), standardise(ramping**2), standardise(np.log1p(t)))
               if c is not None]
    return np.column_stack(columns) if columns else np.zeros((len(t), 0))


def winsorise(values: np.ndarray, tail: float = 0.025) -> np.ndarray:
    """Clip to the `tail` and 1 - `tail` quantiles, so a handful of extreme sellers cannot drive the fit."""
    if len(values) < 10:
        return values
    low, high = np.quantile(values, [tail, 1 - tail])
    return np.clip(values, low, high)


def t_quantile(probability: float, dof: float) -> float:
    """Quantile of Student's t with `dof` degrees of freedom (Cornish-Fisher expansion around the normal;
    within 1% for dof >= 4, which is all the engine uses)."""
    z = NormalDist().inv_cdf(probability)
    if not math.isfinite(dof) or dof > 1e6:
        return z
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / dof + g2 / dof**2 + g3 / dof**3


@dataclass
class Fit:
    coefficients: np.ndarray
    standard_errors: np.ndarray
    n: int
    dof: int


def ridge_fit(y: np.ndarray, x: np.ndarray, *, ridge: float) -> Fit:
    """Least squares of standardised y on standardised x with a small ridge penalty (no intercept: both centred).

    SE from the sandwich (X'X + kI)^-1 X'X (X'X + kI)^-1 * residual variance.
    """
    n, p = x.shape
    xtx = x.T @ x
    inverse = np.linalg.inv(xtx + ridge * np.eye(p))
    beta = inverse @ (x.T @ y)
    residual = y - x @ beta
    dof = max(n - p - 1, 1)
    sigma2 = float(residual @ residual) / dof
    covariance = sigma2 * inverse @ xtx @ inverse
    return Fit(beta, np.sqrt(np.clip(np.diag(covariance), 0, None)), n, dof)


@dataclass
class Estimate:
    effect: float
    se: float
    n: int
    dof: float = math.inf
    mode: str = "joint"  # joint (with the other behaviours) | separate (few sellers) | result (result-linked)

    @property
    def ci(self) -> tuple[float, float]:
        half = t_quantile(0.975, self.dof) * self.se
        return self.effect - half, self.effect + half

    def t(self) -> float:
        return self.effect / self.se if self.se > 0 else math.inf


def estimate_effects(
    y: np.ndarray,
    behaviour: dict[int, np.ndarray],
    results: dict[int, np.ndarray],
    covariates: np.ndarray,
    *,
    ridge: float,
    joint: bool = True,
) -> dict[int, Estimate]:
    """Standardised effects of each task's metric on the standardised outcome, by task id.

    Behaviours are fitted together (`joint`), so each is credited only with what the others do not explain; a
    situation too small for that fits them one at a time (each with the tenure covariates), like result-linked
    tasks always are.
    """
    out: dict[int, Estimate] = {}
    n = len(y)
    extra = [covariates] if covariates.size else []
    if behaviour and joint:
        ids = list(behaviour)
        fit = ridge_fit(y, np.column_stack([behaviour[i] for i in ids] + extra), ridge=ridge)
        for j, task_id in enumerate(ids):
            out[task_id] = Estimate(float(fit.coefficients[j]), float(fit.standard_errors[j]), n, fit.dof)
    separately = [(task_id, z, "separate") for task_id, z in ({} if joint else behaviour).items()]
    separately += [(task_id, z, "result") for task_id, z in results.items()]
    for task_id, z, mode in separately:
        fit = ridge_fit(y, np.column_stack([z, *extra]), ridge=ridge)
        out[task_id] = Estimate(float(fit.coefficients[0]), float(fit.standard_errors[0]), n, fit.dof, mode=mode)
    return out


def between_variance(estimates: list[tuple[float, float, float]], settings: EngineSettings) -> float:
    """tau^2 from (effect, se, prior) triples by the method of moments, clipped to [min_tau, max_tau]^2."""
    if len(estimates) < 5:
        return 0.15**2
    distance = np.mean([(effect - prior) ** 2 for effect, _, prior in estimates])
    sampling = np.mean([se**2 for _, se, _ in estimates])
    return float(np.clip(distance - sampling, settings.min_tau**2, settings.max_tau**2))


@dataclass
class Blend:
    data_share: float
    blended: float
    posterior_sd: float

    @property
    def driven_by(self) -> str:
        return "data" if self.data_share >= 0.5 else "prior"

    @property
    def lower90(self) -> float:
        return self.blended - Z90 * self.posterior_sd


def blend(estimate: Estimate, prior: float, tau2: float) -> Blend:
    """Shrink one estimate toward the prior: data share tau^2 / (tau^2 + SE^2)."""
    se2 = max(estimate.se**2, 1e-12)
    w = tau2 / (tau2 + se2)
    return Blend(w, w * estimate.effect + (1 - w) * prior, math.sqrt(w * se2))


def quartile_groups(outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the top and bottom quartile of sellers by outcome (sellers without one are in neither)."""
    ok = np.isfinite(outcome)
    if ok.sum() < 4:
        empty = np.zeros(len(outcome), dtype=bool)
        return empty, empty
    q25, q75 = np.quantile(outcome[ok], [0.25, 0.75])
    return ok & (outcome >= q75), ok & (outcome <= q25)


def group_median(raw: np.ndarray, mask: np.ndarray) -> float | None:
    values = raw[mask & np.isfinite(raw)]
    return float(np.median(values)) if values.size else None


def quartile_sentence(metric: MetricDefinition, top: float | None, bottom: float | None) -> str:
    """ "Top-quartile sellers in this situation touch 78% of their accounts each quarter; bottom-quartile 41%." """
    if top is None or bottom is None:
        return ""
    return (
        f"Top-quartile sellers in this situation {metric.describe(top)}; "
        f"bottom-quartile sellers {metric.describe(bottom)}."
    )


def evidence_sentence(
    *, outcome_label: str, estimate: Estimate | None, blend_: Blend | None, prior: float, n: int, reason: str
) -> str:
    if estimate is None or blend_ is None:
        return (
            f"{reason[:1].upper()}{reason[1:]}, so the weight is the task library's starting weight ({prior:.2f}, "
            "from published ratings of how much the task matters in sales jobs)."
        )
    low, high = estimate.ci
    direction = "higher" if estimate.effect >= 0 else "lower"
    held = {
        "joint": "with tenure and the other tasks held constant",
        "separate": "with tenure held constant; with this few sellers each task is estimated on its own, so tasks "
        "that go together may share credit",
        "result": "with tenure held constant; this task is partly an outcome of the others, so it is estimated on "
        "its own and becomes critical only when a reviewer sets its weight",
    }[estimate.mode]
    source = (
        f"The company's data drove this result ({blend_.data_share:.0%} of the weight; the task library's starting "
        f"weight is {prior:.2f})."
        if blend_.driven_by == "data"
        else f"The task library's starting weight drove this result ({1 - blend_.data_share:.0%} of the weight): "
        f"the data is too "
        f"uncertain to overrule it yet."
    )
    return (
        f"One standard deviation better on this task goes with {abs(estimate.effect):.2f} standard deviations "
        f"{direction} {outcome_label} (95% CI {low:.2f} to {high:.2f}; {n} sellers), {held}. {source}"
    )
