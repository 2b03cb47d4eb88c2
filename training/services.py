"""Every write in the manager development program. Keyword-only, typed, atomic; audit-logged where it matters.

Emails are sent after the transaction commits (never for a change that rolled back); a failing mail server is
logged and never undoes the change.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from core.services import audit_log
from people.models import EmploymentStatus, Person
from people.scoping import is_above, is_at_or_below, is_hr_for, is_self, me, scope_for
from people.services import sales_roles_refresh
from training import emails
from training.catch_up import CatchUpPlan, catch_up_plan, rules_due_on, taken_or_certified, track_applies
from training.hooks import completion_recorded
from training.models import (
    Booking,
    CalendarFeed,
    Certification,
    Cohort,
    Course,
    CourseSellerTask,
    Deferral,
    Enrolment,
    Exemption,
    Notice,
    ProgramSettings,
    Provider,
    ProviderRating,
    Session,
    Track,
)
from training.permissions import (
    Approvers,
    approvers,
    leader_approval,
    may_decide_as_hr,
    may_decide_as_leader,
    runs_program,
)
from training.prerequisites import ACTIVE_BOOKING, missing_prerequisites, prerequisites_end

logger = logging.getLogger("promoted.training")

MIN_REASON_LENGTH = 10


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _after_commit(func: Callable[[], None], what: str) -> None:
    def run() -> None:
        try:
            func()
        except Exception:
            logger.exception("Training email failed: %s", what)

    transaction.on_commit(run)


def _booking_for_email(pk: int) -> Booking:
    return Booking.objects.select_related("person", "session", "session__course", "session__facilitator").get(
        pk=pk
    )


def _send_invitation_later(booking: Booking) -> None:
    pk = booking.pk

    def run() -> None:
        emails.send_invitation(_booking_for_email(pk))
        Booking.objects.filter(pk=pk).update(invited_at=timezone.now())

    _after_commit(run, f"invitation for booking {pk}")


def _send_waitlisted_later(booking: Booking) -> None:
    pk = booking.pk
    _after_commit(lambda: emails.send_waitlisted(_booking_for_email(pk)), f"waitlist email for booking {pk}")


def _send_cancellation_later(booking: Booking, why: str) -> None:
    pk = booking.pk
    _after_commit(lambda: emails.send_cancellation(_booking_for_email(pk), why=why), f"cancellation {pk}")


# ------------------------------------------------------------------------------------------------------------
# Notices
# ------------------------------------------------------------------------------------------------------------


def notice_send(
    *, recipient: Person, kind: str, subject: str, body: str, url: str = "", deferral: Deferral | None = None
) -> Notice:
    """An in-app notice on the recipient's training pages, also emailed after commit."""
    notice = Notice.objects.create(
        recipient=recipient, kind=kind, subject=subject[:300], body=body, url=url, deferral=deferral
    )
    pk = notice.pk

    def run() -> None:
        emails.send_notice(Notice.objects.select_related("recipient").get(pk=pk))
        Notice.objects.filter(pk=pk).update(emailed_at=timezone.now())

    _after_commit(run, f"notice {pk}")
    return notice


def notice_mark_read(*, notice: Notice, user: Any) -> None:
    if not is_self(user, notice.recipient):
        raise PermissionDenied("Only the recipient can mark a notice read.")
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at", "updated_at"])


# ------------------------------------------------------------------------------------------------------------
# Seats and waitlists
# ------------------------------------------------------------------------------------------------------------


def _confirmed_count(session: Session) -> int:
    return Booking.objects.filter(session=session, status=Booking.Status.CONFIRMED).count()


def _seat(
    enrolment: Enrolment, *, not_before: dt.datetime, exclude_session: Session | None = None
) -> Booking | None:
    """Book the enrolment into the earliest fitting scheduled session of its course: its cohort's session if
    there is one, else the earliest with a free seat, else the waitlist of the earliest. None when no session
    is scheduled (HR sees the enrolment as needing a session)."""
    prereq_end = prerequisites_end(enrolment)
    earliest = max(not_before, prereq_end) if prereq_end is not None else not_before
    sessions = (
        Session.objects.filter(
            course_id=enrolment.course_id, status=Session.Status.SCHEDULED, starts_at__gt=earliest
        )
        .exclude(bookings__enrolment=enrolment)
        .order_by("starts_at", "pk")
    )
    if exclude_session is not None:
        sessions = sessions.exclude(pk=exclude_session.pk)
    candidates = list(sessions[:20])
    if not candidates:
        return None
    chosen: Session | None = None
    if enrolment.cohort_id is not None:
        chosen = next((s for s in candidates if s.cohort_id == enrolment.cohort_id), None)
    if chosen is None:
        chosen = next((s for s in candidates if _confirmed_count(s) < s.capacity), candidates[0])
    locked = Session.objects.select_for_update().get(pk=chosen.pk)
    status = (
        Booking.Status.CONFIRMED if _confirmed_count(locked) < locked.capacity else Booking.Status.WAITLISTED
    )
    booking = Booking.objects.create(
        session=locked, enrolment=enrolment, person_id=enrolment.person_id, status=status
    )
    if status == Booking.Status.CONFIRMED:
        _send_invitation_later(booking)
    else:
        _send_waitlisted_later(booking)
    return booking


def _seats_label(taken: int, capacity: int) -> str:
    return f"{taken} of {capacity} seat{'s' if capacity != 1 else ''} taken"


