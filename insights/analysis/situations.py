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
from sklearn.cluster import KMeans
from sklearn.impute import KNNImputer
from sklearn.metrics import calinski_harabasz_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from insights.analysis.frame import SellerFrame
from insights.analysis.types import Condition, ProposedSpec, RuleSpec
from insights.metrics import BOOK_FEATURES

TEXT_FIELDS = {"segment", "account_region", "region", "job_title"}
NUMERIC_OPS = {"gt", "gte", "lt", "lte"}
TEXT_OPS = {"eq", "ne", "contains"}
FIT_SAMPLE = 4000
SILHOUETTE_SAMPLE = 1200
IMPUTE_NEIGHBOURS = 5
KMEANS_STARTS = 2  # k-means++ starts per k while choosing k
BIMODAL_SAMPLE = 2000
MIN_SUBGROUP = 10  # sellers in each part when a situation found by splitting is split again
MIN_GROUP = 8  # sellers: the smallest group a mixed situation may be split into
BIMODAL_SEPARATION = 3.0  # Ashman's D: two groups of one book feature that barely overlap
MAX_VALLEY = 0.5  # at most this many sellers between the two groups as around the sparser group's centre
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
    """The book features of `rows` that have values, transformed, imputed and standardised.

    A missing value (a new seller with no won deal has no sales cycle yet) is taken from the sellers whose other
    features are nearest (scikit-learn's KNNImputer, on the standardised features): the overall median would
    place such a seller between the kinds of book, often in the wrong one.
    """
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
        if feature.log_scale:
            col = np.where(ok, np.log1p(np.clip(col, 0, None)), np.nan)
        keys.append(key)
        columns.append(col)
    values = np.column_stack(columns) if columns else np.zeros((len(rows), 0))
    center = np.nanmean(values, axis=0) if len(rows) and columns else np.zeros(values.shape[1])
    scale = np.nanstd(values, axis=0) if len(rows) and columns else np.ones(values.shape[1])
    scale = np.where(scale > 1e-9, scale, 1.0)
    values = _impute(values, center, scale)
    return BookSpace(keys=keys, values=values, center=center, scale=scale)


def _impute(values: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Missing values from the IMPUTE_NEIGHBOURS nearest sellers with the value (median where none is near)."""
    missing = ~np.isfinite(values)
    if not missing.any():
        return values
    z = (values - center) / scale
    filled = z.copy()
    incomplete = missing.any(axis=1)
    if (~incomplete).sum() >= IMPUTE_NEIGHBOURS:
        # Neighbours among complete sellers (a sample of them at scale): their values, not other guesses.
        complete = np.flatnonzero(~incomplete)
        if len(complete) > FIT_SAMPLE:
            complete = complete[np.linspace(0, len(complete) - 1, FIT_SAMPLE).astype(int)]
        imputer = KNNImputer(n_neighbors=IMPUTE_NEIGHBOURS).fit(z[complete])
        filled[incomplete] = imputer.transform(z[incomplete])
    filled = np.where(np.isfinite(filled), filled, 0.0)  # still missing: the mean
    return filled * scale + center


def _seed(rng: np.random.Generator) -> int:
    """A fixed integer seed for scikit-learn, drawn from the run's generator (same settings, same situations)."""
    return int(rng.integers(2**31 - 1))


def kmeans(x: np.ndarray, k: int, seed: int, *, n_init: int = 4) -> tuple[np.ndarray, np.ndarray, float]:
    """scikit-learn's k-means (k-means++ starts, the best of `n_init` by inertia). Returns labels, centres,
    inertia."""
    model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x)
    return model.labels_.astype(int), model.cluster_centers_, float(model.inertia_)


