"""Reads of mastery, plans and learning records, always scoped to what the signed-in person may see.

A manager outside the caller's scope, or one they have no standing towards (see development.permissions),
answers 404, never a hint that they exist.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.models import AuditEvent
from development.equipment import equipped_task_keys
from development.models import (
    CompletionImport,
    DevelopmentPlan,
    ImportedCompletion,
    MasteryEvidence,
    PlanCheckIn,
    PlanModule,
    XapiOutbox,
)
from development.permissions import relation_to
from development.progress import (
    Standing,
    course_done,
    course_fraction,
    fundamentals_courses,
    fundamentals_standing,
    mastered_by_manager,
    plan_percent,
)
from people.models import EmploymentStatus, Person
from people.scoping import led_or_supported, me, scope_for, visible_people
from training.models import Booking, Competency, Course, Enrolment, Notice

ACTIVE_STATUSES = (EmploymentStatus.ACTIVE, EmploymentStatus.ON_LEAVE)


# ---------------------------------------------------------------------------------------------------------------
# Mastery
# ---------------------------------------------------------------------------------------------------------------


def mastered_competencies(*, manager: Person) -> dict[int, dt.date]:
    """Competency id -> when first mastered (`mastery_dates`), from accepted evidence only. Attendance never
    masters anything."""
    return mastery_dates(
        MasteryEvidence.objects.filter(manager=manager, status=MasteryEvidence.Status.ACCEPTED)
        .values_list("competency_id", "occurred_on")
    )


def mastery_dates(accepted: Iterable[tuple[int, dt.date]]) -> dict[int, dt.date]:
    """The one mastery date: competency id -> the date of its earliest accepted evidence (when the assessment,
    demonstration or assignment took place), from (competency id, occurred_on) pairs of accepted evidence. Not
    the day it was reviewed, and never a session date: attending is not mastering."""
    dates: dict[int, dt.date] = {}
    for competency_id, occurred_on in accepted:
        dates[competency_id] = min(occurred_on, dates.get(competency_id, occurred_on))
    return dates


def coaching_tasks_mastered(*, manager: Person) -> set[str]:
    """Seller task keys the manager is equipped to coach: those taught by courses whose every competency the
    manager has mastered (by accepted evidence). The rule is development/equipment.py's."""
    return equipped_task_keys([manager.pk]).get(manager.pk, set())


def _evidence_base() -> QuerySet[MasteryEvidence]:
    return MasteryEvidence.objects.select_related(
        "manager", "manager__org_unit", "competency", "course", "submitted_by", "submitted_by__person",
        "reviewer", "reviewer__person",
    )


def review_queue(*, user: Any) -> list[MasteryEvidence]:
    """Open evidence (submitted or in review) that `user` may sign off, oldest first."""
    return list(
        _evidence_base()
        .filter(manager__in=led_or_supported(user), status__in=[
            MasteryEvidence.Status.SUBMITTED, MasteryEvidence.Status.IN_REVIEW])
        .order_by("submitted_at", "pk")
    )


HOME_LIST_LENGTH = 5


@dataclass
class HomeEvidence:
    """The home page's view of mastery evidence: what waits for the reader's review (the oldest first, with the
    full count), and the decisions on the reader's own evidence they have not read yet."""

    waiting: list[MasteryEvidence]
    waiting_count: int
    decisions: list[Notice]

    @property
    def more_waiting(self) -> int:
        return self.waiting_count - len(self.waiting)


def home_evidence(*, user: Any) -> HomeEvidence:
    queue = review_queue(user=user)
    person_id = scope_for(user).person_id
    decisions = (
        list(Notice.objects.filter(recipient_id=person_id, kind=Notice.Kind.EVIDENCE_DECIDED, read_at=None)
             .order_by("-created_at", "-pk")[:HOME_LIST_LENGTH])
        if person_id is not None else []
    )
    return HomeEvidence(waiting=queue[:HOME_LIST_LENGTH], waiting_count=len(queue), decisions=decisions)