@transaction.atomic
def enrolment_book(*, enrolment: Enrolment, session: Session, actor: Any) -> Booking:
    """HR books a person into a chosen session of their course, with a confirmed seat. Refused, saying why,
    when the session is full, cancelled, already started, for another course, before the person's
    prerequisite sessions end, or when a deferral of their current seat is waiting. The seat they held before
    is released (the waitlist there moves up). The person is invited; audit-logged."""
    person = enrolment.person
    if not is_hr_for(actor, person):
        raise PermissionDenied("Only HR for this person can book their sessions.")
    if enrolment.status != Enrolment.Status.ENROLLED:
        raise ValidationError(
            {"session": f"{person.full_name}'s {enrolment.course.title} is already "
                        f"{enrolment.get_status_display().lower()}: there is nothing to book."}
        )
    locked = Session.objects.select_for_update().get(pk=session.pk)
    when = f"{timezone.localtime(locked.starts_at):%d %b %Y}"
    if locked.course_id != enrolment.course_id:
        raise ValidationError({"session": f"That session is for another course than {enrolment.course.title}."})
    if locked.status != Session.Status.SCHEDULED:
        raise ValidationError({"session": f"The session on {when} is cancelled: choose another one."})
    if locked.starts_at <= timezone.now():
        raise ValidationError({"session": f"The session on {when} has already started: choose a later one."})
    taken = _confirmed_count(locked)
    if taken >= locked.capacity:
        raise ValidationError(
            {"session": f"The session on {when} is full ({_seats_label(taken, locked.capacity)}): "
                        "choose another one, or add seats to it first."}
        )
    prereq_end = prerequisites_end(enrolment)
    if prereq_end is not None and locked.starts_at < prereq_end:
        raise ValidationError(
            {"session": f"{person.full_name} takes the courses {enrolment.course.title} needs first until "
                        f"{timezone.localtime(prereq_end):%d %b %Y}: choose a session after that."}
        )
    if Booking.objects.filter(session=locked, enrolment=enrolment).exists():
        raise ValidationError(
            {"session": f"{person.full_name} already has a place in the session on {when}, or had one: "
                        "choose another session."}
        )
    current = list(enrolment.bookings.filter(ACTIVE_BOOKING).select_related("session"))
    if Deferral.objects.filter(booking__in=current, status=Deferral.Status.PENDING).exists():
        raise ValidationError(
            {"session": f"A request to move {person.full_name} out of their current session is waiting for a "
                        "decision: decide it first."}
        )
    for old in current:
        held_seat = old.status == Booking.Status.CONFIRMED
        old.status = Booking.Status.CANCELLED
        old.ics_sequence += 1
        old.save(update_fields=["status", "ics_sequence", "updated_at"])
        if old.session.starts_at > timezone.now():
            if held_seat:
                _send_cancellation_later(old, f"HR booked you into the session on {when} instead.")
            _promote_waitlist(old.session)
    booking = Booking.objects.create(
        session=locked, enrolment=enrolment, person_id=enrolment.person_id, status=Booking.Status.CONFIRMED
    )
    _send_invitation_later(booking)
    audit_log(
        actor=actor,
        action="training.booking.created",
        target=booking,
        summary=f"Booked {person.full_name} into {enrolment.course.title} on {when}",
        details={"session": locked.pk, "released": [b.pk for b in current]},
    )
    return booking


def _promote_waitlist(session: Session) -> list[Booking]:
    """Give freed seats to the waitlist, first come first served, and invite them."""
    locked = Session.objects.select_for_update().get(pk=session.pk)
    promoted: list[Booking] = []
    if locked.status != Session.Status.SCHEDULED or locked.starts_at <= timezone.now():
        return promoted
    free = locked.capacity - _confirmed_count(locked)
    if free <= 0:
        return promoted
    waiting = Booking.objects.filter(session=locked, status=Booking.Status.WAITLISTED).order_by(
        "created_at", "pk"
    )
    for booking in waiting[:free]:
        booking.status = Booking.Status.CONFIRMED
        booking.save(update_fields=["status", "updated_at"])
        _send_invitation_later(booking)
        promoted.append(booking)
    return promoted


def _seat_waiting(*, course: Course | None = None, people: Iterable[int] | None = None) -> tuple[int, int]:
    """Book every open session-based enrolment that has no active booking. Returns (confirmed, waitlisted)."""
    open_enrolments = Enrolment.objects.filter(
        status=Enrolment.Status.ENROLLED,
        course__format=Course.Format.WORKSHOP,
        person__status=EmploymentStatus.ACTIVE,
    ).exclude(Exists(Booking.objects.filter(ACTIVE_BOOKING, enrolment=OuterRef("pk"))))
    if course is not None:
        open_enrolments = open_enrolments.filter(course=course)
    if people is not None:
        open_enrolments = open_enrolments.filter(person_id__in=list(people))
    confirmed = waitlisted = 0
    now = timezone.now()
    # Only courses with a session still to come can seat anyone: skip the rest without a query each.
    bookable = set(
        Session.objects.filter(status=Session.Status.SCHEDULED, starts_at__gt=now).values_list("course_id", flat=True)
    )
    # Earlier tracks and courses first, so prerequisites are booked before the courses that need them.
    for enrolment in open_enrolments.filter(course_id__in=bookable).select_related("course").order_by(
        "course__track__position", "course__position", "due_on", "pk"
    ):
        booking = _seat(enrolment, not_before=now)
        if booking is None:
            continue
        if booking.status == Booking.Status.CONFIRMED:
            confirmed += 1
        else:
            waitlisted += 1
    return confirmed, waitlisted


# ------------------------------------------------------------------------------------------------------------
# Enrolment rules and promotion
# ------------------------------------------------------------------------------------------------------------


@dataclass
class RulesResult:
    enrolled: list[Enrolment] = field(default_factory=list)
    seats_confirmed: int = 0
    waitlisted: int = 0
    recertifications: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.enrolled or self.seats_confirmed or self.waitlisted or self.recertifications)


def _choose_cohort(track: Track, *, starts_after: dt.date) -> Cohort | None:
    return Cohort.objects.filter(track=track, starts_on__gte=starts_after).order_by("starts_on", "pk").first()