def _structure_margin(x: np.ndarray, labels: np.ndarray, k: int, seed: int) -> float:
    """How much better the clustering's mean silhouette is than that of k-means with the same k on uniform noise
    spanning the same ranges (structureless data of the same extent), both on a sample of at most 1,200."""
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(x), size=min(len(x), SILHOUETTE_SAMPLE), replace=False)
    observed = float(silhouette_score(x[sample], labels[sample]))
    reference = rng.uniform(x.min(axis=0), x.max(axis=0), size=(len(sample), x.shape[1]))
    ref_labels, _, _ = kmeans(reference, k, seed, n_init=2)
    if len(set(ref_labels.tolist())) < 2:
        return observed
    return observed - float(silhouette_score(reference, ref_labels))


def split_once(x: np.ndarray, *, max_k: int, min_size: int, seed: int) -> np.ndarray | None:
    """Labels 0..k-1 when the points `x` (already on their own scale) fall into clear groups, else None.

    k is the best Calinski-Harabasz index among 2..max_k whose every group has at least `min_size` points
    (chosen on a sample of FIT_SAMPLE, enough to see the shape of a sales force of any size); the groups count as
    clear when the silhouette beats uniform noise of the same extent by MIN_STRUCTURE.
    """
    n = len(x)
    if n < 2 * max(min_size, 2) or x.shape[1] == 0 or max_k < 2:
        return None
    rng = np.random.default_rng(seed)
    fit_rows = np.sort(rng.choice(n, size=FIT_SAMPLE, replace=False)) if n > FIT_SAMPLE else np.arange(n)
    xs = x[fit_rows]
    if float(np.ptp(xs, axis=0).max()) < 1e-9:
        return None
    sample_min = max(2, math.ceil(min_size * len(fit_rows) / n))
    best: tuple[float, int, KMeans] | None = None
    for k in range(2, max_k + 1):
        model = KMeans(n_clusters=k, n_init=KMEANS_STARTS, random_state=seed).fit(xs)
        labels = model.labels_
        if len(set(labels.tolist())) < k or np.bincount(labels, minlength=k).min() < sample_min:
            continue
        score = float(calinski_harabasz_score(xs, labels))
        if best is None or score > best[0]:
            best = (score, k, model)
    if best is None:
        return None
    _, k, model = best
    if _structure_margin(xs, model.labels_.astype(int), k, seed) < MIN_STRUCTURE:
        return None
    labels = model.predict(x).astype(int) if len(x) > len(xs) else model.labels_.astype(int)
    if np.bincount(labels, minlength=k).min() < min_size:
        return None
    return labels


