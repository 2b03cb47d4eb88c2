"""One seller's CRM records, simulated from their plan row (docs/planted-truth.md explains every mechanism).

`simulate_seller(plan, row)` uses only the plan and a random generator seeded with (seed, row), so a seller's
records are the same whichever chunk they are generated in. Records are neutral numpy columns (times as seconds
or days since 1970-01-01 UTC, money as integer cents, references as positions within the seller's own tables);
`concatenate` joins sellers into a chunk and the writers (salesforce.py, hubspot.py) format them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from crm.generator.model import (
    CALL,
    CALL_RESULT_P,
    CLOSED_LOST,
    CLOSED_WON,
    COVERAGE_LOGIT,
    COVERAGE_SUBJECTS,
    DISCOVERY_LOG,
    DISCOVERY_SUBJECTS,
    EMAIL,
    EXPANSION_LOGIT,
    FC_BEST_CASE,
    FC_CLOSED,
    FC_COMMIT,
    FC_OMITTED,
    FC_PIPELINE,
    FOLLOW_UP_LOG,
    HYGIENE_PUSH_LOG,
    HYGIENE_STALE_LOGIT,
    INDUSTRIES,
    MEETING,
    MULTITHREADING_LOG,
    NEGOTIATION,
    NEGOTIATION_LOG,
    PRODUCTS,
    PROPOSAL,
    PROSPECTING_SUBJECTS,
    PROSPECTING_TOUCHES,
    PURPOSE_ACCOUNT,
    PURPOSE_COVERAGE,
    PURPOSE_DISCOVERY,
    PURPOSE_MANAGER,
    PURPOSE_OPPORTUNITY,
    PURPOSE_PROSPECTING,
    QUALIFICATION_LOGIT,
    SEASONALITY,
    SITUATION_PROFILES,
    SITUATIONS,
    SUBJECTS,
    TASK,
    B,
    SituationProfile,
    logit,
)
from crm.generator.plan import DAY, KEY_BITS, Plan, ramp

# Subjects as one list, so activities store an index.
SUBJECT_LIST: tuple[str, ...] = tuple(
    dict.fromkeys([s for kind in (CALL, EMAIL, MEETING, TASK) for s in SUBJECTS[kind]]
                  + list(PROSPECTING_SUBJECTS) + list(DISCOVERY_SUBJECTS) + list(COVERAGE_SUBJECTS))
)
_SUBJECT_INDEX = {s: i for i, s in enumerate(SUBJECT_LIST)}
_KIND_SUBJECTS = {kind: np.array([_SUBJECT_INDEX[s] for s in SUBJECTS[kind]]) for kind in SUBJECTS}
_PROSPECTING = {CALL: np.array([_SUBJECT_INDEX["Prospecting call"], _SUBJECT_INDEX["Cold call"]]),
                EMAIL: np.array([_SUBJECT_INDEX["Email: Introduction"], _SUBJECT_INDEX["Email: Intro"]])}
_DISCOVERY = np.array([_SUBJECT_INDEX[s] for s in DISCOVERY_SUBJECTS])
_COVERAGE = {CALL: np.array([_SUBJECT_INDEX["Account check-in"]]),
             EMAIL: np.array([_SUBJECT_INDEX["Email: Account update"]]),
             MEETING: np.array([_SUBJECT_INDEX["Quarterly business review"]])}

COVERAGE_BUDGET_SHARE = 0.2
OPPORTUNITY_LABELS: tuple[str, ...] = ("New Business", "Expansion", "Renewal", "Upsell", "Platform Deal",
                                       "Pilot", "Add-on")

# Columns of each neutral table and which columns reference another table's rows.
COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("key", "owner", "name_a", "name_b", "suffix", "customer", "industry", "employees",
                 "revenue", "geo", "source", "created", "parent"),
    "contacts": ("key", "account", "owner", "first", "last", "title", "created"),
    "opportunities": ("key", "account", "owner", "amount", "stage", "close_day", "created", "modified",
                      "existing", "forecast", "lead_source", "label", "is_closed", "is_won", "line_items"),
    "history": ("key", "opportunity", "changed", "stage", "amount", "close_day", "forecast", "by"),
    "line_items": ("key", "opportunity", "product", "quantity", "unit", "total", "created"),
    "activities": ("key", "owner", "kind", "occurred", "duration", "account", "opportunity", "contact",
                   "result", "direction", "subject", "purpose", "created"),
    "quotas": ("owner", "start_day", "end_day", "amount"),
}
REFERENCES: dict[tuple[str, str], str] = {
    ("accounts", "parent"): "accounts",
    ("contacts", "account"): "accounts",
    ("opportunities", "account"): "accounts",
    ("history", "opportunity"): "opportunities",
    ("line_items", "opportunity"): "opportunities",
    ("activities", "account"): "accounts",
    ("activities", "opportunity"): "opportunities",
    ("activities", "contact"): "contacts",
}
KEYED = ("accounts", "contacts", "opportunities", "history", "line_items", "activities")

Table = dict[str, np.ndarray]


@dataclass
class SellerStats:
    """What the truth file reports about one seller's generated records."""

    row: int
    opportunities: int = 0
    won: int = 0
    won_revenue_cents: int = 0  # owned by the seller, closed in completed quarters
    quota_cents: int = 0  # completed quarters
    attainment: float | None = None
    attainment_planted: float | None = None
    manager_deals: int = 0
    manager_won_cents: int = 0
    wins_in_last_two_weeks: int = 0
    wins_in_period: int = 0
    activities: int = 0


@dataclass
class Records:
    """Neutral columns for a group of sellers; references are row positions within the group's tables."""

    tables: dict[str, Table]
    stats: list[SellerStats] = field(default_factory=list)

    def rows(self, table: str) -> int:
        return len(self.tables[table]["key" if table in KEYED else "owner"])


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _round100(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(np.asarray(x) / 100.0), 5).astype(np.int64) * 100