@transaction.atomic
def enrolment_rules_apply(
    *, today: dt.date, people: Iterable[Person] | None = None, actor: Any | None = None
) -> RulesResult:
    """Apply the enrolment rules. Idempotent: running it twice changes nothing the second time.

    - A person who became a people manager (`manager_since`, at most `fundamentals_start_within_days` ahead)
      is enrolled in every course of the fundamentals track, due `track.due_within_days` after the promotion
      date, in the first fundamentals cohort starting on or after today; then, if they manage sellers (a sales
      person, or someone with sales direct reports), in the sales-management track, in a cohort that starts
      after their fundamentals cohort ends; if they lead people managers, in the leading-managers track.
    - Catch-up: managers promoted longer ago (within `catch_up_lookback_days`) who were never enrolled get the
      same, due `catch_up_due_days` from today (later tracks proportionally later).
    - Open session-based enrolments without a seat (never seated, absent, deferred, session cancelled) are
      booked into the next session, on the waitlist when full.
    - Compliance certificates expiring within `recertify_before_days` open a recertification enrolment.
    Only missing enrolments are created; HR's changes are never overwritten. Managers promoted before the
    catch-up window, and senior leaders, are enrolled by HR's bulk decision (`catch_up_enrol`).
    """
    cfg = ProgramSettings.load()
    result = RulesResult()
    tracks = list(Track.objects.filter(is_active=True).prefetch_related("courses").order_by("position", "pk"))
    base_due = tracks[0].due_within_days if tracks else 0
    candidates = Person.objects.filter(
        status=EmploymentStatus.ACTIVE,
        manager_since__isnull=False,
        manager_since__lte=today + dt.timedelta(days=cfg.fundamentals_start_within_days),
        manager_since__gte=today - dt.timedelta(days=cfg.catch_up_lookback_days),
    )
    person_ids: list[int] | None = None
    if people is not None:
        person_ids = [p.pk for p in people]
        candidates = candidates.filter(pk__in=person_ids)
    result.recertifications = _recertify(today=today, cfg=cfg, person_ids=person_ids, actor=actor)
    # A compliance certificate that stays valid past the recertification window counts as done.
    existing = taken_or_certified(candidates.values_list("pk", flat=True), today=today, cfg=cfg)
    cohort_of = {
        (person_id, track_id): cohort_id
        for person_id, track_id, cohort_id in Enrolment.objects.filter(
            person__in=candidates, cohort__isnull=False
        ).values_list("person_id", "course__track_id", "cohort_id")
    }
    for person in candidates.order_by("manager_since", "pk"):
        assert person.manager_since is not None
        recent = person.manager_since >= today - dt.timedelta(days=cfg.fundamentals_start_within_days)
        source = Enrolment.Source.PROMOTION if recent else Enrolment.Source.CATCH_UP
        cohort_after = today
        for track in tracks:
            if not track_applies(track, person):
                continue
            missing = [c for c in track.courses.all() if c.is_active and (person.pk, c.pk) not in existing]
            cohort: Cohort | None = None
            if (person.pk, track.pk) in cohort_of:
                cohort = Cohort.objects.get(pk=cohort_of[(person.pk, track.pk)])
            elif missing:
                cohort = _choose_cohort(track, starts_after=cohort_after)
            if cohort is not None:
                cohort_after = max(cohort_after, cohort.ends_on + dt.timedelta(days=1))
            if not missing:
                continue
            due = rules_due_on(
                track, manager_since=person.manager_since, catch_up=not recent, today=today, cfg=cfg,
                base_due=base_due,
            )
            for course in missing:
                enrolment = Enrolment.objects.create(
                    person=person,
                    course=course,
                    cohort=cohort,
                    status=Enrolment.Status.ENROLLED,
                    source=source,
                    enrolled_on=today,
                    due_on=due,
                    enrolled_by=actor if getattr(actor, "pk", None) else None,
                )
                existing.add((person.pk, course.pk))
                result.enrolled.append(enrolment)
        if any(e.person_id == person.pk for e in result.enrolled):
            audit_log(
                actor=actor,
                action="training.enrolment.rules",
                target=person,
                summary=f"Enrolled {person.full_name} by the program rules ({source})",
                details={"courses": [e.course.key for e in result.enrolled if e.person_id == person.pk]},
            )
    result.seats_confirmed, result.waitlisted = _seat_waiting(people=person_ids)
    return result


def _recertify(*, today: dt.date, cfg: ProgramSettings, person_ids: list[int] | None, actor: Any) -> int:
    horizon = today + dt.timedelta(days=cfg.recertify_before_days)
    latest: dict[tuple[int, int], Certification] = {}
    certs = Certification.objects.filter(person__status=EmploymentStatus.ACTIVE).select_related("course")
    if person_ids is not None:
        certs = certs.filter(person_id__in=person_ids)
    for cert in certs.order_by("certified_on", "pk"):
        latest[(cert.person_id, cert.course_id)] = cert
    open_pairs = set(
        Enrolment.objects.filter(status=Enrolment.Status.ENROLLED).values_list("person_id", "course_id")
    )
    # A certificate opens one recertification, whatever became of it (completed, exempted), so re-applying the
    # rules (a re-import of the same HR file) changes nothing. A recertification is due when its certificate
    # expires, so its due date tells which certificate opened it.
    recertifications = Enrolment.objects.filter(source=Enrolment.Source.RECERTIFICATION, due_on__isnull=False)
    if person_ids is not None:
        recertifications = recertifications.filter(person_id__in=person_ids)
    recertified_until: dict[tuple[int, int], dt.date] = {}
    for person_id, course_id, due_on in recertifications.values_list("person_id", "course_id", "due_on"):
        key = (person_id, course_id)
        recertified_until[key] = max(due_on, recertified_until.get(key, due_on))
    made = 0
    for (person_id, course_id), cert in latest.items():
        if cert.expires_on > horizon or (person_id, course_id) in open_pairs or not cert.course.is_active:
            continue
        covered = recertified_until.get((person_id, course_id))
        if covered is not None and covered >= cert.expires_on:
            continue
        Enrolment.objects.create(
            person_id=person_id,
            course_id=course_id,
            status=Enrolment.Status.ENROLLED,
            source=Enrolment.Source.RECERTIFICATION,
            enrolled_on=today,
            due_on=max(cert.expires_on, today),
        )
        made += 1
    return made


@transaction.atomic
def person_promote(
    *, person: Person, actor: Any, effective_date: dt.date, new_title: str | None = None
) -> Person:
    """Record that `person` became a people manager on `effective_date` (their `manager_since`), optionally
    with a new job title, then apply the enrolment rules to them (they are enrolled and invited).
    Audit-logged."""
    if person.status == EmploymentStatus.INACTIVE:
        raise ValidationError({"person": f"{person.full_name} has left the company."})
    if effective_date is None:
        raise ValidationError({"effective_date": "The promotion date is required."})
    before = {"manager_since": str(person.manager_since or ""), "job_title": person.job_title}
    person.manager_since = effective_date
    fields = ["manager_since", "updated_at"]
    if new_title is not None and new_title.strip():
        person.job_title = new_title.strip()[:200]
        fields.append("job_title")
    person.save(update_fields=fields)
    audit_log(
        actor=actor,
        action="people.person.promoted",
        target=person,
        summary=f"Recorded {person.full_name}'s promotion to people manager on {effective_date:%Y-%m-%d}",
        details={
            "before": before,
            "manager_since": effective_date.isoformat(),
            "job_title": person.job_title,
        },
    )
    # They are a manager in the app at once (role, navigation, home page), not at the next HR import.
    sales_roles_refresh(people=[person])
    enrolment_rules_apply(today=timezone.localdate(), people=[person], actor=actor)
    return person


