"""What the per-seller simulation shares: the seller's context, a batch of opportunities, numeric helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.generator.model import (
    SituationProfile,
)
from demo.generator.plan import Plan
from demo.generator.records import Table

# Subjects as one list, so activities store an index.


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def round_hundreds(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(np.asarray(x) / 100.0), 5).astype(np.int64) * 100


def month_index(days: np.ndarray) -> np.ndarray:
    """Calendar month (0-11) of day numbers."""
    months = np.floor(days).astype("int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months % 12


def quarter_end(days: np.ndarray) -> np.ndarray:
    """Day number of the first day after the calendar quarter containing each day."""
    months = np.floor(days).astype("int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    next_quarter = (months // 3 + 1) * 3
    return next_quarter.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def group_positions(group: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal values (`group` must be sorted)."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


@dataclass
class SellerContext:
    """What the simulation needs about one seller, read once from the plan."""

    plan: Plan
    row: int
    rng: np.random.Generator
    profile: SituationProfile
    z: np.ndarray
    owner: int
    manager: int
    w0: float  # first active day in the period
    t1: float  # end of activity (exclusive), days
    hire: float
    attainment: float
    accounts: int

    @property
    def p0(self) -> int:
        return self.plan.period_start_day

    @property
    def p1(self) -> int:
        return self.plan.period_end_day


@dataclass
class OpportunityBatch:
    """A batch of opportunities with their history and line items (positions local to the batch)."""

    account: np.ndarray
    created: np.ndarray  # days (float)
    cycle: np.ndarray
    end: np.ndarray  # closing time (days), or now for open ones
    closed: np.ndarray
    won: np.ndarray
    existing: np.ndarray
    proposal_time: np.ndarray  # when it entered Proposal/Price Quote (inf if never)
    opportunities: Table
    history: Table
    line_items: Table
