"""One seller's CRM records, simulated from their plan row (docs/planted-truth.md explains every mechanism).

`simulate_seller(plan, row)` uses only the plan and a random generator seeded with (seed, row), so a seller's
records are the same whichever chunk they are generated in. Records are neutral numpy columns (times as
seconds
or days since 1970-01-01 UTC, money as integer cents, references as positions within the seller's own tables);
`concatenate` joins sellers into a chunk and the writers (salesforce.py, hubspot.py) format them.
"""

from __future__ import annotations

import numpy as np

# Subjects as one list, so activities store an index.
from demo.generator.activities import manager_activities, seller_activities
from demo.generator.context import (
    OpportunityBatch,
    SellerContext,
    group_positions,
    month_index,
    quarter_end,
    round_hundreds,
    sigmoid,
)
from demo.generator.model import (
    CLOSED_LOST,
    CLOSED_WON,
    EXPANSION_LOGIT,
    FC_BEST_CASE,
    FC_CLOSED,
    FC_COMMIT,
    FC_OMITTED,
    FC_PIPELINE,
    HYGIENE_PUSH_LOG,
    HYGIENE_STALE_LOGIT,
    INDUSTRIES,
    NEGOTIATION,
    NEGOTIATION_LOG,
    PRODUCTS,
    PROPOSAL,
    QUALIFICATION_LOGIT,
    SEASONALITY,
    B,
    logit,
)
from demo.generator.plan import DAY, Plan, ramp
from demo.generator.records import COLUMNS, Records, SellerStats, Table, empty_table, merge_tables

OPPORTUNITY_LABELS: tuple[str, ...] = (
    "New Business",
    "Expansion",
    "Renewal",
    "Upsell",
    "Platform Deal",
    "Pilot",
    "Add-on",
)


def _accounts(s: SellerContext, geo_choices: np.ndarray) -> tuple[Table, Table, np.ndarray]:
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
        "created": np.minimum(
            accounts["created"][account_of] + rng.uniform(0, 900, total) * DAY, (s.p1 - 1) * DAY
        ),
    }
    accounts["created"] = np.floor(accounts["created"]).astype(np.int64)
    contacts["created"] = np.floor(contacts["created"]).astype(np.int64)
    return accounts, contacts, np.c_[start, per_account]


def _pick_accounts(s: SellerContext, existing: np.ndarray, customer: np.ndarray) -> np.ndarray:
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


