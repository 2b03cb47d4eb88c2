"""Situations: which book of business each seller has, by override, by rule, or by clustering.

Precedence: a person's override, then the first matching rule (in priority order), then the proposed situations
found by k-means on the standardised book features (log scale for counts, money and days). k is chosen by the
Calinski-Harabasz index; when even the best k shows no clear structure (its mean silhouette is not at least 0.1 above
that of the same clustering on uniform noise spanning the same ranges) everyone left forms one situation.
Proposed situations are matched to the ones earlier runs proposed by centroid distance, so a situation keeps its
name, overrides and history from run to run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from insights.analysis.frame import SellerFrame
from insights.analysis.types import Condition, ProposedSpec, RuleSpec
from insights.metrics import BOOK_FEATURES

TEXT_FIELDS = {"segment", "account_region", "region", "job_title"}
NUMERIC_OPS = {"gt", "gte", "lt", "lte"}
TEXT_OPS = {"eq", "ne", "contains"}
FIT_SAMPLE = 4000
MIN_STRUCTURE = 0.1  # how much better the silhouette must be than on uniform noise of the same shape
MATCH_DISTANCE = 1.0  # in standard deviations of the current run's book features

FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "accounts": ("large books", "few accounts"),
    "deal_size": ("large deals", "small deals"),
    "cycle_days": ("long cycles", "short cycles"),
    "new_business_share": ("mostly new business", "mostly existing customers"),
    "opportunities_per_year": ("high deal volume", "low deal volume"),
}


def condition_values(frame: SellerFrame, feature: str) -> np.ndarray:
    """The column a rule clause reads: book features by key, or the text fields in TEXT_FIELDS."""
    column = frame.get(f"feature_{feature}") if feature in BOOK_FEATURES else frame.get(feature)
    if column is None:
        if feature in BOOK_FEATURES:
            return np.full(frame.n, np.nan)
        return np.full(frame.n, None, dtype=object)
    return column


def condition_mask(frame: SellerFrame, condition: Condition) -> np.ndarray:
    """Which sellers meet one clause. A seller with no value for the feature never meets it."""
    values = condition_values(frame, condition.feature)
    if condition.op in NUMERIC_OPS:
        target = float(condition.value)
        numeric = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            result = {
                "gt": numeric > target, "gte": numeric >= target, "lt": numeric < target, "lte": numeric <= target,
            }[condition.op]
        return result & np.isfinite(numeric)
    if condition.op not in TEXT_OPS:
        raise ValueError(f"Unknown operator {condition.op!r} in a situation rule.")
    wanted = str(condition.value).strip().lower()
    texts = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip().lower()
             for v in values]
    if condition.op == "eq":
        return np.array([t == wanted for t in texts], dtype=bool)
    if condition.op == "ne":
        return np.array([t is not None and t != wanted for t in texts], dtype=bool)
    return np.array([t is not None and wanted in t for t in texts], dtype=bool)


def rule_mask(frame: SellerFrame, rule: RuleSpec) -> np.ndarray:
    """Sellers meeting every clause of the rule (a rule without clauses matches nobody)."""
    if not rule.conditions:
        return np.zeros(frame.n, dtype=bool)
    mask = np.ones(frame.n, dtype=bool)
    for condition in rule.conditions:
        mask &= condition_mask(frame, condition)
    return mask


# ---------------------------------------------------------------------------------------------------------------
# Clustering
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class BookSpace:
    """Book features on the analysis scale (log1p for counts, money and days), and their standardisation."""

    keys: list[str]
    values: np.ndarray  # n x d, analysis scale, missing filled with the median
    center: np.ndarray
    scale: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        return np.array([BOOK_FEATURES[k].cluster_weight for k in self.keys])

    @property
    def z(self) -> np.ndarray:
        """Standardised features times their clustering weights (the space k-means works in)."""
        return (self.values - self.center) / self.scale * self.weights


def book_space(frame: SellerFrame, rows: np.ndarray) -> BookSpace:
    """The book features of `rows` that have values, transformed, imputed and standardised."""
    keys: list[str] = []
    columns: list[np.ndarray] = []
    for key, feature in BOOK_FEATURES.items():
        raw = frame.get(f"feature_{key}")
        if raw is None:
            continue
        col = np.asarray(raw[rows], dtype=float)
        ok = np.isfinite(col)
        if ok.sum() < max(2, 0.5 * len(col)):
            continue
        col = np.where(ok, col, np.median(col[ok]))
        if feature.log_scale:
            col = np.log1p(np.clip(col, 0, None))
        keys.append(key)
        columns.append(col)
    values = np.column_stack(columns) if columns else np.zeros((len(rows), 0))
    center = values.mean(axis=0) if len(rows) else np.zeros(values.shape[1])
    scale = values.std(axis=0) if len(rows) else np.ones(values.shape[1])
    scale = np.where(scale > 1e-9, scale, 1.0)
    return BookSpace(keys=keys, values=values, center=center, scale=scale)


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, *, n_init: int = 6, max_iter: int = 100
           ) -> tuple[np.ndarray, np.ndarray, float]:
    """Lloyd's k-means with k-means++ starts; the best of `n_init` by inertia. Returns labels, centres, inertia."""
    best: tuple[np.ndarray, np.ndarray, float] | None = None
    n = x.shape[0]
    features = _by_feature(x)
    for _ in range(n_init):
        centres = np.empty((k, x.shape[1]))
        centres[0] = x[rng.integers(n)]
        dist = ((x - centres[0]) ** 2).sum(axis=1)
        for j in range(1, k):
            total = dist.sum()
            idx = rng.choice(n, p=dist / total) if total > 0 else rng.integers(n)
            centres[j] = x[idx]
            dist = np.minimum(dist, ((x - centres[j]) ** 2).sum(axis=1))
        labels = np.zeros(n, dtype=int)
        for _ in range(max_iter):
            new_labels = _squared_distances(features, centres).argmin(axis=0)
            # Each centre moves to its members' mean (an emptied cluster keeps its centre). bincount adds the
            # members up in order, as their mean does.
            counts = np.bincount(new_labels, minlength=k)
            filled = counts > 0
            for f, column in enumerate(features):
                centres[filled, f] = np.bincount(new_labels, weights=column, minlength=k)[filled] / counts[filled]
            if np.array_equal(new_labels, labels):
                labels = new_labels
                break
            labels = new_labels
        inertia = float(((x - centres[labels]) ** 2).sum())
        if best is None or inertia < best[2]:
            best = (labels.copy(), centres.copy(), inertia)
    assert best is not None
    return best


