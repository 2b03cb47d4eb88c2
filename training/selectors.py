"""Reads of the program, always limited to what the signed-in person may see (people.scoping).

Anything tied to a person (enrolments, bookings, deferrals, certificates) is filtered through
`visible_people`; asking for something outside the scope answers 404, never a hint that it exists.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Role
from people.models import EmploymentStatus, Function, OrgUnit, Person
from people.scoping import is_hr_for, may_see, me, scope_for, visible_people
from training.catch_up import course_due_on
from training.hooks import Standing, fundamentals_standing
from training.models import (
    Booking,
    CalendarFeed,
    Certification,
    Cohort,
    Course,
    Deferral,
    Enrolment,
    Notice,
    ProgramSettings,
    Provider,
    Session,
    Track,
)
from training.permissions import (
    DeciderPool,
    approvers,
    may_decide_as_hr,
    may_decide_as_leader,
    may_request_deferral,
    runs_program,
)
from training.prerequisites import missing_prerequisites, prerequisite_session_ends

# ------------------------------------------------------------------------------------------------------------
# Who sees what of the program
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramAccess:
    runs_program: bool  # HR partner or administrator
    is_leader: bool  # senior sales leader
    is_manager: bool
    is_enrolled: bool  # has any enrolment (anyone: sellers see the program only then)
    person_id: int | None
    is_notified: bool = False  # was told of something to decide (another function's senior leader, HR's head)

    @property
    def sees_program(self) -> bool:
        return self.runs_program or self.is_leader or self.is_manager or self.is_enrolled or self.is_notified


def program_access(user: Any) -> ProgramAccess:
    scope = scope_for(user)
    cached = getattr(user, "_training_access", None)
    if cached is not None:
        return cached
    enrolled = scope.person_id is not None and Enrolment.objects.filter(person_id=scope.person_id).exists()
    access = ProgramAccess(
        runs_program=scope.is_hr,
        is_leader=Role.SENIOR_SALES_LEADER in scope.roles,
        is_manager=Role.SALES_MANAGER in scope.roles,
        is_enrolled=enrolled,
        person_id=scope.person_id,
        is_notified=scope.person_id is not None and Notice.objects.filter(recipient_id=scope.person_id).exists(),
    )
    if getattr(user, "is_authenticated", False):
        user._training_access = access
    return access


def require_program(user: Any) -> ProgramAccess:
    access = program_access(user)
    if not access.sees_program:
        raise Http404
    return access


def require_runs_program(user: Any) -> None:
    if not runs_program(user):
        raise Http404


# ------------------------------------------------------------------------------------------------------------
# Curriculum
# ------------------------------------------------------------------------------------------------------------


def _course_qs() -> QuerySet[Course]:
    return Course.objects.select_related("track", "provider").prefetch_related(
        "competencies", "prerequisites", "seller_tasks"
    )


def curriculum(*, user: Any, include_inactive: bool = False) -> list[Track]:
    require_program(user)
    courses = _course_qs().order_by("position", "title")
    tracks = Track.objects.all()
    if not include_inactive:
        courses = courses.filter(is_active=True)
        tracks = tracks.filter(is_active=True)
    return list(tracks.prefetch_related(Prefetch("courses", queryset=courses)).order_by("position", "pk"))


def course_detail(*, user: Any, course_id: int) -> Course:
    require_program(user)
    return get_object_or_404(_course_qs(), pk=course_id)


def courses_for_tasks(*, task_keys: list[str]) -> QuerySet[Course]:
    """Active courses that teach a manager to coach any of the given seller task keys (for development
    plans)."""
    return _course_qs().filter(is_active=True, seller_tasks__task_key__in=task_keys).distinct()


def providers(*, user: Any) -> list[Provider]:
    require_program(user)
    return list(
        Provider.objects.annotate(
            rating_avg=Avg("ratings__score"),
            rating_count=Count("ratings", distinct=True),
            course_count=Count("courses", filter=Q(courses__is_active=True), distinct=True),
        ).order_by("kind", "name")
    )


def provider_detail(*, user: Any, provider_id: int) -> Provider:
    require_program(user)
    return get_object_or_404(
        Provider.objects.annotate(
            rating_avg=Avg("ratings__score"), rating_count=Count("ratings")
        ).prefetch_related(
            Prefetch(
                "courses",
                queryset=Course.objects.select_related("track").order_by("track__position", "position"),
            ),
        ),
        pk=provider_id,
    )


# ------------------------------------------------------------------------------------------------------------
# Progress: what "behind" means
# ------------------------------------------------------------------------------------------------------------

@dataclass
class SeatChoice:
    """An upcoming session HR may book someone into: it has a free seat."""

    session: Session
    free: int
    due_on: dt.date

    @property
    def before_due(self) -> bool:
        return timezone.localtime(self.session.starts_at).date() <= self.due_on

    @property
    def label(self) -> str:
        start = timezone.localtime(self.session.starts_at)
        seats = f"{self.free} seat{'s' if self.free != 1 else ''} free" if self.free else "full: waitlist only"
        late = "" if self.before_due else ", after the due date"
        return f"{start:%a %d %b %Y, %H:%M} ({seats}{late})"


@dataclass
class EnrolmentProgress:
    """Where one enrolment stands; the one definition every training and plan page reads:

    - overdue: not completed and the due date has passed; `days_behind` is the days since the due date (only an
      overdue enrolment is any days behind);
    - at_risk: not yet due, but it will not be done in time as things stand (no session booked, only on the
      waitlist, or the booked session is after the due date);
    - behind: overdue or at risk.
    """

    enrolment: Enrolment
    state: str  # completed, exempted, overdue, at_risk, on_track
    days_behind: int = 0
    reasons: list[str] = field(default_factory=list)
    booking: Booking | None = None
    waiting_for: list[Course] = field(default_factory=list)  # prerequisites not completed yet
    movable: bool = False  # the viewer may ask to move this seat (see `mark_movable`)
    seat_choices: list[SeatChoice] = field(default_factory=list)  # sessions HR may book (see `offer_seats`)

    @property
    def behind(self) -> bool:
        return self.state in ("overdue", "at_risk")


@dataclass
class PersonProgress:
    person: Person
    items: list[EnrolmentProgress] = field(default_factory=list)
    fundamentals: Standing | None = None  # fundamentals completed and mastered (training.hooks)
    pull_outs: int = 0
    deferrals: int = 0
    pending_deferrals: int = 0

    @property
    def total(self) -> int:
        return sum(1 for i in self.items if i.state != "exempted")

    @property
    def completed(self) -> int:
        return sum(1 for i in self.items if i.state == "completed")

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.items if i.state == "overdue")

    @property
    def at_risk(self) -> int:
        return sum(1 for i in self.items if i.state == "at_risk")

    @property
    def behind(self) -> bool:
        return self.overdue > 0 or self.at_risk > 0

    @property
    def behind_count(self) -> int:
        """Courses behind: overdue plus at risk."""
        return self.overdue + self.at_risk

    @property
    def days_behind(self) -> int:
        return max((i.days_behind for i in self.items), default=0)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 100

    @property
    def reasons(self) -> list[str]:
        seen: dict[str, None] = {}
        for item in self.items:
            for reason in item.reasons:
                seen.setdefault(reason, None)
        return list(seen)

    @property
    def movable_items(self) -> list[EnrolmentProgress]:
        """The upcoming seats the viewer may ask to move, soonest first (after `mark_movable`)."""
        items = [i for i in self.items if i.movable and i.booking is not None]
        return sorted(items, key=lambda i: i.booking.session.starts_at if i.booking else timezone.now())

    @property
    def next_booking(self) -> Booking | None:
        upcoming = [
            i.booking
            for i in self.items
            if i.booking is not None and i.booking.session.starts_at > timezone.now()
        ]
        return min(upcoming, key=lambda b: b.session.starts_at, default=None)

    @property
    def status_label(self) -> str:
        if self.overdue:
            return "overdue"
        if self.at_risk:
            return "at risk"
        if self.total and self.completed == self.total:
            return "complete"
        return "on track"


def _assess(
    enrolment: Enrolment,
    bookings: list[Booking],
    deferrals: list[Deferral],
    today: dt.date,
) -> EnrolmentProgress:
    if enrolment.status == Enrolment.Status.COMPLETED:
        attended = next((b for b in bookings if b.attendance == Booking.Attendance.ATTENDED), None)
        return EnrolmentProgress(enrolment, "completed", booking=attended)
    if enrolment.status == Enrolment.Status.EXEMPTED:
        return EnrolmentProgress(enrolment, "exempted")
    course = enrolment.course
    active = next(
        (
            b
            for b in bookings
            if b.status in (Booking.Status.CONFIRMED, Booking.Status.WAITLISTED)
            and b.attendance == Booking.Attendance.UNMARKED
        ),
        None,
    )
    reasons: list[str] = []
    for deferral in deferrals:
        if deferral.status == Deferral.Status.REJECTED:
            continue  # a rejected request changed nothing
        who = deferral.requested_by_person.full_name if deferral.requested_by_person else "someone"
        label = "Pulled out by " + who if deferral.is_pull_out else "Deferred at own request"
        state = (
            ""
            if deferral.status == Deferral.Status.APPROVED
            else f" ({deferral.get_status_display().lower()})"
        )
        reasons.append(
            f"{label}{state}: {deferral.get_reason_category_display().lower()} — {deferral.reason}"
        )
    for booking in bookings:
        if booking.attendance == Booking.Attendance.ABSENT:
            reasons.append(
                f"Absent from the session on {timezone.localtime(booking.session.starts_at):%d %b %Y}"
            )
    days_behind = max((today - enrolment.due_on).days, 0)
    state = "overdue" if days_behind else "on_track"
    if course.needs_session:
        if active is None:
            reasons.append("No session booked: HR needs to schedule one")
            if state == "on_track":
                state = "at_risk"
        else:
            session_day = timezone.localtime(active.session.starts_at).date()
            if active.status == Booking.Status.WAITLISTED:
                reasons.append(f"On the waitlist for {session_day:%d %b %Y}")
                state = "at_risk" if state == "on_track" else state
            if session_day > enrolment.due_on:
                # At risk, not behind: nobody is behind before the due date has passed.
                late = (session_day - enrolment.due_on).days
                reasons.append(f"Booked session on {session_day:%d %b %Y} is {late} day{'s' if late != 1 else ''} "
                               "after the due date")
                state = "at_risk" if state == "on_track" else state
    elif state == "overdue":
        reasons.append(f"{course.get_format_display()} not completed by {enrolment.due_on:%d %b %Y}")
    if state == "overdue":
        reasons.insert(0, f"Overdue since {enrolment.due_on:%d %b %Y}")
    return EnrolmentProgress(enrolment, state, days_behind, reasons, active)


def progress_for(people: QuerySet[Person], *, today: dt.date | None = None) -> list[PersonProgress]:
    """Program progress of each person in `people` who has enrolments (the caller has already scoped them).
    A fixed number of queries whatever the number of people."""
    today = today or timezone.localdate()
    enrolments = list(
        Enrolment.objects.filter(person__in=people)
        .select_related("person", "person__org_unit", "person__manager", "course", "course__track", "cohort")
        .order_by(
            "person__last_name",
            "person__first_name",
            "person_id",
            "course__track__position",
            "course__position",
        )
    )
    ids = [e.pk for e in enrolments]
    bookings: dict[int, list[Booking]] = defaultdict(list)
    for booking in (
        Booking.objects.filter(enrolment_id__in=ids).select_related("session").order_by("session__starts_at")
    ):
        bookings[booking.enrolment_id].append(booking)
    deferrals: dict[int, list[Deferral]] = defaultdict(list)
    for deferral in (
        Deferral.objects.filter(enrolment_id__in=ids)
        .select_related("requested_by_person")
        .order_by("created_at")
    ):
        deferrals[deferral.enrolment_id].append(deferral)
    waiting = missing_prerequisites(e for e in enrolments if e.status == Enrolment.Status.ENROLLED)
    result: dict[int, PersonProgress] = {}
    for enrolment in enrolments:
        entry = result.setdefault(enrolment.person_id, PersonProgress(enrolment.person))
        its = deferrals.get(enrolment.pk, [])
        item = _assess(enrolment, bookings.get(enrolment.pk, []), its, today)
        item.waiting_for = waiting.get(enrolment.pk, [])
        if item.waiting_for:
            titles = " and ".join(c.title for c in item.waiting_for)
            item.reasons.append(f"Can be completed only after {titles}")
        entry.items.append(item)
        entry.deferrals += sum(1 for d in its if d.status != Deferral.Status.REJECTED)
        entry.pull_outs += sum(1 for d in its if d.is_pull_out)
        entry.pending_deferrals += sum(1 for d in its if d.status == Deferral.Status.PENDING)
    standings = fundamentals_standing(result)
    for pid, person_entry in result.items():
        person_entry.fundamentals = standings.get(pid)
    return list(result.values())


def mark_movable(*, user: Any, progress: list[PersonProgress]) -> list[PersonProgress]:
    """Flag the seats the user may ask to move: upcoming, not marked, with no request already waiting, of
    someone the user may defer or pull out (`permissions.may_request_deferral`). Returns `progress`."""
    now = timezone.now()
    items = [
        i
        for entry in progress
        if may_request_deferral(user, entry.person)
        for i in entry.items
        if i.booking is not None and i.booking.session.starts_at > now
    ]
    waiting = set(
        Deferral.objects.filter(
            booking_id__in=[i.booking.pk for i in items if i.booking], status=Deferral.Status.PENDING
        ).values_list("booking_id", flat=True)
    )
    for item in items:
        item.movable = item.booking is not None and item.booking.pk not in waiting
    return progress


def seat_choices(enrolments: list[Enrolment]) -> dict[int, list[SeatChoice]]:
    """For each open workshop enrolment (by pk; the caller has scoped them): the scheduled sessions of its
    course still to come with a free seat, not before the person's prerequisite sessions end, and not one they
    were booked into before; soonest first."""
    open_ones = [e for e in enrolments if e.status == Enrolment.Status.ENROLLED and e.course.needs_session]
    if not open_ones:
        return {}
    sessions = list(
        Session.objects.filter(
            course_id__in={e.course_id for e in open_ones},
            status=Session.Status.SCHEDULED,
            starts_at__gt=timezone.now(),
        )
        .annotate(confirmed=Count("bookings", filter=Q(bookings__status=Booking.Status.CONFIRMED)))
        .order_by("starts_at", "pk")
    )
    booked = set(
        Booking.objects.filter(enrolment__in=open_ones).values_list("enrolment_id", "session_id")
    )
    ends = prerequisite_session_ends(open_ones)
    result: dict[int, list[SeatChoice]] = {}
    for enrolment in open_ones:
        after = ends.get(enrolment.pk)
        result[enrolment.pk] = [
            SeatChoice(session, session.capacity - session.confirmed, enrolment.due_on)
            for session in sessions
            if session.course_id == enrolment.course_id
            and session.confirmed < session.capacity
            and (enrolment.pk, session.pk) not in booked
            and (after is None or session.starts_at >= after)
        ]
    return result


def offer_seats(*, user: Any, progress: list[PersonProgress]) -> list[tuple[PersonProgress, EnrolmentProgress]]:
    """Give HR the sessions it may book, on each open workshop course of the people it is HR for
    (`EnrolmentProgress.seat_choices`). Returns the courses that need a seat: behind, with no confirmed seat
    or one after the due date."""
    mine = [entry for entry in progress if is_hr_for(user, entry.person)]
    choices = seat_choices([i.enrolment for entry in mine for i in entry.items])
    needing: list[tuple[PersonProgress, EnrolmentProgress]] = []
    for entry in mine:
        for item in entry.items:
            item.seat_choices = choices.get(item.enrolment.pk, [])
            if item.enrolment.pk in choices and item.behind and (
                item.booking is None
                or item.booking.status != Booking.Status.CONFIRMED
                or timezone.localtime(item.booking.session.starts_at).date() > item.enrolment.due_on
            ):
                needing.append((entry, item))
    return needing


@dataclass
class TrackCounts:
    track: Track
    people: int = 0
    behind: int = 0
    overdue: int = 0
    at_risk: int = 0
    complete: int = 0


def counts_per_track(progress: list[PersonProgress], tracks: list[Track]) -> list[TrackCounts]:
    """Behind-schedule counts per program (track): people enrolled, behind (overdue or at risk), complete."""
    counts = {t.pk: TrackCounts(t) for t in tracks}
    for entry in progress:
        states: dict[int, list[str]] = defaultdict(list)
        for item in entry.items:
            states[item.enrolment.course.track_id].append(item.state)
        for track_id, items in states.items():
            tc = counts.get(track_id)
            if tc is None:
                continue
            tc.people += 1
            if "overdue" in items:
                tc.overdue += 1
            elif "at_risk" in items:
                tc.at_risk += 1
            if "overdue" in items or "at_risk" in items:
                tc.behind += 1
            elif all(s in ("completed", "exempted") for s in items):
                tc.complete += 1
    return list(counts.values())


# ------------------------------------------------------------------------------------------------------------
# My training
# ------------------------------------------------------------------------------------------------------------


@dataclass
class MyTraining:
    person: Person
    progress: PersonProgress | None
    deferrals: list[Deferral]
    certifications: list[CertificateStatus]
    feed: CalendarFeed | None
    notices: list[Notice]


def my_training(*, user: Any) -> MyTraining:
    require_program(user)
    person = me(user)
    if person is None:
        raise Http404
    progress = progress_for(Person.objects.filter(pk=person.pk))
    deferrals = list(
        Deferral.objects.filter(enrolment__person=person)
        .select_related("booking__session__course", "requested_by_person", "moved_to__session",
                        "hr_decided_by__person", "leader_decided_by__person")
        .order_by("-created_at")
    )
    certs = certificate_statuses(Person.objects.filter(pk=person.pk), today=timezone.localdate())
    feed = CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).first()
    return MyTraining(
        person, progress[0] if progress else None, deferrals, certs, feed, notices_for(user=user, limit=10)
    )


def notices_for(*, user: Any, limit: int = 20) -> list[Notice]:
    scope = scope_for(user)
    if scope.person_id is None:
        return []
    return list(Notice.objects.filter(recipient_id=scope.person_id).select_related(
        "deferral__hr_decided_by__person", "deferral__leader_decided_by__person",
        "deferral__booking__session__course")[:limit])


def feed_bookings(*, token: str) -> tuple[CalendarFeed, list[Booking]]:
    """The live feed with this token and its person's confirmed (or since cancelled) sessions; 404
    otherwise."""
    feed = CalendarFeed.objects.select_related("person").filter(token=token, revoked_at__isnull=True).first()
    if feed is None or feed.person.status == EmploymentStatus.INACTIVE:
        raise Http404
    since = timezone.now() - dt.timedelta(days=90)
    bookings = list(
        Booking.objects.filter(person=feed.person, session__starts_at__gte=since)
        .filter(
            Q(status=Booking.Status.CONFIRMED)
            | Q(status=Booking.Status.CANCELLED, session__status=Session.Status.CANCELLED)
        )
        .select_related("session", "session__course", "session__facilitator", "person")
        .order_by("session__starts_at")
    )
    return feed, bookings


# ------------------------------------------------------------------------------------------------------------
# Cohorts and sessions
# ------------------------------------------------------------------------------------------------------------


def _visible_session_q(user: Any) -> Q:
    """Sessions a person may open: all for those running the program; else sessions where they, or someone
    they may see, hold a booking, or that they facilitate."""
    if runs_program(user):
        return Q()
    scope = scope_for(user)
    visible_ids = visible_people(user).values("pk")
    return Q(bookings__person_id__in=visible_ids) | Q(facilitator_id=scope.person_id or 0)


def cohorts(*, user: Any) -> list[Cohort]:
    require_program(user)
    qs = Cohort.objects.select_related("track")
    if not runs_program(user):
        qs = qs.filter(enrolments__person__in=visible_people(user))
    return list(
        qs.annotate(
            member_count=Count("enrolments__person", distinct=True),
            session_count=Count("sessions", distinct=True),
        ).order_by("-starts_on", "name")
    )


@dataclass
class CohortView:
    cohort: Cohort
    members: list[Person]
    hidden_members: int
    function_mix: list[tuple[str, int, int]]  # label, count, percent
    sessions: list[Any]  # Session annotated with confirmed / waitlisted counts


def cohort_detail(*, user: Any, cohort_id: int) -> CohortView:
    require_program(user)
    cohort = get_object_or_404(Cohort.objects.select_related("track"), pk=cohort_id)
    all_members = Person.objects.filter(training_enrolments__cohort=cohort).distinct()
    if runs_program(user) and scope_for(user).sees_everyone:
        visible = list(all_members.select_related("org_unit", "manager").order_by("last_name", "first_name"))
    else:
        visible = list(
            all_members.filter(pk__in=visible_people(user).values("pk"))
            .select_related("org_unit", "manager")
            .order_by("last_name", "first_name")
        )
        if not visible and not runs_program(user):
            raise Http404
    # The mix is an aggregate (no names), so it counts every member, as the point of a cohort is the mix.
    functions = Counter(all_members.values_list("function", flat=True))
    total = sum(functions.values())
    labels = dict(Function.choices)
    mix = [(labels.get(f, f), n, round(100 * n / total)) for f, n in functions.most_common()]
    sessions = list(
        Session.objects.filter(cohort=cohort)
        .select_related("course", "facilitator")
        .annotate(
            confirmed=Count("bookings", filter=Q(bookings__status=Booking.Status.CONFIRMED)),
            waitlisted=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)),
        )
        .order_by("starts_at")
    )
    return CohortView(cohort, visible, total - len(visible), mix, sessions)


def sessions_upcoming(*, user: Any, course: Course | None = None, limit: int = 50) -> list[Session]:
    require_program(user)
    qs = Session.objects.filter(
        _visible_session_q(user), starts_at__gte=timezone.now() - dt.timedelta(days=1)
    )
    if course is not None:
        qs = qs.filter(course=course)
    return list(
        qs.distinct()
        .select_related("course", "cohort", "facilitator")
        .annotate(
            confirmed=Count("bookings", filter=Q(bookings__status=Booking.Status.CONFIRMED), distinct=True),
            waitlisted=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED), distinct=True),
        )
        .order_by("starts_at")[:limit]
    )


@dataclass
class SessionView:
    session: Session
    confirmed: list[Booking]
    waitlisted: list[Booking]
    other: list[Booking]  # moved, cancelled
    hidden: int  # bookings of people outside the viewer's scope
    seats_taken: int
    can_mark: bool
    my_booking: Booking | None
    movable: frozenset[int] = frozenset()  # bookings the viewer may ask to move (their own, or below them)


def session_detail(*, user: Any, session_id: int) -> SessionView:
    require_program(user)
    session = get_object_or_404(
        Session.objects.filter(_visible_session_q(user))
        .distinct()
        .select_related("course", "cohort", "facilitator"),
        pk=session_id,
    )
    bookings = list(
        session.bookings.select_related("person", "person__org_unit", "enrolment").order_by(
            "created_at", "pk"
        )
    )
    visible_ids = set(
        visible_people(user).filter(pk__in=[b.person_id for b in bookings]).values_list("pk", flat=True)
    )
    shown = [b for b in bookings if b.person_id in visible_ids]
    scope = scope_for(user)
    return SessionView(
        session=session,
        confirmed=[b for b in shown if b.status == Booking.Status.CONFIRMED],
        waitlisted=[b for b in shown if b.status == Booking.Status.WAITLISTED],
        other=[b for b in shown if b.status in (Booking.Status.MOVED, Booking.Status.CANCELLED)],
        hidden=len(bookings) - len(shown),
        seats_taken=sum(1 for b in bookings if b.status == Booking.Status.CONFIRMED),
        can_mark=runs_program(user) and session.starts_at <= timezone.now(),
        my_booking=next((b for b in bookings if b.person_id == scope.person_id), None),
        movable=frozenset(
            b.pk for b in shown
            if session.starts_at > timezone.now() and may_request_deferral(user, b.person)
        ) - set(Deferral.objects.filter(booking__session=session, status=Deferral.Status.PENDING)
                .values_list("booking_id", flat=True)),
    )


def booking_for(*, user: Any, booking_id: int) -> Booking:
    """A booking of someone the user may see."""
    return get_object_or_404(
        Booking.objects.filter(person__in=visible_people(user)).select_related(
            "person",
            "person__org_unit",
            "person__manager",
            "session",
            "session__course",
            "enrolment",
            "enrolment__course",
        ),
        pk=booking_id,
    )


def enrolment_for(*, user: Any, enrolment_id: int) -> Enrolment:
    return get_object_or_404(
        Enrolment.objects.filter(person__in=visible_people(user)).select_related(
            "person", "person__org_unit", "course", "course__track"
        ),
        pk=enrolment_id,
    )


# ------------------------------------------------------------------------------------------------------------
# Deferrals
# ------------------------------------------------------------------------------------------------------------


def _deferral_qs() -> QuerySet[Deferral]:
    return Deferral.objects.select_related(
        "enrolment__person",
        "enrolment__person__org_unit",
        "enrolment__person__manager",
        "booking__session__course",
        "requested_by_person",
        "hr_decided_by__person",
        "leader_decided_by__person",
        "moved_to__session",
        "escalated_to",
    )


def deferrals_seen_by(user: Any) -> QuerySet[Deferral]:
    """Deferrals the user may open: of people they see, asked by them, decided by them, or that they were
    notified of (the senior leader of another function's line, HR's head when nobody is above the requester)."""
    scope = scope_for(user)
    q = Q(enrolment__person__in=visible_people(user)) | Q(requested_by=user)
    q |= Q(hr_decided_by=user) | Q(leader_decided_by=user)
    if scope.person_id is not None:
        q |= Q(notices__recipient_id=scope.person_id)
    return Deferral.objects.filter(pk__in=Deferral.objects.filter(q).values("pk"))


def decision_roles(*, user: Any, deferral: Deferral) -> list[str]:
    """The approvals ("hr", "leader") the user may still give on this request."""
    if deferral.status != Deferral.Status.PENDING or deferral.requested_by_id == user.pk:
        return []
    roles = []
    if (
        deferral.hr_decision == Deferral.Decision.PENDING
        and deferral.leader_decided_by_id != user.pk
        and may_decide_as_hr(user, deferral)
    ):
        roles.append("hr")
    if (
        deferral.leader_decision == Deferral.Decision.PENDING
        and deferral.hr_decided_by_id != user.pk
        and may_decide_as_leader(user, deferral)
    ):
        roles.append("leader")
    return roles


def deferrals_awaiting(*, user: Any) -> list[Deferral]:
    """Pending requests waiting for one of the user's approvals, oldest first."""
    pending = deferrals_seen_by(user).filter(status=Deferral.Status.PENDING)
    deferrals = list(_deferral_qs().filter(pk__in=pending.values("pk")).order_by("created_at"))
    pool = DeciderPool.load() if deferrals else None
    for deferral in deferrals:
        approvers(deferral, pool=pool)  # kept on the deferral for decision_roles
    return [d for d in deferrals if decision_roles(user=user, deferral=d)]