def _own_scale(z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The points standardised on their own spread (times the clustering weights): a group that looked like one
    next to a far-away kind of book is looked at again on its own scale."""
    scale = z.std(axis=0)
    return (z - z.mean(axis=0)) / np.where(scale > 1e-9, scale, 1.0) * weights


def discover(z: np.ndarray, weights: np.ndarray, *, max_k: int, min_size: int, seed: int
             ) -> tuple[np.ndarray, bool]:
    """Labels for the points `z` by recursive splitting: split the sellers into clear groups (`split_once`), then
    test each group on its own scale for structure of its own, and so on, until no group splits or there are
    `max_k` groups. Uneven spacing cannot merge kinds of book this way: a far-away kind is split off first, and
    the nearer kinds are then told apart on their own spread.

    Groups are numbered by their first member, so the same data gives the same labels. The flag says whether
    every group was tested and found to have no structure of its own (False when `max_k` stopped the search).
    """
    n = len(z)
    done: list[np.ndarray] = []
    queue: list[np.ndarray] = [np.arange(n)]
    exhausted = True
    while queue:
        node = queue.pop(0)
        room = max_k - len(done) - len(queue)
        if room < 2:
            done.append(node)
            exhausted = exhausted and len(node) < 2 * max(min_size, MIN_SUBGROUP)
            continue
        # Below the top, a group is looked at on its own (tight) spread, where a handful of sellers with unusual
        # medians (few won deals) would look like structure: its parts need MIN_SUBGROUP sellers.
        # Two or three parts at a time below the top: a group with more kinds in it splits again.
        top = len(node) == n
        least = min_size if top else max(min_size, MIN_SUBGROUP)
        labels = split_once(_own_scale(z[node], weights), max_k=room if top else min(room, 3), min_size=least,
                            seed=seed)
        if labels is None:
            done.append(node)
            continue
        queue.extend(node[labels == j] for j in range(int(labels.max()) + 1))
    done.sort(key=lambda rows: int(rows.min()) if len(rows) else n)
    result = np.zeros(n, dtype=int)
    for j, rows in enumerate(done):
        result[rows] = j
    return result, exhausted


def choose_clusters(z: np.ndarray, *, max_k: int, min_size: int, rng: np.random.Generator,
                    weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Labels and centres (in the space of `z`) of the situations `discover` finds (one group when there is no
    clear structure), and whether each was tested for structure of its own (see `discover`)."""
    if len(z) == 0:
        return np.zeros(0, dtype=int), np.zeros((1, z.shape[1])), True
    w = np.ones(z.shape[1]) if weights is None else weights
    # One thread: scikit-learn's OpenMP threads fight over a busy machine's cores and run many times slower
    # than one thread on problems of this size.
    with threadpool_limits(limits=1):
        labels, exhausted = discover(z, w, max_k=max_k, min_size=min_size, seed=_seed(rng))
    k = int(labels.max()) + 1
    centres = np.array([z[labels == j].mean(axis=0) for j in range(k)])
    return labels, centres, exhausted


@dataclass
class MixedBook:
    """A situation whose sellers look like more than one kind of book: a warning in plain words, and which group
    each member falls in (members in the order given), so the evidence can compare sellers within their group."""

    warning: str
    groups: np.ndarray


def _bimodal_feature(values: np.ndarray, seed: int, min_size: int) -> tuple[np.ndarray, float] | None:
    """Two clearly separate groups in one feature (analysis scale): a two-component Gaussian mixture beats one
    by BIC, each component holds at least `min_size` sellers, and Ashman's D (separation of the means over their
    pooled spread) is at least BIMODAL_SEPARATION, with a valley between them. Returns the groups and D."""
    everyone = values.reshape(-1, 1)
    if len(everyone) < 2 * min_size or float(np.ptp(everyone)) < 1e-9:
        return None
    # Fitted on an even sample at scale (the shape of one feature shows in a couple of thousand sellers).
    step = max(1, len(everyone) // BIMODAL_SAMPLE)
    x = np.sort(everyone, axis=0)[::step]
    if not _two_groups_plausible(x.ravel(), max(2, min_size // step)):
        return None
    one = GaussianMixture(1, random_state=seed).fit(x)
    two = GaussianMixture(2, random_state=seed).fit(x)
    if two.bic(x) >= one.bic(x):
        return None
    means = two.means_.ravel()
    variances = two.covariances_.ravel()
    separation = math.sqrt(2) * abs(means[0] - means[1]) / math.sqrt(variances.sum())
    groups = two.predict(everyone).astype(int)
    if separation < BIMODAL_SEPARATION or np.bincount(groups, minlength=2).min() < min_size:
        return None
    # A real valley between the groups: a uniform spread also gives two compact halves with a large D, but as
    # many sellers between them as around each.
    values = everyone.ravel()
    half = 0.25 * math.sqrt(variances.mean())
    around = [int((np.abs(values - m) < half).sum()) for m in means]
    between = int((np.abs(values - means.mean()) < half).sum())
    if between > MAX_VALLEY * max(min(around), 1):
        return None
    if means[groups[0]] != means.min():  # the group with the lower values first, whatever the fit's order
        groups = 1 - groups
    return groups, separation


def _two_groups_plausible(ordered: np.ndarray, min_size: int) -> bool:
    """A quick screen before the mixture fits: the best split of the sorted values into two (the largest
    between-group variance, as 2-means finds in one dimension) must already show the separation and the valley
    `_bimodal_feature` asks for; most features of most situations stop here."""
    n = len(ordered)
    if n < 2 * min_size:
        return False
    total = np.cumsum(ordered)
    left = np.arange(1, n)
    m0 = total[:-1] / left
    m1 = (total[-1] - total[:-1]) / (n - left)
    between = left * (n - left) * (m0 - m1) ** 2
    between[: min_size - 1] = -1.0
    between[n - min_size:] = -1.0
    cut = int(np.argmax(between)) + 1
    low, high = ordered[:cut], ordered[cut:]
    pooled = float(low.var() + high.var())
    if pooled <= 0:
        return True
    means = np.array([low.mean(), high.mean()])
    if math.sqrt(2) * abs(means[1] - means[0]) / math.sqrt(pooled) < BIMODAL_SEPARATION:
        return False
    half = 0.25 * math.sqrt(pooled / 2)
    around = [int((np.abs(ordered - m) < half).sum()) for m in means]
    return int((np.abs(ordered - means.mean()) < half).sum()) <= MAX_VALLEY * max(min(around), 1)


def _feature_groups_words(key: str, raw: np.ndarray, groups: np.ndarray) -> str:
    unit = BOOK_FEATURES[key].unit
    medians = []
    for j in range(int(groups.max()) + 1):
        values = raw[(groups == j) & np.isfinite(raw)]
        if values.size:
            medians.append(float(np.median(values)))
    medians.sort()
    said = [_feature_value_words(v, unit) for v in medians]
    return f"{BOOK_FEATURES[key].name.lower()} falls into {len(said)} groups ({', '.join(said[:-1])} and {said[-1]})"


def _feature_value_words(value: float, unit: str) -> str:
    if unit == "money":
        return money_words(value)
    if unit == "share":
        return f"{round(value * 100):.0f}%"
    if unit == "days":
        return f"about {count_words(value)} days"
    return f"about {count_words(value)}"


def mixed_book(frame: SellerFrame, rows: np.ndarray, *, seed: int, tested: bool = False) -> MixedBook | None:
    """Whether the sellers at `rows` look like more than one kind of book, and if so how they split.

    First the same test that forms situations, on these sellers' own spread (skipped when `tested`: the
    situation came out of that test already); then each book feature on its own, where two clear groups
    (bimodal, for example account counts) also count. Groups must hold at least a tenth of the sellers (at
    least MIN_GROUP).
    """
    if len(rows) < 2 * MIN_GROUP:
        return None
    space = book_space(frame, rows)
    if not space.keys:
        return None
    min_size = max(MIN_GROUP, math.ceil(0.1 * len(rows)))
    groups: np.ndarray | None = None
    with threadpool_limits(limits=1):
        if not tested:
            groups = split_once(_own_scale(space.z, space.weights), max_k=3, min_size=min_size, seed=seed)
        best: tuple[float, str, np.ndarray] | None = None
        for f, key in enumerate(space.keys):
            found = _bimodal_feature(space.values[:, f], seed, min_size)
            if found is not None and (best is None or found[1] > best[0]):
                best = (found[1], key, found[0])
    if groups is None:
        if best is None:
            return None
        _, key, groups = best
    else:
        # Name the feature that differs most between the groups, on these sellers' own spread.
        own = _own_scale(space.values, np.ones(len(space.keys)))
        k = int(groups.max()) + 1
        spread = [float(np.ptp([own[groups == j, f].mean() for j in range(k)])) for f in range(len(space.keys))]
        key = space.keys[int(np.argmax(spread))]
    k = int(groups.max()) + 1
    raw = np.asarray(frame[f"feature_{key}"][rows], dtype=float)
    warning = (
        f"These sellers may have {'two' if k == 2 else k} different kinds of book: "
        f"{_feature_groups_words(key, raw, groups)}. Consider defining a rule that separates them (Define "
        "situations). Until then, each seller is compared with the sellers of their own group when the engine "
        "works out which tasks matter."
    )
    return MixedBook(warning=warning, groups=groups)


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