@transaction.atomic
def enrolment_create(
    *, person: Person, course: Course, actor: Any, due_on: dt.date, today: dt.date | None = None
) -> Enrolment:
    """HR enrols someone by hand (a long-serving manager, a transfer). Seats them in the next session."""
    if not is_hr_for(actor, person):
        raise PermissionDenied("Only HR for this person can enrol them.")
    today = today or timezone.localdate()
    if Enrolment.objects.filter(person=person, course=course, status=Enrolment.Status.ENROLLED).exists():
        raise ValidationError({"course": f"{person.full_name} is already enrolled in {course.title}."})
    if due_on < today:
        raise ValidationError({"due_on": "The due date cannot be in the past."})
    enrolment = Enrolment.objects.create(
        person=person,
        course=course,
        source=Enrolment.Source.MANUAL,
        enrolled_on=today,
        due_on=due_on,
        enrolled_by=actor,
    )
    audit_log(
        actor=actor,
        action="training.enrolment.created",
        target=enrolment,
        summary=f"Enrolled {person.full_name} in {course.title}",
        details={"due_on": due_on.isoformat()},
    )
    if course.needs_session:
        _seat(enrolment, not_before=timezone.now())
    return enrolment


@transaction.atomic
def catch_up_enrol(
    *,
    actor: Any,
    people: Iterable[Person],
    tracks: Iterable[Track],
    first_due_on: dt.date,
    today: dt.date | None = None,
) -> CatchUpPlan:
    """HR's bulk catch-up: enrol the chosen people (senior leaders, long-serving managers) in the missing
    courses of the chosen tracks, due `first_due_on` (later tracks later, see `training.catch_up`), seat them
    and tell them. All or nothing; refused when the actor is not HR for one of them. Audit-logged per person
    and for the whole decision. Returns the plan that was carried out."""
    _require_program(actor)
    today = today or timezone.localdate()
    people = list(people)
    tracks = list(tracks)
    outside = [p.full_name for p in people if not is_hr_for(actor, p)]
    if outside:
        raise PermissionDenied(f"You are not HR for {', '.join(outside)}.")
    if not people:
        raise ValidationError({"people": "Choose at least one person to enrol."})
    if not tracks:
        raise ValidationError({"tracks": "Choose at least one track."})
    if first_due_on <= today:
        raise ValidationError({"first_due_on": "The due date must be after today."})
    plan = catch_up_plan(user=actor, people=people, tracks=tracks, first_due_on=first_due_on, today=today)
    if not plan.people:
        raise ValidationError({"people": "Everyone chosen is already enrolled in these tracks: nothing to add."})
    cohort_after: dict[int, dt.date] = {}
    for entry in plan.people:
        person = entry.person
        made: list[str] = []
        for planned in entry.tracks:
            after = cohort_after.get(person.pk, today)
            cohort = _choose_cohort(planned.track, starts_after=after)
            if cohort is not None:
                cohort_after[person.pk] = max(after, cohort.ends_on + dt.timedelta(days=1))
            for course in planned.courses:
                Enrolment.objects.create(
                    person=person,
                    course=course,
                    cohort=cohort,
                    status=Enrolment.Status.ENROLLED,
                    source=Enrolment.Source.CATCH_UP,
                    enrolled_on=today,
                    due_on=planned.due_on,
                    enrolled_by=actor,
                )
                made.append(course.key)
        audit_log(
            actor=actor,
            action="training.enrolment.catch_up",
            target=person,
            summary=f"Enrolled {person.full_name} in {len(made)} courses by HR's catch-up",
            details={"courses": made, "due": {t.track.key: t.due_on.isoformat() for t in entry.tracks}},
        )
        dues = "; ".join(f"{t.track.name}: {len(t.courses)} courses by {t.due_on:%d %b %Y}" for t in entry.tracks)
        notice_send(
            recipient=person,
            kind=Notice.Kind.ENROLLED,
            subject="You are enrolled in the manager development program",
            body=f"HR enrolled you so that you take the program your managers take. {dues}.",
            url=reverse("training:my_training"),
        )
    audit_log(
        actor=actor,
        action="training.catch_up.decided",
        summary=f"Catch-up: enrolled {len(plan.people)} people in {plan.course_count} courses",
        details={
            "people": [e.person.pk for e in plan.people],
            "tracks": [t.key for t in tracks],
            "first_due_on": first_due_on.isoformat(),
        },
    )
    _seat_waiting(people=[e.person.pk for e in plan.people])
    return plan


@transaction.atomic
def enrolment_complete(
    *, enrolment: Enrolment, actor: Any, completed_on: dt.date, source: str = "hr"
) -> Enrolment:
    """Mark an enrolment completed (attendance, an HR decision, or an imported completion record). Refused,
    naming them, while the course's prerequisites are not completed by `completed_on`. Compliance courses
    issue a certificate valid for the course's validity period. Idempotent for completed ones."""
    if enrolment.status == Enrolment.Status.COMPLETED:
        return enrolment
    if enrolment.status == Enrolment.Status.EXEMPTED:
        raise ValidationError({"enrolment": "This enrolment was exempted by HR; it cannot be completed."})
    missing = missing_prerequisites([enrolment], on=completed_on)[enrolment.pk]
    if missing:
        titles = " and ".join(c.title for c in missing)
        raise ValidationError(
            {
                "enrolment": f"{enrolment.course.title} needs {titles} completed first: "
                f"{enrolment.person.full_name} has not completed {'them' if len(missing) > 1 else 'it'} "
                f"by {completed_on:%d %b %Y}."
            }
        )
    enrolment.status = Enrolment.Status.COMPLETED
    enrolment.completed_on = completed_on
    enrolment.save(update_fields=["status", "completed_on", "updated_at"])
    course = enrolment.course
    if course.validity_months:
        Certification.objects.create(
            person_id=enrolment.person_id,
            course=course,
            enrolment=enrolment,
            certified_on=completed_on,
            expires_on=add_months(completed_on, course.validity_months),
        )
    audit_log(
        actor=actor,
        action="training.enrolment.completed",
        target=enrolment,
        summary=f"{enrolment.person.full_name} completed {course.title}",
        details={"completed_on": completed_on.isoformat(), "source": source},
    )
    # The learning record store hears of every completion, whatever its source (idempotent per enrolment).
    completion_recorded(enrolment=enrolment)
    return enrolment


def _reopen(enrolment: Enrolment) -> None:
    if enrolment.status != Enrolment.Status.COMPLETED:
        return
    enrolment.status = Enrolment.Status.ENROLLED
    enrolment.completed_on = None
    enrolment.save(update_fields=["status", "completed_on", "updated_at"])
    Certification.objects.filter(enrolment=enrolment).delete()