def deferral_detail(*, user: Any, deferral_id: int) -> Deferral:
    return get_object_or_404(_deferral_qs().filter(pk__in=deferrals_seen_by(user).values("pk")), pk=deferral_id)


@dataclass
class DecisionFacts:
    """What the person deciding on a deferral needs beside the request: when the course is due, the sessions
    they could move to before then, and how far the person is in the program."""

    due_on: dt.date  # the enrolment's due date (the one that counts once enrolled)
    rule_due_on: dt.date  # the program's rule for the course (`catch_up.course_due_on`)
    before_due: list[SeatChoice]  # later sessions of the course starting by the due date
    first_after_due: Session | None  # the next session after the due date, when none is before it
    progress: PersonProgress
    may_open_person: bool

    @property
    def due_set_by_hand(self) -> bool:
        return self.due_on != self.rule_due_on


def decision_facts(*, user: Any, deferral: Deferral, today: dt.date | None = None) -> DecisionFacts:
    """For the deferral page (already scoped by `deferral_detail`)."""
    today = today or timezone.localdate()
    enrolment = deferral.enrolment
    person = enrolment.person
    course = deferral.booking.session.course
    later = list(
        Session.objects.filter(
            course=course,
            status=Session.Status.SCHEDULED,
            starts_at__gt=max(timezone.now(), deferral.booking.session.starts_at),
        )
        .annotate(confirmed=Count("bookings", filter=Q(bookings__status=Booking.Status.CONFIRMED)))
        .order_by("starts_at", "pk")[:20]
    )
    choices = [SeatChoice(s, max(s.capacity - s.confirmed, 0), enrolment.due_on) for s in later]
    before = [c for c in choices if c.before_due]
    after = next((c.session for c in choices if not c.before_due), None) if not before else None
    found = progress_for(Person.objects.filter(pk=person.pk), today=today)
    return DecisionFacts(
        due_on=enrolment.due_on,
        rule_due_on=course_due_on(person, course, today=today),
        before_due=before,
        first_after_due=after,
        progress=found[0] if found else PersonProgress(person),
        may_open_person=may_see(user, person),
    )