def evidence_list(*, user: Any, manager_id: int | None = None, status: str = "") -> QuerySet[MasteryEvidence]:
    """Evidence `user` may see: their own, and that of managers they lead or support as HR."""
    scope = scope_for(user)
    standing = Q(manager__in=led_or_supported(user))
    if scope.person_id is not None:
        standing |= Q(manager_id=scope.person_id)
    evidence = _evidence_base().filter(standing)
    if manager_id is not None:
        evidence = evidence.filter(manager_id=manager_id)
    if status:
        evidence = evidence.filter(status=status)
    return evidence.order_by("-submitted_at", "-pk")


def evidence_detail(*, user: Any, evidence_id: int) -> tuple[MasteryEvidence, str]:
    """One piece of evidence and the caller's standing towards its manager ("self", "leader", "hr"), or 404."""
    evidence = _evidence_base().select_related("course__track").filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404
    relation = relation_to(user, evidence.manager)
    if not relation:
        raise Http404
    return evidence, relation


def evidence_history(*, evidence: MasteryEvidence) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type=evidence._meta.label_lower, target_id=str(evidence.pk))
        .select_related("actor", "actor__person")
        .order_by("at", "pk")
    )


# ---------------------------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------------------------


def is_people_manager(person: Person) -> bool:
    """People managers have a plan: someone with a promotion date to manager, or with active direct reports."""
    if person.manager_since is not None:
        return True
    return person.direct_reports.filter(status__in=ACTIVE_STATUSES).exists()


def plan_manager(*, user: Any, manager_id: int) -> tuple[Person, str]:
    """The manager whose plan `user` asks for and the user's standing towards them, or 404."""
    manager = (
        visible_people(user).select_related("manager", "org_unit", "user").filter(pk=manager_id).first()
    )
    if manager is None or not is_people_manager(manager):
        raise Http404
    relation = relation_to(user, manager)
    if not relation:
        raise Http404
    return manager, relation


@dataclass
class CompetencyState:
    competency: Competency
    mastered_on: dt.date | None  # see mastery_dates
    open_evidence: list[MasteryEvidence] = field(default_factory=list)
    sent_back: list[MasteryEvidence] = field(default_factory=list)

    @property
    def mastered(self) -> bool:
        return self.mastered_on is not None

    @property
    def label(self) -> str:
        if self.mastered:
            return "Mastered"
        if any(e.status == MasteryEvidence.Status.IN_REVIEW for e in self.open_evidence):
            return "In review"
        if self.open_evidence:
            return "Evidence submitted"
        if self.sent_back:
            return "Sent back"
        return "Not yet evidenced"

    @property
    def badge(self) -> str:
        return {"Mastered": "badge--good", "In review": "badge--warn", "Evidence submitted": "badge--warn",
                "Sent back": "badge--bad"}.get(self.label, "badge--muted")


@dataclass
class CourseProgress:
    """A course on the plan: its enrolment (if any), completion, and mastery of its competencies."""

    course: Course
    enrolment: Enrolment | None
    completed_on: dt.date | None
    completed_via: str
    competencies: list[CompetencyState]
    attendance: list[Booking] = field(default_factory=list)
    overdue_days: int = 0

    @property
    def competencies_mastered(self) -> int:
        return sum(1 for c in self.competencies if c.mastered)

    @property
    def mastered_on(self) -> dt.date | None:
        """When the course was mastered: the day its last competency was (exempted or competency-less: never)."""
        dates = [c.mastered_on for c in self.competencies if c.mastered_on is not None]
        if self.exempted or not self.competencies or len(dates) < len(self.competencies):
            return None
        return max(dates)

    @property
    def done(self) -> bool:
        """Mastered when the course has competencies (attendance alone is not enough); else completed."""
        return course_done(
            competency_ids={c.competency.pk for c in self.competencies},
            mastered={c.competency.pk for c in self.competencies if c.mastered},
            completed=self.completed_on is not None, exempted=self.exempted,
        )

    @property
    def exempted(self) -> bool:
        return self.enrolment is not None and self.enrolment.status == Enrolment.Status.EXEMPTED

    @property
    def fraction(self) -> float:
        return course_fraction(
            competency_ids={c.competency.pk for c in self.competencies},
            mastered={c.competency.pk for c in self.competencies if c.mastered}, done=self.done,
        )

    @property
    def status_label(self) -> str:
        if self.exempted:
            return "Exempted by HR"
        if self.done and self.competencies:
            return "Mastered"
        if self.completed_on is not None:
            return "Completed" if not self.competencies else "Completed, mastery not yet shown"
        if self.enrolment is not None and self.enrolment.status == Enrolment.Status.ENROLLED:
            return "Enrolled"
        return "Not enrolled"

    @property
    def badge(self) -> str:
        if self.done:
            return "badge--good"
        if self.completed_on is not None:
            return "badge--warn"
        return "" if self.enrolment is not None else "badge--muted"