@transaction.atomic
def attendance_mark(*, booking: Booking, actor: Any, attendance: str) -> Booking:
    """Mark attendance at a session that has started. Attended completes the course; absent leaves the
    enrolment open, and the next rules run books the person into a later session."""
    if not is_hr_for(actor, booking.person):
        raise PermissionDenied("Only HR for this person can mark their attendance.")
    if attendance not in (Booking.Attendance.ATTENDED, Booking.Attendance.ABSENT):
        raise ValidationError({"attendance": f"Mark attended or absent, not {attendance!r}."})
    if booking.status != Booking.Status.CONFIRMED:
        raise ValidationError({"attendance": "Only people with a confirmed seat can be marked."})
    if booking.session.starts_at > timezone.now():
        raise ValidationError({"attendance": "Attendance can be marked once the session has started."})
    previous = booking.attendance
    booking.attendance = attendance
    booking.attendance_marked_by = actor
    booking.attendance_marked_at = timezone.now()
    booking.save(update_fields=["attendance", "attendance_marked_by", "attendance_marked_at", "updated_at"])
    enrolment = booking.enrolment
    if attendance == Booking.Attendance.ATTENDED:
        enrolment_complete(
            enrolment=enrolment,
            actor=actor,
            completed_on=timezone.localtime(booking.session.starts_at).date(),
            source="attendance",
        )
    elif previous == Booking.Attendance.ATTENDED:
        _reopen(enrolment)
    audit_log(
        actor=actor,
        action="training.attendance.marked",
        target=booking,
        summary=f"{booking.person.full_name}: {attendance} at {booking.session}",
        details={"previous": previous, "attendance": attendance},
    )
    return booking


@transaction.atomic
def exemption_grant(*, enrolment: Enrolment, actor: Any, reason: str) -> Exemption:
    """HR exempts a person from a course, with a reason. The only way out of an enrolment short of completing
    it. Frees any seat (the waitlist moves up) and is audit-logged."""
    person = enrolment.person
    if not is_hr_for(actor, person):
        raise PermissionDenied("Only HR for this person can exempt them.")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": f"Give the reason for the exemption (at least {MIN_REASON_LENGTH} characters)."}
        )
    if enrolment.status != Enrolment.Status.ENROLLED:
        raise ValidationError(
            {"enrolment": f"This enrolment is already {enrolment.get_status_display().lower()}."}
        )
    exemption = Exemption.objects.create(
        enrolment=enrolment, reason=reason, decided_by=actor, decided_on=timezone.localdate()
    )
    enrolment.status = Enrolment.Status.EXEMPTED
    enrolment.save(update_fields=["status", "updated_at"])
    for booking in enrolment.bookings.filter(ACTIVE_BOOKING).select_related("session"):
        held_seat = booking.status == Booking.Status.CONFIRMED
        booking.status = Booking.Status.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
        if booking.session.starts_at > timezone.now():
            if held_seat:
                _send_cancellation_later(
                    booking, "HR exempted you from this course, so your seat is released."
                )
            _promote_waitlist(booking.session)
    audit_log(
        actor=actor,
        action="training.exemption.granted",
        target=enrolment,
        summary=f"Exempted {person.full_name} from {enrolment.course.title}",
        details={"reason": reason},
    )
    notice_send(
        recipient=person,
        kind=Notice.Kind.EXEMPTION,
        subject=f"Exempted from {enrolment.course.title}",
        body=f"HR exempted you from {enrolment.course.title}. Reason: {reason}",
        url=reverse("training:my_training"),
    )
    return exemption


# ------------------------------------------------------------------------------------------------------------
# Deferrals
# ------------------------------------------------------------------------------------------------------------


def _deferral_url(deferral: Deferral) -> str:
    return reverse("training:deferral", args=[deferral.pk])


def _nobody_to_decide(deciders: Approvers, *, person: Person) -> str:
    """Why a request could not be decided, in words, before it is sent (never left waiting forever)."""
    names = sorted({getattr(getattr(u, "person", None), "full_name", "") or u.email
                    for u in (*deciders.hr, *deciders.leader)})
    who = f"only {' and '.join(names)} could approve it" if names else "nobody but you could approve it"
    return (
        f"This request cannot be sent: {who}, and a deferral needs two different people to approve it, HR and "
        f"someone above {person.full_name} (with nobody above, HR's head or an administrator). Give a second "
        "person the administrator role, or record the head of HR, then ask again."
    )


@transaction.atomic
def deferral_request(*, booking: Booking, actor: Any, reason_category: str, reason: str) -> Deferral:
    """Ask to move a person to a later session. By the person (a deferral) or by anyone above them in the
    reporting line (a pull-out). The reason is mandatory. Notifies HR and the senior leaders of the line who
    decide (above the requester; HR's head and the administrators when nobody is);
    the Nth request for the same course (ProgramSettings.escalate_at_deferral) also escalates to the leader's
    own leader and HR."""
    person = booking.person
    if is_self(actor, person):
        requested_as = Deferral.RequestedAs.SELF
    elif is_above(actor, person):
        requested_as = Deferral.RequestedAs.LEADER
    else:
        raise PermissionDenied("Only the person or a leader above them can ask to defer their training.")
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if reason_category not in Deferral.Reason.values:
        errors["reason_category"] = f"Choose one of: {', '.join(Deferral.Reason.labels)}."
    if len(reason) < MIN_REASON_LENGTH:
        errors["reason"] = (
            f"Say why (at least {MIN_REASON_LENGTH} characters): HR and senior leadership read it."
        )
    if errors:
        raise ValidationError(errors)
    if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.WAITLISTED) or (
        booking.attendance != Booking.Attendance.UNMARKED
    ):
        raise ValidationError({"booking": "This seat is no longer active, so there is nothing to defer."})
    if booking.session.starts_at <= timezone.now():
        raise ValidationError({"booking": "The session has already started."})
    if booking.deferrals.filter(status=Deferral.Status.PENDING).exists():
        raise ValidationError({"booking": "A deferral of this session is already waiting for approval."})
    cfg = ProgramSettings.load()
    sequence = Deferral.objects.filter(
        enrolment__person=person, enrolment__course_id=booking.session.course_id
    )
    number = sequence.count() + 1
    actor_person = me(actor)
    deferral = Deferral(
        enrolment=booking.enrolment,
        booking=booking,
        requested_by=actor,
        requested_by_person=actor_person,
        requested_as=requested_as,
        reason_category=reason_category,
        reason=reason,
        sequence=number,
    )
    deciders = approvers(deferral)
    if deciders.deadlocked:
        raise ValidationError({"booking": _nobody_to_decide(deciders, person=person)})
    deferral.save()
    who = actor_person.full_name if actor_person else str(actor)
    course = booking.session.course.title
    start = timezone.localtime(booking.session.starts_at)
    kind_text = "pull-out" if requested_as == Deferral.RequestedAs.LEADER else "deferral"
    whom = (
        "their own session of" if requested_as == Deferral.RequestedAs.SELF else f"{person.full_name} out of"
    )
    summary = (
        f"{who} asked to move {whom} {course} on {start:%d %b %Y} ({kind_text}, "
        f"request {number} for this course). Reason: {deferral.get_reason_category_display()}: {reason}"
    )
    # Everyone who may give one of the two approvals is told (administrators without a person record see
    # the request on the deferrals page).
    hr = list(Person.objects.filter(user__in=deciders.hr).exclude(status=EmploymentStatus.INACTIVE))
    leaders = list(Person.objects.filter(user__in=deciders.leader).exclude(status=EmploymentStatus.INACTIVE))
    notified: set[int] = {actor_person.pk} if actor_person else set()
    for recipient in [*hr, *leaders]:
        if recipient.pk in notified:
            continue
        notified.add(recipient.pk)
        notice_send(
            recipient=recipient,
            kind=Notice.Kind.DEFERRAL_REQUESTED,
            subject=f"Approval needed: {kind_text} of {person.full_name} from {course}",
            body=summary,
            url=_deferral_url(deferral),
            deferral=deferral,
        )
    if requested_as == Deferral.RequestedAs.LEADER and person.pk not in notified:
        notice_send(
            recipient=person,
            kind=Notice.Kind.DEFERRAL_REQUESTED,
            subject=f"{who} asked to move you out of {course}",
            body=summary,
            url=_deferral_url(deferral),
            deferral=deferral,
        )
    if number >= cfg.escalate_at_deferral:
        leader = actor_person if requested_as == Deferral.RequestedAs.LEADER else person.manager
        escalate_to = leader.manager if leader is not None else None
        deferral.escalated_at = timezone.now()
        deferral.escalated_to = escalate_to
        deferral.save(update_fields=["escalated_at", "escalated_to", "updated_at"])
        body = f"{person.full_name} has now been asked out of {course} {number} times. {summary}"
        for recipient in [p for p in [escalate_to, *hr] if p is not None]:
            notice_send(
                recipient=recipient,
                kind=Notice.Kind.ESCALATION,
                subject=f"Escalation: {person.full_name} deferred from {course} {number} times",
                body=body,
                url=_deferral_url(deferral),
                deferral=deferral,
            )
    audit_log(
        actor=actor,
        action="training.deferral.requested",
        target=deferral,
        summary=summary[:500],
        details={
            "requested_as": requested_as,
            "reason_category": reason_category,
            "sequence": number,
            "escalated": deferral.escalated_at is not None,
        },
    )
    return deferral