@dataclass
class DeferralQueues:
    awaiting_me: list[Deferral]
    mine: list[Deferral]  # requested by me, or about me
    others: list[Deferral]  # everything else in scope, newest first


def deferral_queues(*, user: Any, limit: int = 100) -> DeferralQueues:
    require_program(user)
    scope = scope_for(user)
    visible = _deferral_qs().filter(pk__in=deferrals_seen_by(user).values("pk")).order_by("-created_at")
    rows = list(visible[:limit])
    awaiting, mine, others = [], [], []
    for d in rows:
        person = d.enrolment.person
        if d.requested_by_id == user.pk or person.pk == scope.person_id:
            mine.append(d)
        elif decision_roles(user=user, deferral=d):
            awaiting.append(d)
        else:
            others.append(d)
    return DeferralQueues(awaiting, mine, others)


# ------------------------------------------------------------------------------------------------------------
# Accountability
# ------------------------------------------------------------------------------------------------------------


@dataclass
class LeaderAccountability:
    leader: Person
    progress: list[PersonProgress]
    counts: list[TrackCounts]
    pull_outs: list[Deferral]
    escalations: list[Deferral]
    notices: list[Notice]

    @property
    def behind(self) -> list[PersonProgress]:
        return [p for p in self.progress if p.behind]


