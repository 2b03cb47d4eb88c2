"""The demo's development data, after the training program (order 50): every sales manager's plan read from their
team's coaching needs, mastery evidence in each state of the review workflow (the demo sales manager has one of
each), leaders' check-ins, and completions imported from a legacy learning system.

Everything goes through development.services, as a person would do it; only timestamps are moved into the past
afterwards so the history reads like weeks of use.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Role, User
from demo.registry import DemoContext, register_demo_step
from development import services
from development.models import (
    CompletionImport,
    DevelopmentPlan,
    ImportedCompletion,
    MasteryEvidence,
    PlanCheckIn,
    PlanModule,
    XapiOutbox,
)
from people.models import EmploymentStatus, Person
from training.models import Competency, Course, Enrolment

DEMO_ORDER = 50
LEGACY_SYSTEM = "Legacy LMS (SuccessFactors)"

Kind = MasteryEvidence.Kind


def register_demo_steps() -> None:
    register_demo_step("development", DEMO_ORDER, development_demo_step, reset=development_demo_reset)


def development_demo_step(context: DemoContext) -> None:
    """Seed plans, evidence, check-ins and an imported completions file (see the module docstring)."""
    # Delivery to the LRS is the worker's job; the demo only queues (no LRS is configured in the demo).
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        demo_manager_email = next((login.email for login in context.logins if login.role == "Sales manager"), "")
        summary = _seed(seed=context.seed, demo_manager_email=demo_manager_email, context=context)
    context.write(
        f"Development: {summary['plans']} plans ({summary['modules']} modules on them"
        f"{'' if summary['analysed'] else '; no team analysis available yet'}), {summary['evidence']} pieces of "
        f"mastery evidence ({summary['waiting']} waiting for review), {summary['imported']} completions imported "
        f"from {LEGACY_SYSTEM}."
    )
    context.shared["development"] = summary


def _sales_managers() -> list[Person]:
    return list(
        Person.objects.filter(status=EmploymentStatus.ACTIVE, user__role_grants__role=Role.SALES_MANAGER,
                              direct_reports__status=EmploymentStatus.ACTIVE)
        .exclude(user__role_grants__role=Role.SENIOR_SALES_LEADER)
        .select_related("user", "manager", "manager__user", "org_unit").distinct().order_by("pk")
    )


def _leader_user(manager: Person, fallback: User) -> User:
    if manager.manager is not None and manager.manager.user is not None:
        return manager.manager.user
    return fallback


def _backdate(evidence: MasteryEvidence, days_ago: int) -> None:
    """Move the evidence's timeline `days_ago` days back, keeping its order (submitted, review, decision)."""
    shift = dt.timedelta(days=days_ago)
    evidence.submitted_at -= shift
    if evidence.review_started_at:
        evidence.review_started_at -= shift - dt.timedelta(days=1)
    if evidence.decided_at:
        evidence.decided_at -= shift - dt.timedelta(days=2)
    evidence.save(update_fields=["submitted_at", "review_started_at", "decided_at"])


def _evidence(manager: Person, leader: User, *, competency: str, kind: str, state: str, days_ago: int,
              summary: str, score: int | None = None, pass_mark: int | None = None,
              course: str | None = None, comment: str = "") -> MasteryEvidence:
    submitter = manager.user if manager.user is not None and kind != Kind.OBSERVED_DEMONSTRATION else leader
    evidence = services.evidence_submit(
        actor=submitter, manager=manager, competency=Competency.objects.get(key=competency), kind=kind,
        summary=summary, occurred_on=timezone.localdate() - dt.timedelta(days=days_ago + 1),
        score=Decimal(score) if score is not None else None,
        pass_mark=Decimal(pass_mark) if pass_mark is not None else None,
        course=Course.objects.filter(key=course).first() if course else None,
    )
    if state != "submitted":
        evidence = services.evidence_start_review(actor=leader, evidence=evidence)
    if state == "accepted":
        evidence = services.evidence_accept(actor=leader, evidence=evidence, comment=comment)
    elif state == "sent_back":
        evidence = services.evidence_send_back(actor=leader, evidence=evidence, comment=comment)
    _backdate(evidence, days_ago)
    return evidence


def _showcase(manager: Person, leader: User) -> None:
    """The demo sales manager: one piece of evidence in every state, and a leader who holds them to the plan."""
    _evidence(manager, leader, competency="feedback", kind=Kind.OBSERVED_DEMONSTRATION, state="accepted",
              days_ago=40, course="giving-feedback", comment="Specific, timely, and asked for feedback back.",
              summary="Observed a one-to-one: gave feedback on a missed follow-up using situation-behaviour-impact, "
                      "agreed the next step with the seller.")
    _evidence(manager, leader, competency="setting-expectations", kind=Kind.ASSESSMENT_SCORE, state="accepted",
              days_ago=30, score=86, pass_mark=70, course="setting-expectations", comment="Clear pass.",
              summary="End-of-module knowledge check on turning targets into measurable expectations.")
    _evidence(manager, leader, competency="coaching", kind=Kind.ASSIGNMENT_REVIEW, state="in_review",
              days_ago=6, course="coaching-vs-mentoring",
              summary="Four-week coaching plan for one seller on discovery, with notes from each session.")
    _evidence(manager, leader, competency="meeting-leadership", kind=Kind.OBSERVED_DEMONSTRATION,
              state="submitted", days_ago=2, course="effective-meetings",
              summary="Weekly team pipeline meeting run to the new agenda; decisions and owners recorded.")
    _evidence(manager, leader, competency="forecasting", kind=Kind.ASSESSMENT_SCORE, state="sent_back",
              days_ago=12, score=58, pass_mark=70, course="forecasting",
              comment="Below the pass mark: redo the pipeline-inspection exercise and retake the check.",
              summary="Forecasting knowledge check after the e-learning.")
    plan = DevelopmentPlan.objects.get(manager=manager)
    if not plan.modules.exists():
        services.plan_module_add(actor=leader, manager=manager, course=Course.objects.get(key="coaching-vs-mentoring"),
                                 due_on=timezone.localdate() + dt.timedelta(days=75))
    services.plan_check_in(actor=leader, manager=manager,
                           note="Agreed: coaching plan for one seller this month, forecasting check retaken before "
                                "the quarter-end call. Next check-in in four weeks.")
    PlanCheckIn.objects.filter(plan=plan).update(created_at=timezone.now() - dt.timedelta(days=10))


