"""A seller's activities: deal cadence (follow-up), discovery meetings, multi-threading, prospecting
sequences, account coverage and the rest of the activity volume (docs/planted-truth.md)."""

from __future__ import annotations

import numpy as np

# Subjects as one list, so activities store an index.
from demo.generator.context import (
    OpportunityBatch,
    SellerContext,
    group_positions,
    sigmoid,
)
from demo.generator.model import (
    CALL,
    CALL_RESULT_P,
    COVERAGE_LOGIT,
    COVERAGE_SUBJECTS,
    DISCOVERY_LOG,
    DISCOVERY_SUBJECTS,
    EMAIL,
    FOLLOW_UP_LOG,
    MEETING,
    MULTITHREADING_LOG,
    PROSPECTING_SUBJECTS,
    PROSPECTING_TOUCHES,
    PURPOSE_ACCOUNT,
    PURPOSE_COVERAGE,
    PURPOSE_DISCOVERY,
    PURPOSE_MANAGER,
    PURPOSE_OPPORTUNITY,
    PURPOSE_PROSPECTING,
    SUBJECTS,
    TASK,
    B,
    logit,
)
from demo.generator.plan import DAY
from demo.generator.records import Table

SUBJECT_LIST: tuple[str, ...] = tuple(
    dict.fromkeys(
        [s for kind in (CALL, EMAIL, MEETING, TASK) for s in SUBJECTS[kind]]
        + list(PROSPECTING_SUBJECTS)
        + list(DISCOVERY_SUBJECTS)
        + list(COVERAGE_SUBJECTS)
    )
)
_SUBJECT_INDEX = {s: i for i, s in enumerate(SUBJECT_LIST)}
_KIND_SUBJECTS = {kind: np.array([_SUBJECT_INDEX[s] for s in SUBJECTS[kind]]) for kind in SUBJECTS}
_PROSPECTING = {
    CALL: np.array([_SUBJECT_INDEX["Prospecting call"], _SUBJECT_INDEX["Cold call"]]),
    EMAIL: np.array([_SUBJECT_INDEX["Email: Introduction"], _SUBJECT_INDEX["Email: Intro"]]),
}
_DISCOVERY = np.array([_SUBJECT_INDEX[s] for s in DISCOVERY_SUBJECTS])
_COVERAGE = {
    CALL: np.array([_SUBJECT_INDEX["Account check-in"]]),
    EMAIL: np.array([_SUBJECT_INDEX["Email: Account update"]]),
    MEETING: np.array([_SUBJECT_INDEX["Quarterly business review"]]),
}

COVERAGE_BUDGET_SHARE = 0.2


def _work_time(
    rng: np.random.Generator,
    t: np.ndarray,
    lo: np.ndarray | float,
    hi: np.ndarray | float,
) -> np.ndarray:
    """Seconds since the epoch for activity times given in fractional days: moved off weekends, in office
    hours
    (08:00-18:00 UTC, whole minutes), kept within [lo, hi) days."""
    day = np.floor(t).astype(np.int64)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    day = day - (weekday == 5) + (weekday == 6)
    lo_day = np.ceil(np.asarray(lo, dtype=float)).astype(np.int64)
    hi_day = np.ceil(np.asarray(hi, dtype=float)).astype(np.int64) - 1
    day = np.minimum(np.maximum(day, lo_day), np.maximum(hi_day, lo_day))
    minutes = rng.integers(8 * 60, 18 * 60, len(t))
    return day * DAY + minutes * 60


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