def leaders(*, user: Any) -> list[Person]:
    """Senior sales leaders the user may see (for HR to pick whose accountability page to open)."""
    return list(
        visible_people(user)
        .filter(user__role_grants__role=Role.SENIOR_SALES_LEADER)
        .exclude(status=EmploymentStatus.INACTIVE)
        .distinct()
        .order_by("last_name", "first_name")
    )


def leader_accountability(*, user: Any, leader_id: int | None = None) -> LeaderAccountability:
    """For a senior leader: their subtree's managers' progress, overdue training and the pull-outs they made
    themselves. A leader sees their own page; HR and administrators may open any leader they can see."""
    scope = scope_for(user)
    if leader_id is None or leader_id == scope.person_id:
        if Role.SENIOR_SALES_LEADER not in scope.roles or scope.person_id is None:
            raise Http404
        leader = get_object_or_404(Person, pk=scope.person_id)
    else:
        if not runs_program(user):
            raise Http404
        leader = get_object_or_404(
            visible_people(user).filter(user__role_grants__role=Role.SENIOR_SALES_LEADER).distinct(),
            pk=leader_id,
        )
    subtree = (
        visible_people(user)
        .filter(path__startswith=leader.path)
        .exclude(pk=leader.pk)
        .exclude(status=EmploymentStatus.INACTIVE)
    )
    progress = mark_movable(user=user, progress=progress_for(subtree))
    tracks = list(Track.objects.filter(is_active=True).order_by("position"))
    pull_outs = list(_deferral_qs().filter(requested_by_person=leader).order_by("-created_at")[:100])
    escalations = list(
        _deferral_qs()
        .filter(Q(escalated_to=leader) | Q(escalated_at__isnull=False, enrolment__person__in=subtree))
        .distinct()
        .order_by("-created_at")[:100]
    )
    notices = (
        list(Notice.objects.filter(recipient=leader).select_related("deferral__booking__session__course")[:20])
        if (leader.pk == scope.person_id)
        else []
    )
    return LeaderAccountability(
        leader, progress, counts_per_track(progress, tracks), pull_outs, escalations, notices
    )


