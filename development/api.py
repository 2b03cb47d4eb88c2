"""Mastery evidence and development plans over the JSON API: the same selectors, services and scope as the pages.

A manager outside the caller's scope (or one they have no standing towards) answers 404 like one that does not
exist; a caller who may see evidence but not decide it (the manager themself) gets 403 on review.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from api.auth import caller
from api.errors import COMMON_ERRORS, ErrorOut
from api.ids import Id
from api.pagination import PageMeta, PageParams, paginate
from api.schemas import ComponentName, PersonRef
from development import selectors, services
from development.models import MasteryEvidence
from training.models import Competency, Course

router = Router(tags=["Development"])

ERRORS_WITH_FORBIDDEN: dict[int, type[ErrorOut]] = {**COMMON_ERRORS, 403: ErrorOut}
EvidenceKind = Annotated[MasteryEvidence.Kind, ComponentName("EvidenceKind")]
EvidenceStatus = Annotated[MasteryEvidence.Status, ComponentName("EvidenceStatus")]


# --- Schemas ---------------------------------------------------------------------------------------------------


class CompetencyRef(Schema):
    key: str
    name: str


class CourseRef(Schema):
    key: str
    title: str


class MasteryEvidenceOut(Schema):
    id: int
    manager: PersonRef
    competency: CompetencyRef
    course: CourseRef | None
    kind: str = Field(..., description="assessment_score, observed_demonstration or assignment_review.")
    summary: str
    occurred_on: dt.date
    score: Decimal | None = Field(..., description="Assessment score in percent.")
    pass_mark: Decimal | None
    link: str
    status: str = Field(..., description="submitted, in_review, accepted or sent_back.")
    revision: int
    submitted_at: dt.datetime
    submitted_by: str | None = Field(..., description="Email of who submitted it.")
    reviewer: str | None = Field(..., description="Email of who reviewed it.")
    review_started_at: dt.datetime | None
    decided_at: dt.datetime | None
    reviewer_comment: str

    @staticmethod
    def resolve_submitted_by(obj: MasteryEvidence) -> str | None:
        return obj.submitted_by.email if obj.submitted_by is not None else None

    @staticmethod
    def resolve_reviewer(obj: MasteryEvidence) -> str | None:
        return obj.reviewer.email if obj.reviewer is not None else None


class EvidencePage(PageMeta):
    items: list[MasteryEvidenceOut]


class EvidenceQuery(PageParams):
    manager: Id | None = Field(None, description="Only this manager's evidence.")
    status: EvidenceStatus | None = None


class EvidenceIn(Schema):
    manager_id: Id
    competency: str = Field(..., description="The competency key.")
    course: str | None = Field(None, description="The course key the evidence comes from, if any.")
    kind: EvidenceKind
    summary: str = Field(..., max_length=5000)
    occurred_on: dt.date
    score: Decimal | None = Field(None, ge=0, le=100, description="Assessments: score in percent.")
    pass_mark: Decimal | None = Field(None, ge=0, le=100, description="Assessments: pass mark in percent.")
    link: str = Field("", max_length=200)


class ReviewIn(Schema):
    action: Literal["start", "accept", "send_back"]
    comment: str = Field("", max_length=5000, description="Required (10+ characters) to send back.")


class SellerOut(Schema):
    id: str
    name: str


class ReasonOut(Schema):
    task_key: str
    task_name: str
    priority: str
    reason: str
    sellers: list[SellerOut] = Field(..., description="Sellers with this gap that you may see.")
    hidden_sellers: int = Field(0, description="Sellers with this gap outside your scope (not named).")


class CompetencyStateOut(Schema):
    key: str
    name: str
    status: str = Field(..., description="Mastered, In review, Evidence submitted, Sent back, Not yet evidenced.")
    mastered_on: dt.date | None = Field(..., description="When mastered: the date of the earliest accepted evidence.")


class CourseProgressOut(Schema):
    course: CourseRef
    status: str
    enrolment_due_on: dt.date | None
    completed_on: dt.date | None
    done: bool = Field(..., description="Mastered (all its competencies) or, without competencies, completed.")
    competencies: list[CompetencyStateOut]


class ModuleOut(CourseProgressOut):
    due_on: dt.date
    overdue_days: int
    source: str = Field(..., description="team_needs (recommended) or leader (added by hand).")
    reasons: list[ReasonOut] = Field(..., description="The team coaching needs that call for this module.")


class PlanOut(Schema):
    manager: PersonRef
    percent: int
    fundamentals_status: str
    fundamentals: list[CourseProgressOut]
    modules: list[ModuleOut]
    competencies: list[CompetencyStateOut]
    refreshed_at: dt.datetime | None = Field(..., description="When the team's needs were last read.")
    analysis_note: str = Field(..., description="Why there are no recommendations, when so.")


class PlanRowOut(Schema):
    manager: PersonRef
    percent: int
    fundamentals_done: int = Field(..., description="Fundamentals mastered (every competency shown by accepted "
                                   "evidence, or exempted by HR); completing a course is not enough.")
    fundamentals_completed: int = Field(..., description="Fundamentals completed (attended or imported), mastered "
                                        "or not.")
    fundamentals_total: int
    fundamentals_overdue: int
    modules_done: int
    modules_total: int
    modules_overdue: int
    competencies_mastered: int
    awaiting_review: int
    next_due: dt.date | None


# --- Evidence --------------------------------------------------------------------------------------------------


@router.get("/evidence", response={200: EvidencePage, **COMMON_ERRORS}, url_name="development_evidence",
            summary="List mastery evidence")
def evidence_list(request: HttpRequest, filters: Query[EvidenceQuery]) -> dict[str, Any]:
    """Your own evidence, and that of the managers you lead or support as HR, newest first."""
    evidence = selectors.evidence_list(
        user=caller(request), manager_id=filters.manager,
        status=filters.status.value if filters.status else "",
    )
    return paginate(evidence, filters)


@router.post("/evidence", response={201: MasteryEvidenceOut, **ERRORS_WITH_FORBIDDEN},
             url_name="development_evidence_submit", summary="Submit mastery evidence")
def evidence_submit(request: HttpRequest, payload: EvidenceIn) -> Status[MasteryEvidence]:
    """Submit evidence for yourself or for a manager you lead or support. Starts as `submitted`."""
    user = caller(request)
    manager, _ = selectors.plan_manager(user=user, manager_id=payload.manager_id)
    competency = get_object_or_404(Competency, key=payload.competency)
    course = get_object_or_404(Course, key=payload.course) if payload.course else None
    evidence = services.evidence_submit(
        actor=user, manager=manager, competency=competency, course=course, kind=payload.kind.value,
        summary=payload.summary, occurred_on=payload.occurred_on, score=payload.score,
        pass_mark=payload.pass_mark, link=payload.link,
    )
    return Status(201, selectors.evidence_detail(user=user, evidence_id=evidence.pk)[0])


@router.get("/evidence/{api_id:evidence_id}", response={200: MasteryEvidenceOut, **COMMON_ERRORS},
            url_name="development_evidence_detail", summary="One piece of evidence")
def evidence_get(request: HttpRequest, evidence_id: Id) -> MasteryEvidence:
    return selectors.evidence_detail(user=caller(request), evidence_id=evidence_id)[0]


@router.post("/evidence/{api_id:evidence_id}/review", response={200: MasteryEvidenceOut, **ERRORS_WITH_FORBIDDEN},
             url_name="development_evidence_review", summary="Review mastery evidence")
def evidence_review(request: HttpRequest, evidence_id: Id, payload: ReviewIn) -> MasteryEvidence:
    """`start` (submitted -> in_review), `accept` or `send_back` (in_review -> accepted / sent_back, with a
    comment). Only HR or the manager's own leader; never the manager themself (403)."""
    user = caller(request)
    evidence, _ = selectors.evidence_detail(user=user, evidence_id=evidence_id)
    if payload.action == "start":
        services.evidence_start_review(actor=user, evidence=evidence)
    elif payload.action == "accept":
        services.evidence_accept(actor=user, evidence=evidence, comment=payload.comment)
    else:
        services.evidence_send_back(actor=user, evidence=evidence, comment=payload.comment)
    return selectors.evidence_detail(user=user, evidence_id=evidence_id)[0]


