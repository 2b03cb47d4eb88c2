"""Many different companies for calibration: kinds of book at uneven distances and sizes, drivers drawn at random.

    company = random_company(seed=3)                 # 2 to 6 kinds of book, drivers and nulls per kind
    roster = company_roster(company, seed=3)         # a VP, managers and teams of sellers for each kind
    config = GeneratorConfig(..., company=company)   # then generate_export as usual

The default generator has four kinds of book spaced about evenly (model.py). Real companies are not like that:
here one kind is placed far from the others and the rest close to each other, with sizes that differ several
times over, so an engine tuned on the evenly spaced four is tested on books it has never seen. Every number is
drawn from the seed: the same seed gives the same company.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np

from demo.generator.model import BEHAVIOURS, SITUATION_PROFILES, SituationProfile
from demo.generator.plan import CompanySpec
from demo.generator.roster import Roster, RosterPerson

# How far apart two kinds of book are, as a factor on each of (accounts, deal size, cycle, opportunities a year):
# near kinds differ by these factors, a far kind by about their cube.
NEAR_FACTORS: tuple[tuple[float, float], ...] = ((1.7, 2.3), (1.8, 2.5), (1.6, 2.1), (1.3, 1.7))
FAR_POWER = 3.0
# Cycles under about two weeks are left out: close-date pushes of a week or more would swamp them.
BOUNDS: tuple[tuple[float, float], ...] = ((4, 1200), (2_000, 900_000), (15, 300), (8, 400))
STRONG_DRIVER = (0.28, 0.36)  # planted weight of the strongest driver of each kind
OTHER_DRIVER = (0.12, 0.24)
AS_OF = dt.date(2026, 6, 30)


def _profile(key: str, position: np.ndarray, rng: np.random.Generator) -> SituationProfile:
    """A kind of book at `position` (log accounts, deal size, cycle days, opportunities a year), with the rest of
    its shape (stages, activity mix, contacts) from the default kind nearest in deal size."""
    accounts, deal, cycle, volume = (float(math.exp(v)) for v in position)
    template = min(SITUATION_PROFILES.values(), key=lambda p: abs(math.log(p.deal_median / deal)))
    half = 1.25
    activity = template.activities_per_week * math.sqrt(volume / template.opportunities_per_year)
    return dataclasses.replace(
        template,
        key=key,
        label=f"Kind {key[-1]}",
        accounts=(max(3, round(accounts / half)), max(4, round(accounts * half))),
        deal_median=round(deal, -2),
        cycle_days=(max(3, round(cycle / 1.4)), max(5, round(cycle * 1.4))),
        opportunities_per_year=round(volume, 1),
        existing_share=float(np.clip(template.existing_share + rng.uniform(-0.1, 0.1), 0.05, 0.9)),
        activities_per_week=round(float(np.clip(activity, 8, 120)), 1),
    )


def _positions(kinds: int, rng: np.random.Generator) -> np.ndarray:
    """Log positions of the kinds: the first far from the rest, each later one near an earlier one, and no two
    nearer than a near step (redrawn until so)."""
    low = np.log([b[0] for b in BOUNDS])
    high = np.log([b[1] for b in BOUNDS])
    near = np.log(np.array(NEAR_FACTORS))
    # Many kinds may not fit the bounds with the far kind that far: it comes nearer step by step.
    for attempt in range(2000):
        far = FAR_POWER - 0.5 * (attempt // 500)
        points = [rng.uniform(low + 0.3 * (high - low), high - 0.3 * (high - low))]
        for k in range(1, kinds):
            step = rng.uniform(near[:, 0], near[:, 1]) * rng.choice([-1.0, 1.0], size=len(near))
            if k == 1:
                step *= far
            base = points[0] if k == 1 else points[int(rng.integers(1, k))]
            points.append(base + step)
        p = np.array(points)
        inside = ((p >= low) & (p <= high)).all()
        gaps = [np.abs(p[i] - p[j]) / near[:, 0] for i in range(kinds) for j in range(i)]
        # Near enough to be hard, apart enough to be told apart: at least two features a near step apart.
        apart = all(int((g >= 1.0).sum()) >= 2 for g in gaps)
        if inside and apart:
            return p
    raise ValueError("Could not place the kinds of book within the bounds; try another seed.")


def random_drivers(rng: np.random.Generator) -> dict[str, float]:
    """Two to four drivers: one strong, the others moderate; every other behaviour is a planted null."""
    count = int(rng.integers(2, 5))
    chosen = [BEHAVIOURS[i] for i in rng.choice(len(BEHAVIOURS), size=count, replace=False)]
    weights = [rng.uniform(*STRONG_DRIVER)] + [rng.uniform(*OTHER_DRIVER) for _ in chosen[1:]]
    return {b: round(float(w), 3) for b, w in zip(chosen, weights, strict=True)}


def random_company(seed: int, *, kinds: int | None = None, quota_share: float | None = None) -> CompanySpec:
    """A company with `kinds` kinds of book (2 to 6, drawn when None) at uneven distances, each with its own
    drivers; quotas for everyone, most or nobody (drawn when `quota_share` is None)."""
    rng = np.random.default_rng([seed, 11])
    count = int(rng.integers(2, 7)) if kinds is None else kinds
    if not 2 <= count <= 6:
        raise ValueError(f"A generated company has 2 to 6 kinds of book, not {count}.")
    positions = _positions(count, rng)
    keys = [f"kind_{i + 1}" for i in range(count)]
    profiles = {key: _profile(key, positions[i], rng) for i, key in enumerate(keys)}
    drivers = {key: random_drivers(rng) for key in keys}
    share = float(rng.choice([1.0, 1.0, 0.8, 0.0])) if quota_share is None else quota_share
    return CompanySpec(profiles=profiles, drivers=drivers, quota_share=share)


def company_roster(company: CompanySpec, seed: int, *, sellers: tuple[int, int] = (40, 90), team_size: int = 8,
                   as_of: dt.date = AS_OF, ramping_every: int = 6) -> Roster:
    """A VP and, for each kind of book, teams of `team_size` sellers under a manager each; each kind has a number
    of sellers drawn from `sellers` (so sizes are uneven). Every `ramping_every`-th seller was hired a few months
    ago; the others have been in seat two to six years."""
    rng = np.random.default_rng([seed, 12])
    people: list[RosterPerson] = []

    def add(title: str, manager: str, team: str, hired_days: int) -> str:
        n = len(people) + 1
        employee_id = f"C{n:05d}"
        people.append(RosterPerson(
            employee_id=employee_id, first_name=title.split()[0], last_name=f"N{n}",
            email=f"c{n}@kestrel.example", job_title=title, manager_employee_id=manager, team_name=team,
            region=["North", "South"][n % 2], location="Boston", hire_date=as_of - dt.timedelta(days=hired_days),
            end_date=None, status="active", leaving_reason="",
        ))
        return employee_id

    vp = add("VP Sales", "", "Sales", 4000)
    situations: dict[str, str] = {}
    for key in company.keys:
        count = int(rng.integers(sellers[0], sellers[1] + 1))
        teams = max(1, math.ceil(count / team_size))
        for team in range(teams):
            team_name = f"{key} team {team + 1}"
            manager = add("Sales Manager", vp, team_name, 2500)
            members = min(team_size, count - team * team_size)
            for member in range(members):
                ramping = (member + team) % ramping_every == ramping_every - 1
                hired = int(rng.integers(60, 240)) if ramping else int(rng.integers(700, 2200))
                seller = add(f"Account Executive {company.profiles[key].label}", manager, team_name, hired)
                situations[seller] = key
    return Roster(people=people, situations=situations, as_of=as_of, source=f"generated company (seed {seed})")