@dataclass
class BehindReport:
    behind: list[PersonProgress]
    counts: list[TrackCounts]
    people_enrolled: int
    pending_deferrals: list[Deferral]
    escalations: list[Deferral]
    managers_without_date: list[Person]
    unseated: int


def behind_report(*, user: Any, track_id: int | None = None) -> BehindReport:
    """For HR: everyone in scope who is behind, by how much (days) and why; counts per program."""
    require_runs_program(user)
    people = visible_people(user).exclude(status=EmploymentStatus.INACTIVE)
    progress = progress_for(people)
    tracks = list(Track.objects.filter(is_active=True).order_by("position"))
    if track_id is not None:
        for entry in progress:
            entry.items = [i for i in entry.items if i.enrolment.course.track_id == track_id]
    behind = sorted((p for p in progress if p.behind), key=lambda p: (-p.days_behind, p.person.last_name))
    pending = list(
        _deferral_qs()
        .filter(status=Deferral.Status.PENDING, enrolment__person__in=people)
        .order_by("created_at")
    )
    escalations = list(
        _deferral_qs()
        .filter(escalated_at__isnull=False, enrolment__person__in=people)
        .order_by("-escalated_at")[:50]
    )
    no_date = list(
        people.filter(manager_since__isnull=True, direct_reports__isnull=False)
        .filter(direct_reports__status=EmploymentStatus.ACTIVE)
        .distinct()
        .select_related("org_unit")
        .order_by("last_name", "first_name")
    )
    unseated = sum(
        1
        for p in progress
        for i in p.items
        if i.state in ("overdue", "at_risk") and i.enrolment.course.needs_session and i.booking is None
    )
    return BehindReport(
        behind, counts_per_track(progress, tracks), len(progress), pending, escalations, no_date, unseated
    )


