"""Mastery by evidence: the review workflow, who may do each step, the audit trail, and that attendance alone
never masters anything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditEvent
from development import selectors, services
from development.models import MasteryEvidence
from development.tests.conftest import make_evidence
from training.models import Booking, Cohort, Competency, Course, Enrolment, Session

Status = MasteryEvidence.Status


@pytest.fixture(autouse=True)
def _no_task_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def submit(company, who: str = "nora", **overrides):
    values = {
        "actor": company.user(who), "manager": company.nora, "competency": Competency.objects.get(key="coaching"),
        "kind": MasteryEvidence.Kind.OBSERVED_DEMONSTRATION,
        "summary": "Coached Sam on discovery questions during a live call; debriefed within the hour.",
        "occurred_on": timezone.localdate() - dt.timedelta(days=1),
    }
    values.update(overrides)
    return services.evidence_submit(**values)


def test_full_workflow_submitted_in_review_accepted(company):
    evidence = submit(company)
    assert evidence.status == Status.SUBMITTED
    evidence = services.evidence_start_review(actor=company.user("dirk"), evidence=evidence)
    assert evidence.status == Status.IN_REVIEW
    assert evidence.reviewer == company.user("dirk")
    evidence = services.evidence_accept(actor=company.user("dirk"), evidence=evidence, comment="Well done.")
    evidence.refresh_from_db()
    assert evidence.status == Status.ACCEPTED
    assert evidence.decided_at is not None
    assert evidence.reviewer_comment == "Well done."
    actions = list(AuditEvent.objects.filter(target_id=str(evidence.pk), target_type="development.masteryevidence")
                   .order_by("at", "pk").values_list("action", "details__from", "details__to"))
    assert actions == [
        ("development.evidence.submitted", None, None),
        ("development.evidence.review_started", "submitted", "in_review"),
        ("development.evidence.accepted", "in_review", "accepted"),
    ]
    assert selectors.mastered_competencies(manager=company.nora).keys() == {evidence.competency_id}


def test_sent_back_needs_a_comment_and_can_be_resubmitted(company):
    evidence = submit(company)
    services.evidence_start_review(actor=company.user("hana"), evidence=evidence)
    with pytest.raises(ValidationError) as excinfo:
        services.evidence_send_back(actor=company.user("hana"), evidence=evidence, comment="no")
    assert "comment" in excinfo.value.message_dict
    services.evidence_send_back(actor=company.user("hana"), evidence=evidence,
                                comment="Please add the debrief notes and the rubric scores.")
    evidence.refresh_from_db()
    assert evidence.status == Status.SENT_BACK
    assert not selectors.mastered_competencies(manager=company.nora)

    evidence = services.evidence_resubmit(
        actor=company.user("nora"), evidence=evidence, occurred_on=evidence.occurred_on,
        summary="Coached Sam on discovery; debrief notes and rubric scores (4/5, 5/5) attached.",
    )
    assert evidence.status == Status.SUBMITTED
    assert evidence.revision == 2
    assert evidence.reviewer is None
    assert AuditEvent.objects.filter(action="development.evidence.resubmitted", target_id=str(evidence.pk)).exists()


def test_only_allowed_transitions(company):
    evidence = submit(company)
    with pytest.raises(ValidationError):
        services.evidence_accept(actor=company.user("dirk"), evidence=evidence)  # not in review yet
    with pytest.raises(ValidationError):
        services.evidence_resubmit(actor=company.user("nora"), evidence=evidence, summary="x" * 20,
                                   occurred_on=evidence.occurred_on)
    services.evidence_start_review(actor=company.user("dirk"), evidence=evidence)
    with pytest.raises(ValidationError):
        services.evidence_start_review(actor=company.user("vera"), evidence=evidence)
    services.evidence_accept(actor=company.user("dirk"), evidence=evidence)
    with pytest.raises(ValidationError):
        services.evidence_send_back(actor=company.user("dirk"), evidence=evidence, comment="Changed my mind here.")


@pytest.mark.parametrize("reviewer", ["dirk", "vera", "hana", "admin"])
def test_leaders_up_the_line_and_hr_may_sign_off(company, reviewer):
    evidence = submit(company)
    services.evidence_start_review(actor=company.user(reviewer), evidence=evidence)
    services.evidence_accept(actor=company.user(reviewer), evidence=evidence)
    assert MasteryEvidence.objects.get(pk=evidence.pk).status == Status.ACCEPTED


@pytest.mark.parametrize("who", ["nora", "mick", "sam", "otto"])
def test_the_manager_themself_and_others_may_not_sign_off(company, who):
    evidence = submit(company)
    with pytest.raises(PermissionDenied):
        services.evidence_start_review(actor=company.user(who), evidence=evidence)
    services.evidence_start_review(actor=company.user("dirk"), evidence=evidence)
    with pytest.raises(PermissionDenied):
        services.evidence_accept(actor=company.user(who), evidence=evidence)
    assert MasteryEvidence.objects.get(pk=evidence.pk).status == Status.IN_REVIEW


def test_hr_partner_outside_their_units_may_not_review(company):
    evidence = submit(company, who="mick", manager=company.mick)
    with pytest.raises(PermissionDenied):
        services.evidence_start_review(actor=company.user("hana"), evidence=evidence)  # Hana supports North only


def test_own_evidence_message_says_who_signs_off(company):
    evidence = submit(company)
    with pytest.raises(PermissionDenied, match="your leader or HR signs it off"):
        services.evidence_start_review(actor=company.user("nora"), evidence=evidence)


@pytest.mark.parametrize("who", ["mick", "sam", "otto", "eve"])
def test_outsiders_cannot_submit_for_a_manager(company, who):
    with pytest.raises(PermissionDenied):
        submit(company, who=who)
    assert not MasteryEvidence.objects.exists()


def test_assessment_needs_score_and_pass_mark_and_must_pass(company):
    with pytest.raises(ValidationError) as excinfo:
        submit(company, kind=MasteryEvidence.Kind.ASSESSMENT_SCORE)
    assert set(excinfo.value.message_dict) == {"score", "pass_mark"}
    evidence = submit(company, kind=MasteryEvidence.Kind.ASSESSMENT_SCORE, score=Decimal("62"),
                      pass_mark=Decimal("70"))
    services.evidence_start_review(actor=company.user("dirk"), evidence=evidence)
    with pytest.raises(ValidationError, match="below the pass mark"):
        services.evidence_accept(actor=company.user("dirk"), evidence=evidence)
    services.evidence_send_back(actor=company.user("dirk"), evidence=evidence,
                                comment="Retake the knowledge check after the refresher module.")


def test_future_dates_and_empty_summaries_are_refused(company):
    with pytest.raises(ValidationError) as excinfo:
        submit(company, occurred_on=timezone.localdate() + dt.timedelta(days=3), summary="  ")
    assert set(excinfo.value.message_dict) == {"occurred_on", "summary"}


def _attend(person, course: Course) -> Enrolment:
    """The person attended every session of the course and the enrolment is completed."""
    today = timezone.localdate()
    enrolment = Enrolment.objects.create(person=person, course=course, enrolled_on=today - dt.timedelta(days=40),
                                         due_on=today + dt.timedelta(days=20), status=Enrolment.Status.COMPLETED,
                                         completed_on=today - dt.timedelta(days=2))
    cohort = Cohort.objects.create(track=course.track, name=f"{course.key} cohort", starts_on=today, ends_on=today)
    start = timezone.now() - dt.timedelta(days=2)
    session = Session.objects.create(course=course, cohort=cohort, starts_at=start,
                                     ends_at=start + dt.timedelta(hours=7))
    Booking.objects.create(session=session, enrolment=enrolment, person=person,
                           attendance=Booking.Attendance.ATTENDED, attendance_marked_at=timezone.now())
    return enrolment


def test_attendance_is_not_mastery(company, coaching_course):
    _attend(company.nora, coaching_course)
    assert selectors.mastered_competencies(manager=company.nora) == {}
    assert selectors.coaching_tasks_mastered(manager=company.nora) == set()
    competency = coaching_course.competencies.get()
    evidence = make_evidence(company.nora, competency, by=company.user("nora"))
    services.evidence_start_review(actor=company.user("dirk"), evidence=evidence)
    assert selectors.coaching_tasks_mastered(manager=company.nora) == set()  # in review is not mastered either
    services.evidence_accept(actor=company.user("dirk"), evidence=evidence)
    assert selectors.coaching_tasks_mastered(manager=company.nora) == {"discovery", "qualification", "negotiation"}


def test_equipped_to_coach_needs_every_competency_of_the_course(company):
    course = Course.objects.get(key="sales-leadership")
    competencies = list(course.competencies.all())
    assert len(competencies) >= 1
    extra = Competency.objects.create(key="extra-skill", name="Extra skill")
    course.competencies.add(extra)
    make_evidence(company.nora, competencies[0], by=company.user("dirk"), status=Status.ACCEPTED)
    assert "expansion" not in selectors.coaching_tasks_mastered(manager=company.nora)
    make_evidence(company.nora, extra, by=company.user("dirk"), status=Status.ACCEPTED)
    for competency in competencies[1:]:
        make_evidence(company.nora, competency, by=company.user("dirk"), status=Status.ACCEPTED)
    assert {"multithreading", "expansion"} <= selectors.coaching_tasks_mastered(manager=company.nora)
    assert selectors.coaching_tasks_mastered(manager=company.mick) == set()


def test_review_queue_lists_what_the_reviewer_may_sign_off(company):
    nora_evidence = submit(company)
    mick_evidence = submit(company, who="mick", manager=company.mick)
    assert [e.pk for e in selectors.review_queue(user=company.user("dirk"))] == [nora_evidence.pk]
    assert {e.pk for e in selectors.review_queue(user=company.user("vera"))} == {nora_evidence.pk, mick_evidence.pk}
    assert [e.pk for e in selectors.review_queue(user=company.user("hana"))] == [nora_evidence.pk]
    assert selectors.review_queue(user=company.user("nora")) == []
    assert selectors.review_queue(user=company.user("otto")) == []


def test_one_mastery_date_the_accepted_evidences_date(company, login):
    """The plan said 'mastered on <session date>' for a fundamental beside 'since <review day>' for its
    competency, for evidence dated earlier; both now read the accepted evidence's date."""
    today = timezone.localdate()
    course = next(c for c in Course.objects.filter(track__key="management-fundamentals", is_active=True)
                  .prefetch_related("competencies") if c.competencies.count() == 1)
    session_day, evidence_day = today - dt.timedelta(days=60), today - dt.timedelta(days=33)
    Enrolment.objects.create(person=company.nora, course=course, enrolled_on=today - dt.timedelta(days=90),
                             due_on=today, status=Enrolment.Status.COMPLETED, completed_on=session_day)
    evidence = make_evidence(company.nora, course.competencies.get(), by=company.user("dirk"),
                             status=MasteryEvidence.Status.ACCEPTED)
    MasteryEvidence.objects.filter(pk=evidence.pk).update(occurred_on=evidence_day)
    page = login("dirk").get(f"/development/plans/{company.nora.pk}/").content.decode()
    assert page.count(f"mastered on {evidence_day.day} {evidence_day:%b %Y}") == 2
    assert f"mastered on {session_day.day} {session_day:%b %Y}" not in page
    assert f"completed on {session_day.day} {session_day:%b %Y}" in page
    assert selectors.mastered_competencies(manager=company.nora) == {course.competencies.get().pk: evidence_day}
    view = selectors.plan_view(user=company.user("dirk"), manager=company.nora, relation="leader")
    assert next(f for f in view.fundamentals if f.course == course).mastered_on == evidence_day
