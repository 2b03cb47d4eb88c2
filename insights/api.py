"""The bottom-up engine over the API: situations, profiles, seller diagnostics and manager needs.

The same selectors, and the same scope, as the pages: everything reads the latest succeeded analysis, and a person
or situation outside the caller's scope answers 404 like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from api.auth import caller
from api.errors import COMMON_ERRORS
from api.ids import Id
from api.schemas import PersonRef
from insights import selectors, services
from insights.equipment import equipped_task_keys
from insights.models import AnalysisRun, SellerDiagnostic

router = Router(tags=["Insights"])


class RunOut(Schema):
    id: int
    finished_at: dt.datetime | None
    period_start: dt.date | None
    period_end: dt.date | None
    outcome: str = Field(..., description="attainment, or relative_revenue when quotas are missing.")
    seller_count: int = Field(..., description="Sellers analysed among the people you may see.")
    notes: list[str] = Field(..., description="What the CRM data had and lacked: as the analysis wrote them for "
                             "administrators (they count people company-wide), about your own sellers for others.")


class RunStatusOut(Schema):
    id: int
    status: str
    progress: int
    stage: str
    reason: str
    error: str


class SituationRef(Schema):
    id: int
    name: str


class TaskWeightOut(Schema):
    task_key: str
    task_name: str
    rank: int
    weight: float


class MixedBookOut(Schema):
    warning: str = Field(..., description="As the pages say it: how the sellers split into kinds of book (for "
                         "example account counts in two groups), the suggestion to define a rule that separates "
                         "them, and how the analysis compares sellers until then.")
    suggestion: str = Field(..., description="define_rule: define a situation by rule (Define situations) that "
                            "separates the kinds of book; it applies from the next analysis.")
    define_rules_url: str | None = Field(..., description="The page where situations are defined by rule, when "
                                         "you may define them (HR partners, senior sales leaders, "
                                         "administrators); null otherwise.")


class SituationOut(Schema):
    id: int
    name: str
    kind: str = Field(..., description="rule (defined by HR or leaders) or proposed (found in the data).")
    summary: str = Field(..., description="The book in plain words.")
    seller_count: int
    estimated_from_data: bool
    critical_tasks: list[TaskWeightOut]
    possibly_mixed: MixedBookOut | None = Field(..., description="Set when the situation's sellers look like more "
                                                "than one kind of book; null when they look like one.")


class SituationListOut(Schema):
    run: RunOut | None
    items: list[SituationOut]


class OverrideOut(Schema):
    weight: float
    note: str
    author: str
    at: dt.datetime


class TaskEvidenceOut(Schema):
    task_key: str
    task_name: str
    rank: int
    weight: float = Field(..., description="The weight in force: the override if any, else the blend.")
    is_critical: bool
    driven_by: str = Field(..., description="data, prior, override or unavailable.")
    data_share: float = Field(..., description="Share of the blend that came from the data (0-1).")
    effect: float | None = Field(..., description="Standardised coefficient estimated from the data.")
    ci_low: float | None
    ci_high: float | None
    prior_weight: float
    seller_count: int
    metric_key: str
    available: bool
    unavailable_reason: str
    top_quartile: float | None = Field(..., description="Median metric value of the top-quartile sellers.")
    median: float | None
    bottom_quartile: float | None
    explanation: str
    override: OverrideOut | None


class ProfileOut(Schema):
    run: RunOut
    situation: SituationOut
    tasks: list[TaskEvidenceOut]


class GapOut(Schema):
    task_key: str
    task_name: str
    is_critical: bool
    value: float | None
    value_text: str
    percentile: float | None
    target: float | None = Field(..., description="Top-quartile level among situation peers.")
    target_text: str
    gap: float = Field(..., description="Shortfall to the target in peer standard deviations.")
    importance: float
    priority: float = Field(..., description="Importance x gap for the situation's critical tasks; 0 for a task "
                            "that is not critical there (is_critical false), however large its gap.")
    priority_rank: int | None = Field(..., description="1-3 for the seller's coaching priorities, else null.")
    reason: str


class SellerNumbersOut(Schema):
    """The seller's own numbers for the run's period, as a CRM report by opportunity owner shows them."""

    opportunities_created: int = Field(..., description="Opportunities created in the period.")
    opportunities_won: int = Field(..., description="Won, with a close date in the period.")
    opportunities_lost: int = Field(..., description="Closed and not won, with a close date in the period.")
    opportunities_open: int = Field(..., description="Not closed when the CRM data was exported.")
    win_rate: float | None = Field(..., description="Won / (won + lost), 0-1; null when nothing closed.")
    won_revenue: float = Field(..., description="Sum of the won opportunities' amounts, as recorded.")
    quota: float | None = Field(..., description="Quota for the period, each quota prorated by the days it "
                                "overlaps the period; null without one.")
    attainment: float | None = Field(..., description="Won revenue / quota, 0-1 and above; null without a quota.")
    currencies: list[str] = Field(..., description="Currencies of the opportunities counted. With more than one, "
                                  "amounts are added up unconverted (the CRM data has no exchange rates).")
    in_seat_since: dt.date | None = Field(..., description="The HR hire date, else the first CRM record.")


class SellerDiagnosticOut(Schema):
    run: RunOut | None
    person: PersonRef
    situation: SituationRef | None
    assigned_by: str | None
    tenure_months: float | None
    is_ramping: bool
    outcome: float | None
    outcome_percentile: float | None
    numbers: SellerNumbersOut | None
    priorities: list[GapOut]
    tasks: list[GapOut]


def _numbers(d: SellerDiagnostic) -> dict[str, Any]:
    return {"opportunities_created": d.opportunities_created, "opportunities_won": d.opportunities_won,
            "opportunities_lost": d.opportunities_lost, "opportunities_open": d.opportunities_open,
            "win_rate": d.win_rate, "won_revenue": d.won_amount or 0.0, "quota": d.quota,
            "attainment": d.attainment, "currencies": list(d.currencies or []), "in_seat_since": d.seat_start}


class ManagerNeedOut(Schema):
    task_key: str
    task_name: str
    rank: int
    priority: float
    reason: str
    sellers: list[PersonRef]
    coaching_focus: str
    equipped: bool = Field(..., description="Whether the manager has shown mastery in a course that teaches it.")


class ComparisonOut(Schema):
    situation: SituationRef
    seller_count: int
    team_median_percentile: float | None
    other_teams: int
    other_teams_median_percentile: float | None
    team_rank: int | None


class ManagerNeedsOut(Schema):
    run: RunOut | None
    manager: PersonRef
    needs: list[ManagerNeedOut]
    comparisons: list[ComparisonOut]


def _run(user: Any, run: AnalysisRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    summary = selectors.run_summary(user=user, run=run)
    return {"id": run.pk, "finished_at": run.finished_at, "period_start": run.period_start,
            "period_end": run.period_end, "outcome": run.outcome, "seller_count": summary.seller_count,
            "notes": summary.notes}


def _mixed(user: Any, warning: str) -> dict[str, Any] | None:
    if not warning:
        return None
    may_define = selectors.can_review_profiles(user)
    return {"warning": warning, "suggestion": "define_rule",
            "define_rules_url": reverse("insights:situation_rules") if may_define else None}


def _situation(user: Any, card: selectors.SituationCard) -> dict[str, Any]:
    r = card.result
    return {"id": r.situation_id, "name": r.situation.name, "kind": r.situation.kind, "summary": r.summary,
            "seller_count": r.seller_count, "estimated_from_data": r.estimated_from_data,
            "critical_tasks": [{"task_key": e.task.key, "task_name": e.task.name, "rank": e.rank,
                                "weight": e.weight} for e in card.critical],
            "possibly_mixed": _mixed(user, str(r.features.get("mixed") or ""))}


@router.get("/situations", response={200: SituationListOut, **COMMON_ERRORS}, url_name="insights_situations",
            summary="Situations of the latest analysis")
def list_situations(request: HttpRequest) -> dict[str, Any]:
    """Every situation you may see, with its book in words and its critical tasks."""
    user = caller(request)
    if not selectors.can_view_situations(user):
        raise Http404
    run = selectors.latest_run()
    cards = selectors.situation_cards(user=user, run=run) if run else []
    return {"run": _run(user, run), "items": [_situation(user, c) for c in cards]}


@router.get("/situations/{api_id:situation_id}", response={200: ProfileOut, **COMMON_ERRORS},
            url_name="insights_situation", summary="A situation's critical-task profile")
def situation_profile(request: HttpRequest, situation_id: Id) -> dict[str, Any]:
    """Each task's weight, the evidence behind it (effect, 95% CI, sellers, prior, what drove it), the top- and
    bottom-quartile values, and any override in force."""
    user = caller(request)
    run = selectors.latest_run()
    if run is None:
        raise Http404
    profile = selectors.situation_profile(user=user, run=run, situation_id=situation_id)
    critical = [row.evidence for row in profile.rows if row.evidence.is_critical]
    card = selectors.SituationCard(profile.result, critical, len(profile.sellers))
    tasks = []
    for row in profile.rows:
        e = row.evidence
        hide = profile.hide_quartiles
        tasks.append({
            "task_key": e.task.key, "task_name": e.task.name, "rank": e.rank, "weight": e.weight,
            "is_critical": e.is_critical, "driven_by": e.driven_by, "data_share": e.data_share, "effect": e.effect,
            "ci_low": e.ci_low, "ci_high": e.ci_high, "prior_weight": e.prior_weight, "seller_count": e.seller_count,
            "metric_key": e.metric_key, "available": e.available, "unavailable_reason": e.unavailable_reason,
            "top_quartile": None if hide else e.top_quartile, "median": None if hide else e.median,
            "bottom_quartile": None if hide else e.bottom_quartile, "explanation": e.explanation,
            "override": {"weight": e.weight, "note": e.override_note, "author": e.override_author,
                         "at": e.override_at} if e.driven_by == "override" and e.override_at else None,
        })
    return {"run": _run(user, run), "situation": _situation(user, card), "tasks": tasks}


def _gap(row: selectors.GapRow) -> dict[str, Any]:
    g = row.gap
    return {"task_key": g.task.key, "task_name": g.task.name, "is_critical": g.is_critical, "value": g.value,
            "value_text": row.value_text, "percentile": g.percentile, "target": g.target,
            "target_text": row.target_text, "gap": g.gap, "importance": g.importance, "priority": g.priority,
            "priority_rank": g.priority_rank, "reason": g.reason}


@router.get("/sellers/{api_id:person_id}", response={200: SellerDiagnosticOut, **COMMON_ERRORS},
            url_name="insights_seller", summary="A seller's diagnostic")
def seller_diagnostic(request: HttpRequest, person_id: Id) -> dict[str, Any]:
    """Each task's value, percentile among situation peers, gap to the top quartile and coaching priority."""
    user = caller(request)
    run = selectors.latest_run()
    view = selectors.seller_view(user=user, person_id=person_id, run=run)
    d = view.diagnostic
    return {
        "run": _run(user, run), "person": {"id": view.person.pk, "full_name": view.person.full_name},
        "situation": {"id": d.situation_id, "name": d.situation.name} if d else None,
        "assigned_by": d.assigned_by if d else None, "tenure_months": d.tenure_months if d else None,
        "is_ramping": d.is_ramping if d else False, "outcome": d.outcome if d else None,
        "outcome_percentile": d.outcome_percentile if d else None, "numbers": _numbers(d) if d else None,
        "priorities": [_gap(r) for r in view.priorities], "tasks": [_gap(r) for r in view.rows],
    }