def _month_index(days: np.ndarray) -> np.ndarray:
    """Calendar month (0-11) of day numbers."""
    months = np.floor(days).astype("int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months % 12


def _quarter_end(days: np.ndarray) -> np.ndarray:
    """Day number of the first day after the calendar quarter containing each day."""
    months = np.floor(days).astype("int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    next_quarter = (months // 3 + 1) * 3
    return next_quarter.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _work_time(rng: np.random.Generator, t: np.ndarray, lo: np.ndarray | float, hi: np.ndarray | float,
               ) -> np.ndarray:
    """Seconds since the epoch for activity times given in fractional days: moved off weekends, in office hours
    (08:00-18:00 UTC, whole minutes), kept within [lo, hi) days."""
    day = np.floor(t).astype(np.int64)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    day = day - (weekday == 5) + (weekday == 6)
    lo_day = np.ceil(np.asarray(lo, dtype=float)).astype(np.int64)
    hi_day = np.ceil(np.asarray(hi, dtype=float)).astype(np.int64) - 1
    day = np.minimum(np.maximum(day, lo_day), np.maximum(hi_day, lo_day))
    minutes = rng.integers(8 * 60, 18 * 60, len(t))
    return day * DAY + minutes * 60


def _group_positions(group: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal values (`group` must be sorted)."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


@dataclass
class _Seller:
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
class _Opps:
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


def _accounts(s: _Seller, geo_choices: np.ndarray) -> tuple[Table, Table, np.ndarray]:
    rng, n, profile = s.rng, s.accounts, s.profile
    customer = rng.random(n) < profile.customer_share
    if profile.customer_share >= 1.0:
        customer[:] = True
    size = {"SMB": (20, 250), "Mid-Market": (200, 3000), "Enterprise": (3000, 80000)}[profile.segment]
    employees = np.exp(rng.uniform(np.log(size[0]), np.log(size[1]), n)).astype(np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    if profile.key == "key_accounts" and n > 2:
        parent[1:] = np.where(rng.random(n - 1) < 0.2, 0, -1)
    accounts: Table = {
        "owner": np.full(n, s.owner, dtype=np.int64),
        "name_a": rng.integers(0, 50, n),
        "name_b": rng.integers(0, 40, n),
        "suffix": rng.integers(0, 10, n),
        "customer": customer,
        "industry": rng.integers(0, len(INDUSTRIES), n),
        "employees": employees,
        "revenue": (employees * rng.uniform(80_000, 260_000, n) / 1000).astype(np.int64) * 1000 * 100,
        "geo": geo_choices[rng.integers(0, len(geo_choices), n)],
        "source": rng.integers(0, 5, n),
        "created": (s.p0 - rng.uniform(30, 3000, n)) * DAY,
        "parent": parent,
    }
    lo, hi = profile.contacts_per_account
    per_account = rng.integers(lo, hi + 1, n)
    start = np.r_[0, np.cumsum(per_account)[:-1]]
    total = int(per_account.sum())
    account_of = np.repeat(np.arange(n), per_account)
    contacts: Table = {
        "account": account_of,
        "owner": np.full(total, s.owner, dtype=np.int64),
        "first": rng.integers(0, 36, total),
        "last": rng.integers(0, 30, total),
        "title": rng.integers(0, 16, total),
        "created": np.minimum(accounts["created"][account_of] + rng.uniform(0, 900, total) * DAY,
                              (s.p1 - 1) * DAY),
    }
    accounts["created"] = np.floor(accounts["created"]).astype(np.int64)
    contacts["created"] = np.floor(contacts["created"]).astype(np.int64)
    return accounts, contacts, np.c_[start, per_account]


def _pick_accounts(s: _Seller, existing: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Accounts for opportunities: existing business on customers, new business on prospects; a few accounts
    in each group get most of the deals."""
    rng = s.rng
    chosen = np.empty(len(existing), dtype=np.int64)
    for want, pool in ((True, np.flatnonzero(customer)), (False, np.flatnonzero(~customer))):
        mask = existing == want
        if not mask.any():
            continue
        if len(pool) == 0:
            pool = np.arange(len(customer))
        order = rng.permutation(pool)
        weights = 1.0 / np.power(np.arange(1, len(order) + 1), 0.8)
        chosen[mask] = order[rng.choice(len(order), size=int(mask.sum()), p=weights / weights.sum())]
    return chosen


def _sample_created(s: _Seller, n: int, *, must_close: bool) -> tuple[np.ndarray, np.ndarray]:
    """Creation times and cycle lengths (days) so that closes follow the seasonality; `must_close` keeps only
    deals that close before activity ends (the manager's deals)."""
    rng, (lo, hi) = s.rng, s.profile.cycle_days
    season = np.array(SEASONALITY) / max(SEASONALITY)
    earliest = s.w0 - np.sqrt(lo * hi) if s.w0 <= s.p0 else s.w0
    created_parts, cycle_parts, have, attempts = [], [], 0, 0
    while have < n and attempts < 60:
        attempts += 1
        m = max(2 * (n - have), 16)
        created = rng.uniform(earliest, s.t1, m)
        cycle = np.exp(rng.uniform(np.log(lo), np.log(hi), m) + 0.15 * rng.standard_normal(m))
        close = created + cycle
        keep = (rng.random(m) < season[_month_index(close) // 3]) & (close >= s.p0)
        if must_close:
            keep &= (close < s.t1) & (created >= s.w0)
        created_parts.append(created[keep][: n - have])
        cycle_parts.append(cycle[keep][: n - have])
        have += len(created_parts[-1])
    if not created_parts:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(created_parts), np.concatenate(cycle_parts)


def _opportunities(s: _Seller, n: int, customer: np.ndarray, *, owner: int, forced_won: bool) -> _Opps:
    rng, z, profile = s.rng, s.z, s.profile
    created, cycle = _sample_created(s, n, must_close=forced_won)
    n = len(created)
    p_existing = _sigmoid(logit(profile.existing_share) + EXPANSION_LOGIT * z[B["expansion"]])
    existing = rng.random(n) < p_existing
    if not customer.any():
        existing[:] = False
    elif customer.all():
        existing[:] = True
    account = _pick_accounts(s, existing, customer)

    # Outcome: win probability carries attainment (and offsets prospecting volume); qualification decides
    # how early the lost ones die.
    months_at_close = (created + cycle - s.hire) / 30.4375
    p_win = np.clip(
        profile.win_rate * s.attainment ** 0.65 * ramp(months_at_close)
        * np.exp(-0.35 * z[B["prospecting"]] - s.plan.opportunity_noise[s.row]), 0.03, 0.9,
    )
    won = np.ones(n, dtype=bool) if forced_won else rng.random(n) < p_win
    lost_share = np.clip(
        _sigmoid(-0.2 - QUALIFICATION_LOGIT * z[B["qualification"]] + 0.7 * rng.standard_normal(n)), 0.04, 0.97)
    end = np.where(won, created + cycle, created + lost_share * cycle)
    spiked = np.zeros(n, dtype=bool)
    if s.plan.manager_spike[s.row] and not forced_won:
        spiked = won & (rng.random(n) < 0.65)
        moved = _quarter_end(end) - rng.uniform(0.05, 14.0, n)
        spiked &= moved > end
        end = np.where(spiked, moved, end)
    closed = end < s.t1
    now = np.where(closed, end, s.t1)

    # Stages: the situation's path, entered at fixed shares of the cycle (jittered), then the close.
    path = np.array(profile.stage_path)
    k = len(path)
    p_at = int(np.flatnonzero(path == PROPOSAL)[0])
    base = np.zeros(k)
    base[:p_at] = 0.6 * np.arange(p_at) / p_at
    base[p_at] = 0.6
    base[p_at + 1:] = 0.8
    jitter = np.ones((n, k))
    jitter[:, 1:] = rng.uniform(0.85, 1.12, (n, k - 1))
    share = np.minimum(np.sort(base[None, :] * jitter, axis=1), 0.95)
    entry = created[:, None] + share * cycle[:, None]
    reached = entry < now[:, None]
    reached[:, 0] = True
    if forced_won:
        reached[:] = True
    reached_proposal = reached[:, p_at]
    proposal_time = np.where(reached_proposal, entry[:, p_at], np.inf)

    # Amounts: won deals scale with attainment and are discounted from the proposal amount by negotiation.
    deal = np.exp(np.log(profile.deal_median) + 0.4 * rng.standard_normal(n)) * np.where(existing, 0.75, 1.0)
    if forced_won:
        deal *= 1.3
    won_final = _round100(deal * s.attainment ** 0.35)
    discount = np.clip(0.12 * np.exp(-NEGOTIATION_LOG * z[B["negotiation"]] + 0.35 * rng.standard_normal(n)),
                       0.0, 0.45)
    proposal_amount = np.where(won, _round100(won_final / (1 - discount)), _round100(deal))
    final_amount = np.where(won & closed, won_final, proposal_amount)
    initial_amount = _round100(proposal_amount * rng.uniform(0.8, 1.3, n))

    # Close dates: the current one, then pushes (history rows that only move it later).
    created_day = np.floor(created).astype(np.int64)
    stale_p = _sigmoid(-1.2 - HYGIENE_STALE_LOGIT * z[B["pipeline_hygiene"]])
    stale = ~closed & (rng.random(n) < stale_p) & (s.t1 >= s.p1)
    future = np.maximum(np.ceil(created + cycle), s.p1 + rng.integers(3, 31, n))
    open_close = np.where(stale, s.p1 - rng.integers(3, 61, n), future)
    open_close = np.where(s.t1 < s.p1, np.ceil(created + cycle), open_close)  # a leaver's deals go stale
    final_close = np.where(closed, np.floor(end), open_close).astype(np.int64)
    final_close = np.maximum(final_close, created_day + 1)
    push_rate = 0.8 * np.exp(-HYGIENE_PUSH_LOG * z[B["pipeline_hygiene"]])
    pushes = np.minimum(rng.poisson(push_rate, n), 6) + np.where(spiked, rng.integers(1, 3, n), 0)

    # History rows: stage entries, pushes and the close, in time order per opportunity.
    opp_of_stage = np.repeat(np.arange(n), k)[reached.ravel()]
    stage_rows = np.tile(path, n)[reached.ravel()]
    stage_time = entry.ravel()[reached.ravel()]
    stage_fc = np.full(len(stage_rows), FC_PIPELINE)
    at_proposal, at_negotiation = stage_rows == PROPOSAL, stage_rows == NEGOTIATION
    draw = rng.random(len(stage_rows))
    stage_fc[at_proposal & (draw < 0.5)] = FC_BEST_CASE
    stage_fc[at_negotiation] = np.where(draw[at_negotiation] < 0.6, FC_COMMIT, FC_BEST_CASE)
    opp_of_push = np.repeat(np.arange(n), pushes)
    span = now - created
    push_time = created[opp_of_push] + span[opp_of_push] * rng.uniform(0.03, 0.99, len(opp_of_push))
    # Each push moves the close date 7-35 days; on a short-lived deal the steps shrink to fit its life, so
    # pushes stay visible whatever the deal's length (which qualification and the outcome decide).
    room = np.maximum(final_close - created_day - 1, 0).astype(float)
    fit = np.minimum(1.0, room / np.maximum(pushes * 21.0, 1.0))
    push_step = np.maximum(np.floor(rng.integers(7, 36, len(opp_of_push)) * fit[opp_of_push]), 1).astype(np.int64)
    closers = np.flatnonzero(closed)
    opp = np.concatenate([opp_of_stage, opp_of_push, closers])
    time = np.concatenate([stage_time, push_time, end[closers]])
    stage = np.concatenate([stage_rows, np.full(len(opp_of_push), -1),
                            np.where(won[closers], CLOSED_WON, CLOSED_LOST)])
    fc = np.concatenate([stage_fc, np.full(len(opp_of_push), -1),
                         np.where(won[closers], FC_CLOSED, FC_OMITTED)])
    step = np.concatenate([np.zeros(len(opp_of_stage), dtype=np.int64), push_step,
                           np.zeros(len(closers), dtype=np.int64)])
    order = np.lexsort((time, opp))
    opp, time, stage, fc, step = opp[order], time[order], stage[order], fc[order], step[order]
    carry = np.maximum.accumulate(np.where(stage >= 0, np.arange(len(stage)), 0))
    stage_now, fc_now = stage[carry], fc[carry]
    total_steps = np.bincount(opp, weights=step, minlength=n).astype(np.int64)
    cumulative = np.cumsum(step)
    first_of = np.r_[0, np.flatnonzero(opp[1:] != opp[:-1]) + 1] if len(opp) else np.zeros(0, np.int64)
    before = np.repeat(cumulative[first_of] - step[first_of], np.diff(np.r_[first_of, len(opp)]))
    done = cumulative - before
    close_day = np.maximum(final_close[opp] - (total_steps[opp] - done), created_day[opp] + 1)
    amount = np.where(stage_now < PROPOSAL, initial_amount[opp], proposal_amount[opp])
    amount = np.where(stage_now == CLOSED_WON, final_amount[opp], amount)
    amount = np.where((stage_now == CLOSED_LOST) & ~reached_proposal[opp], initial_amount[opp], amount)
    history: Table = {
        "opportunity": opp,
        "changed": np.floor(time * DAY).astype(np.int64),
        "stage": stage_now,
        "amount": amount * 100,
        "close_day": close_day,
        "forecast": fc_now,
        "by": np.full(len(opp), owner, dtype=np.int64),
    }
    last = np.r_[first_of[1:] - 1, len(opp) - 1] if len(opp) else np.zeros(0, np.int64)

    # Line items: one to three products adding up to the amount.
    items = rng.choice(3, n, p=[0.5, 0.3, 0.2]) + 1
    first_share = np.where(items == 1, 1.0, np.where(items == 2, rng.uniform(0.5, 0.8, n),
                                                      rng.uniform(0.4, 0.6, n)))
    t1 = np.where(items == 1, final_amount, _round100(final_amount * first_share))
    t2 = np.where(items == 3, _round100(final_amount * rng.uniform(0.15, 0.3, n)), final_amount - t1)
    t3 = final_amount - t1 - t2
    bad = ((items >= 2) & (t2 <= 0)) | ((items == 3) & (t3 <= 0))
    items = np.where(bad, 1, items)
    t1 = np.where(bad, final_amount, t1)
    li_opp = np.repeat(np.arange(n), items)
    position = _group_positions(li_opp)
    totals = np.stack([t1, t2, t3], axis=1)[li_opp, position]
    product = np.where(position == 0, np.where(existing[li_opp], rng.integers(1, len(PRODUCTS), len(li_opp)), 0),
                       rng.integers(1, len(PRODUCTS), len(li_opp)))
    seats = product == len(PRODUCTS) - 1
    quantity = np.where(seats, rng.choice(np.array([5, 10, 20, 50, 100]), len(li_opp)), 1)
    line_items: Table = {
        "opportunity": li_opp,
        "product": product,
        "quantity": quantity,
        "unit": totals * 100 // quantity,
        "total": totals * 100,
        "created": np.floor(created[li_opp] * DAY).astype(np.int64) + 600,
    }
    opportunities: Table = {
        "account": account,
        "owner": np.full(n, owner, dtype=np.int64),
        "amount": final_amount * 100,
        "stage": stage_now[last] if n else np.zeros(0, np.int64),
        "close_day": final_close,
        "created": np.floor(created * DAY).astype(np.int64),
        "modified": history["changed"][last] if n else np.zeros(0, np.int64),
        "existing": existing,
        "forecast": fc_now[last] if n else np.zeros(0, np.int64),
        "lead_source": np.where(existing, 4, rng.integers(0, 6, n)),
        "label": np.where(existing, rng.integers(1, 4, n), np.where(rng.random(n) < 0.7, 0, 4)),
        "is_closed": closed,
        "is_won": won & closed,
        "line_items": items,
    }
    return _Opps(account=account, created=created, cycle=cycle, end=now, closed=closed, won=won & closed,
                 existing=existing, proposal_time=proposal_time, opportunities=opportunities, history=history,
                 line_items=line_items)


def _kinds(rng: np.random.Generator, mix: tuple[float, ...], n: int, *, meetings: bool) -> np.ndarray:
    p = np.array(mix, dtype=float)
    if not meetings:
        p[MEETING] = 0.0
    return rng.choice(4, n, p=p / p.sum())


def _subjects(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    out = np.empty(len(kind), dtype=np.int64)
    for k, choices in _KIND_SUBJECTS.items():
        mask = kind == k
        out[mask] = choices[rng.integers(0, len(choices), int(mask.sum()))]
    return out


def _activities(s: _Seller, opps: _Opps, accounts: Table, contact_index: np.ndarray, budget: int) -> Table:
    """The seller's activities: on opportunities (follow-up, discovery, multi-threading), prospecting
    sequences, coverage touches, then account-level activities up to the budget (activity volume)."""
    rng, z, profile, plan = s.rng, s.z, s.profile, s.plan
    n_acc = len(accounts["customer"])
    contacts_start, contacts_count = contact_index[:, 0], contact_index[:, 1]
    w0, t1 = s.w0, s.t1

    # Opportunity activities: spread over each opportunity's open life in the period; follow-up sets the gap.
    a0 = np.maximum(opps.created, w0)
    a1 = np.minimum(opps.end, t1)
    life = np.maximum(a1 - a0, 0.0)
    mean_cycle = np.sqrt(profile.cycle_days[0] * profile.cycle_days[1])
    base_gap = (profile.opportunities_per_year * 0.8 * mean_cycle
                / (profile.opportunity_share * profile.activities_per_week * 52))
    gap = base_gap * plan.opportunity_scale / plan.activity_scale * np.exp(
        -FOLLOW_UP_LOG * z[B["follow_up"]] + 0.08 * rng.standard_normal())
    # A cadence, not random points: the gap between consecutive activities does not depend on how long the
    # deal lives (which qualification and the outcome decide).
    on_opp = np.floor(life / gap + rng.random(len(life))).astype(np.int64)
    o_opp = np.repeat(np.arange(len(life)), on_opp)
    step = _group_positions(o_opp)
    o_time = np.clip(a0[o_opp] + gap * (step + 0.5 + 0.3 * rng.standard_normal(len(o_opp))),
                     a0[o_opp], np.maximum(a1[o_opp] - 1e-3, a0[o_opp]))
    early = o_time < opps.proposal_time[o_opp]
    o_kind = _kinds(rng, profile.mix, len(o_opp), meetings=False)
    o_kind = np.where(~early & (rng.random(len(o_opp)) < 0.15), MEETING, o_kind)
    o_purpose = np.full(len(o_opp), PURPOSE_OPPORTUNITY)
    o_subject = _subjects(rng, o_kind)
    # Discovery: some activities before the proposal become discovery meetings (they replace, not add).
    discovery = rng.poisson(profile.discovery_meetings * np.exp(DISCOVERY_LOG * z[B["discovery"]]), len(life))
    rank = np.lexsort((rng.random(len(o_opp)), ~early, o_opp))
    early_rank = np.empty(len(o_opp), dtype=np.int64)
    early_rank[rank] = _group_positions(o_opp[rank])
    meet = early & (early_rank < discovery[o_opp])
    o_kind = np.where(meet, MEETING, o_kind)
    o_purpose = np.where(meet, PURPOSE_DISCOVERY, o_purpose)
    o_subject = np.where(meet, _DISCOVERY[rng.integers(0, len(_DISCOVERY), len(o_opp))], o_subject)
    # Where the cadence has fewer early slots than planned meetings, the rest are added (not capped, so
    # discovery does not depend on follow-up).
    early_slots = np.bincount(o_opp[early], minlength=len(life))
    disc_end = np.minimum(opps.proposal_time, a1)
    missing = np.where(disc_end > a0, np.maximum(discovery - early_slots, 0), 0)
    x_opp = np.repeat(np.arange(len(life)), missing)
    x_time = a0[x_opp] + rng.random(len(x_opp)) * (disc_end - a0)[x_opp]
    # Multi-threading: each opportunity cycles through its own few contacts of the account; where it has
    # fewer activities than contacts to reach, emails to the others are added.
    available = contacts_count[opps.account]
    threads = np.clip(np.round(profile.contacts_per_deal * np.exp(
        MULTITHREADING_LOG * z[B["multithreading"]] + 0.25 * rng.standard_normal(len(life)))), 1,
        available).astype(np.int64)
    have = np.bincount(o_opp, minlength=len(life)) + missing
    short = np.where(life > 0, np.maximum(threads - have, 0), 0)
    y_opp = np.repeat(np.arange(len(life)), short)
    y_time = a0[y_opp] + rng.random(len(y_opp)) * life[y_opp]
    o_opp = np.concatenate([o_opp, x_opp, y_opp])
    o_time = np.concatenate([o_time, x_time, y_time])
    o_kind = np.concatenate([o_kind, np.full(len(x_opp), MEETING), np.full(len(y_opp), EMAIL)])
    o_purpose = np.concatenate([o_purpose, np.full(len(x_opp), PURPOSE_DISCOVERY),
                                np.full(len(y_opp), PURPOSE_OPPORTUNITY)])
    o_subject = np.concatenate([o_subject, _DISCOVERY[rng.integers(0, len(_DISCOVERY), len(x_opp))],
                                _KIND_SUBJECTS[EMAIL][rng.integers(0, len(_KIND_SUBJECTS[EMAIL]), len(y_opp))]])
    order = np.argsort(o_opp, kind="stable")
    o_opp, o_time, o_kind, o_purpose, o_subject = (
        o_opp[order], o_time[order], o_kind[order], o_purpose[order], o_subject[order])
    o_account = opps.account[o_opp]
    rotation = rng.integers(0, 1 << 30, len(life))
    position = _group_positions(o_opp)
    o_contact = contacts_start[o_account] + (rotation[o_opp] + position % threads[o_opp]) % available[o_opp]

    # Prospecting: sequences of outbound calls and emails to prospects with no opportunity.
    weeks = max(t1 - w0, 0.0) / 7.0
    touches = int(rng.poisson(profile.prospecting_per_week * weeks * plan.activity_scale
                              * np.exp(PROSPECTING_TOUCHES * z[B["prospecting"]])))
    with_opps = np.zeros(n_acc, dtype=bool)
    with_opps[opps.account] = True
    pool = np.flatnonzero(~accounts["customer"] & ~with_opps)
    if len(pool) == 0:
        pool = np.flatnonzero(~with_opps)
    if len(pool) == 0:
        pool = np.arange(n_acc)
    lengths = rng.integers(3, 9, touches // 3 + 1)
    lengths = lengths[: int(np.searchsorted(np.cumsum(lengths), touches)) + 1]
    if len(lengths):
        lengths[-1] -= int(lengths.sum()) - touches
    lengths = lengths[lengths > 0]
    seq_of = np.repeat(np.arange(len(lengths)), lengths)
    seq_start = rng.uniform(w0, max(w0, t1 - 14), len(lengths))
    steps = rng.uniform(1, 6, touches)
    running = np.cumsum(steps)
    firsts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64) if len(lengths) else np.zeros(0, np.int64)
    within = running - np.repeat(running[firsts] - steps[firsts], lengths) if touches else steps
    p_time = np.minimum(seq_start[seq_of] + within, t1 - 0.01)
    p_account = pool[rng.integers(0, len(pool), len(lengths))][seq_of]
    p_kind = np.where(rng.random(touches) < 0.55, CALL, EMAIL)
    p_subject = np.where(p_kind == CALL, _PROSPECTING[CALL][rng.integers(0, 2, touches)],
                         _PROSPECTING[EMAIL][rng.integers(0, 2, touches)])
    p_contact = contacts_start[p_account] + rng.integers(0, 1 << 30, touches) % contacts_count[p_account]

    # Coverage: in each quarter, reach the planted share of the book; touch accounts not reached otherwise.
    # Coverage touches take at most a fifth of the expected budget: a big book or a scaled-down export
    # (fewer logged activities) means a smaller share of the book reached per quarter.
    affordable = COVERAGE_BUDGET_SHARE * profile.activities_per_week * plan.activity_scale * 13 / max(n_acc, 1)
    base_coverage = min(profile.coverage, affordable)
    coverage = _sigmoid(logit(base_coverage) + COVERAGE_LOGIT * z[B["account_coverage"]]
                        + 0.15 * rng.standard_normal())
    c_account_parts, c_time_parts = [], []
    touched_account = np.concatenate([o_account, p_account])
    touched_time = np.concatenate([o_time, p_time])
    order_pref = np.r_[rng.permutation(np.flatnonzero(accounts["customer"])),
                       rng.permutation(np.flatnonzero(~accounts["customer"]))]
    for quarter in plan.quarters:
        lo, hi = max(quarter.start, w0), min(quarter.end, t1)
        if hi <= lo:
            continue
        share = (hi - lo) / (quarter.end - quarter.start)
        target = round(float(_sigmoid(logit(float(coverage)) + 0.1 * rng.standard_normal())) * n_acc * share)
        in_quarter = (touched_time >= lo) & (touched_time < hi)
        reached = np.zeros(n_acc, dtype=bool)
        reached[touched_account[in_quarter]] = True
        need = target - int(reached.sum())
        if need <= 0:
            continue
        candidates = order_pref[~reached[order_pref]][:need]
        c_account_parts.append(candidates)
        c_time_parts.append(rng.uniform(lo, hi, len(candidates)))
    c_account = np.concatenate(c_account_parts) if c_account_parts else np.zeros(0, np.int64)
    c_time = np.concatenate(c_time_parts) if c_time_parts else np.zeros(0)
    meeting_share = 0.35 if profile.key == "key_accounts" else 0.1
    c_kind = rng.choice(np.array([CALL, EMAIL, MEETING]), len(c_account),
                        p=[(1 - meeting_share) / 2, (1 - meeting_share) / 2, meeting_share])
    c_subject = np.empty(len(c_kind), dtype=np.int64)
    for k, choices in _COVERAGE.items():
        c_subject[c_kind == k] = choices[0]
    c_contact = contacts_start[c_account] + rng.integers(0, 1 << 30, len(c_account)) % contacts_count[c_account]

    # Activity volume: fill the budget with account-level activities beside the opportunity work, or trim.
    parts = {
        "opportunity": o_opp, "time": o_time, "kind": o_kind, "purpose": o_purpose, "subject": o_subject,
        "account": o_account, "contact": o_contact,
    }
    n_o, n_p, n_c = len(o_opp), touches, len(c_account)
    filler = budget - (n_o + n_p + n_c)
    keep_o, keep_p, keep_c = np.ones(n_o, bool), np.ones(n_p, bool), np.ones(n_c, bool)
    f_time = np.zeros(0)
    f_account = f_contact = f_kind = f_subject = np.zeros(0, np.int64)
    if filler < 0:
        # Over budget (low volume with much prospecting, coverage and follow-up): drop prospecting touches
        # first (prospecting shows mainly in opportunities created), then coverage, then deal activities.
        excess = -filler
        for keep in (keep_p, keep_c, keep_o):
            drop = min(excess, len(keep))
            if drop:
                keep[rng.choice(len(keep), drop, replace=False)] = False
                excess -= drop
    elif filler > 0:
        if n_o:
            anchor = rng.integers(0, n_o, filler)
            anchor_opp = o_opp[anchor]
            quarter_start = np.array([q.start for q in plan.quarters], dtype=float)
            q_index = np.searchsorted(quarter_start, o_time[anchor], side="right") - 1
            quarter_end = np.array([q.end for q in plan.quarters], dtype=float)
            lo = np.maximum(a0[anchor_opp], quarter_start[q_index])
            hi = np.minimum(a1[anchor_opp], quarter_end[q_index])
            f_time = np.clip(o_time[anchor] + 3.0 * rng.standard_normal(filler), lo, np.maximum(hi - 1e-3, lo))
            f_account, f_contact = o_account[anchor], o_contact[anchor]
        else:
            f_account = rng.integers(0, n_acc, filler)
            f_time = rng.uniform(w0, t1, filler)
            f_contact = contacts_start[f_account] + rng.integers(0, 1 << 30, filler) % contacts_count[f_account]
        f_kind = _kinds(rng, profile.mix, filler, meetings=False)
        f_subject = _subjects(rng, f_kind)
    n_f = len(f_time)

    opportunity = np.concatenate([parts["opportunity"][keep_o], np.full(int(keep_p.sum()) + int(keep_c.sum())
                                                                        + n_f, -1)])
    time = np.concatenate([o_time[keep_o], p_time[keep_p], c_time[keep_c], f_time])
    kind = np.concatenate([o_kind[keep_o], p_kind[keep_p], c_kind[keep_c], f_kind])
    purpose = np.concatenate([o_purpose[keep_o], np.full(int(keep_p.sum()), PURPOSE_PROSPECTING),
                              np.full(int(keep_c.sum()), PURPOSE_COVERAGE), np.full(n_f, PURPOSE_ACCOUNT)])
    subject = np.concatenate([o_subject[keep_o], p_subject[keep_p], c_subject[keep_c], f_subject])
    account = np.concatenate([o_account[keep_o], p_account[keep_p], c_account[keep_c], f_account])
    contact = np.concatenate([o_contact[keep_o], p_contact[keep_p], c_contact[keep_c], f_contact])
    n = len(time)
    direction = np.where(kind == EMAIL, 1, -1)
    is_call = kind == CALL
    outbound_p = np.where(purpose == PURPOSE_ACCOUNT, 0.7, np.where(purpose == PURPOSE_OPPORTUNITY, 0.85, 1.0))
    direction = np.where(is_call, (rng.random(n) < outbound_p).astype(np.int64), direction)
    return _finish_activities(s, time=time, kind=kind, purpose=purpose, subject=subject, account=account,
                              contact=contact, opportunity=opportunity, direction=direction, owner=s.owner)


def _finish_activities(s: _Seller, *, time: np.ndarray, kind: np.ndarray, purpose: np.ndarray,
                       subject: np.ndarray, account: np.ndarray, contact: np.ndarray, opportunity: np.ndarray,
                       direction: np.ndarray, owner: int) -> Table:
    rng, n = s.rng, len(time)
    occurred = _work_time(rng, time, s.w0, s.t1)
    result = np.where(kind == CALL, rng.choice(len(CALL_RESULT_P), n, p=CALL_RESULT_P), -1)
    connected = result == 0
    duration = np.full(n, -1, dtype=np.int64)
    duration = np.where(kind == CALL, np.where(
        connected, np.clip(np.exp(np.log(480) + 0.6 * rng.standard_normal(n)), 60, 3600).astype(np.int64),
        rng.integers(5, 45, n)), duration)
    meeting_minutes = np.where(purpose == PURPOSE_DISCOVERY, rng.choice(np.array([45, 60]), n),
                               rng.choice(np.array([30, 45, 60, 90]), n, p=[0.35, 0.15, 0.4, 0.1]))
    duration = np.where(kind == MEETING, meeting_minutes * 60, duration)
    occurred = np.where(kind == MEETING, occurred // 1800 * 1800, occurred)
    created = np.where(kind == MEETING, occurred - rng.integers(1, 10, n) * DAY,
                       np.where(kind == TASK, occurred - rng.integers(0, 3, n) * DAY, occurred))
    order = np.lexsort((occurred,))
    return {
        "owner": np.full(n, owner, dtype=np.int64),
        "kind": kind[order],
        "occurred": occurred[order],
        "duration": duration[order],
        "account": account[order],
        "opportunity": opportunity[order],
        "contact": contact[order],
        "result": result[order],
        "direction": direction[order],
        "subject": subject[order],
        "purpose": purpose[order],
        "created": np.maximum(created[order], s.p0 * DAY - 5 * DAY),
    }


def _manager_activities(s: _Seller, opps: _Opps, contact_index: np.ndarray, budget: int) -> Table:
    """The manager's own meetings and calls on the deals they took over, late in each deal."""
    rng = s.rng
    n_opps = len(opps.created)
    if budget <= 0 or n_opps == 0:
        return _finish_activities(s, **{k: np.zeros(0, np.int64) for k in (
            "time", "kind", "purpose", "subject", "account", "contact", "opportunity", "direction")},
            owner=s.manager)
    life = np.maximum(opps.end - np.maximum(opps.created, s.w0), 0.01)
    opp = np.sort(rng.choice(n_opps, budget, p=life / life.sum()))
    start = np.maximum(opps.created, s.w0)[opp] + 0.6 * life[opp]
    time = start + rng.random(budget) * 0.4 * life[opp]
    kind = np.where(rng.random(budget) < 0.55, MEETING, CALL)
    account = opps.account[opp]
    contact = contact_index[account, 0] + rng.integers(0, 1 << 30, budget) % contact_index[account, 1]
    subject = np.where(kind == MEETING, _SUBJECT_INDEX["Negotiation meeting"], _SUBJECT_INDEX["Pricing call"])
    return _finish_activities(
        s, time=time, kind=kind, purpose=np.full(budget, PURPOSE_MANAGER), subject=subject, account=account,
        contact=contact, opportunity=opp, direction=np.where(kind == CALL, 1, -1), owner=s.manager)


def _quotas(s: _Seller, opps: _Opps, stats: SellerStats) -> Table:
    """Quarterly quotas, prorated to employment, set so that won / quota over the completed quarters is the
    planted attainment (with ramp)."""
    plan, profile = s.plan, s.profile
    owners, starts, ends, weights, ramps, completed = [], [], [], [], [], []
    for quarter in plan.quarters:
        lo, hi = max(quarter.start, s.w0), min(quarter.end, s.t1)
        if hi <= lo:
            continue
        prorate = (hi - lo) / (quarter.end - quarter.start)
        mid = (quarter.start + quarter.end) / 2
        starts.append(quarter.start)
        ends.append(quarter.end - 1)
        weights.append(quarter.season * prorate)
        ramps.append(float(ramp((mid - s.hire) / 30.4375)))
        completed.append(quarter.completed)
        owners.append(s.owner)
    w, r, c = np.array(weights), np.array(ramps), np.array(completed, dtype=bool)
    close = opps.opportunities["close_day"]
    in_completed = np.zeros(len(close), dtype=bool)
    for start, end, done in zip(starts, ends, completed, strict=True):
        if done:
            in_completed |= (close >= start) & (close <= end)
    won_cents = int(opps.opportunities["amount"][opps.won & in_completed].sum())
    natural = (profile.opportunities_per_year * profile.win_rate * profile.deal_median * 100 / 4
               * plan.quota_scale)
    planted = None
    if c.any() and w[c].sum() > 0:
        planted = s.attainment * float((r[c] * w[c]).sum() / w[c].sum())
    calibrated = planted is not None and won_cents > 0
    per_quarter = won_cents / (planted * float(w[c].sum())) if calibrated and planted else natural
    amount = np.maximum(np.round(per_quarter * w / 10_000), 1).astype(np.int64) * 10_000
    stats.won_revenue_cents = won_cents
    stats.quota_cents = int(amount[c].sum())
    stats.attainment_planted = planted
    stats.attainment = won_cents / stats.quota_cents if planted is not None and stats.quota_cents else None
    return {"owner": np.array(owners, dtype=np.int64), "start_day": np.array(starts, dtype=np.int64),
            "end_day": np.array(ends, dtype=np.int64), "amount": amount}


def _empty_table(name: str) -> Table:
    return {c: np.zeros(0, dtype=np.int64) for c in COLUMNS[name] if c != "key"}


def _merge(a: Table, b: Table, offsets: dict[str, int], table: str) -> Table:
    """Rows of `b` after the rows of `a`, with b's references shifted by `offsets` (per referenced table)."""
    out = {}
    for column in a:
        values = b[column]
        target = REFERENCES.get((table, column))
        if target is not None and offsets.get(target):
            values = np.where(values >= 0, values + offsets[target], values)
        out[column] = np.concatenate([a[column], values])
    return out


def simulate_seller(plan: Plan, row: int, geo_choices: np.ndarray) -> Records:
    """All records of the seller in plan row `row` (without keys), and the numbers the truth file reports."""
    situation = SITUATIONS[int(plan.situation[row])]
    s = _Seller(
        plan=plan, row=row, rng=np.random.default_rng([plan.config.seed, 1, row]),
        profile=SITUATION_PROFILES[situation], z=plan.skills[row], owner=int(plan.user_index[row]),
        manager=int(plan.manager_user_index[row]), w0=float(plan.window_start[row]),
        t1=float(plan.window_end[row]), hire=float(plan.hire_day[row]),
        attainment=float(plan.attainment_steady[row]), accounts=int(plan.accounts[row]),
    )
    stats = SellerStats(row=row)
    tables = {name: _empty_table(name) for name in COLUMNS}
    if s.t1 <= s.w0 or s.accounts == 0:
        return Records(tables=tables, stats=[stats])
    accounts, contacts, contact_index = _accounts(s, geo_choices)
    tables["accounts"], tables["contacts"] = accounts, contacts
    opps = _opportunities(s, int(plan.opportunities[row]), accounts["customer"], owner=s.owner, forced_won=False)
    deals = int(plan.manager_deals[row]) if s.manager >= 0 else 0
    managed = _opportunities(s, deals, accounts["customer"], owner=s.manager, forced_won=True) if deals else None
    budget, manager_budget = int(plan.activities[row]), int(plan.manager_activities[row])
    if managed is None or len(managed.created) == 0:
        budget, manager_budget = budget + manager_budget, 0  # no deal for the manager to work on
    activities = _activities(s, opps, accounts, contact_index, budget)
    tables["opportunities"], tables["history"], tables["line_items"] = (
        opps.opportunities, opps.history, opps.line_items)
    tables["activities"] = activities
    if not plan.crm_only[row]:
        tables["quotas"] = _quotas(s, opps, stats)
    stats.opportunities = len(opps.created)
    stats.won = int(opps.won.sum())
    won_close = opps.opportunities["close_day"][opps.won]
    in_period = (won_close >= s.p0) & (won_close < s.p1)
    stats.wins_in_period = int(in_period.sum())
    stats.wins_in_last_two_weeks = int((in_period & (_quarter_end(won_close) - won_close <= 14)).sum())

    if managed is not None:
        manager_acts = _manager_activities(s, managed, contact_index, manager_budget)
        offsets = {"opportunities": len(opps.created)}
        tables["opportunities"] = _merge(tables["opportunities"], managed.opportunities, offsets, "opportunities")
        tables["history"] = _merge(tables["history"], managed.history, offsets, "history")
        tables["line_items"] = _merge(tables["line_items"], managed.line_items, offsets, "line_items")
        tables["activities"] = _merge(tables["activities"], manager_acts, offsets, "activities")
        stats.manager_deals = len(managed.created)
        stats.manager_won_cents = int(managed.opportunities["amount"].sum())
    stats.activities = len(tables["activities"]["kind"])
    return Records(tables=tables, stats=[stats])


def concatenate(parts: list[Records], rows: list[int]) -> Records:
    """Join sellers' records into one group: references shifted to group positions, keys assigned per seller
    block ((row + 1) << KEY_BITS | position), so keys do not depend on the grouping."""
    tables: dict[str, Table] = {}
    for name, columns in COLUMNS.items():
        pieces: dict[str, list[np.ndarray]] = {c: [] for c in columns}
        for part, row in zip(parts, rows, strict=True):
            table = part.tables[name]
            size = len(next(iter(table.values())))
            if name in KEYED:
                pieces["key"].append(((row + 1) << KEY_BITS) + np.arange(size, dtype=np.int64))
            for column in columns:
                if column != "key":
                    pieces[column].append(table[column])
        tables[name] = {c: (np.concatenate(v) if v else np.zeros(0, np.int64)) for c, v in pieces.items()}
    # Shift references: each part's positions are local to the part.
    for (name, column), target in REFERENCES.items():
        shifted = []
        offset = 0
        for part in parts:
            values = part.tables[name][column]
            shifted.append(np.where(values >= 0, values + offset, values))
            offset += len(next(iter(part.tables[target].values())))
        tables[name][column] = np.concatenate(shifted) if shifted else np.zeros(0, np.int64)
    stats = [st for part in parts for st in part.stats]
    return Records(tables=tables, stats=stats)
