"""Every write of the development app: mastery evidence and its review, development plans, completions imports,
and the xAPI outbox. Keyword-only, typed, atomic; every evidence transition and plan change is audit-logged.

Sending to the learning record store never happens inside a user's request: events queue a statement in the
outbox, and after the transaction commits a background task (development.tasks) delivers it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.services import audit_log
from development import xapi
from development.completions_csv import parse_completions
from development.models import (
    CompletionImport,
    DevelopmentPlan,
    ImportedCompletion,
    MasteryEvidence,
    PlanCheckIn,
    PlanModule,
    XapiOutbox,
)
from development.permissions import can_manage_plan, can_review, relation_to
from development.recommendations import NeedsResult, recommend_courses, team_coaching_needs
from people.models import Person
from people.scoping import scope_for, visible_people
from training.catch_up import course_due_on
from training.models import Booking, Competency, Course, Enrolment, Notice
from training.services import enrolment_complete, notice_send

logger = logging.getLogger("promoted.development")

Status = MasteryEvidence.Status
Kind = MasteryEvidence.Kind

MIN_COMMENT_LENGTH = 10
PLAN_REFRESH_INTERVAL = dt.timedelta(minutes=15)
MAX_SEND_ATTEMPTS = 12
BATCH_SIZE = 50
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=6)


# ---------------------------------------------------------------------------------------------------------------
# Mastery evidence
# ---------------------------------------------------------------------------------------------------------------


def _clean_evidence(*, kind: str, summary: str, occurred_on: dt.date, score: Decimal | None,
                    pass_mark: Decimal | None, today: dt.date) -> None:
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(Kind.labels)}."
    if len(summary.strip()) < MIN_COMMENT_LENGTH:
        errors["summary"] = "Describe the evidence in a sentence or more."
    if occurred_on > today:
        errors["occurred_on"] = "The date cannot be in the future."
    for name, value in (("score", score), ("pass_mark", pass_mark)):
        if value is not None and not Decimal("0") <= value <= Decimal("100"):
            errors[name] = "Give a percentage between 0 and 100."
    if kind == Kind.ASSESSMENT_SCORE:
        if score is None:
            errors.setdefault("score", "An assessment needs its score.")
        if pass_mark is None:
            errors.setdefault("pass_mark", "An assessment needs its pass mark.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def evidence_submit(
    *,
    actor: Any,
    manager: Person,
    competency: Competency,
    kind: str,
    summary: str,
    occurred_on: dt.date,
    score: Decimal | None = None,
    pass_mark: Decimal | None = None,
    course: Course | None = None,
    link: str = "",
    attachment: UploadedFile | None = None,
) -> MasteryEvidence:
    """Submit evidence that `manager` has mastered `competency`. The manager, their leaders or HR may submit."""
    relation = relation_to(actor, manager)
    if not relation:
        raise PermissionDenied("You cannot submit evidence for this person.")
    _clean_evidence(kind=kind, summary=summary, occurred_on=occurred_on, score=score, pass_mark=pass_mark,
                    today=timezone.localdate())
    if kind != Kind.ASSESSMENT_SCORE:
        score = pass_mark = None
    evidence = MasteryEvidence(
        manager=manager, competency=competency, course=course, kind=kind, summary=summary.strip(),
        occurred_on=occurred_on, score=score, pass_mark=pass_mark, link=link.strip(),
        submitted_by=actor, submitted_at=timezone.now(), status=Status.SUBMITTED,
    )
    if attachment is not None:
        evidence.attachment = attachment
    evidence.full_clean(exclude=["attachment"])
    evidence.save()
    audit_log(
        actor=actor, action="development.evidence.submitted", target=evidence,
        summary=f"{evidence.get_kind_display()} for {manager.full_name}: {competency.name}",
        details={"manager_id": manager.pk, "competency": competency.key, "kind": kind, "as": relation,
                 "status": Status.SUBMITTED},
    )
    return evidence


def _require_reviewer(actor: Any, evidence: MasteryEvidence) -> None:
    if not can_review(actor, evidence.manager):
        if relation_to(actor, evidence.manager) == "self":
            raise PermissionDenied("You cannot review your own evidence: your leader or HR signs it off.")
        raise PermissionDenied("Only HR or this manager's own leader can review their evidence.")


def _transition(evidence: MasteryEvidence, *, actor: Any, to: str, allowed_from: tuple[str, ...]) -> str:
    if evidence.status not in allowed_from:
        raise ValidationError(
            {"status": f"This evidence is {evidence.get_status_display().lower()}; it cannot be "
                       f"{Status(to).label.lower()} now."}
        )
    previous = evidence.status
    evidence.status = to
    return previous


def _locked(evidence: MasteryEvidence) -> MasteryEvidence:
    """The evidence re-read under a row lock, so two reviewers cannot decide it at once."""
    return MasteryEvidence.objects.select_for_update(of=("self",)).select_related(
        "manager", "manager__org_unit", "competency", "course", "course__track", "submitted_by", "reviewer"
    ).get(pk=evidence.pk)


def _reviewer_name(actor: Any) -> str:
    person = Person.objects.filter(user_id=actor.pk).only("first_name", "last_name").first()
    return person.full_name if person is not None else str(getattr(actor, "email", "") or "An administrator")


def _tell_manager(evidence: MasteryEvidence, *, actor: Any) -> None:
    """Tell the manager their evidence was decided (a notice in the program's notifications, also emailed):
    what was decided, by whom, the reviewer's note, and the way to the evidence."""
    accepted = evidence.status == Status.ACCEPTED
    what = f"{evidence.get_kind_display().lower()} for {evidence.competency.name}"
    who = _reviewer_name(actor)
    if accepted:
        subject = f"Evidence accepted: {evidence.competency.name}"
        body = f"{who} accepted your {what}: you have mastered {evidence.competency.name}."
    else:
        subject = f"Evidence sent back: {evidence.competency.name}"
        body = f"{who} sent back your {what}. Add what they ask for and submit it again."
    if evidence.reviewer_comment:
        body += f" Their note: “{evidence.reviewer_comment}”"
    notice_send(
        recipient=evidence.manager, kind=Notice.Kind.EVIDENCE_DECIDED, subject=subject, body=body,
        url=reverse("development:evidence", args=[evidence.pk]),
    )


def evidence_decision_read(*, user: Any, evidence: MasteryEvidence) -> int:
    """The manager has opened their decided evidence: its notices are read (they leave the home page).
    Returns how many were marked."""
    person_id = scope_for(user).person_id
    if person_id is None or person_id != evidence.manager_id:
        return 0
    return Notice.objects.filter(
        recipient_id=person_id, kind=Notice.Kind.EVIDENCE_DECIDED, read_at=None,
        url=reverse("development:evidence", args=[evidence.pk]),
    ).update(read_at=timezone.now(), updated_at=timezone.now())


def _log_transition(evidence: MasteryEvidence, *, actor: Any, previous: str, verb: str, comment: str = "") -> None:
    audit_log(
        actor=actor, action=f"development.evidence.{verb}", target=evidence,
        summary=f"{evidence.manager.full_name} · {evidence.competency.name}: {Status(previous).label} → "
                f"{evidence.get_status_display()}",
        details={"from": previous, "to": evidence.status, "comment": comment, "revision": evidence.revision},
    )


@transaction.atomic
def evidence_start_review(*, actor: Any, evidence: MasteryEvidence) -> MasteryEvidence:
    """A reviewer (HR or the manager's leader) takes submitted evidence into review."""
    evidence = _locked(evidence)
    _require_reviewer(actor, evidence)
    previous = _transition(evidence, actor=actor, to=Status.IN_REVIEW, allowed_from=(Status.SUBMITTED,))
    evidence.reviewer = actor
    evidence.review_started_at = timezone.now()
    evidence.save(update_fields=["status", "reviewer", "review_started_at", "updated_at"])
    _log_transition(evidence, actor=actor, previous=previous, verb="review_started")
    return evidence


@transaction.atomic
def evidence_accept(*, actor: Any, evidence: MasteryEvidence, comment: str = "") -> MasteryEvidence:
    """Accept evidence in review: the competency is mastered from now on. An assessment below its pass mark
    cannot be accepted. Queues a "mastered" xAPI statement."""
    evidence = _locked(evidence)
    _require_reviewer(actor, evidence)
    if evidence.kind == Kind.ASSESSMENT_SCORE and evidence.passed is False:
        raise ValidationError(
            {"status": f"The score {evidence.score}% is below the pass mark {evidence.pass_mark}%: send it back."}
        )
    previous = _transition(evidence, actor=actor, to=Status.ACCEPTED, allowed_from=(Status.IN_REVIEW,))
    evidence.reviewer = actor
    evidence.decided_at = timezone.now()
    evidence.reviewer_comment = comment.strip()
    evidence.save(update_fields=["status", "reviewer", "decided_at", "reviewer_comment", "updated_at"])
    _log_transition(evidence, actor=actor, previous=previous, verb="accepted", comment=evidence.reviewer_comment)
    xapi_record_mastery(evidence=evidence)
    _tell_manager(evidence, actor=actor)
    return evidence


@transaction.atomic
def evidence_send_back(*, actor: Any, evidence: MasteryEvidence, comment: str) -> MasteryEvidence:
    """Send evidence in review back to the manager, saying what is missing (required)."""
    evidence = _locked(evidence)
    _require_reviewer(actor, evidence)
    if len(comment.strip()) < MIN_COMMENT_LENGTH:
        raise ValidationError({"comment": "Say what is missing, so the manager knows what to bring next time."})
    previous = _transition(evidence, actor=actor, to=Status.SENT_BACK, allowed_from=(Status.IN_REVIEW,))
    evidence.reviewer = actor
    evidence.decided_at = timezone.now()
    evidence.reviewer_comment = comment.strip()
    evidence.save(update_fields=["status", "reviewer", "decided_at", "reviewer_comment", "updated_at"])
    _log_transition(evidence, actor=actor, previous=previous, verb="sent_back", comment=evidence.reviewer_comment)
    _tell_manager(evidence, actor=actor)
    return evidence


@transaction.atomic
def evidence_resubmit(
    *,
    actor: Any,
    evidence: MasteryEvidence,
    summary: str,
    occurred_on: dt.date,
    score: Decimal | None = None,
    pass_mark: Decimal | None = None,
    link: str = "",
    attachment: UploadedFile | None = None,
) -> MasteryEvidence:
    """Resubmit evidence that was sent back, with what the reviewer asked for. Starts a new revision."""
    evidence = _locked(evidence)
    if not relation_to(actor, evidence.manager):
        raise PermissionDenied("You cannot resubmit evidence for this person.")
    _clean_evidence(kind=evidence.kind, summary=summary, occurred_on=occurred_on, score=score,
                    pass_mark=pass_mark, today=timezone.localdate())
    previous = _transition(evidence, actor=actor, to=Status.SUBMITTED, allowed_from=(Status.SENT_BACK,))
    evidence.summary = summary.strip()
    evidence.occurred_on = occurred_on
    if evidence.kind == Kind.ASSESSMENT_SCORE:
        evidence.score, evidence.pass_mark = score, pass_mark
    evidence.link = link.strip()
    if attachment is not None:
        evidence.attachment = attachment
    evidence.revision += 1
    evidence.submitted_by = actor
    evidence.submitted_at = timezone.now()
    evidence.reviewer = None
    evidence.review_started_at = None
    evidence.decided_at = None
    evidence.save()
    _log_transition(evidence, actor=actor, previous=previous, verb="resubmitted")
    return evidence


# ---------------------------------------------------------------------------------------------------------------
# Development plans
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class PlanRefresh:
    plan: DevelopmentPlan
    refreshed: bool
    needs: NeedsResult | None = None
    added: list[PlanModule] = field(default_factory=list)


def plan_open(*, manager: Person) -> DevelopmentPlan:
    """The manager's development plan, created (empty) the first time anyone opens or changes it."""
    plan, _ = DevelopmentPlan.objects.get_or_create(manager=manager)
    return plan


@transaction.atomic
def plan_refresh(*, user: Any, manager: Person, force: bool = False, today: dt.date | None = None) -> PlanRefresh:
    """Read the manager's team coaching needs (as `user` sees them) into their plan.

    New modules are due when the manager's open enrolment in the course is due, or else by the program's rule
    (`training.catch_up.course_due_on`: the track's `due_within_days` after the promotion); modules the
    needs no longer call for stay on the plan, marked as no longer indicated. Skipped (refreshed=False) when the
    plan was refreshed within PLAN_REFRESH_INTERVAL, unless `force`.
    """
    plan = plan_open(manager=manager)
    now = timezone.now()
    if not force and plan.refreshed_at is not None and now - plan.refreshed_at < PLAN_REFRESH_INTERVAL:
        return PlanRefresh(plan=plan, refreshed=False)
    today = today or timezone.localdate()
    needs = team_coaching_needs(user=user, manager=manager)
    if not needs.available:
        plan.analysis_note = needs.note
        plan.save(update_fields=["analysis_note", "updated_at"])
        return PlanRefresh(plan=plan, refreshed=False, needs=needs)
    recommendations, uncovered = recommend_courses(needs.needs)
    existing = {m.course_id: m for m in plan.modules.all()}
    added: list[PlanModule] = []
    for rank, rec in enumerate(recommendations):
        module = existing.pop(rec.course.pk, None)
        if module is None:
            module, created = PlanModule.objects.get_or_create(
                plan=plan, course=rec.course,
                defaults={"recommended_on": today, "due_on": _module_due_on(manager, rec.course, today),
                          "reasons": rec.reasons, "rank": rank, "source": PlanModule.Source.TEAM_NEEDS},
            )
            if created:
                added.append(module)
                continue
        if (module.reasons, module.rank, module.still_indicated) != (rec.reasons, rank, True):
            module.reasons, module.rank, module.still_indicated = rec.reasons, rank, True
            module.save(update_fields=["reasons", "rank", "still_indicated", "updated_at"])
    for module in existing.values():
        if module.source == PlanModule.Source.TEAM_NEEDS and module.still_indicated:
            module.still_indicated = False
            module.save(update_fields=["still_indicated", "updated_at"])
    plan.refreshed_at = now
    plan.analysis_note = ""
    plan.uncovered_needs = [need.as_reason() for need in uncovered]
    plan.save(update_fields=["refreshed_at", "analysis_note", "uncovered_needs", "updated_at"])
    if added:
        audit_log(actor=None, action="development.plan.modules_recommended", target=plan,
                  summary=f"{len(added)} module(s) recommended to {manager.full_name} from the team's needs",
                  details={"courses": [m.course.key for m in added]})
    return PlanRefresh(plan=plan, refreshed=True, needs=needs, added=added)


def _module_due_on(manager: Person, course: Course, today: dt.date) -> dt.date:
    enrolment = Enrolment.objects.filter(person=manager, course=course, status=Enrolment.Status.ENROLLED).first()
    return enrolment.due_on if enrolment is not None else course_due_on(manager, course, today=today)


def _require_plan_manager(actor: Any, manager: Person) -> None:
    if not can_manage_plan(actor, manager):
        raise PermissionDenied("Only this manager's leaders or HR can change their plan.")


@transaction.atomic
def plan_module_set_due(*, actor: Any, module: PlanModule, due_on: dt.date, reason: str = "") -> PlanModule:
    """A leader or HR sets when a module is due; the manager's open enrolment in the course moves with it, so
    the plan and the training pages show one due date."""
    manager = module.plan.manager
    _require_plan_manager(actor, manager)
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": "The due date cannot be in the past."})
    previous = module.due_on
    module.due_on = due_on
    module.save(update_fields=["due_on", "updated_at"])
    Enrolment.objects.filter(person=manager, course=module.course, status=Enrolment.Status.ENROLLED).update(
        due_on=due_on, updated_at=timezone.now())
    audit_log(actor=actor, action="development.plan.due_date_changed", target=module,
              summary=f"{manager.full_name}: {module.course.title} due {due_on:%Y-%m-%d} (was {previous:%Y-%m-%d})",
              details={"from": previous.isoformat(), "to": due_on.isoformat(), "reason": reason})
    return module


@transaction.atomic
def plan_module_add(*, actor: Any, manager: Person, course: Course, due_on: dt.date) -> PlanModule:
    """A leader or HR adds a course to the manager's plan by hand."""
    _require_plan_manager(actor, manager)
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": "The due date cannot be in the past."})
    if not course.is_active:
        raise ValidationError({"course": "This course is no longer offered."})
    plan = plan_open(manager=manager)
    if plan.modules.filter(course=course).exists():
        raise ValidationError({"course": f"{course.title} is already on the plan."})
    module = PlanModule.objects.create(
        plan=plan, course=course, source=PlanModule.Source.LEADER, recommended_on=timezone.localdate(),
        due_on=due_on, rank=999,
    )
    audit_log(actor=actor, action="development.plan.module_added", target=module,
              summary=f"{course.title} added to {manager.full_name}'s plan, due {due_on:%Y-%m-%d}",
              details={"course": course.key, "due_on": due_on.isoformat()})
    return module


@transaction.atomic
def plan_check_in(*, actor: Any, manager: Person, note: str) -> PlanCheckIn:
    """A leader or HR records a check-in on the manager's plan (progress discussed, what was agreed)."""
    _require_plan_manager(actor, manager)
    if len(note.strip()) < MIN_COMMENT_LENGTH:
        raise ValidationError({"note": "Write what was discussed or agreed."})
    plan = plan_open(manager=manager)
    check_in = PlanCheckIn.objects.create(plan=plan, author=actor, note=note.strip())
    audit_log(actor=actor, action="development.plan.check_in", target=check_in,
              summary=f"Check-in on {manager.full_name}'s plan", details={"manager_id": manager.pk})
    return check_in


# ---------------------------------------------------------------------------------------------------------------
# xAPI: events into the outbox
# ---------------------------------------------------------------------------------------------------------------


def _course_ref(course: Course) -> xapi.CourseRef:
    return xapi.CourseRef(key=course.key, title=course.title, summary=course.summary,
                          track_key=course.track.key, track_name=course.track.name)


def _day_moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def _kick_sender() -> None:
    """Ask the background worker to send now. Never raises: the outbox keeps the statement either way."""
    try:
        from development.tasks import send_xapi_statements

        send_xapi_statements.enqueue()
    except Exception:
        logger.exception("Could not enqueue the xAPI sender; statements wait in the outbox")


def _queue(*, statement: dict[str, Any], event: str, person: Person | None) -> XapiOutbox:
    row, created = XapiOutbox.objects.get_or_create(
        statement_id=uuid.UUID(statement["id"]),
        defaults={"event": event, "person": person, "statement": statement, "next_attempt_at": timezone.now()},
    )
    if created:
        transaction.on_commit(_kick_sender)
    elif row.status == XapiOutbox.Status.PENDING and row.attempts == 0 and row.statement != statement:
        # Not sent yet: the latest facts go out. Once sent, the LRS holds the statement under this id for good.
        row.statement = statement
        row.save(update_fields=["statement", "updated_at"])
    return row


@transaction.atomic
def xapi_record_completion(
    *,
    enrolment: Enrolment,
    booking: Booking | None = None,
    score: Decimal | None = None,
    passed: bool | None = None,
) -> XapiOutbox | None:
    """Queue a "completed" statement for a completed enrolment (from attendance, HR or an import).

    Call it where an enrolment becomes completed (training.services.enrolment_complete), in the same
    transaction. Idempotent: the statement id is derived from the enrolment, so calling it again queues nothing.
    Returns None for an enrolment that is not completed.
    """
    if enrolment.status != Enrolment.Status.COMPLETED or enrolment.completed_on is None:
        return None
    person = enrolment.person
    moment = (booking.attendance_marked_at if booking is not None and booking.attendance_marked_at else
              _day_moment(enrolment.completed_on))
    statement = xapi.completion_statement(
        event_key=f"completion:enrolment:{enrolment.pk}",
        person_name=person.full_name, person_email=person.email, course=_course_ref(enrolment.course),
        completed_at=moment, score=score, passed=passed,
        registration=xapi.statement_uuid(f"registration:enrolment:{enrolment.pk}"),
    )
    return _queue(statement=statement, event=XapiOutbox.Event.COMPLETION, person=person)


def _record_imported_completion(completion: ImportedCompletion) -> XapiOutbox:
    person = completion.person
    statement = xapi.completion_statement(
        event_key=f"completion:imported:{person.pk}:{completion.course.key}:{completion.completed_on.isoformat()}",
        person_name=person.full_name, person_email=person.email, course=_course_ref(completion.course),
        completed_at=_day_moment(completion.completed_on), score=completion.score, passed=completion.passed,
    )
    return _queue(statement=statement, event=XapiOutbox.Event.IMPORTED_COMPLETION, person=person)


def xapi_record_mastery(*, evidence: MasteryEvidence) -> XapiOutbox | None:
    """Queue a "mastered" statement for accepted evidence (called by evidence_accept)."""
    if evidence.status != Status.ACCEPTED or evidence.decided_at is None:
        return None
    manager = evidence.manager
    statement = xapi.mastery_statement(
        event_key=f"mastery:evidence:{evidence.pk}",
        person_name=manager.full_name, person_email=manager.email,
        competency_key=evidence.competency.key, competency_name=evidence.competency.name,
        competency_description=evidence.competency.description, evidence_kind=evidence.kind,
        accepted_at=evidence.decided_at, score=evidence.score, passed=evidence.passed,
        course=_course_ref(evidence.course) if evidence.course is not None else None,
        reviewer_email=evidence.reviewer.email if evidence.reviewer is not None else "",
    )
    return _queue(statement=statement, event=XapiOutbox.Event.MASTERY, person=manager)


# ---------------------------------------------------------------------------------------------------------------
# xAPI: delivering the outbox
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    configured: bool = True
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    next_attempt_at: dt.datetime | None = None


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after the n-th failed attempt: 30 s, 1 min, 2 min ... capped at 6 hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def _record_outcome(row: XapiOutbox, outcome: xapi.SendOutcome, report: SendReport) -> None:
    row.attempts += 1
    row.last_attempt_at = timezone.now()
    if outcome.stored:
        row.status, row.sent_at, row.last_error = XapiOutbox.Status.SENT, row.last_attempt_at, ""
        report.sent += 1
    elif outcome.retry and row.attempts < MAX_SEND_ATTEMPTS:
        row.last_error = outcome.error
        row.next_attempt_at = row.last_attempt_at + retry_delay(row.attempts)
        report.retrying += 1
    else:
        row.status, row.last_error = XapiOutbox.Status.FAILED, outcome.error
        report.failed += 1
        logger.warning("xAPI statement %s failed for good: %s", row.statement_id, outcome.error)
    row.save(update_fields=["attempts", "last_attempt_at", "status", "sent_at", "last_error", "next_attempt_at",
                            "updated_at"])


def outbox_send_due(*, limit: int = 500, now: dt.datetime | None = None) -> SendReport:
    """Send the statements that are due to the configured LRS, in batches of BATCH_SIZE (idempotent by id).

    A batch the LRS refuses as such (400, 409) is resent statement by statement, so only the bad ones fail.
    A statement refused for good, or failing MAX_SEND_ATTEMPTS times, is marked failed with the error; others
    wait with exponential backoff. Does nothing when LRS_URL is not set.
    """
    config = xapi.LrsConfig.from_settings()
    if config is None:
        return SendReport(configured=False)
    now = now or timezone.now()
    report = SendReport()
    due = list(
        XapiOutbox.objects.filter(status=XapiOutbox.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")[:limit]
    )
    with xapi.lrs_client(config) as client:
        for start in range(0, len(due), BATCH_SIZE):
            batch = due[start:start + BATCH_SIZE]
            outcome = xapi.post_statements(client, config, [row.statement for row in batch])
            if outcome.stored or outcome.retry:
                for row in batch:
                    _record_outcome(row, outcome, report)
                continue
            for row in batch:
                _record_outcome(row, xapi.put_statement(client, config, row.statement), report)
    report.next_attempt_at = (
        XapiOutbox.objects.filter(status=XapiOutbox.Status.PENDING).order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True).first()
    )
    return report


@transaction.atomic
def outbox_retry_failed(*, actor: Any) -> int:
    """HR or an administrator puts statements that gave up back in the queue (e.g. after fixing credentials)."""
    if not scope_for(actor).is_hr:
        raise PermissionDenied("Only HR or an administrator can resend learning records.")
    count = XapiOutbox.objects.filter(status=XapiOutbox.Status.FAILED).update(
        status=XapiOutbox.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    audit_log(actor=actor, action="development.xapi.retry_failed", summary=f"{count} xAPI statement(s) requeued",
              details={"count": count})
    if count:
        transaction.on_commit(_kick_sender)
    return count


def outbox_send_now(*, actor: Any) -> None:
    """HR or an administrator asks for a delivery run now (in the background) instead of waiting for retries."""
    if not scope_for(actor).is_hr:
        raise PermissionDenied("Only HR or an administrator can send learning records.")
    XapiOutbox.objects.filter(status=XapiOutbox.Status.PENDING).update(next_attempt_at=timezone.now())
    _kick_sender()


# ---------------------------------------------------------------------------------------------------------------
# Completions imported from another learning system
# ---------------------------------------------------------------------------------------------------------------


def completions_import(
    *, actor: Any | None, file_name: str, content: bytes, source_system: str
) -> CompletionImport:
    """Import another learning system's completions export, all or nothing.

    Each row is matched to a person (employee id or work email, within `actor`'s scope; everyone when run
    from the command line without an actor) and a course (course code = Promoted course key). Any error rejects
    the whole file and is recorded with its row, column and value. Re-importing the same file changes nothing.
    A matching open enrolment is completed (training.services.enrolment_complete). Imported completions never
    count as mastery. Each new completion queues a "completed" xAPI statement.
    """
    if actor is not None and not scope_for(actor).is_hr:
        raise PermissionDenied("Only HR or an administrator can import completions.")
    source_system = source_system.strip()
    if not source_system:
        raise ValidationError({"source_system": "Name the learning system the file comes from."})
    people = visible_people(actor) if actor is not None else Person.objects.all()
    parsed = parse_completions(content, people=people)
    digest = hashlib.sha256(content).hexdigest()
    errors = parsed.errors
    if not errors:
        try:
            with transaction.atomic():
                return _apply_completions(
                    actor=actor, file_name=file_name, digest=digest, source_system=source_system,
                    parsed_rows=parsed.rows, rows_total=parsed.rows_total, ignored_columns=parsed.ignored_columns,
                )
        except _RowRefused as refused:  # e.g. a course completed before its prerequisite: nothing was kept
            errors = [refused.error]
    with transaction.atomic():
        record = CompletionImport.objects.create(
            source_system=source_system, file_name=file_name[:255], sha256=digest, imported_by=actor,
            status=CompletionImport.Status.REJECTED, rows_total=parsed.rows_total, errors=errors,
            ignored_columns=parsed.ignored_columns,
        )
        audit_log(actor=actor, action="development.completions.rejected", target=record,
                  summary=f"{file_name}: rejected with {len(errors)} error(s)")
    return record


class _RowRefused(Exception):
    """A row the program refuses to complete (training.services.enrolment_complete said why)."""

    def __init__(self, row: int, column: str, value: str, message: str) -> None:
        super().__init__(message)
        self.error = {"row": row, "column": column, "value": value, "message": message}


def _apply_completions(*, actor: Any | None, file_name: str, digest: str, source_system: str,
                       parsed_rows: list[Any], rows_total: int, ignored_columns: list[str]) -> CompletionImport:
    record = CompletionImport.objects.create(
        source_system=source_system, file_name=file_name[:255], sha256=digest, imported_by=actor,
        status=CompletionImport.Status.APPLIED, rows_total=rows_total, ignored_columns=ignored_columns,
    )
    existing = {
        (c.person_id, c.course_id, c.completed_on): c
        for c in ImportedCompletion.objects.filter(
            person_id__in={r.person.pk for r in parsed_rows}, course_id__in={r.course.pk for r in parsed_rows}
        )
    }
    open_enrolments = {
        (e.person_id, e.course_id): e
        for e in Enrolment.objects.filter(
            status=Enrolment.Status.ENROLLED, person_id__in={r.person.pk for r in parsed_rows},
        ).select_related("person", "course", "course__track")
    }
    created = updated = unchanged = 0
    # In date and curriculum order, so a prerequisite completed in the same file counts for the courses after it.
    ordered = sorted(parsed_rows, key=lambda r: (r.completed_on, r.course.track.position, r.course.position, r.row))
    for row in ordered:
        completion = existing.get((row.person.pk, row.course.pk, row.completed_on))
        if completion is None:
            completion = ImportedCompletion.objects.create(
                person=row.person, course=row.course, completed_on=row.completed_on, score=row.score,
                passed=row.passed, source_system=source_system, source_record_id=row.record_id,
                first_import=record, last_import=record,
            )
            created += 1
        elif (completion.score, completion.passed, completion.source_record_id) != (
            row.score, row.passed, row.record_id
        ):
            completion.score, completion.passed, completion.source_record_id = row.score, row.passed, row.record_id
            completion.last_import = record
            completion.save(update_fields=["score", "passed", "source_record_id", "last_import", "updated_at"])
            updated += 1
            continue  # the completion itself was recorded (and sent) by the earlier import
        else:
            unchanged += 1
            continue
        enrolment = open_enrolments.pop((row.person.pk, row.course.pk), None)
        if enrolment is not None and row.passed is not False:
            try:
                enrolment_complete(
                    enrolment=enrolment, actor=actor, completed_on=row.completed_on, source="import"
                )
            except ValidationError as exc:
                raise _RowRefused(row.row, "course_code", row.course.key, " ".join(exc.messages)) from exc
            xapi_record_completion(enrolment=enrolment, score=row.score, passed=row.passed)
        else:
            _record_imported_completion(completion)
    record.created_count, record.updated_count, record.unchanged_count = created, updated, unchanged
    record.save(update_fields=["created_count", "updated_count", "unchanged_count", "updated_at"])
    audit_log(actor=actor, action="development.completions.imported", target=record,
              summary=f"{file_name}: {created} new, {updated} updated, {unchanged} unchanged",
              details={"source_system": source_system, "rows": rows_total})
    return record