def _by_feature(x: np.ndarray) -> list[np.ndarray]:
    return [np.ascontiguousarray(x[:, f]) for f in range(x.shape[1])]


def _squared_distances(features: list[np.ndarray], centres: np.ndarray) -> np.ndarray:
    """k x n squared distances from each centre to each point (the points given feature by feature). Each is
    added up feature by feature, as summing an n x k x d array of squares over its last axis does, so the sums
    are the same to the last bit; one centre at a time over contiguous rows is several times faster."""
    n = len(features[0]) if features else 0
    d2 = np.zeros((centres.shape[0], n))
    term = np.empty(n)
    for j, row in enumerate(d2):
        for f, column in enumerate(features):
            np.subtract(column, centres[j, f], out=term)
            np.multiply(term, term, out=term)
            row += term
    return d2


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of the points (exact, O(n^2): call it on a sample)."""
    k = int(labels.max()) + 1
    if k < 2:
        return 0.0
    d = np.sqrt(np.clip(_squared_distances(_by_feature(x), x), 0, None))  # symmetric: n x n either way round
    onehot = np.eye(k)[labels]  # n x k
    counts = onehot.sum(axis=0)
    sums = d @ onehot  # distance from each point to all members of each cluster
    own_count = counts[labels] - 1
    a = np.where(own_count > 0, sums[np.arange(len(x)), labels] / np.maximum(own_count, 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / counts
    means[np.arange(len(x)), labels] = np.inf
    means[:, counts == 0] = np.inf
    b = means.min(axis=1)
    denom = np.maximum(a, b)
    scores = np.where((own_count > 0) & (denom > 0) & np.isfinite(b), (b - a) / np.where(denom > 0, denom, 1), 0.0)
    return float(scores.mean())


def calinski_harabasz(z: np.ndarray, labels: np.ndarray, centres: np.ndarray, inertia: float) -> float:
    """Between-cluster over within-cluster dispersion, each per degree of freedom (higher is better)."""
    n, k = len(z), len(centres)
    between = float(((centres[labels] - z.mean(axis=0)) ** 2).sum())
    return (between / (k - 1)) / (inertia / (n - k)) if inertia > 0 else math.inf


def choose_clusters(z: np.ndarray, *, max_k: int, min_size: int, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres (standardised) for the k with the best Calinski-Harabasz index among clusterings whose
    every cluster has at least `min_size` sellers; one group when even the best shows no structure (its mean
    silhouette on a sample is not MIN_STRUCTURE above that of uniform noise with the same ranges)."""
    n = z.shape[0]
    one = (np.zeros(n, dtype=int), z.mean(axis=0, keepdims=True) if n else np.zeros((1, z.shape[1])))
    if n < 2 * max(min_size, 2) or z.shape[1] == 0 or max_k < 2:
        return one
    # k is chosen on a sample (enough to see the shape of a sales force of any size); everyone is then
    # clustered with that k.
    fit_rows = rng.choice(n, size=FIT_SAMPLE, replace=False) if n > FIT_SAMPLE else np.arange(n)
    zs = z[fit_rows]
    sample_min = max(2, math.ceil(min_size * len(fit_rows) / n))
    best_score, best_k, best_labels = -math.inf, 0, np.zeros(0, dtype=int)
    for k in range(2, max_k + 1):
        labels, centres, inertia = kmeans(zs, k, rng)
        if np.bincount(labels, minlength=k).min() < sample_min:
            continue
        score = calinski_harabasz(zs, labels, centres, inertia)
        if score > best_score:
            best_score, best_k, best_labels = score, k, labels
    if not best_k:
        return one
    sample = rng.choice(len(zs), size=min(len(zs), 1200), replace=False)
    observed = silhouette(zs[sample], best_labels[sample])
    # The same clustering on structureless data of the same extent: uniform in the features' bounding box.
    reference = rng.uniform(z.min(axis=0), z.max(axis=0), size=(len(sample), z.shape[1]))
    ref_labels, _, _ = kmeans(reference, best_k, rng, n_init=2)
    if observed - silhouette(reference, ref_labels) < MIN_STRUCTURE:
        return one
    labels, centres, _ = kmeans(z, best_k, rng, n_init=3)
    if np.bincount(labels, minlength=best_k).min() < min_size:
        return one
    return labels, centres