# --- Plans -----------------------------------------------------------------------------------------------------


def _competency_out(state: selectors.CompetencyState) -> dict[str, Any]:
    return {"key": state.competency.key, "name": state.competency.name, "status": state.label,
            "mastered_on": state.mastered_on}


def _progress_out(item: selectors.CourseProgress) -> dict[str, Any]:
    return {
        "course": item.course,
        "status": item.status_label,
        "enrolment_due_on": item.enrolment.due_on if item.enrolment is not None else None,
        "completed_on": item.completed_on,
        "done": item.done,
        "competencies": [_competency_out(c) for c in item.competencies],
    }


@router.get("/plans", response={200: list[PlanRowOut], **COMMON_ERRORS}, url_name="development_plans",
            summary="Plans of the managers you lead or support")
def plan_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every people manager below you in the reporting line (or in your HR scope), with plan progress."""
    rows = selectors.plans_overview(user=caller(request))
    return [{**row.__dict__, "percent": row.percent} for row in rows]


@router.get("/plans/{api_id:manager_id}", response={200: PlanOut, **COMMON_ERRORS}, url_name="development_plan",
            summary="One manager's development plan")
def plan_get(request: HttpRequest, manager_id: Id) -> dict[str, Any]:
    """Fundamentals, modules recommended from the team's coaching needs (with why), due dates, mastery."""
    user = caller(request)
    manager, relation = selectors.plan_manager(user=user, manager_id=manager_id)
    view = selectors.plan_view(user=user, manager=manager, relation=relation, plan=services.plan_open(manager=manager))
    return {
        "manager": manager,
        "percent": view.percent,
        "fundamentals_status": view.fundamentals_status,
        "fundamentals": [_progress_out(f) for f in view.fundamentals],
        "modules": [
            {**_progress_out(m.progress), "due_on": m.due_on, "overdue_days": m.overdue_days,
             "source": m.module.source, "reasons": m.reasons}
            for m in view.modules
        ],
        "competencies": [_competency_out(c) for c in view.competencies],
        "refreshed_at": view.plan.refreshed_at,
        "analysis_note": view.plan.analysis_note,
    }
