"""What the engine takes in and gives back. Plain data: no ORM objects cross into the analysis.

insights.services builds `EngineInputs` from the database, runs insights.analysis.pipeline.analyse, and writes the
`AnalysisResult` as a snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from insights.metrics import Period


@dataclass(frozen=True)
class SellerRecord:
    """A person the HR data knows, who may appear in the CRM as a seller."""

    person_id: int
    employee_id: str
    manager_id: int | None
    region: str
    hire_date: dt.date | None
    job_title: str = ""
    end_date: dt.date | None = None  # the day they left, for people who have left
    has_left: bool = False  # left the company: counts in the evidence for their time in seat, no diagnostic


@dataclass(frozen=True)
class TaskSpec:
    task_id: int
    key: str
    name: str
    metric_keys: tuple[str, ...]
    prior_weight: float
    kind: str  # behaviour | result


@dataclass(frozen=True)
class Condition:
    """One clause of a situation rule: `feature op value`."""

    feature: str
    op: str  # gt | gte | lt | lte | eq | ne | contains
    value: float | str


@dataclass(frozen=True)
class RuleSpec:
    situation_id: int
    name: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class ProposedSpec:
    """A situation an earlier run proposed, matched again by its centroid (feature key -> centre)."""

    situation_id: int
    name: str
    centroid: dict[str, float]


@dataclass(frozen=True)
class WeightOverrideSpec:
    weight: float
    note: str
    author: str
    at: dt.datetime


@dataclass(frozen=True)
class EngineSettings:
    min_sellers_for_data: int = 15  # fewer sellers with an outcome: the prior alone decides
    min_metric_coverage: float = 0.6  # share of a situation's sellers a metric needs a value for
    ramp_months: float = 9.0  # sellers with less tenure are ramping
    max_situations: int = 8
    min_cluster_share: float = 0.02
    critical_min_weight: float = 0.10
    critical_relative: float = 1 / 3  # critical tasks weigh at least this share of the situation's top task
    max_critical: int = 5
    critical_alpha: float = 0.05  # familywise, one-sided, Bonferroni over the tasks estimated in a situation
    ridge: float = 1.0
    min_tau: float = 0.05
    max_tau: float = 0.5
    quota_coverage_needed: float = 0.5  # share of sellers with a quota to use attainment as the outcome
    seed: int = 20_240_601


@dataclass
class EngineInputs:
    period: Period
    sellers: dict[str, SellerRecord]  # by employee id
    tasks: list[TaskSpec]
    rules: list[RuleSpec] = field(default_factory=list)
    proposed: list[ProposedSpec] = field(default_factory=list)
    seller_overrides: dict[int, int] = field(default_factory=dict)  # person id -> situation id
    weight_overrides: dict[tuple[int, int], WeightOverrideSpec] = field(default_factory=dict)  # (situation, task)
    settings: EngineSettings = field(default_factory=EngineSettings)
    excluded_notes: list[str] = field(default_factory=list)


Progress = Callable[[int, str], None]


@dataclass
class SituationOut:
    """A situation in this run. `situation_id` is None for a newly proposed one (services creates it)."""

    key: str
    situation_id: int | None
    kind: str  # rule | proposed
    name: str
    summary: str
    centroid: dict[str, float]
    members: list[int]  # row indices into the seller frame
    by_rule: int = 0
    by_cluster: int = 0
    by_override: int = 0
    features: dict[str, Any] = field(default_factory=dict)
    estimated_from_data: bool = False
    # When the sellers look like more than one kind of book: the warning in plain words (also kept in
    # `features["mixed"]`, which the snapshot stores) and each member's group, in the order of `members`.
    mixed: str = ""
    book_groups: np.ndarray | None = None


@dataclass
class EvidenceOut:
    situation_key: str
    task_id: int
    task_key: str
    metric_key: str
    available: bool
    unavailable_reason: str
    seller_count: int
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    prior_weight: float
    data_share: float
    blended: float | None
    weight: float
    driven_by: str  # data | prior | override | unavailable
    override: WeightOverrideSpec | None
    is_critical: bool
    rank: int
    higher_is_better: bool
    top_quartile: float | None
    median: float | None
    bottom_quartile: float | None
    explanation: str
    posterior_sd: float | None = None
    estimate: Any = None  # the data's Estimate (effect, se, degrees of freedom), when there is one


@dataclass
class GapOut:
    """One task for one seller: a cell of SituationGaps read out."""

    task_id: int
    value: float | None
    percentile: float | None
    target: float | None
    gap: float
    importance: float
    priority: float
    priority_rank: int | None
    is_critical: bool
    reason: str


@dataclass
class SellerOut:
    person_id: int
    crm_user_id: str
    situation_key: str
    assigned_by: str  # rule | cluster | override
    manager_id: int | None
    region: str
    tenure_months: float | None
    is_ramping: bool
    outcome: float | None
    outcome_percentile: float | None
    won_amount: float
    features: dict[str, Any]
    numbers: SellerNumbers | None = None


@dataclass(frozen=True)
class SellerNumbers:
    """The seller's own numbers for the period (definitions: insights.metrics.seller_number_aggregates)."""

    created: int
    won: int
    lost: int
    open: int
    won_amount: float
    win_rate: float | None
    quota: float | None
    attainment: float | None
    currencies: tuple[str, ...] = ()
    seat_start: dt.date | None = None  # HR hire date, else the first CRM record