def module_due_on(module: PlanModule, enrolment: Enrolment | None) -> dt.date:
    """A module's due date: its open enrolment's, when the manager is enrolled (one date on the plan and on the
    training pages), else the plan's own."""
    if enrolment is not None and enrolment.status == Enrolment.Status.ENROLLED:
        return enrolment.due_on
    return module.due_on


@dataclass
class ModuleProgress:
    module: PlanModule
    progress: CourseProgress
    reasons: list[dict[str, Any]]
    today: dt.date

    @property
    def due_on(self) -> dt.date:
        return module_due_on(self.module, self.progress.enrolment)

    @property
    def overdue_days(self) -> int:
        return 0 if self.progress.done else max(0, (self.today - self.due_on).days)


@dataclass
class PlanView:
    manager: Person
    relation: str
    plan: DevelopmentPlan
    fundamentals: list[CourseProgress]
    modules: list[ModuleProgress]
    retired_modules: list[ModuleProgress]
    other_training: list[CourseProgress]
    competencies: list[CompetencyState]
    evidence: list[MasteryEvidence]
    check_ins: list[PlanCheckIn]
    uncovered_needs: list[dict[str, Any]]
    today: dt.date
    standing: Standing

    @property
    def can_manage(self) -> bool:
        return self.relation in ("leader", "hr")

    @property
    def can_review(self) -> bool:
        return self.relation in ("leader", "hr")

    @property
    def fundamentals_done(self) -> int:
        """Fundamentals mastered (done); `fundamentals_completed` counts attendance and completions."""
        return self.standing.mastered

    @property
    def fundamentals_completed(self) -> int:
        return self.standing.completed

    @property
    def fundamentals_overdue(self) -> int:
        return sum(1 for f in self.fundamentals if f.enrolment is not None and f.enrolment.days_overdue(self.today))

    @property
    def fundamentals_status(self) -> str:
        total = len(self.fundamentals)
        if total == 0:
            return "No fundamentals courses defined"
        if self.fundamentals_done == total:
            return "All mastered"
        if self.fundamentals_completed == total:
            return "All completed, not all mastered"
        if self.fundamentals_overdue:
            return "Overdue"
        if not any(f.enrolment for f in self.fundamentals):
            return "Not enrolled yet"
        return "In progress"

    @property
    def modules_done(self) -> int:
        return sum(1 for m in self.modules if m.progress.done)

    @property
    def modules_overdue(self) -> int:
        return sum(1 for m in self.modules if m.overdue_days)

    @property
    def percent(self) -> int:
        return plan_percent(fundamentals_done=sum(1 for f in self.fundamentals if f.done),
                            fundamentals_total=len(self.fundamentals),
                            module_fractions=[m.progress.fraction for m in self.modules])

    @property
    def next_due(self) -> dt.date | None:
        dates = [m.due_on for m in self.modules if not m.progress.done]
        dates += [f.enrolment.due_on for f in self.fundamentals
                  if f.enrolment is not None and f.enrolment.status == Enrolment.Status.ENROLLED]
        return min(dates) if dates else None


def _latest_enrolments(enrolments: Iterable[Enrolment]) -> dict[int, Enrolment]:
    """Per course, the enrolment that counts: an open or completed one before an exempted or older one."""
    rank = {Enrolment.Status.ENROLLED: 0, Enrolment.Status.COMPLETED: 1, Enrolment.Status.EXEMPTED: 2}
    best: dict[int, Enrolment] = {}
    for enrolment in enrolments:
        current = best.get(enrolment.course_id)
        key = (rank[Enrolment.Status(enrolment.status)], -enrolment.enrolled_on.toordinal())
        if current is None or key < (rank[Enrolment.Status(current.status)], -current.enrolled_on.toordinal()):
            best[enrolment.course_id] = enrolment
    return best