@transaction.atomic
def deferral_decide(*, deferral: Deferral, actor: Any, role: str, approve: bool, note: str = "") -> Deferral:
    """Record HR's (`role="hr"`) or the line's senior leader's (`role="leader"`, see
    `training.permissions.leader_approval`) decision. A rejection by
    either keeps the person booked; two approvals move them to a later session (the waitlist moves up)."""
    deferral = Deferral.objects.select_for_update().get(pk=deferral.pk)
    person = deferral.booking.person
    if deferral.status != Deferral.Status.PENDING:
        raise ValidationError(
            {"deferral": f"This request is already {deferral.get_status_display().lower()}."}
        )
    if deferral.requested_by_id == getattr(actor, "pk", None):
        raise PermissionDenied("You cannot decide on your own request.")
    requester = deferral.requested_by_person
    deciders = approvers(deferral)
    if (
        requester is not None
        and is_at_or_below(scope_for(actor).person_path, requester)
        and not (deciders.may(actor, "hr") or deciders.may(actor, "leader"))
    ):
        raise PermissionDenied(
            f"{requester.full_name} asked for this and you report to them: someone above them decides."
        )
    now = timezone.now()
    note = (note or "").strip()
    decision = Deferral.Decision.APPROVED if approve else Deferral.Decision.REJECTED
    if role == "hr":
        if not may_decide_as_hr(actor, deferral):
            raise PermissionDenied("Only HR for this person, not below the person who asked, can decide as HR.")
        if deferral.hr_decision != Deferral.Decision.PENDING:
            raise ValidationError({"deferral": "HR has already decided."})
        if deferral.leader_decided_by_id == actor.pk:
            raise PermissionDenied("The two approvals must come from two different people.")
        deferral.hr_decision, deferral.hr_decided_by, deferral.hr_decided_at, deferral.hr_note = (
            decision,
            actor,
            now,
            note,
        )
    elif role == "leader":
        if not may_decide_as_leader(actor, deferral):
            raise PermissionDenied(
                f"Only the senior leader of {person.full_name}'s line, above the person who asked, can decide "
                f"as leader: {leader_approval(deferral).label}."
            )
        if deferral.leader_decision != Deferral.Decision.PENDING:
            raise ValidationError({"deferral": "Senior leadership has already decided."})
        if deferral.hr_decided_by_id == actor.pk:
            raise PermissionDenied("The two approvals must come from two different people.")
        (
            deferral.leader_decision,
            deferral.leader_decided_by,
            deferral.leader_decided_at,
            deferral.leader_note,
        ) = (decision, actor, now, note)
    else:
        raise ValidationError({"role": "Decide as 'hr' or 'leader'."})
    if not approve and not note:
        raise ValidationError({"note": "Say why the request is rejected."})
    if not approve:
        deferral.status = Deferral.Status.REJECTED
        deferral.decided_at = now
    elif deferral.hr_decision == deferral.leader_decision == Deferral.Decision.APPROVED:
        deferral.status = Deferral.Status.APPROVED
        deferral.decided_at = now
    deferral.save()
    if deferral.status == Deferral.Status.APPROVED:
        _move_to_later_session(deferral)
    audit_log(
        actor=actor,
        action="training.deferral.decided",
        target=deferral,
        summary=f"{'Approved' if approve else 'Rejected'} as {role}: deferral of {person.full_name} from "
        f"{deferral.booking.session.course.title}",
        details={"role": role, "approve": approve, "note": note, "status": deferral.status},
    )
    if deferral.status != Deferral.Status.PENDING:
        outcome = (
            "approved" if deferral.status == Deferral.Status.APPROVED else "rejected: the seat stays booked"
        )
        if deferral.status == Deferral.Status.APPROVED:
            moved = deferral.moved_to
            outcome += (
                f"; moved to the session on {timezone.localtime(moved.session.starts_at):%d %b %Y}"
                if moved
                else "; HR will book the next session as soon as one is scheduled"
            )
        recipients = {person.pk: person}
        if deferral.requested_by_person is not None:
            recipients[deferral.requested_by_person.pk] = deferral.requested_by_person
        for recipient in recipients.values():
            notice_send(
                recipient=recipient,
                kind=Notice.Kind.DEFERRAL_DECIDED,
                subject=f"Deferral of {person.full_name} from {deferral.booking.session.course.title} "
                f"{deferral.get_status_display().lower()}",
                body=f"The request to move {person.full_name} was {outcome}."
                + (f" Note: {note}" if note else ""),
                url=_deferral_url(deferral),
                deferral=deferral,
            )
    return deferral