# ------------------------------------------------------------------------------------------------------------
# Compliance
# ------------------------------------------------------------------------------------------------------------


def latest_certifications(people: QuerySet[Person]) -> list[Certification]:
    """The latest certificate per person and compliance course (older ones are superseded)."""
    latest: dict[tuple[int, int], Certification] = {}
    for cert in (
        Certification.objects.filter(person__in=people)
        .select_related("person", "person__org_unit", "person__manager", "course")
        .order_by("certified_on", "pk")
    ):
        latest[(cert.person_id, cert.course_id)] = cert
    return sorted(latest.values(), key=lambda c: (c.expires_on, c.person.last_name))


@dataclass
class CertificateStatus:
    """Where a certificate stands on a day; the one definition the compliance page and My training read."""

    certificate: Certification
    state: str  # expired, expiring, valid

    @property
    def label(self) -> str:
        until = f"{self.certificate.expires_on.day} {self.certificate.expires_on:%b %Y}"
        if self.state == "expired":
            return f"Expired on {until}"
        if self.state == "expiring":
            return f"Expires on {until}"
        return f"Valid until {until}"

    @property
    def badge(self) -> str:
        return {"expired": "badge--bad", "expiring": "badge--warn"}.get(self.state, "badge--good")


def certificate_status(cert: Certification, *, today: dt.date, window_days: int) -> CertificateStatus:
    """Expired once its expiry date has passed; expiring when it expires within `window_days`; else valid."""
    if cert.expires_on < today:
        return CertificateStatus(cert, "expired")
    if cert.expires_on <= today + dt.timedelta(days=window_days):
        return CertificateStatus(cert, "expiring")
    return CertificateStatus(cert, "valid")