@router.get("/managers/{api_id:person_id}/needs", response={200: ManagerNeedsOut, **COMMON_ERRORS},
            url_name="insights_manager_needs", summary="A manager's team coaching needs")
def manager_needs(request: HttpRequest, person_id: Id) -> dict[str, Any]:
    """What the manager's team needs coaching on (which tasks, which sellers, why), whether the manager is
    equipped to coach it, and how the team compares with other teams in the same situations."""
    user = caller(request)
    run = selectors.latest_run()
    view = selectors.manager_team(user=user, person_id=person_id, run=run)
    equipped = equipped_task_keys([view.manager.pk]).get(view.manager.pk, set())
    return {
        "run": _run(user, run), "manager": {"id": view.manager.pk, "full_name": view.manager.full_name},
        "needs": [{"task_key": n.task_key, "task_name": n.task_name, "rank": n.rank, "priority": n.priority,
                   "reason": n.reason, "coaching_focus": n.coaching_focus, "equipped": n.task_key in equipped,
                   "sellers": [{"id": p.pk, "full_name": p.full_name} for p in n.sellers]} for n in view.needs],
        "comparisons": [{"situation": {"id": c.situation_id, "name": c.situation.name},
                         "seller_count": c.seller_count, "team_median_percentile": c.team_median_percentile,
                         "other_teams": c.other_teams,
                         "other_teams_median_percentile": c.other_teams_median_percentile,
                         "team_rank": c.team_rank} for c in view.comparisons],
    }


@router.post("/runs", response={202: RunStatusOut, **COMMON_ERRORS}, url_name="insights_run_start",
             summary="Start an analysis")
def start_run(request: HttpRequest) -> Status[AnalysisRun]:
    """Queue an analysis of the last four complete quarters (HR partners and administrators)."""
    user = caller(request)
    if not selectors.can_run_analysis(user):
        raise Http404
    return Status(202, services.analysis_enqueue(actor=user, reason="on demand (API)"))


@router.get("/runs/{api_id:run_id}", response={200: RunStatusOut, **COMMON_ERRORS}, url_name="insights_run",
            summary="An analysis run's progress")
def run_status(request: HttpRequest, run_id: Id) -> AnalysisRun:
    return selectors.run_detail(user=caller(request), run_id=run_id)
