"""truth.json: what the generator planted, in the layout docs/planted-truth.md describes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo.generator.model import (
    ATTAINMENT_BASELINE,
    ATTAINMENT_NOISE_SD,
    BEHAVIOURS,
    RAMP_FLOOR,
    RAMP_MONTHS,
)
from demo.generator.plan import Plan, from_day_number, tenure_months
from demo.generator.records import SellerStats


def build_truth(
    plan: Plan, stats: list[SellerStats], crm_user_id: Callable[[int], str], rows: dict[str, int]
) -> dict[str, Any]:
    """The truth document for a finished export (`stats` has one entry per plan row)."""
    config = plan.config
    by_row = {s.row: s for s in stats}
    situations: dict[str, Any] = {}
    for key in plan.situation_keys:
        drivers = config.company.drivers[key]
        situations[key] = {
            "drivers": dict(drivers),
            "non_drivers": [b for b in BEHAVIOURS if b not in drivers],
            "sellers": [],
        }
    sellers: dict[str, Any] = {}
    for row, employee_id in enumerate(plan.employee_ids):
        if plan.crm_only[row]:
            continue
        situation = plan.roster.situations[employee_id]
        situations[situation]["sellers"].append(employee_id)
        stat = by_row[row]
        manager = plan.manager_user_index[row]
        sellers[employee_id] = {
            "situation": situation,
            "skills": {b: round(float(plan.skills[row, i]), 4) for i, b in enumerate(BEHAVIOURS)},
            "attainment": None if stat.attainment is None else round(stat.attainment, 4),
            "attainment_steady": round(float(plan.attainment_steady[row]), 4),
            "tenure_months": tenure_months(plan, row),
            "manager_employee_id": plan.users[manager].employee_id if manager >= 0 else None,
            "active_from": from_day_number(int(plan.window_start[row])).isoformat(),
            "active_to": from_day_number(int(plan.window_end[row]) - 1).isoformat(),
            "crm_user_id": crm_user_id(int(plan.user_index[row])),
            "opportunities": stat.opportunities,
            "won": stat.won,
            "activities": stat.activities,
            "has_quota": bool(plan.has_quota is None or plan.has_quota[row]),
        }
    row_of = {e: r for r, e in enumerate(plan.employee_ids) if e}
    struggling = []
    for manager in plan.struggling:
        team_rows = [row_of[e] for e in manager.team if e in row_of]
        team_stats = [by_row[r] for r in team_rows]
        entry: dict[str, Any] = {
            "employee_id": manager.employee_id,
            "crm_user_id": crm_user_id(manager.user_index),
            "patterns": manager.patterns,
            "team": manager.team,
            "closed_team_deals": sum(s.manager_deals for s in team_stats),
            "team_won_on_team_accounts": sum(s.won + s.manager_deals for s in team_stats),
            "team_wins_in_last_two_weeks_of_quarter": sum(s.wins_in_last_two_weeks for s in team_stats),
            "team_wins_in_period": sum(s.wins_in_period for s in team_stats),
        }
        if manager.voluntary_leavers_last_12_months is not None:
            entry["voluntary_leavers_last_12_months"] = manager.voluntary_leavers_last_12_months
        struggling.append(entry)
    crm_only = [
        {"crm_user_id": crm_user_id(u.index), "name": u.full_name, "email": u.email, "kind": u.kind}
        for u in plan.users
        if u.kind != "person"
    ]
    return {
        "seed": config.seed,
        "generated_at": f"{config.period_end.isoformat()}T23:59:59Z",
        "format": config.format,
        "period": {"start": config.period_start.isoformat(), "end": config.period_end.isoformat()},
        "completed_quarters": [q.start_date.isoformat() for q in plan.quarters if q.completed],
        "behaviours": list(BEHAVIOURS),
        "attainment_model": {
            "baseline": ATTAINMENT_BASELINE,
            "noise_sd": ATTAINMENT_NOISE_SD,
            "ramp_months": RAMP_MONTHS,
            "ramp_floor": RAMP_FLOOR,
        },
        "situations": situations,
        "sellers": sellers,
        "struggling_managers": struggling,
        "crm_only_users": crm_only,
        "rows": rows,
        "people_source": plan.roster.source,
    }


def write_truth(truth: dict[str, Any], path: Path) -> Path:
    """Write the truth as JSON with sorted keys (same plan, same bytes)."""
    path.write_text(json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