def match_proposed(centres: np.ndarray, space: BookSpace, proposed: list[ProposedSpec]) -> dict[int, int]:
    """Cluster index -> id of the earlier proposed situation it continues (nearest first, within MATCH_DISTANCE)."""
    pairs: list[tuple[float, int, int]] = []
    for j, centre in enumerate(centres):
        for spec in proposed:
            if not all(key in spec.centroid for key in space.keys):
                continue
            old = (np.array([spec.centroid[key] for key in space.keys]) - space.center) / space.scale * space.weights
            pairs.append((float(np.sqrt(((centre - old) ** 2).sum())), j, spec.situation_id))
    result: dict[int, int] = {}
    used: set[int] = set()
    for distance, j, situation_id in sorted(pairs):
        if distance > MATCH_DISTANCE or j in result or situation_id in used:
            continue
        result[j] = situation_id
        used.add(situation_id)
    return result


def cluster_name(centre_z: np.ndarray, keys: list[str], taken: set[str]) -> str:
    """A short name from the features that set the cluster apart most, e.g. "Few accounts, large deals"."""
    order = np.argsort(-np.abs(centre_z)) if len(keys) else np.array([], dtype=int)
    words = [FEATURE_WORDS[keys[i]][0 if centre_z[i] > 0 else 1] for i in order if abs(centre_z[i]) >= 0.3]
    if not words:
        words = ["typical books"]
    for count in range(2, len(words) + 1):
        name = ", ".join(words[:count]).capitalize()
        if name not in taken:
            return name
    name = ", ".join(words[:2]).capitalize()
    suffix = 2
    while f"{name} ({suffix})" in taken:
        suffix += 1
    return name if name not in taken else f"{name} ({suffix})"


# ---------------------------------------------------------------------------------------------------------------
# Plain words
# ---------------------------------------------------------------------------------------------------------------


def _round_sig(value: float, digits: int = 2) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, -math.floor(math.log10(abs(value))) + digits - 1)


def count_words(value: float) -> str:
    """A count rounded to two significant digits, never with a fraction: 312 -> "310", 9.6 -> "10"."""
    return f"{max(round(_round_sig(value)), 1 if value > 0 else 0):,}"


def money_words(value: float) -> str:
    value = _round_sig(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def book_summary(medians: dict[str, float | None], segment: str | None = None) -> str:
    """A book in plain words: "about 300 accounts, 12k deals, 45-day cycle, 30% new business"."""
    parts: list[str] = []
    accounts = medians.get("accounts")
    if accounts is not None:
        parts.append(f"about {count_words(accounts)} accounts")
    deal = medians.get("deal_size")
    if deal is not None:
        parts.append(f"{money_words(deal)} deals")
    cycle = medians.get("cycle_days")
    if cycle is not None:
        parts.append(f"{count_words(cycle)}-day cycle")
    new = medians.get("new_business_share")
    if new is not None:
        parts.append(f"{round(new * 20) * 5:.0f}% new business")
    volume = medians.get("opportunities_per_year")
    if volume is not None:
        parts.append(f"{count_words(volume)} opportunities a year")
    if segment:
        parts.append(f"mostly {segment}")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:] if text else "No book features in the data"