def _sample_created(s: SellerContext, n: int, *, must_close: bool) -> tuple[np.ndarray, np.ndarray]:
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
        keep = (rng.random(m) < season[month_index(close) // 3]) & (close >= s.p0)
        if must_close:
            keep &= (close < s.t1) & (created >= s.w0)
        created_parts.append(created[keep][: n - have])
        cycle_parts.append(cycle[keep][: n - have])
        have += len(created_parts[-1])
    if not created_parts:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(created_parts), np.concatenate(cycle_parts)


def _opportunities(
    s: SellerContext, n: int, customer: np.ndarray, *, owner: int, forced_won: bool
) -> OpportunityBatch:
    rng, z, profile = s.rng, s.z, s.profile
    created, cycle = _sample_created(s, n, must_close=forced_won)
    n = len(created)
    p_existing = sigmoid(logit(profile.existing_share) + EXPANSION_LOGIT * z[B["expansion"]])
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
        profile.win_rate
        * s.attainment**0.65
        * ramp(months_at_close)
        * np.exp(-0.35 * z[B["prospecting"]] - s.plan.opportunity_noise[s.row]),
        0.03,
        0.9,
    )
    won = np.ones(n, dtype=bool) if forced_won else rng.random(n) < p_win
    lost_share = np.clip(
        sigmoid(-0.2 - QUALIFICATION_LOGIT * z[B["qualification"]] + 0.7 * rng.standard_normal(n)), 0.04, 0.97
    )
    end = np.where(won, created + cycle, created + lost_share * cycle)
    spiked = np.zeros(n, dtype=bool)
    if s.plan.manager_spike[s.row] and not forced_won:
        spiked = won & (rng.random(n) < 0.65)
        moved = quarter_end(end) - rng.uniform(0.05, 14.0, n)
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
    base[p_at + 1 :] = 0.8
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
    won_final = round_hundreds(deal * s.attainment**0.35)
    discount = np.clip(
        0.12 * np.exp(-NEGOTIATION_LOG * z[B["negotiation"]] + 0.35 * rng.standard_normal(n)), 0.0, 0.45
    )
    proposal_amount = np.where(won, round_hundreds(won_final / (1 - discount)), round_hundreds(deal))
    final_amount = np.where(won & closed, won_final, proposal_amount)
    initial_amount = round_hundreds(proposal_amount * rng.uniform(0.8, 1.3, n))

    # Close dates: the current one, then pushes (history rows that only move it later).
    created_day = np.floor(created).astype(np.int64)
    stale_p = sigmoid(-1.2 - HYGIENE_STALE_LOGIT * z[B["pipeline_hygiene"]])
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
    push_step = np.maximum(np.floor(rng.integers(7, 36, len(opp_of_push)) * fit[opp_of_push]), 1).astype(
        np.int64
    )
    closers = np.flatnonzero(closed)
    opp = np.concatenate([opp_of_stage, opp_of_push, closers])
    time = np.concatenate([stage_time, push_time, end[closers]])
    stage = np.concatenate(
        [stage_rows, np.full(len(opp_of_push), -1), np.where(won[closers], CLOSED_WON, CLOSED_LOST)]
    )
    fc = np.concatenate(
        [stage_fc, np.full(len(opp_of_push), -1), np.where(won[closers], FC_CLOSED, FC_OMITTED)]
    )
    step = np.concatenate(
        [np.zeros(len(opp_of_stage), dtype=np.int64), push_step, np.zeros(len(closers), dtype=np.int64)]
    )
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
    first_share = np.where(
        items == 1, 1.0, np.where(items == 2, rng.uniform(0.5, 0.8, n), rng.uniform(0.4, 0.6, n))
    )
    t1 = np.where(items == 1, final_amount, round_hundreds(final_amount * first_share))
    t2 = np.where(items == 3, round_hundreds(final_amount * rng.uniform(0.15, 0.3, n)), final_amount - t1)
    t3 = final_amount - t1 - t2
    bad = ((items >= 2) & (t2 <= 0)) | ((items == 3) & (t3 <= 0))
    items = np.where(bad, 1, items)
    t1 = np.where(bad, final_amount, t1)
    li_opp = np.repeat(np.arange(n), items)
    position = group_positions(li_opp)
    totals = np.stack([t1, t2, t3], axis=1)[li_opp, position]
    product = np.where(
        position == 0,
        np.where(existing[li_opp], rng.integers(1, len(PRODUCTS), len(li_opp)), 0),
        rng.integers(1, len(PRODUCTS), len(li_opp)),
    )
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
    return OpportunityBatch(
        account=account,
        created=created,
        cycle=cycle,
        end=now,
        closed=closed,
        won=won & closed,
        existing=existing,
        proposal_time=proposal_time,
        opportunities=opportunities,
        history=history,
        line_items=line_items,
    )


def _quotas(s: SellerContext, opps: OpportunityBatch, stats: SellerStats) -> Table:
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
    natural = (
        profile.opportunities_per_year * profile.win_rate * profile.deal_median * 100 / 4 * plan.quota_scale
    )
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
    return {
        "owner": np.array(owners, dtype=np.int64),
        "start_day": np.array(starts, dtype=np.int64),
        "end_day": np.array(ends, dtype=np.int64),
        "amount": amount,
    }


def simulate_seller(plan: Plan, row: int, geo_choices: np.ndarray) -> Records:
    """All records of the seller in plan row `row` (without keys), and the numbers the truth file reports."""
    s = SellerContext(
        plan=plan,
        row=row,
        rng=np.random.default_rng([plan.config.seed, 1, row]),
        profile=plan.profiles[int(plan.situation[row])],
        z=plan.skills[row],
        owner=int(plan.user_index[row]),
        manager=int(plan.manager_user_index[row]),
        w0=float(plan.window_start[row]),
        t1=float(plan.window_end[row]),
        hire=float(plan.hire_day[row]),
        attainment=float(plan.attainment_steady[row]),
        accounts=int(plan.accounts[row]),
    )
    stats = SellerStats(row=row)
    tables = {name: empty_table(name) for name in COLUMNS}
    if s.t1 <= s.w0 or s.accounts == 0:
        return Records(tables=tables, stats=[stats])
    accounts, contacts, contact_index = _accounts(s, geo_choices)
    tables["accounts"], tables["contacts"] = accounts, contacts
    opps = _opportunities(
        s, int(plan.opportunities[row]), accounts["customer"], owner=s.owner, forced_won=False
    )
    deals = int(plan.manager_deals[row]) if s.manager >= 0 else 0
    managed = (
        _opportunities(s, deals, accounts["customer"], owner=s.manager, forced_won=True) if deals else None
    )
    budget, manager_budget = int(plan.activities[row]), int(plan.manager_activities[row])
    if managed is None or len(managed.created) == 0:
        budget, manager_budget = budget + manager_budget, 0  # no deal for the manager to work on
    activities = seller_activities(s, opps, accounts, contact_index, budget)
    tables["opportunities"], tables["history"], tables["line_items"] = (
        opps.opportunities,
        opps.history,
        opps.line_items,
    )
    tables["activities"] = activities
    if not plan.crm_only[row] and (plan.has_quota is None or plan.has_quota[row]):
        tables["quotas"] = _quotas(s, opps, stats)
    stats.opportunities = len(opps.created)
    stats.won = int(opps.won.sum())
    won_close = opps.opportunities["close_day"][opps.won]
    in_period = (won_close >= s.p0) & (won_close < s.p1)
    stats.wins_in_period = int(in_period.sum())
    stats.wins_in_last_two_weeks = int((in_period & (quarter_end(won_close) - won_close <= 14)).sum())

    if managed is not None:
        manager_acts = manager_activities(s, managed, contact_index, manager_budget)
        offsets = {"opportunities": len(opps.created)}
        tables["opportunities"] = merge_tables(
            tables["opportunities"], managed.opportunities, offsets, "opportunities"
        )
        tables["history"] = merge_tables(tables["history"], managed.history, offsets, "history")
        tables["line_items"] = merge_tables(tables["line_items"], managed.line_items, offsets, "line_items")
        tables["activities"] = merge_tables(tables["activities"], manager_acts, offsets, "activities")
        stats.manager_deals = len(managed.created)
        stats.manager_won_cents = int(managed.opportunities["amount"].sum())
    stats.activities = len(tables["activities"]["kind"])
    return Records(tables=tables, stats=[stats])