def seller_activities(
    s: SellerContext, opps: OpportunityBatch, accounts: Table, contact_index: np.ndarray, budget: int
) -> Table:
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
    base_gap = (
        profile.opportunities_per_year
        * 0.8
        * mean_cycle
        / (profile.opportunity_share * profile.activities_per_week * 52)
    )
    gap = (
        base_gap
        * plan.opportunity_scale
        / plan.activity_scale
        * np.exp(-FOLLOW_UP_LOG * z[B["follow_up"]] + 0.08 * rng.standard_normal())
    )
    # A cadence, not random points: the gap between consecutive activities does not depend on how long the
    # deal lives (which qualification and the outcome decide).
    on_opp = np.floor(life / gap + rng.random(len(life))).astype(np.int64)
    o_opp = np.repeat(np.arange(len(life)), on_opp)
    step = group_positions(o_opp)
    o_time = np.clip(
        a0[o_opp] + gap * (step + 0.5 + 0.3 * rng.standard_normal(len(o_opp))),
        a0[o_opp],
        np.maximum(a1[o_opp] - 1e-3, a0[o_opp]),
    )
    early = o_time < opps.proposal_time[o_opp]
    o_kind = _kinds(rng, profile.mix, len(o_opp), meetings=False)
    o_kind = np.where(~early & (rng.random(len(o_opp)) < 0.15), MEETING, o_kind)
    o_purpose = np.full(len(o_opp), PURPOSE_OPPORTUNITY)
    o_subject = _subjects(rng, o_kind)
    # Logged activities per opportunity relative to the natural volume, where fewer are logged: a company that
    # logs fewer activities logs fewer of every kind, so the touches added beside the cadence (discovery
    # meetings, multi-threading emails) are logged in that share too, as the cadence's are.
    logged_share = min(plan.activity_scale / plan.opportunity_scale, 1.0)
    # Discovery: some activities before the proposal become discovery meetings (they replace, not add).
    discovery = rng.poisson(profile.discovery_meetings * np.exp(DISCOVERY_LOG * z[B["discovery"]]), len(life))
    rank = np.lexsort((rng.random(len(o_opp)), ~early, o_opp))
    early_rank = np.empty(len(o_opp), dtype=np.int64)
    early_rank[rank] = group_positions(o_opp[rank])
    meet = early & (early_rank < discovery[o_opp])
    o_kind = np.where(meet, MEETING, o_kind)
    o_purpose = np.where(meet, PURPOSE_DISCOVERY, o_purpose)
    o_subject = np.where(meet, _DISCOVERY[rng.integers(0, len(_DISCOVERY), len(o_opp))], o_subject)
    # Where the cadence has fewer early slots than planned meetings, the rest are added (not capped, so
    # discovery does not depend on follow-up).
    early_slots = np.bincount(o_opp[early], minlength=len(life))
    disc_end = np.minimum(opps.proposal_time, a1)
    missing = np.where(disc_end > a0, np.maximum(discovery - early_slots, 0), 0)
    if logged_share < 1.0:
        # Only that share of the added meetings is logged (no random draw at the natural volume).
        missing = rng.binomial(missing, logged_share)
    x_opp = np.repeat(np.arange(len(life)), missing)
    x_time = a0[x_opp] + rng.random(len(x_opp)) * (disc_end - a0)[x_opp]
    # Multi-threading: each opportunity cycles through its own few contacts of the account; where it has
    # fewer activities than contacts to reach, emails to the others are added.
    available = contacts_count[opps.account]
    threads = np.clip(
        np.round(
            profile.contacts_per_deal
            * np.exp(MULTITHREADING_LOG * z[B["multithreading"]] + 0.25 * rng.standard_normal(len(life)))
        ),
        1,
        available,
    ).astype(np.int64)
    have = np.bincount(o_opp, minlength=len(life)) + missing
    short = np.where(life > 0, np.maximum(threads - have, 0), 0)
    if logged_share < 1.0:
        # Only that share of the missing emails is logged (no random draw at the natural volume).
        short = rng.binomial(short, logged_share)
    y_opp = np.repeat(np.arange(len(life)), short)
    y_time = a0[y_opp] + rng.random(len(y_opp)) * life[y_opp]
    o_opp = np.concatenate([o_opp, x_opp, y_opp])
    o_time = np.concatenate([o_time, x_time, y_time])
    o_kind = np.concatenate([o_kind, np.full(len(x_opp), MEETING), np.full(len(y_opp), EMAIL)])
    o_purpose = np.concatenate(
        [o_purpose, np.full(len(x_opp), PURPOSE_DISCOVERY), np.full(len(y_opp), PURPOSE_OPPORTUNITY)]
    )
    o_subject = np.concatenate(
        [
            o_subject,
            _DISCOVERY[rng.integers(0, len(_DISCOVERY), len(x_opp))],
            _KIND_SUBJECTS[EMAIL][rng.integers(0, len(_KIND_SUBJECTS[EMAIL]), len(y_opp))],
        ]
    )
    order = np.argsort(o_opp, kind="stable")
    o_opp, o_time, o_kind, o_purpose, o_subject = (
        o_opp[order],
        o_time[order],
        o_kind[order],
        o_purpose[order],
        o_subject[order],
    )
    o_account = opps.account[o_opp]
    rotation = rng.integers(0, 1 << 30, len(life))
    position = group_positions(o_opp)
    o_contact = contacts_start[o_account] + (rotation[o_opp] + position % threads[o_opp]) % available[o_opp]

    # Prospecting: sequences of outbound calls and emails to prospects with no opportunity.
    weeks = max(t1 - w0, 0.0) / 7.0
    touches = int(
        rng.poisson(
            profile.prospecting_per_week
            * weeks
            * plan.activity_scale
            * np.exp(PROSPECTING_TOUCHES * z[B["prospecting"]])
        )
    )
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
    p_subject = np.where(
        p_kind == CALL,
        _PROSPECTING[CALL][rng.integers(0, 2, touches)],
        _PROSPECTING[EMAIL][rng.integers(0, 2, touches)],
    )
    p_contact = contacts_start[p_account] + rng.integers(0, 1 << 30, touches) % contacts_count[p_account]

    # Coverage: in each quarter, reach the planted share of the book; touch accounts not reached otherwise.
    # Coverage touches take at most a fifth of the expected budget: a big book or a scaled-down export
    # (fewer logged activities) means a smaller share of the book reached per quarter.
    affordable = (
        COVERAGE_BUDGET_SHARE * profile.activities_per_week * plan.activity_scale * 13 / max(n_acc, 1)
    )
    base_coverage = min(profile.coverage, affordable)
    coverage = sigmoid(
        logit(base_coverage) + COVERAGE_LOGIT * z[B["account_coverage"]] + 0.15 * rng.standard_normal()
    )
    c_account_parts, c_time_parts = [], []
    touched_account = np.concatenate([o_account, p_account])
    touched_time = np.concatenate([o_time, p_time])
    order_pref = np.r_[
        rng.permutation(np.flatnonzero(accounts["customer"])),
        rng.permutation(np.flatnonzero(~accounts["customer"])),
    ]
    for quarter in plan.quarters:
        lo, hi = max(quarter.start, w0), min(quarter.end, t1)
        if hi <= lo:
            continue
        share = (hi - lo) / (quarter.end - quarter.start)
        target = round(float(sigmoid(logit(float(coverage)) + 0.1 * rng.standard_normal())) * n_acc * share)
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
    c_kind = rng.choice(
        np.array([CALL, EMAIL, MEETING]),
        len(c_account),
        p=[(1 - meeting_share) / 2, (1 - meeting_share) / 2, meeting_share],
    )
    c_subject = np.empty(len(c_kind), dtype=np.int64)
    for k, choices in _COVERAGE.items():
        c_subject[c_kind == k] = choices[0]
    c_contact = (
        contacts_start[c_account] + rng.integers(0, 1 << 30, len(c_account)) % contacts_count[c_account]
    )

    # Activity volume: fill the budget with account-level activities beside the opportunity work, or trim.
    parts = {
        "opportunity": o_opp,
        "time": o_time,
        "kind": o_kind,
        "purpose": o_purpose,
        "subject": o_subject,
        "account": o_account,
        "contact": o_contact,
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
            f_time = np.clip(
                o_time[anchor] + 3.0 * rng.standard_normal(filler), lo, np.maximum(hi - 1e-3, lo)
            )
            f_account, f_contact = o_account[anchor], o_contact[anchor]
        else:
            f_account = rng.integers(0, n_acc, filler)
            f_time = rng.uniform(w0, t1, filler)
            f_contact = (
                contacts_start[f_account] + rng.integers(0, 1 << 30, filler) % contacts_count[f_account]
            )
        f_kind = _kinds(rng, profile.mix, filler, meetings=False)
        f_subject = _subjects(rng, f_kind)
    n_f = len(f_time)

    opportunity = np.concatenate(
        [parts["opportunity"][keep_o], np.full(int(keep_p.sum()) + int(keep_c.sum()) + n_f, -1)]
    )
    time = np.concatenate([o_time[keep_o], p_time[keep_p], c_time[keep_c], f_time])
    kind = np.concatenate([o_kind[keep_o], p_kind[keep_p], c_kind[keep_c], f_kind])
    purpose = np.concatenate(
        [
            o_purpose[keep_o],
            np.full(int(keep_p.sum()), PURPOSE_PROSPECTING),
            np.full(int(keep_c.sum()), PURPOSE_COVERAGE),
            np.full(n_f, PURPOSE_ACCOUNT),
        ]
    )
    subject = np.concatenate([o_subject[keep_o], p_subject[keep_p], c_subject[keep_c], f_subject])
    account = np.concatenate([o_account[keep_o], p_account[keep_p], c_account[keep_c], f_account])
    contact = np.concatenate([o_contact[keep_o], p_contact[keep_p], c_contact[keep_c], f_contact])
    n = len(time)
    direction = np.where(kind == EMAIL, 1, -1)
    is_call = kind == CALL
    outbound_p = np.where(
        purpose == PURPOSE_ACCOUNT, 0.7, np.where(purpose == PURPOSE_OPPORTUNITY, 0.85, 1.0)
    )
    direction = np.where(is_call, (rng.random(n) < outbound_p).astype(np.int64), direction)
    return _finish_activities(
        s,
        time=time,
        kind=kind,
        purpose=purpose,
        subject=subject,
        account=account,
        contact=contact,
        opportunity=opportunity,
        direction=direction,
        owner=s.owner,
    )


def _finish_activities(
    s: SellerContext,
    *,
    time: np.ndarray,
    kind: np.ndarray,
    purpose: np.ndarray,
    subject: np.ndarray,
    account: np.ndarray,
    contact: np.ndarray,
    opportunity: np.ndarray,
    direction: np.ndarray,
    owner: int,
) -> Table:
    rng, n = s.rng, len(time)
    occurred = _work_time(rng, time, s.w0, s.t1)
    result = np.where(kind == CALL, rng.choice(len(CALL_RESULT_P), n, p=CALL_RESULT_P), -1)
    connected = result == 0
    duration = np.full(n, -1, dtype=np.int64)
    duration = np.where(
        kind == CALL,
        np.where(
            connected,
            np.clip(np.exp(np.log(480) + 0.6 * rng.standard_normal(n)), 60, 3600).astype(np.int64),
            rng.integers(5, 45, n),
        ),
        duration,
    )
    meeting_minutes = np.where(
        purpose == PURPOSE_DISCOVERY,
        rng.choice(np.array([45, 60]), n),
        rng.choice(np.array([30, 45, 60, 90]), n, p=[0.35, 0.15, 0.4, 0.1]),
    )
    duration = np.where(kind == MEETING, meeting_minutes * 60, duration)
    occurred = np.where(kind == MEETING, occurred // 1800 * 1800, occurred)
    created = np.where(
        kind == MEETING,
        occurred - rng.integers(1, 10, n) * DAY,
        np.where(kind == TASK, occurred - rng.integers(0, 3, n) * DAY, occurred),
    )
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


def manager_activities(
    s: SellerContext, opps: OpportunityBatch, contact_index: np.ndarray, budget: int
) -> Table:
    """The manager's own meetings and calls on the deals they took over, late in each deal."""
    rng = s.rng
    n_opps = len(opps.created)
    if budget <= 0 or n_opps == 0:
        return _finish_activities(
            s,
            **{
                k: np.zeros(0, np.int64)
                for k in (
                    "time",
                    "kind",
                    "purpose",
                    "subject",
                    "account",
                    "contact",
                    "opportunity",
                    "direction",
                )
            },
            owner=s.manager,
        )
    life = np.maximum(opps.end - np.maximum(opps.created, s.w0), 0.01)
    opp = np.sort(rng.choice(n_opps, budget, p=life / life.sum()))
    start = np.maximum(opps.created, s.w0)[opp] + 0.6 * life[opp]
    time = start + rng.random(budget) * 0.4 * life[opp]
    kind = np.where(rng.random(budget) < 0.55, MEETING, CALL)
    account = opps.account[opp]
    contact = contact_index[account, 0] + rng.integers(0, 1 << 30, budget) % contact_index[account, 1]
    subject = np.where(kind == MEETING, _SUBJECT_INDEX["Negotiation meeting"], _SUBJECT_INDEX["Pricing call"])
    return _finish_activities(
        s,
        time=time,
        kind=kind,
        purpose=np.full(budget, PURPOSE_MANAGER),
        subject=subject,
        account=account,
        contact=contact,
        opportunity=opp,
        direction=np.where(kind == CALL, 1, -1),
        owner=s.manager,
    )