def certificate_statuses(people: QuerySet[Person], *, today: dt.date) -> list[CertificateStatus]:
    """The latest certificate per person and compliance course, each with where it stands on `today`."""
    window = ProgramSettings.load().expiring_window_days
    return [certificate_status(c, today=today, window_days=window) for c in latest_certifications(people)]


@dataclass
class ComplianceView:
    expiring: list[Certification]
    expired: list[Certification]
    valid: int
    window_days: int
    never_certified: list[Enrolment]


def compliance(*, user: Any, today: dt.date | None = None) -> ComplianceView:
    require_program(user)
    access = program_access(user)
    today = today or timezone.localdate()
    window = ProgramSettings.load().expiring_window_days
    people = visible_people(user).exclude(status=EmploymentStatus.INACTIVE)
    if not (access.runs_program or access.is_leader or access.is_manager):
        people = people.filter(pk=access.person_id or 0)
    statuses = certificate_statuses(people, today=today)
    certs = [s.certificate for s in statuses]
    expired = [s.certificate for s in statuses if s.state == "expired"]
    expiring = [s.certificate for s in statuses if s.state == "expiring"]
    certified_pairs = {(c.person_id, c.course_id) for c in certs}
    never = [
        e
        for e in Enrolment.objects.filter(
            person__in=people, course__validity_months__isnull=False, status=Enrolment.Status.ENROLLED
        )
        .select_related("person", "course")
        .order_by("due_on")
        if (e.person_id, e.course_id) not in certified_pairs
    ]
    return ComplianceView(expiring, expired, len(certs) - len(expired) - len(expiring), window, never)


