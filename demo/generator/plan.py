"""The plan: every seller's skills, attainment and record counts, the CRM users, and the struggling managers.

The plan is small (one row per seller) and made in one pass from the roster and the seed, before any record is
generated; the per-seller simulation (demo.generator.simulate) then only needs its own row, which is what makes
the output independent of how sellers are grouped into chunks.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np

from demo.generator.model import (
    ACTIVITY_VOLUME_LOG,
    ATTAINMENT_BASELINE,
    ATTAINMENT_NOISE_SD,
    BEHAVIOURS,
    DRIVERS,
    PROSPECTING_OPPS,
    RAMP_FLOOR,
    RAMP_MONTHS,
    SEASONALITY,
    SITUATION_PROFILES,
    SITUATIONS,
    B,
    SituationProfile,
)
from demo.generator.roster import Roster, RosterPerson

EPOCH = dt.date(1970, 1, 1)
DAY = 86_400
KEY_BITS = 26  # a record's key is (block << KEY_BITS) | its index within the block
CLOSES_TEAM_DEALS = "closes_team_deals"
END_OF_QUARTER_SPIKE = "end_of_quarter_spike"
TEAM_TURNOVER = "team_turnover"
PATTERN_CYCLE: tuple[tuple[str, ...], ...] = (
    (CLOSES_TEAM_DEALS,),
    (END_OF_QUARTER_SPIKE,),
    (CLOSES_TEAM_DEALS, END_OF_QUARTER_SPIKE),
)
MANAGER_DEAL_SHARE = (
    0.4  # extra manager-owned wins per expected seller win (about a third of the team's wins)
)
MANAGER_ACTIVITIES_PER_DEAL = 3
EX_EMPLOYEE_ACCOUNTS = 5
EX_EMPLOYEE_OPPORTUNITIES = 6
EX_EMPLOYEE_ACTIVITIES = 30


def day_number(value: dt.date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


def from_day_number(value: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(value))


@dataclass(frozen=True)
class CompanySpec:
    """The kinds of book a company has and what drives success in each: by default the four of model.py
    (`SITUATION_PROFILES`, `DRIVERS`); demo.generator.companies draws many different ones for calibration.

    `quota_share` is the share of sellers who have quotas (the others have none in the export).
    """

    profiles: dict[str, SituationProfile]
    drivers: dict[str, dict[str, float]]
    quota_share: float = 1.0

    def __post_init__(self) -> None:
        if set(self.profiles) != set(self.drivers):
            raise ValueError("Every kind of book needs its drivers (and every set of drivers its kind of book).")
        unknown = {b for d in self.drivers.values() for b in d if b not in B}
        if unknown:
            raise ValueError(f"Unknown behaviours among the drivers: {', '.join(sorted(unknown))}.")
        if not 0.0 <= self.quota_share <= 1.0:
            raise ValueError(f"quota_share must be between 0 and 1, got {self.quota_share}.")

    @property
    def keys(self) -> list[str]:
        return list(self.profiles)


DEFAULT_COMPANY = CompanySpec(
    profiles={key: SITUATION_PROFILES[key] for key in SITUATIONS},
    drivers={key: dict(DRIVERS[key]) for key in SITUATIONS},
)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. Totals of None mean each seller's natural size (the demo's default)."""

    period_start: dt.date
    period_end: dt.date
    seed: int = 7
    opportunities: int | None = None
    activities: int | None = None
    format: str = "salesforce"
    chunk_sellers: int = 250
    company_domain: str = "kestrel.example"
    company: CompanySpec = DEFAULT_COMPANY

    def __post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise ValueError(f"The period ends ({self.period_end}) before it starts ({self.period_start}).")
        if self.format not in ("salesforce", "hubspot"):
            raise ValueError(f"Unknown export format {self.format!r}: use salesforce or hubspot.")
        for name in ("opportunities", "activities"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"--{name} must not be negative, got {value}.")