def _visible_seller_ids(user: Any, reasons: Iterable[dict[str, Any]]) -> set[str]:
    ids = {str(s.get("id")) for r in reasons for s in r.get("sellers", []) if str(s.get("id", "")).isdigit()}
    if not ids:
        return set()
    return {str(pk) for pk in visible_people(user).filter(pk__in=[int(i) for i in ids])
            .values_list("pk", flat=True)}


def _scoped_reasons(reasons: list[dict[str, Any]], visible: set[str]) -> list[dict[str, Any]]:
    """The recorded reasons with sellers the viewer may not see replaced by a count (no names leak)."""
    scoped = []
    for reason in reasons:
        sellers = reason.get("sellers", [])
        shown = [s for s in sellers if not str(s.get("id", "")).isdigit() or str(s.get("id")) in visible]
        hidden = len(sellers) - len(shown)
        scoped.append({**reason, "sellers": shown, "hidden_sellers": hidden})
    return scoped


def plan_view(
    *, user: Any, manager: Person, relation: str, today: dt.date | None = None, plan: DevelopmentPlan | None = None
) -> PlanView:
    """Everything the plan page shows, in a fixed number of queries. Pages pass the `plan` that
    `services.plan_open` created; without it the manager's saved plan is read, or an empty unsaved one (a
    selector never writes)."""
    today = today or timezone.localdate()
    if plan is None:
        plan = DevelopmentPlan.objects.filter(manager=manager).first() or DevelopmentPlan(manager=manager)
    modules = list(
        plan.modules.select_related("course", "course__track", "course__provider")
        .prefetch_related("course__competencies")
    ) if plan.pk is not None else []
    enrolments = _latest_enrolments(
        Enrolment.objects.filter(person=manager).select_related("course", "course__track")
        .prefetch_related(Prefetch("bookings", queryset=Booking.objects.select_related("session")))
    )
    imported: dict[int, ImportedCompletion] = {}
    for completion in ImportedCompletion.objects.filter(person=manager).order_by("completed_on"):
        imported[completion.course_id] = completion
    evidence = list(_evidence_base().filter(manager=manager).order_by("-submitted_at", "-pk"))
    mastered = mastery_dates(
        (e.competency_id, e.occurred_on) for e in evidence if e.status == MasteryEvidence.Status.ACCEPTED
    )
    open_by: dict[int, list[MasteryEvidence]] = defaultdict(list)
    sent_back_by: dict[int, list[MasteryEvidence]] = defaultdict(list)
    for item in sorted(evidence, key=lambda e: (e.decided_at or e.submitted_at)):
        if item.status == MasteryEvidence.Status.ACCEPTED:
            continue
        if item.is_open:
            open_by[item.competency_id].append(item)
        else:
            sent_back_by[item.competency_id].append(item)
    states: dict[int, CompetencyState] = {}

    def state(competency: Competency) -> CompetencyState:
        if competency.pk not in states:
            states[competency.pk] = CompetencyState(
                competency, mastered.get(competency.pk), open_by.get(competency.pk, []),
                sent_back_by.get(competency.pk, []),
            )
        return states[competency.pk]

    def progress(course: Course) -> CourseProgress:
        enrolment = enrolments.get(course.pk)
        completed_on, via = None, ""
        if enrolment is not None and enrolment.status == Enrolment.Status.COMPLETED:
            completed_on, via = enrolment.completed_on, "training"
        elif course.pk in imported and imported[course.pk].passed is not False:
            completed_on, via = imported[course.pk].completed_on, imported[course.pk].source_system
        bookings = list(enrolment.bookings.all()) if enrolment is not None else []
        return CourseProgress(course, enrolment, completed_on, via,
                              [state(c) for c in course.competencies.all()], bookings,
                              enrolment.days_overdue(today) if enrolment is not None else 0)

    fundamentals = [progress(course) for course in fundamentals_courses()]
    all_reasons = [r for m in modules for r in m.reasons] + list(plan.uncovered_needs)
    visible = _visible_seller_ids(user, all_reasons)
    module_rows = [
        ModuleProgress(m, progress(m.course), _scoped_reasons(m.reasons, visible), today) for m in modules
    ]
    shown_courses = {f.course.pk for f in fundamentals} | {m.course.pk for m in modules}
    other_ids = [e.course_id for e in enrolments.values() if e.course_id not in shown_courses]
    other = [
        progress(course)
        for course in Course.objects.filter(pk__in=other_ids).select_related("track")
        .prefetch_related("competencies").order_by("track__position", "position", "title")
    ] if other_ids else []
    for item in evidence:
        state(item.competency)
    return PlanView(
        manager=manager,
        relation=relation,
        plan=plan,
        fundamentals=fundamentals,
        modules=[m for m in module_rows if m.module.still_indicated or m.module.source == PlanModule.Source.LEADER],
        retired_modules=[m for m in module_rows
                         if not m.module.still_indicated and m.module.source != PlanModule.Source.LEADER],
        other_training=other,
        competencies=sorted(states.values(), key=lambda s: (s.mastered, s.competency.name)),
        evidence=evidence,
        check_ins=list(plan.check_ins.select_related("author", "author__person")[:20]) if plan.pk is not None else [],
        uncovered_needs=_scoped_reasons(list(plan.uncovered_needs), visible),
        today=today,
        standing=fundamentals_standing([manager.pk])[manager.pk],
    )


