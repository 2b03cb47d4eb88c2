"""The statistics: regression, tenure control, empirical-Bayes blend with the prior, and the plain words."""

from __future__ import annotations

import numpy as np
import pytest

from insights.analysis import evidence as ev
from insights.analysis.types import EngineSettings
from insights.metrics import METRICS


def test_regression_recovers_known_effects_with_honest_intervals():
    rng = np.random.default_rng(11)
    n = 400
    x = rng.standard_normal((n, 3))
    y = 0.5 * x[:, 0] + 0.2 * x[:, 1] + rng.normal(0, 0.8, n)
    fit = ev.ridge_fit(ev.standardise(y), (x - x.mean(0)) / x.std(0), ridge=1.0)
    b, se = fit.coefficients, fit.standard_errors
    truth = np.array([0.5, 0.2, 0.0]) / y.std()
    assert np.all(np.abs(b - truth) < 2.5 * se)
    assert b[0] > b[1] > abs(b[2])
    assert 0.03 < se[0] < 0.06  # about 1/sqrt(n) on the standardised scale


def test_tenure_control_keeps_ramping_sellers_from_looking_like_low_performers():
    """Activity is low while sellers ramp, and so is attainment; once ramped, activity does not matter. Fitted
    naively, activity looks like a driver; the engine's way (ramping sellers out of the fit, tenure covariates
    for the partly ramped) finds no effect."""
    rng = np.random.default_rng(3)
    n, period_months, ramp_months = 400, 18.0, 9.0
    tenure = np.where(rng.random(n) < 0.35, rng.uniform(1, 20, n), rng.uniform(20, 80, n))
    # The share of the period each seller spent ramping drives both their activity and their attainment.
    ramp_share = ev.tenure_covariates(tenure, ramp_months, period_months)
    raw_share = np.clip(np.minimum(tenure, period_months) - np.maximum(tenure - ramp_months, 0), 0, None) / (
        np.minimum(tenure, period_months))
    ramp = 1 - 0.6 * raw_share
    activity = 20 * ramp * rng.lognormal(0, 0.15, n)
    attainment = 0.9 * ramp * np.exp(rng.normal(0, 0.2, n))
    metric = METRICS["activities_per_week"]

    def effect(rows: np.ndarray, covariates: np.ndarray) -> ev.Estimate:
        y = ev.standardise(ev.log_outcome(attainment[rows]))
        z = ev.prepare_metric(activity[rows], metric, min_coverage=0.6).z
        return ev.estimate_effects(y, {1: z}, {}, covariates, ridge=1.0)[1]

    everyone = np.arange(n)
    naive = effect(everyone, np.zeros((n, 0)))
    ramped = everyone[tenure >= ramp_months]
    controlled = effect(ramped, ramp_share[ramped])
    assert naive.effect > 0.5
    assert naive.ci[0] > 0.3
    # The covariates approximate a ramp of unknown shape: most of the confounding goes, not every bit of it.
    assert abs(controlled.effect) < naive.effect / 3
    assert abs(controlled.effect) < 3 * controlled.se


def test_tenure_covariates_measure_the_time_spent_ramping():
    covariates = ev.tenure_covariates(np.array([5.0, 12.0, 30.0, np.nan]), 9.0, 18.0)
    ramping = covariates[:, 0]
    # 5 months: all of it ramping; 12 months: 9 of 12; 30 months: none; unknown: the median (12 months' value).
    assert ramping[0] > ramping[1] > ramping[2]
    assert ramping[3] == pytest.approx(ramping[1])


def test_small_situations_lean_on_the_prior_and_large_ones_on_their_data():
    tau2 = 0.15**2
    small = ev.blend(ev.Estimate(effect=0.6, se=0.35, n=12), prior=0.2, tau2=tau2)
    large = ev.blend(ev.Estimate(effect=0.6, se=0.05, n=400), prior=0.2, tau2=tau2)
    assert small.driven_by == "prior"
    assert small.data_share < 0.5
    assert large.driven_by == "data"
    assert large.data_share > 0.85
    assert 0.2 < small.blended < 0.35
    assert large.blended == pytest.approx(0.6 * large.data_share + 0.2 * (1 - large.data_share))
    assert large.posterior_sd < 0.05


def test_between_variance_from_the_estimates():
    settings = EngineSettings()
    assert ev.between_variance([(0.1, 0.05, 0.2)] * 3, settings) == pytest.approx(0.15**2)  # too few: default
    spread = [(0.5, 0.05, 0.2), (0.0, 0.05, 0.2), (0.45, 0.05, 0.2), (-0.05, 0.05, 0.2), (0.2, 0.05, 0.2)]
    tau2 = ev.between_variance(spread, settings)
    expected = np.mean([(e - 0.2) ** 2 for e, _, _ in spread]) - 0.05**2
    assert tau2 == pytest.approx(expected)
    noisy = [(0.2, 0.5, 0.2)] * 6  # all the spread is sampling noise
    assert ev.between_variance(noisy, settings) == pytest.approx(settings.min_tau**2)


def test_metric_preparation_explains_why_it_cannot_be_used():
    metric = METRICS["win_rate"]
    sparse = ev.prepare_metric(np.array([0.5, np.nan, np.nan, np.nan, 0.4]), metric, min_coverage=0.6)
    assert sparse.z is None
    assert "only 40% of the sellers here have a value" in sparse.reason
    flat = ev.prepare_metric(np.array([0.5] * 6), metric, min_coverage=0.6)
    assert flat.z is None
    assert flat.reason == "every seller here has the same value"


def test_lower_is_better_metrics_are_turned_around():
    days = np.array([5.0, 10.0, 20.0, 40.0])
    z = ev.prepare_metric(days, METRICS["days_between_touches"], min_coverage=0.6).z
    assert z is not None
    assert list(np.argsort(-z)) == [0, 1, 2, 3]


def test_outcome_is_logged_with_a_floor():
    values = ev.log_outcome(np.array([1.0, 0.0, np.nan]))
    assert values[0] == 0.0
    assert values[1] == pytest.approx(np.log(ev.OUTCOME_FLOOR))
    assert np.isnan(values[2])


def test_plain_words():
    metric = METRICS["accounts_touched_share"]
    assert ev.quartile_sentence(metric, 0.78, 0.41) == (
        "Top-quartile sellers in this situation touch 78% of their accounts each quarter; bottom-quartile sellers "
        "touch 41% of their accounts each quarter."
    )
    sentence = ev.evidence_sentence(outcome_label="attainment", estimate=ev.Estimate(0.32, 0.07, 84),
                                    blend_=ev.Blend(0.86, 0.3, 0.05), prior=0.22, n=84, reason="")
    assert "0.32 standard deviations higher attainment (95% CI 0.18 to 0.46; 84 sellers)" in sentence
    assert ("The company's data drove this result (86% of the weight; the task library's starting weight is 0.22)"
            in sentence)
    prior_only = ev.evidence_sentence(outcome_label="attainment", estimate=None, blend_=None, prior=0.21, n=6,
                                      reason="only 6 sellers in this situation have an outcome")
    assert prior_only.startswith("Only 6 sellers in this situation have an outcome, so the weight is the task "
                                 "library's starting weight (0.21")