def default_period(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """From the first day of the quarter five quarters before `as_of`'s quarter to `as_of` (15-18 months)."""
    quarter = (as_of.month - 1) // 3
    months = as_of.year * 12 + quarter * 3 - 15
    return dt.date(months // 12, months % 12 + 1, 1), as_of


@dataclass(frozen=True)
class Quarter:
    start: int  # day number, inclusive
    end: int  # day number, exclusive
    season: float  # the quarter's seasonality weight times four (1.0 = an average quarter)
    completed: bool  # ends on or before the period's end

    @property
    def start_date(self) -> dt.date:
        return from_day_number(self.start)

    @property
    def last_date(self) -> dt.date:
        return from_day_number(self.end - 1)


def quarters_of(start: dt.date, end: dt.date) -> list[Quarter]:
    """Calendar quarters overlapping [start, end] (end inclusive)."""
    result: list[Quarter] = []
    year, q = start.year, (start.month - 1) // 3
    while True:
        first = dt.date(year, q * 3 + 1, 1)
        if first > end:
            break
        nxt = dt.date(year + (q == 3), (q + 1) % 4 * 3 + 1, 1)
        result.append(
            Quarter(
                start=day_number(first),
                end=day_number(nxt),
                season=4 * SEASONALITY[q] / sum(SEASONALITY),
                completed=nxt - dt.timedelta(days=1) <= end,
            )
        )
        year, q = nxt.year, (q + 1) % 4
    return result


@dataclass(frozen=True)
class CrmUser:
    """A CRM user: a person in sales, or a CRM-only account (kind integration / automation / ex_employee)."""

    index: int
    first_name: str
    last_name: str
    email: str
    title: str
    department: str
    employee_id: str  # "" for CRM-only users
    is_active: bool
    manager_index: int  # -1: none
    role_index: int  # -1: none
    created: dt.date
    last_login: dt.date | None
    kind: str = "person"

    @property
    def key(self) -> int:
        return self.index + 1

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class UserRole:
    index: int
    name: str
    developer_name: str
    parent_index: int  # -1: top
    forecast_user_index: int  # -1: none

    @property
    def key(self) -> int:
        return self.index + 1


@dataclass
class StrugglingManager:
    employee_id: str
    user_index: int
    patterns: list[str]
    team: list[str]
    voluntary_leavers_last_12_months: int | None = None


@dataclass
class Plan:
    """Everything decided before the records are generated. Arrays are indexed by seller row."""

    config: GeneratorConfig
    roster: Roster
    quarters: list[Quarter]
    users: list[CrmUser]
    roles: list[UserRole]
    struggling: list[StrugglingManager]
    employee_ids: list[str]  # one per row; the last row may be the CRM-only former seller ("")
    situation: np.ndarray  # int index into situation_keys
    skills: np.ndarray  # (rows, behaviours)
    attainment_steady: np.ndarray
    user_index: np.ndarray
    manager_user_index: np.ndarray  # -1: none
    window_start: np.ndarray  # day numbers, inclusive
    window_end: np.ndarray  # day numbers, exclusive
    hire_day: np.ndarray
    accounts: np.ndarray
    opportunities: np.ndarray
    activities: np.ndarray
    manager_deals: np.ndarray  # extra won opportunities the manager owns on this seller's accounts
    manager_activities: np.ndarray
    opportunity_noise: np.ndarray
    manager_closes: np.ndarray  # bool
    manager_spike: np.ndarray  # bool
    crm_only: np.ndarray  # bool: the row is the CRM-only former seller
    region: list[str]
    opportunity_scale: float
    activity_scale: float
    quota_scale: float
    notes: list[str] = field(default_factory=list)
    situation_keys: list[str] = field(default_factory=lambda: list(SITUATIONS))
    profiles: list[SituationProfile] = field(default_factory=lambda: [SITUATION_PROFILES[k] for k in SITUATIONS])
    has_quota: np.ndarray | None = None  # bool per row; None: everyone has one

    @property
    def rows(self) -> int:
        return len(self.employee_ids)

    @property
    def period_start_day(self) -> int:
        return day_number(self.config.period_start)

    @property
    def period_end_day(self) -> int:
        """The first day after the period (exclusive end)."""
        return day_number(self.config.period_end) + 1


def ramp(months: np.ndarray | float) -> np.ndarray:
    """Share of steady-state attainment a seller reaches `months` after their hire date."""
    m = np.asarray(months, dtype=float)
    return np.clip(RAMP_FLOOR + (1 - RAMP_FLOOR) * m / RAMP_MONTHS, RAMP_FLOOR, 1.0)


def allocate(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to `weights` that sum to exactly `total` (largest remainder, ties by
    position)."""
    weights = np.asarray(weights, dtype=float)
    mass = weights.sum()
    if total <= 0 or mass <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights * (total / mass)
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        order = np.lexsort((np.arange(len(weights)), -(exact - counts)))
        counts[order[:short]] += 1
    return counts


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:70] or "Role"


def _users_and_roles(
    roster: Roster,
    as_of: dt.date,
    domain: str,
    period_start: dt.date,
) -> tuple[list[CrmUser], list[UserRole], dict[str, int]]:
    """CRM users for everyone in sales (employee-id order) plus the CRM-only accounts, and the role tree."""
    people = roster.people
    index_of = {p.employee_id: i for i, p in enumerate(people)}
    has_reports = {p.manager_employee_id for p in people if p.manager_employee_id}
    roles: list[UserRole] = []
    manager_role: dict[str, int] = {}
    rep_role: dict[str, int] = {}
    names: set[str] = set()

    def unique(name: str) -> str:
        base, n = name, 2
        while name in names:
            name, n = f"{base} {n}", n + 1
        names.add(name)
        return name

    # Parents before children: walk people by depth in the reporting line.
    def depth(person: RosterPerson) -> int:
        seen, d = set(), 0
        while person.manager_employee_id in index_of and person.employee_id not in seen:
            seen.add(person.employee_id)
            person, d = people[index_of[person.manager_employee_id]], d + 1
        return d

    for person in sorted(
        (p for p in people if p.employee_id in has_reports), key=lambda p: (depth(p), p.employee_id)
    ):
        name = unique(person.team_name or person.job_title or person.full_name)
        parent = manager_role.get(person.manager_employee_id, -1)
        manager_role[person.employee_id] = len(roles)
        roles.append(UserRole(len(roles), name, _slug(name), parent, index_of[person.employee_id]))
    for person in people:
        if person.employee_id in has_reports or person.manager_employee_id in rep_role:
            continue
        if person.manager_employee_id in manager_role:
            boss = people[index_of[person.manager_employee_id]]
            name = unique(f"{boss.team_name or boss.full_name} Rep")
            rep_role[person.manager_employee_id] = len(roles)
            roles.append(
                UserRole(len(roles), name, _slug(name), manager_role[person.manager_employee_id], -1)
            )

    users: list[CrmUser] = []
    for i, person in enumerate(people):
        role = manager_role.get(person.employee_id, rep_role.get(person.manager_employee_id, -1))
        hired = person.hire_date or (period_start - dt.timedelta(days=365))
        last_login = None
        if person.is_active:
            last_login = as_of - dt.timedelta(days=i % 5)
        elif person.end_date:
            last_login = person.end_date - dt.timedelta(days=1)
        users.append(
            CrmUser(
                index=i,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                title=person.job_title,
                department="Sales",
                employee_id=person.employee_id,
                is_active=person.is_active,
                manager_index=index_of.get(person.manager_employee_id, -1),
                role_index=role,
                created=hired + dt.timedelta(days=1 + i % 7),
                last_login=last_login,
            )
        )
    # CRM-only users: nobody in the HR data is behind them; the importer should list them as unmatched.
    org_start = min((u.created for u in users), default=period_start) - dt.timedelta(days=30)
    extras = [
        (
            "Integration",
            "User",
            f"integration@{domain}.invalid",
            "Integration User",
            "IT",
            True,
            "integration",
        ),
        (
            "Marketing",
            "Automation",
            f"marketing.automation@{domain}.invalid",
            "Marketing Automation",
            "Marketing",
            True,
            "automation",
        ),
        (
            "Jordan",
            "Whitfield",
            f"jordan.whitfield@{domain}",
            "Account Executive",
            "Sales",
            False,
            "ex_employee",
        ),
    ]
    any_rep_role = next(iter(rep_role.values()), -1)
    for first, last, email, title, department, active, kind in extras:
        left = period_start + dt.timedelta(days=40)
        users.append(
            CrmUser(
                index=len(users),
                first_name=first,
                last_name=last,
                email=email,
                title=title,
                department=department,
                employee_id="",
                is_active=active,
                manager_index=-1,
                role_index=any_rep_role if kind == "ex_employee" else -1,
                created=org_start,
                last_login=(as_of if active else left),
                kind=kind,
            )
        )
    return users, roles, index_of


def _struggling(
    roster: Roster, rng: np.random.Generator, index_of: dict[str, int]
) -> list[StrugglingManager]:
    """Which managers behave like struggling managers, and how (docs/planted-truth.md)."""
    candidates = [
        m
        for m in roster.managers
        if m.is_active and sum(1 for s in roster.team(m.employee_id) if s.is_active) >= 2
    ]
    turnover = [m for m in candidates if m.employee_id in roster.turnover_managers]
    others = [m for m in candidates if m.employee_id not in roster.turnover_managers]
    order = [others[i] for i in rng.permutation(len(others))]
    slots = min(len(candidates), max(2, round(len(candidates) / 12)))
    crm_managers = ([turnover[0]] if turnover else []) + order
    picked: dict[str, list[str]] = {}
    for slot, manager in enumerate(crm_managers[:slots]):
        picked[manager.employee_id] = list(PATTERN_CYCLE[slot % len(PATTERN_CYCLE)])
    for employee_id in roster.turnover_managers:
        if roster.has(employee_id):
            picked.setdefault(employee_id, []).append(TEAM_TURNOVER)
    result = []
    for employee_id in sorted(picked):
        result.append(
            StrugglingManager(
                employee_id=employee_id,
                user_index=index_of[employee_id],
                patterns=sorted(picked[employee_id]),
                team=[s.employee_id for s in roster.team(employee_id)],
                voluntary_leavers_last_12_months=roster.turnover_managers.get(employee_id),
            )
        )
    return result


def _region_of(person: RosterPerson) -> str:
    return person.region or "North America East"


def build_plan(roster: Roster, config: GeneratorConfig) -> Plan:
    """Decide every seller's skills, planted attainment and record counts (exact totals when asked)."""
    rng = np.random.default_rng([config.seed, 0])
    start, end = config.period_start, config.period_end
    p0, p1 = day_number(start), day_number(end) + 1
    quarters = quarters_of(start, end)
    users, roles, index_of = _users_and_roles(roster, end, config.company_domain, start)
    struggling = _struggling(roster, rng, index_of)
    closes = {s.employee_id for s in struggling if CLOSES_TEAM_DEALS in s.patterns}
    spikes = {s.employee_id for s in struggling if END_OF_QUARTER_SPIKE in s.patterns}

    sellers = roster.sellers
    ex_user = next(u for u in users if u.kind == "ex_employee")
    n = len(sellers) + 1  # the last row is the CRM-only former seller
    company = config.company
    keys = company.keys
    unknown = sorted({roster.situations[s.employee_id] for s in sellers} - set(keys))
    if unknown:
        raise ValueError(f"The roster places sellers in kinds of book the company lacks: {', '.join(unknown)}.")
    situation = np.array(
        [keys.index(roster.situations[s.employee_id]) for s in sellers]
        + [keys.index("territory") if "territory" in keys else 0]
    )
    skills = rng.standard_normal((n, len(BEHAVIOURS)))
    skills[-1] = 0.0
    noise = rng.standard_normal(n)
    opportunity_noise = 0.15 * rng.standard_normal(n)
    activity_noise = 0.1 * rng.standard_normal(n)
    book = rng.random(n)

    weights = np.zeros((len(keys), len(BEHAVIOURS)))
    for s_index, situation_key in enumerate(keys):
        for behaviour, weight in company.drivers[situation_key].items():
            weights[s_index, B[behaviour]] = weight
    log_attainment = np.einsum("ij,ij->i", weights[situation], skills) + ATTAINMENT_NOISE_SD * noise
    attainment = ATTAINMENT_BASELINE * np.exp(log_attainment)

    hire = np.array([day_number(s.hire_date) if s.hire_date else p0 - 3650 for s in sellers] + [p0 - 900])
    left = np.array([day_number(s.end_date) + 1 if s.end_date else p1 for s in sellers] + [p0 + 40])
    window_start = np.maximum(hire, p0)
    window_end = np.minimum(left, p1)
    active_days = np.maximum(window_end - window_start, 0)

    profiles = [company.profiles[key] for key in keys]
    opps_per_year = np.array([profiles[s].opportunities_per_year for s in situation])
    acts_per_week = np.array([profiles[s].activities_per_week for s in situation])
    win_rate = np.array([profiles[s].win_rate for s in situation])
    lo = np.array([profiles[s].accounts[0] for s in situation])
    hi = np.array([profiles[s].accounts[1] for s in situation])
    accounts = np.where(active_days > 0, lo + np.floor(book * (hi - lo + 1)).astype(np.int64), 0)
    accounts[-1] = EX_EMPLOYEE_ACCOUNTS

    natural_opps = (
        opps_per_year
        * active_days
        / 365.0
        * np.exp(PROSPECTING_OPPS * skills[:, B["prospecting"]] + opportunity_noise)
    )
    natural_acts = (
        acts_per_week
        * active_days
        / 7.0
        * np.exp(ACTIVITY_VOLUME_LOG * skills[:, B["activity_volume"]] + activity_noise)
    )
    natural_opps[-1] = natural_acts[-1] = 0.0

    manager_ids = [s.manager_employee_id for s in sellers] + [""]
    manager_closes = np.array([m in closes for m in manager_ids])
    manager_spike = np.array([m in spikes for m in manager_ids])
    expected_wins = natural_opps * win_rate * np.power(attainment, 0.65)
    # A manager takes over deals only where the seller worked long enough for a deal to open and close.
    longest_cycle = np.array([profiles[s].cycle_days[1] for s in situation])
    natural_manager_deals = np.where(
        manager_closes & (active_days >= 1.5 * longest_cycle), MANAGER_DEAL_SHARE * expected_wins, 0.0
    )

    reserved_opps, reserved_acts = EX_EMPLOYEE_OPPORTUNITIES, EX_EMPLOYEE_ACTIVITIES
    opp_weights = np.concatenate([natural_opps, natural_manager_deals])
    act_weights = np.concatenate([natural_acts, MANAGER_ACTIVITIES_PER_DEAL * natural_manager_deals])
    notes: list[str] = []
    if config.opportunities is None:
        opp_total = round(float(opp_weights.sum()))
    else:
        opp_total = config.opportunities - reserved_opps
        if opp_total < 0:
            reserved_opps, opp_total = config.opportunities, 0
            notes.append("Fewer opportunities than the CRM-only former seller's few: sellers get none.")
    if config.activities is None:
        act_total = round(float(act_weights.sum()))
    else:
        act_total = config.activities - reserved_acts
        if act_total < 0:
            reserved_acts, act_total = config.activities, 0
    opp_counts = allocate(opp_weights, opp_total)
    act_counts = allocate(act_weights, act_total)
    opportunities, manager_deals = opp_counts[:n].copy(), opp_counts[n:].copy()
    activities, manager_activities = act_counts[:n].copy(), act_counts[n:].copy()
    opportunities[-1], activities[-1] = reserved_opps, reserved_acts
    # Rounding can leave a manager activities without a deal to work on: the seller does them instead.
    activities += np.where(manager_deals == 0, manager_activities, 0)
    manager_activities = np.where(manager_deals == 0, 0, manager_activities)

    opportunity_scale = opp_total / max(float(opp_weights.sum()), 1e-9) if opp_total else 1.0
    activity_scale = act_total / max(float(act_weights.sum()), 1e-9) if act_total else 1.0

    has_quota = None
    if company.quota_share < 1.0:
        # Its own generator, so that a company where everyone has a quota is generated as before.
        has_quota = np.random.default_rng([config.seed, 2]).random(n) < company.quota_share

    user_index = np.array([index_of[s.employee_id] for s in sellers] + [ex_user.index])
    manager_user_index = np.array([index_of.get(m, -1) for m in manager_ids])
    return Plan(
        config=config,
        roster=roster,
        quarters=quarters,
        users=users,
        roles=roles,
        struggling=struggling,
        employee_ids=[s.employee_id for s in sellers] + [""],
        situation=situation,
        skills=skills,
        attainment_steady=attainment,
        user_index=user_index,
        manager_user_index=manager_user_index,
        window_start=window_start,
        window_end=window_end,
        hire_day=hire,
        accounts=accounts,
        opportunities=opportunities,
        activities=activities,
        manager_deals=manager_deals,
        manager_activities=manager_activities,
        opportunity_noise=opportunity_noise,
        manager_closes=manager_closes,
        manager_spike=manager_spike,
        crm_only=np.arange(n) == n - 1,
        region=[_region_of(s) for s in sellers] + ["North America East"],
        opportunity_scale=opportunity_scale,
        activity_scale=activity_scale,
        quota_scale=opportunity_scale,
        notes=notes,
        situation_keys=keys,
        profiles=profiles,
        has_quota=has_quota,
    )


def tenure_months(plan: Plan, row: int) -> int:
    """Whole months from the hire date to the end of the period."""
    return max(0, math.floor((plan.period_end_day - 1 - int(plan.hire_day[row])) / 30.4375))