@dataclass
class PlanRow:
    """One line of a leader's or HR's list of plans."""

    manager: Person
    fundamentals_total: int
    fundamentals_done: int  # mastered
    fundamentals_completed: int
    fundamentals_overdue: int
    modules_total: int
    modules_done: int
    modules_overdue: int
    competencies_mastered: int
    awaiting_review: int
    refreshed_at: dt.datetime | None
    next_due: dt.date | None
    module_fractions: list[float] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return plan_percent(fundamentals_done=self.fundamentals_done, fundamentals_total=self.fundamentals_total,
                            module_fractions=self.module_fractions)


def plans_overview(*, user: Any, today: dt.date | None = None) -> list[PlanRow]:
    """The plans of every people manager `user` leads (anywhere below them) or supports as HR, with progress.

    A fixed number of queries however many managers: managers, fundamentals courses, enrolments, imported
    completions, plan modules with their courses' competencies, accepted and open evidence.
    """
    today = today or timezone.localdate()
    managers = list(
        led_or_supported(user)
        .filter(status__in=ACTIVE_STATUSES)
        .filter(Q(manager_since__isnull=False) | Q(direct_reports__status__in=ACTIVE_STATUSES))
        .select_related("org_unit", "manager", "development_plan")
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    ids = [m.pk for m in managers]
    fundamentals = {c.pk for c in fundamentals_courses()}
    by_person: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in Enrolment.objects.filter(person_id__in=ids).only(
        "person_id", "course_id", "status", "due_on", "enrolled_on", "completed_on"
    ):
        by_person[enrolment.person_id].append(enrolment)
    enrolments = {person_id: _latest_enrolments(items) for person_id, items in by_person.items()}
    imported: dict[int, set[int]] = defaultdict(set)
    for person_id, course_id in ImportedCompletion.objects.filter(person_id__in=ids).exclude(
        passed=False
    ).values_list("person_id", "course_id"):
        imported[person_id].add(course_id)
    modules: dict[int, list[PlanModule]] = defaultdict(list)
    for module in PlanModule.objects.filter(plan__manager_id__in=ids).filter(
        Q(still_indicated=True) | Q(source=PlanModule.Source.LEADER)
    ).select_related("plan").prefetch_related("course__competencies"):
        modules[module.plan.manager_id].append(module)
    mastered = mastered_by_manager(ids)
    standings = fundamentals_standing(ids)
    awaiting = dict(
        MasteryEvidence.objects.filter(manager_id__in=ids, status__in=[
            MasteryEvidence.Status.SUBMITTED, MasteryEvidence.Status.IN_REVIEW])
        .values("manager_id").annotate(n=Count("pk")).values_list("manager_id", "n")
    )
    rows = []
    for manager in managers:
        per = enrolments.get(manager.pk, {})

        def completed(course_id: int, per: dict[int, Enrolment] = per, pid: int = manager.pk) -> bool:
            enrolment = per.get(course_id)
            if enrolment is not None and enrolment.status in (Enrolment.Status.COMPLETED,
                                                              Enrolment.Status.EXEMPTED):
                return True
            return course_id in imported.get(pid, set())

        standing = standings[manager.pk]
        f_overdue = sum(1 for cid in fundamentals if cid in per and per[cid].days_overdue(today))
        m_done = m_overdue = 0
        next_due: dt.date | None = None
        fractions: list[float] = []
        for module in modules.get(manager.pk, []):
            module_enrolment = per.get(module.course_id)
            competency_ids = {c.pk for c in module.course.competencies.all()}
            done = course_done(
                competency_ids=competency_ids,
                mastered=mastered.get(manager.pk, set()), completed=completed(module.course_id),
                exempted=module_enrolment is not None and module_enrolment.status == Enrolment.Status.EXEMPTED,
            )
            fractions.append(course_fraction(competency_ids=competency_ids, mastered=mastered.get(manager.pk, set()),
                                             done=done))
            if done:
                m_done += 1
            else:
                due_on = module_due_on(module, module_enrolment)
                m_overdue += 1 if due_on < today else 0
                next_due = due_on if next_due is None else min(next_due, due_on)
        plan = getattr(manager, "development_plan", None)
        rows.append(PlanRow(
            manager=manager, fundamentals_total=standing.total, fundamentals_done=standing.mastered,
            fundamentals_completed=standing.completed,
            fundamentals_overdue=f_overdue, modules_total=len(modules.get(manager.pk, [])), modules_done=m_done,
            modules_overdue=m_overdue, competencies_mastered=len(mastered.get(manager.pk, set())),
            awaiting_review=awaiting.get(manager.pk, 0),
            refreshed_at=plan.refreshed_at if plan is not None else None, next_due=next_due,
            module_fractions=fractions,
        ))
    return rows


def own_plan_manager(*, user: Any) -> Person | None:
    """The signed-in person, when they are a people manager (they have a plan of their own)."""
    person = me(user)
    return person if person is not None and is_people_manager(person) else None


def addable_courses(*, plan: DevelopmentPlan) -> QuerySet[Course]:
    """Active courses a leader may add to the plan by hand (not on it already)."""
    return (
        Course.objects.filter(is_active=True, track__is_active=True)
        .exclude(pk__in=plan.modules.values("course_id"))
        .select_related("track")
        .order_by("track__position", "position", "title")
    )


# ---------------------------------------------------------------------------------------------------------------
# Imports and learning records (HR)
# ---------------------------------------------------------------------------------------------------------------


def completion_imports(*, user: Any) -> QuerySet[CompletionImport]:
    """Imports HR sees: administrators all; HR partners the ones they ran."""
    scope = scope_for(user)
    if not scope.is_hr:
        raise Http404
    imports = CompletionImport.objects.select_related("imported_by").order_by("-created_at", "-pk")
    return imports if scope.sees_everyone else imports.filter(imported_by=user)


def completion_import_detail(*, user: Any, import_id: int) -> CompletionImport:
    found = completion_imports(user=user).filter(pk=import_id).first()
    if found is None:
        raise Http404
    return found


@dataclass
class OutboxSummary:
    configured: bool
    endpoint: str
    counts: dict[str, int]
    recent_problems: list[XapiOutbox]
    recent_sent: list[XapiOutbox]


def outbox_summary(*, user: Any) -> OutboxSummary:
    """The learning-record outbox for HR and administrators: configuration, counts, recent problems."""
    from development.xapi import LrsConfig

    scope = scope_for(user)
    if not scope.is_hr:
        raise Http404
    config = LrsConfig.from_settings()
    counts = {status: 0 for status in XapiOutbox.Status.values}
    for status, n in XapiOutbox.objects.values("status").annotate(n=Count("pk")).values_list("status", "n"):
        counts[status] = n
    rows = XapiOutbox.objects.select_related("person")
    if not scope.sees_everyone:
        rows = rows.filter(person__in=visible_people(user))
    return OutboxSummary(
        configured=config is not None,
        endpoint=config.statements_url if config is not None else "",
        counts=counts,
        recent_problems=list(rows.exclude(last_error="").exclude(status=XapiOutbox.Status.SENT)
                             .order_by("-updated_at")[:20]),
        recent_sent=list(rows.filter(status=XapiOutbox.Status.SENT).order_by("-sent_at")[:10]),
    )