def _move_to_later_session(deferral: Deferral) -> None:
    old = deferral.booking
    held_seat = old.status == Booking.Status.CONFIRMED
    old.status = Booking.Status.MOVED
    old.attendance = Booking.Attendance.DEFERRED
    old.save(update_fields=["status", "attendance", "updated_at"])
    if held_seat:
        _send_cancellation_later(old, "Your deferral was approved, so you are moved to a later session.")
    _promote_waitlist(old.session)
    new = _seat(deferral.enrolment, not_before=old.session.starts_at, exclude_session=old.session)
    if new is not None:
        deferral.moved_to = new
        deferral.save(update_fields=["moved_to", "updated_at"])


# ------------------------------------------------------------------------------------------------------------
# Sessions and cohorts
# ------------------------------------------------------------------------------------------------------------


def _require_program(actor: Any) -> None:
    if not runs_program(actor):
        raise PermissionDenied("Only HR and administrators run the program.")


@transaction.atomic
def cohort_create(
    *, actor: Any, track: Track, name: str, starts_on: dt.date, ends_on: dt.date, description: str = ""
) -> Cohort:
    _require_program(actor)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "The cohort cannot end before it starts."})
    cohort = Cohort.objects.create(
        track=track, name=name.strip(), starts_on=starts_on, ends_on=ends_on, description=description
    )
    audit_log(
        actor=actor, action="training.cohort.created", target=cohort, summary=f"Created cohort {cohort}"
    )
    return cohort


@transaction.atomic
def session_create(
    *,
    actor: Any,
    course: Course,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    cohort: Cohort | None = None,
    location: str = "",
    online_url: str = "",
    facilitator: Person | None = None,
    facilitator_name: str = "",
    notes: str = "",
) -> Session:
    """Schedule a session and seat the people waiting for one (its cohort's members first)."""
    _require_program(actor)
    errors = {}
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        errors["starts_at"] = "Give a time zone with the session times."
    elif ends_at <= starts_at:
        errors["ends_at"] = "The session must end after it starts."
    if capacity < 1:
        errors["capacity"] = "Capacity must be at least 1."
    if not location and not online_url:
        errors["location"] = "Give a place or an online link."
    if cohort is not None and cohort.track_id != course.track_id:
        errors["cohort"] = f"Cohort {cohort} is for another track than {course.title}."
    if errors:
        raise ValidationError(errors)
    session = Session.objects.create(
        course=course,
        cohort=cohort,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        location=location,
        online_url=online_url,
        facilitator=facilitator,
        facilitator_name=facilitator_name,
        notes=notes,
    )
    audit_log(actor=actor, action="training.session.created", target=session, summary=f"Scheduled {session}")
    _seat_waiting(course=course)
    return session


