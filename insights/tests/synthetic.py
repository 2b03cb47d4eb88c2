"""A small synthetic company with planted drivers, for the engine's own tests.

It follows the mechanisms of docs/planted-truth.md (latent skill per behaviour, each visible through its CRM
observable with noise; attainment = 0.9 * exp(sum weight * skill + noise) with a ramp for new sellers; quotas set
so realised attainment equals the planted value), at a size a unit test can afford. The real generator
(demo/generator, `manage.py generate_crm`) is used by the planted-truth tests when it is available.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa

from crm.schema import TABLES
from insights.analysis.types import SellerRecord
from insights.tests.crm_builder import write_table

BEHAVIOURS = [
    "prospecting", "account_coverage", "multithreading", "discovery", "qualification", "follow_up",
    "negotiation", "expansion", "pipeline_hygiene", "activity_volume",
]

SITUATIONS = {
    # accounts, deal size, cycle days, opportunities/year, existing share, activities/week, drivers
    "territory": ((250, 400), 15_000, (30, 60), 120, 0.45, 20,
                  {"account_coverage": 0.30, "prospecting": 0.25, "follow_up": 0.18}),
    "key_accounts": ((5, 15), 180_000, (120, 270), 16, 0.80, 8,
                     {"multithreading": 0.30, "discovery": 0.22, "expansion": 0.18, "negotiation": 0.15}),
    "inside_sales": ((600, 900), 4_500, (7, 30), 300, 0.35, 60,
                     {"activity_volume": 0.30, "follow_up": 0.25, "qualification": 0.18}),
    "new_logo": ((40, 120), 45_000, (60, 120), 50, 0.10, 15,
                 {"prospecting": 0.32, "qualification": 0.22, "discovery": 0.18, "negotiation": 0.15}),
}

PERIOD_START = dt.date(2025, 1, 1)
PERIOD_END = dt.date(2025, 12, 31)
DATA_START = dt.date(2024, 7, 1)
UTC = dt.UTC


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@dataclass
class SyntheticCompany:
    truth: dict[str, dict] = field(default_factory=dict)  # situation -> {"drivers": ..., "sellers": [...]}
    sellers: dict[str, SellerRecord] = field(default_factory=dict)  # employee id -> record
    seller_situation: dict[str, str] = field(default_factory=dict)
    skills: dict[str, dict[str, float]] = field(default_factory=dict)
    attainment: dict[str, float] = field(default_factory=dict)
    columns: dict[str, dict[str, list]] = field(default_factory=dict)

    def write(self, con, *, tables: list[str] | None = None, database: str | None = None) -> None:
        for name in tables or list(TABLES):
            schema = TABLES[name].to_pyarrow()
            cols = self.columns.get(name, {})
            n = len(next(iter(cols.values()))) if cols else 0
            data = pa.table({f.name: pa.array(cols.get(f.name, [None] * n), type=f.type) for f in schema})
            write_table(con, name, data, database=database)


class _Rows:
    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list]] = {name: {} for name in TABLES}

    def add(self, table: str, **values: object) -> None:
        cols = self.columns[table]
        n = len(next(iter(cols.values()))) if cols else 0
        for key in values:
            if key not in cols:
                cols[key] = [None] * n
        for key, col in cols.items():
            col.append(values.get(key))


def _ts(day: dt.date, seconds: float = 36_000) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=UTC) + dt.timedelta(seconds=seconds)


def generate(*, sellers_per_situation: int = 60, seed: int = 7, situations: list[str] | None = None,
             with_activities: bool = True, person_ids: dict[str, int] | None = None, scale: float = 1.0,
             prefix: str = "E") -> SyntheticCompany:
    """Build the company. `person_ids` maps employee ids to Person pks when the test has made people; `scale`
    shrinks books, deal counts and activity (not deal sizes or cycles) to keep tests fast."""
    rng = np.random.default_rng(seed)
    rows = _Rows()
    company = SyntheticCompany()
    seq = {"o": 0, "a": 0, "h": 0, "t": 0, "c": 0}

    def next_id(kind: str) -> str:
        seq[kind] += 1
        return f"{kind.upper()}{seq[kind]:07d}"

    index = 0
    for situation in situations or list(SITUATIONS):
        accounts_range, deal, cycle_range, opy, existing, act_week, drivers = SITUATIONS[situation]
        company.truth[situation] = {
            "drivers": drivers, "non_drivers": [b for b in BEHAVIOURS if b not in drivers], "sellers": [],
        }
        for _ in range(sellers_per_situation):
            index += 1
            employee_id = f"{prefix}{index:05d}"
            user_id = f"U{prefix}{index:05d}"
            manager = 1000 + index % 8
            company.truth[situation]["sellers"].append(employee_id)
            z = {b: float(rng.standard_normal()) for b in BEHAVIOURS}
            company.skills[employee_id] = z
            company.seller_situation[employee_id] = situation
            ramping = rng.random() < 0.12
            tenure_months = float(rng.uniform(2, 8)) if ramping else float(rng.uniform(14, 96))
            hire = PERIOD_END - dt.timedelta(days=int(tenure_months * 30.44))
            company.sellers[employee_id] = SellerRecord(
                person_id=(person_ids or {}).get(employee_id, index), employee_id=employee_id,
                manager_id=manager, region="North" if index % 2 else "South", hire_date=hire,
            )
            rows.add("crm_users", user_id=user_id, name=f"Seller {index}", is_active=True,
                     person_employee_id=employee_id, employee_number=employee_id)
            start = max(DATA_START, hire)
            # Attainment: planted, with the ramp averaged over the period's quarters.
            ramp = []
            for q in range(4):
                mid = PERIOD_START + dt.timedelta(days=45 + 91 * q)
                months = (mid - hire).days / 30.44
                ramp.append(0.0 if months < 0 else min(1.0, 0.25 + 0.75 * months / 9))
            steady = 0.9 * math.exp(sum(drivers.get(b, 0.0) * z[b] for b in BEHAVIOURS)
                                    + rng.normal(0, 0.2))
            attainment = steady * float(np.mean(ramp))
            company.attainment[employee_id] = attainment

            # Key accounts have small books and few deals already: scaling them down would leave nothing to see.
            volume = 1.0 if situation == "key_accounts" else scale
            n_accounts = max(3, int(rng.integers(*accounts_range) * volume))
            account_ids = [next_id("a") for _ in range(n_accounts)]
            for account_id in account_ids:
                rows.add("accounts", account_id=account_id, name=account_id, owner_user_id=user_id,
                         segment="Enterprise" if situation == "key_accounts" else "SMB", created_at=_ts(DATA_START))
            contacts = {a: [next_id("c") for _ in range(int(rng.integers(2, 6)))] for a in account_ids[:200]}

            active_years = (PERIOD_END - start).days / 365.25
            win_probability = 0.5 if situation == "key_accounts" else 0.35
            n_opps = int(rng.poisson(opy * volume * 1.42 ** z["prospecting"] * active_years))
            logged = 0
            won_total = 0.0
            ex_share = _expit(_logit(existing) + 0.8 * z["expansion"])
            for _ in range(n_opps):
                created = start + dt.timedelta(days=int(rng.integers(0, max(1, (PERIOD_END - start).days))))
                cycle = float(rng.uniform(*cycle_range))
                account = account_ids[int(rng.integers(len(account_ids)))]
                amount = float(deal * rng.lognormal(0, 0.35))
                opportunity_id = next_id("o")
                won = rng.random() < win_probability
                loss_fraction = _expit(-1.0 * z["qualification"] + rng.normal(0, 0.6))
                end_day = created + dt.timedelta(days=cycle if won else max(1.0, cycle * loss_fraction))
                closed = end_day <= PERIOD_END
                reached_proposal = won or loss_fraction > 0.5
                proposal_day = created + dt.timedelta(days=cycle * 0.5)
                discount = min(0.6, 0.15 * 0.61 ** z["negotiation"] * rng.lognormal(0, 0.3))
                final_amount = amount * (1 - discount) if won else amount
                pushes = int(rng.poisson(0.8 * 0.55 ** z["pipeline_hygiene"]))
                kind = "existing" if rng.random() < ex_share else "new"
                if closed:
                    close = end_day
                else:
                    late = rng.random() < _expit(_logit(0.3) + math.log(0.37) * z["pipeline_hygiene"])
                    close = PERIOD_END - dt.timedelta(days=10) if late else end_day
                if won and closed and PERIOD_START <= close <= PERIOD_END:
                    won_total += final_amount
                stage = ("Closed Won" if won else "Closed Lost") if closed else (
                    "Proposal/Price Quote" if proposal_day <= PERIOD_END and reached_proposal else "Qualification")
                rows.add("opportunities", opportunity_id=opportunity_id, account_id=account,
                         owner_user_id=user_id, name=opportunity_id,
                         amount=Decimal(f"{(final_amount if closed else amount):.2f}"), currency="EUR",
                         stage=stage, is_closed=closed, is_won=bool(won and closed), created_at=_ts(created),
                         close_date=close, opportunity_type=kind)
                # Stage history: creation, close-date pushes, proposal, close.
                initial_close = close - dt.timedelta(days=14 * pushes)
                rows.add("opportunity_stage_history", history_id=next_id("h"), opportunity_id=opportunity_id,
                         changed_at=_ts(created), stage="Prospecting", amount=Decimal(f"{amount:.2f}"),
                         close_date=initial_close)
                for p in range(pushes):
                    at = created + dt.timedelta(days=cycle * (p + 1) / (pushes + 2))
                    if at > PERIOD_END:
                        break
                    rows.add("opportunity_stage_history", history_id=next_id("h"), opportunity_id=opportunity_id,
                             changed_at=_ts(at, 40_000), stage="Qualification", amount=Decimal(f"{amount:.2f}"),
                             close_date=initial_close + dt.timedelta(days=14 * (p + 1)))
                if reached_proposal and proposal_day <= min(end_day, PERIOD_END):
                    rows.add("opportunity_stage_history", history_id=next_id("h"), opportunity_id=opportunity_id,
                             changed_at=_ts(proposal_day, 50_000), stage="Proposal/Price Quote",
                             amount=Decimal(f"{amount:.2f}"), close_date=close)
                if closed:
                    rows.add("opportunity_stage_history", history_id=next_id("h"), opportunity_id=opportunity_id,
                             changed_at=_ts(close, 60_000), stage="Closed Won" if won else "Closed Lost",
                             amount=Decimal(f"{final_amount:.2f}"), close_date=close)
                if not with_activities:
                    continue
                # Activities on the opportunity: cadence from follow-up, contacts from multithreading,
                # meetings before the proposal from discovery.
                life_end = min(end_day, PERIOD_END)
                life = max(1.0, (life_end - created).days)
                gap = max(1.0, cycle / 6 * 0.70 ** z["follow_up"] * rng.lognormal(0, 0.2))
                n_touch = max(1, int(life / gap))
                pool = contacts.get(account) or [next_id("c")]
                n_contacts = min(len(pool) + 10, 1 + int(rng.poisson(1.2 * 1.57 ** z["multithreading"])))
                people = pool[:n_contacts] + [next_id("c") for _ in range(n_contacts - len(pool))]
                n_meetings = int(rng.poisson(1.5 * 1.65 ** z["discovery"]))
                meeting_until = min(proposal_day if reached_proposal else end_day, PERIOD_END)
                for t in range(n_touch):
                    at = created + dt.timedelta(days=life * (t + 0.5) / n_touch)
                    # Discovery meetings replace touches before the proposal; they do not add to them.
                    meeting = t < n_meetings and at < meeting_until
                    rows.add("activities", activity_id=next_id("t"), owner_user_id=user_id,
                             activity_type="meeting" if meeting else ("call" if t % 2 else "email"),
                             occurred_at=_ts(at), account_id=account, opportunity_id=opportunity_id,
                             contact_id=people[t % len(people)])
                    logged += 1
            if with_activities:
                # Coverage: accounts touched per quarter.
                share = _expit(_logit(0.5) + 0.7 * z["account_coverage"])
                quarter_start = max(start, DATA_START)
                while quarter_start <= PERIOD_END:
                    touched = rng.binomial(n_accounts, share)
                    for account in rng.choice(account_ids, size=touched, replace=False):
                        at = quarter_start + dt.timedelta(days=int(rng.integers(0, 90)))
                        if at > PERIOD_END:
                            continue
                        rows.add("activities", activity_id=next_id("t"), owner_user_id=user_id,
                                 activity_type="call", occurred_at=_ts(at, 30_000), account_id=str(account))
                        logged += 1
                    quarter_start += dt.timedelta(days=91)
                # Volume: the rest of the activity up to the seller's planted total, on no account.
                weeks = (PERIOD_END - start).days / 7
                total = int(rng.poisson(act_week * scale * 1.42 ** z["activity_volume"] * weeks))
                extra = max(0, total - logged)
                days = rng.integers(0, max(1, (PERIOD_END - start).days), size=extra)
                for d in days:
                    rows.add("activities", activity_id=next_id("t"), owner_user_id=user_id, activity_type="task",
                             occurred_at=_ts(start + dt.timedelta(days=int(d)), 45_000))
            # Quota: quarterly, set so realised attainment over the period equals the planted value.
            quota_total = won_total / attainment if attainment > 0 and won_total > 0 else deal * opy * 0.3
            for q in range(4):
                q_start = dt.date(2025, 3 * q + 1, 1)
                q_end = (dt.date(2025, 3 * q + 4, 1) if q < 3 else dt.date(2026, 1, 1)) - dt.timedelta(days=1)
                rows.add("quotas", user_id=user_id, period_start=q_start, period_end=q_end,
                         amount=Decimal(f"{quota_total / 4:.2f}"), currency="EUR")
    company.columns = rows.columns
    return company