def person_training(*, user: Any, person_id: int) -> PersonProgress | None:
    """One visible person's program progress (for the HR view of a person); 404 outside scope."""
    require_program(user)
    person = get_object_or_404(visible_people(user), pk=person_id)
    progress = mark_movable(user=user, progress=progress_for(Person.objects.filter(pk=person.pk)))
    offer_seats(user=user, progress=progress)
    return progress[0] if progress else PersonProgress(person)


def catch_up_units(*, user: Any) -> QuerySet[OrgUnit]:
    """Org units whose people HR may enrol in bulk: every unit for administrators, an HR partner's own units
    and their sub-units."""
    require_runs_program(user)
    scope = scope_for(user)
    if scope.sees_everyone:
        return OrgUnit.objects.order_by("path")
    q = Q(pk__in=[])
    for path in scope.hr_unit_paths:
        q |= Q(path__startswith=path)
    return OrgUnit.objects.filter(q).order_by("path")


def promotable(*, user: Any, person_id: int) -> Person:
    """A person HR may record a promotion for: active and in HR's scope; 404 otherwise."""
    require_runs_program(user)
    person = get_object_or_404(
        visible_people(user).select_related("org_unit", "manager").exclude(status=EmploymentStatus.INACTIVE),
        pk=person_id,
    )
    if not is_hr_for(user, person):
        raise Http404
    return person