@dataclass
class SituationGaps:
    """Every seller's standing on every measurable task in one situation, as seller x task arrays.

    Row i is the situation's i-th seller (`person_ids[i]`), column j the task `task_ids[j]`. A NaN value or
    percentile is a missing one; a priority rank of 0 means the task is not among the seller's coaching priorities.
    `reasons` holds the words for the cells with a priority above 0, the only ones a person reads.
    """

    situation_key: str
    person_ids: list[int]
    task_ids: list[int]
    targets: list[float | None]  # per task: the top-quartile level
    importance: np.ndarray  # per task: the weight in force, never below 0
    is_critical: np.ndarray  # per task
    value: np.ndarray  # n x tasks, raw metric values
    percentile: np.ndarray  # n x tasks, 0-100
    gap: np.ndarray  # n x tasks, 0-3
    priority: np.ndarray  # n x tasks
    priority_rank: np.ndarray  # n x tasks, 1-3 or 0
    reasons: dict[tuple[int, int], str] = field(default_factory=dict)

    def gaps(self, i: int) -> list[GapOut]:
        """Row i as one GapOut per task (for reading and tests; the engine works on the arrays)."""
        return [
            GapOut(
                task_id=task_id, value=_number(self.value[i, j]), percentile=_number(self.percentile[i, j]),
                target=self.targets[j], gap=float(self.gap[i, j]), importance=float(self.importance[j]),
                priority=float(self.priority[i, j]), priority_rank=int(self.priority_rank[i, j]) or None,
                is_critical=bool(self.is_critical[j]), reason=self.reasons.get((i, j), ""),
            )
            for j, task_id in enumerate(self.task_ids)
        ]


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


@dataclass
class NeedOut:
    manager_id: int
    task_id: int
    priority: float
    rank: int
    seller_ids: list[int]
    team_size: int
    reason: str


@dataclass
class ComparisonOut:
    manager_id: int
    situation_key: str
    seller_count: int
    team_median_percentile: float | None
    other_teams: int
    other_teams_median_percentile: float | None
    team_rank: int | None
    task_percentiles: dict[str, float]


@dataclass
class AnalysisResult:
    period: Period
    outcome: str  # attainment | relative_revenue
    notes: list[str]
    metric_availability: dict[str, dict[str, Any]]
    situations: list[SituationOut]
    evidence: list[EvidenceOut]
    sellers: list[SellerOut]
    gaps: list[SituationGaps]  # one per situation, rows in the order of `sellers`
    needs: list[NeedOut]
    comparisons: list[ComparisonOut]