@transaction.atomic
def session_update(*, session: Session, actor: Any, **changes: Any) -> Session:
    """Change a session. Moving it re-sends the invitations (next SEQUENCE); more seats move the waitlist
    up."""
    _require_program(actor)
    allowed = {
        "starts_at",
        "ends_at",
        "capacity",
        "location",
        "online_url",
        "facilitator",
        "facilitator_name",
        "notes",
        "cohort",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({"__all__": f"Cannot change {', '.join(sorted(unknown))}."})
    if session.status == Session.Status.CANCELLED:
        raise ValidationError({"__all__": "This session is cancelled."})
    confirmed = _confirmed_count(session)
    if "capacity" in changes and changes["capacity"] < confirmed:
        raise ValidationError(
            {"capacity": f"{confirmed} seats are already confirmed; capacity cannot be lower."}
        )
    before = {k: str(getattr(session, k)) for k in changes}
    for key, value in changes.items():
        setattr(session, key, value)
    if session.ends_at <= session.starts_at:
        raise ValidationError({"ends_at": "The session must end after it starts."})
    session.save()
    if {"starts_at", "ends_at", "location", "online_url"} & {
        k for k in changes if before[k] != str(changes[k])
    }:
        for booking in session.bookings.filter(status=Booking.Status.CONFIRMED):
            booking.ics_sequence += 1
            booking.reminded_at = None
            booking.save(update_fields=["ics_sequence", "reminded_at", "updated_at"])
            _send_invitation_later(booking)
    _promote_waitlist(session)
    audit_log(
        actor=actor,
        action="training.session.updated",
        target=session,
        summary=f"Changed {session}",
        details={"before": before},
    )
    return session


@transaction.atomic
def session_cancel(*, session: Session, actor: Any, reason: str) -> Session:
    """Cancel a session: everyone booked gets a cancellation and is booked into the next session."""
    _require_program(actor)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": "Say why the session is cancelled."})
    if session.status == Session.Status.CANCELLED:
        return session
    session.status = Session.Status.CANCELLED
    session.save(update_fields=["status", "updated_at"])
    affected = list(session.bookings.filter(ACTIVE_BOOKING).select_related("enrolment"))
    for booking in affected:
        held = booking.status == Booking.Status.CONFIRMED
        booking.status = Booking.Status.CANCELLED
        booking.ics_sequence += 1
        booking.save(update_fields=["status", "ics_sequence", "updated_at"])
        if held:
            _send_cancellation_later(booking, f"This session is cancelled: {reason}")
    for booking in affected:
        _seat(booking.enrolment, not_before=timezone.now(), exclude_session=session)
    audit_log(
        actor=actor,
        action="training.session.cancelled",
        target=session,
        summary=f"Cancelled {session}",
        details={"reason": reason, "bookings": len(affected)},
    )
    return session


# ------------------------------------------------------------------------------------------------------------
# Curriculum and providers
# ------------------------------------------------------------------------------------------------------------


def _prerequisite_cycle(course: Course, prerequisites: Iterable[Course]) -> bool:
    targets = {p.pk for p in prerequisites}
    if course.pk in targets:
        return True
    seen: set[int] = set()
    frontier = set(targets)
    while frontier:
        seen |= frontier
        nxt = set(
            Course.prerequisites.through.objects.filter(from_course_id__in=frontier).values_list(
                "to_course_id", flat=True
            )
        )
        if course.pk in nxt:
            return True
        frontier = nxt - seen
    return False


@transaction.atomic
def course_save(
    *,
    course: Course,
    actor: Any,
    competencies: Iterable[Any],
    prerequisites: Iterable[Course],
    seller_task_keys: Iterable[str],
) -> Course:
    """Create or update a course with its competencies, prerequisites and seller task keys."""
    _require_program(actor)
    prerequisites = list(prerequisites)
    creating = course.pk is None
    course.full_clean(exclude=["competencies", "prerequisites"])
    course.save()
    if _prerequisite_cycle(course, prerequisites):
        raise ValidationError({"prerequisites": "These prerequisites would make a course require itself."})
    course.competencies.set(list(competencies))
    course.prerequisites.set(prerequisites)
    keys = sorted({k.strip().lower() for k in seller_task_keys if k.strip()})
    CourseSellerTask.objects.filter(course=course).exclude(task_key__in=keys).delete()
    for key in keys:
        CourseSellerTask.objects.get_or_create(course=course, task_key=key)
    audit_log(
        actor=actor,
        action="training.course.created" if creating else "training.course.updated",
        target=course,
        summary=f"{'Created' if creating else 'Updated'} course {course.title}",
        details={"seller_tasks": keys, "prerequisites": [p.key for p in prerequisites]},
    )
    return course


@transaction.atomic
def provider_save(*, provider: Provider, actor: Any) -> Provider:
    _require_program(actor)
    creating = provider.pk is None
    provider.full_clean()
    provider.save()
    audit_log(
        actor=actor,
        action="training.provider.created" if creating else "training.provider.updated",
        target=provider,
        summary=f"{'Added' if creating else 'Updated'} provider {provider.name}",
    )
    return provider


@transaction.atomic
def provider_rate(
    *, provider: Provider, person: Person, score: int, course: Course | None = None, comment: str = ""
) -> ProviderRating:
    """A participant rates a provider (1-5) for a course they completed; rating again replaces the old one."""
    if not 1 <= score <= 5:
        raise ValidationError({"score": "Rate from 1 to 5."})
    if (
        course is not None
        and not Enrolment.objects.filter(
            person=person, course=course, status=Enrolment.Status.COMPLETED
        ).exists()
    ):
        raise PermissionDenied("Rate a provider for a course you completed.")
    rating, _ = ProviderRating.objects.update_or_create(
        provider=provider,
        rated_by=person,
        course=course,
        defaults={"score": score, "comment": comment.strip()},
    )
    return rating


@transaction.atomic
def program_settings_update(*, actor: Any, **values: int) -> ProgramSettings:
    _require_program(actor)
    cfg = ProgramSettings.load()
    before = {k: getattr(cfg, k) for k in values}
    for key, value in values.items():
        setattr(cfg, key, value)
    cfg.full_clean()
    cfg.save()
    audit_log(
        actor=actor,
        action="training.settings.updated",
        target=cfg,
        summary="Changed program settings",
        details={"before": before, "after": values},
    )
    return cfg


@transaction.atomic
def certification_record(
    *, person: Person, course: Course, certified_on: dt.date, actor: Any
) -> Certification:
    """HR records a compliance certificate obtained outside Promoted (e.g. before the program existed)."""
    if not is_hr_for(actor, person):
        raise PermissionDenied("Only HR for this person can record certificates.")
    if not course.validity_months:
        raise ValidationError({"course": f"{course.title} is not a compliance course."})
    cert = Certification.objects.create(
        person=person,
        course=course,
        certified_on=certified_on,
        expires_on=add_months(certified_on, course.validity_months),
    )
    open_enrolment = Enrolment.objects.filter(
        person=person, course=course, status=Enrolment.Status.ENROLLED
    ).first()
    if open_enrolment is not None and cert.expires_on > timezone.localdate():
        enrolment_complete(
            enrolment=open_enrolment, actor=actor, completed_on=certified_on, source="certificate"
        )
        Certification.objects.filter(enrolment=open_enrolment).exclude(pk=cert.pk).delete()
        cert.enrolment = open_enrolment
        cert.save(update_fields=["enrolment", "updated_at"])
    audit_log(
        actor=actor,
        action="training.certification.recorded",
        target=cert,
        summary=f"Recorded {course.title} certificate for {person.full_name}",
        details={"certified_on": certified_on.isoformat(), "expires_on": cert.expires_on.isoformat()},
    )
    return cert


# ------------------------------------------------------------------------------------------------------------
# Calendar feeds and reminders
# ------------------------------------------------------------------------------------------------------------


def calendar_feed_for(*, person: Person) -> CalendarFeed:
    """The person's live feed, created on first use."""
    feed = CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).first()
    if feed is None:
        feed = CalendarFeed.objects.create(person=person, token=secrets.token_urlsafe(32))
    return feed


@transaction.atomic
def calendar_feed_regenerate(*, person: Person, actor: Any) -> CalendarFeed:
    """Revoke the current feed URL (calendar apps subscribed to it stop updating) and issue a new one."""
    if not is_self(actor, person):
        raise PermissionDenied("Only the person can change their calendar feed.")
    CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).update(revoked_at=timezone.now())
    feed = CalendarFeed.objects.create(person=person, token=secrets.token_urlsafe(32))
    audit_log(
        actor=actor,
        action="training.calendar_feed.regenerated",
        target=person,
        summary=f"{person.full_name} regenerated their training calendar feed",
    )
    return feed


@transaction.atomic
def calendar_feed_revoke(*, person: Person, actor: Any) -> int:
    if not is_self(actor, person):
        raise PermissionDenied("Only the person can change their calendar feed.")
    count = CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_log(
        actor=actor,
        action="training.calendar_feed.revoked",
        target=person,
        summary=f"{person.full_name} turned off their training calendar feed",
    )
    return count


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Email a reminder for every confirmed seat in a session starting within `reminder_days_before` days.
    Idempotent: a booking is claimed (reminded_at set) before sending, so it is never reminded twice; a failed
    send releases the claim for the next run. Returns how many were sent."""
    now = now or timezone.now()
    cfg = ProgramSettings.load()
    due = Booking.objects.filter(
        status=Booking.Status.CONFIRMED,
        attendance=Booking.Attendance.UNMARKED,
        reminded_at__isnull=True,
        session__status=Session.Status.SCHEDULED,
        session__starts_at__gt=now,
        session__starts_at__lte=now + dt.timedelta(days=cfg.reminder_days_before),
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        claimed = Booking.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now)
        if not claimed:
            continue
        try:
            emails.send_reminder(_booking_for_email(pk))
        except Exception:
            logger.exception("Reminder for booking %s failed; it will be retried", pk)
            Booking.objects.filter(pk=pk).update(reminded_at=None)
            continue
        sent += 1
    return sent