_OTHER_EVIDENCE: list[tuple[str, str, str, str, int | None]] = [
    ("feedback", Kind.OBSERVED_DEMONSTRATION, "giving-feedback",
     "Feedback conversation observed in a one-to-one.", None),
    ("setting-expectations", Kind.ASSESSMENT_SCORE, "setting-expectations", "Module knowledge check.", 81),
    ("coaching", Kind.OBSERVED_DEMONSTRATION, "coaching-vs-mentoring",
     "Coaching conversation on qualification, observed on a live deal review.", None),
    ("performance-documentation", Kind.ASSIGNMENT_REVIEW, "documenting-performance",
     "Performance notes for the team's mid-year reviews.", None),
    ("meeting-leadership", Kind.OBSERVED_DEMONSTRATION, "effective-meetings",
     "Team meeting run to the agenda, decisions recorded.", None),
]


def _others(managers: list[Person], fallback: User, rng: random.Random) -> None:
    for manager in managers:
        if rng.random() > 0.6:
            continue
        leader = _leader_user(manager, fallback)
        for competency, kind, course, summary, score in rng.sample(_OTHER_EVIDENCE, k=rng.randint(1, 3)):
            state = rng.choices(["accepted", "in_review", "submitted", "sent_back"], weights=[5, 2, 3, 1])[0]
            failing = state == "sent_back" and score is not None
            _evidence(manager, leader, competency=competency, kind=kind, state=state, days_ago=rng.randint(3, 80),
                      course=course, summary=summary,
                      score=(score - 25 if failing else score) if score is not None else None,
                      pass_mark=70 if score is not None else None,
                      comment="Accepted." if state == "accepted" else "Please add the notes from the session.")


def _legacy_import(managers: list[Person], rng: random.Random, context: DemoContext) -> int:
    """Completions some managers earned in the old learning system before the program started."""
    course = Course.objects.get(key="policies-and-values")
    completed_here = set(Enrolment.objects.filter(course=course, status=Enrolment.Status.COMPLETED)
                         .values_list("person_id", flat=True))
    chosen = [m for m in managers if m.pk not in completed_here][:8]
    lines = ["Employee ID,Email,Course Code,Completion Date,Score,Passed,Record ID,Learner Department"]
    for i, manager in enumerate(chosen):
        day = timezone.localdate() - dt.timedelta(days=rng.randint(200, 600))
        lines.append(f"{manager.employee_id},{manager.email},{course.key},{day.isoformat()},"
                     f"{rng.randint(72, 99)},yes,SF-{10400 + i},{manager.department or 'Sales'}")
    path = context.data_dir / "legacy_lms_completions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    record = services.completions_import(actor=None, file_name=path.name, content=path.read_bytes(),
                                         source_system=LEGACY_SYSTEM)
    return record.created_count


def _seed(*, seed: int, demo_manager_email: str, context: DemoContext) -> dict[str, Any]:
    rng = random.Random(seed * 53 + 11)
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        raise RuntimeError("The development demo needs the people step's administrator.")
    managers = _sales_managers()
    analysed = True
    with transaction.atomic():
        for manager in managers:
            result = services.plan_refresh(user=manager.user or admin, manager=manager, force=True)
            analysed = analysed and not (result.needs is not None and not result.needs.available)
        showcase = next((m for m in managers if m.email == demo_manager_email), managers[0] if managers else None)
        if showcase is not None:
            _showcase(showcase, _leader_user(showcase, admin))
        _others([m for m in managers if m != showcase], admin, rng)
        imported = _legacy_import(managers, rng, context) if managers else 0
    return {
        "plans": DevelopmentPlan.objects.count(),
        "modules": PlanModule.objects.filter(still_indicated=True).count(),
        "analysed": analysed,
        "evidence": MasteryEvidence.objects.count(),
        "waiting": MasteryEvidence.objects.filter(status__in=["submitted", "in_review"]).count(),
        "imported": imported,
    }


def development_demo_reset() -> None:
    """Delete everything the development app owns (before training's data, which it points at)."""
    with transaction.atomic():
        XapiOutbox.objects.all().delete()
        PlanCheckIn.objects.all().delete()
        PlanModule.objects.all().delete()
        DevelopmentPlan.objects.all().delete()
        MasteryEvidence.objects.all().delete()
        ImportedCompletion.objects.all().delete()
        CompletionImport.objects.all().delete()
