"""The demo's program in progress: past and upcoming cohorts with sessions, managers enrolled by the rules
(some on track, some behind), attendance, leaders' pull-outs with their reasons, an escalated repeat deferral,
and compliance certificates about to expire.

History is written through the same services the app uses (attendance, completions, deferrals, certificates),
with the session dates placed in the past; only the enrolments of past cohorts are created directly, dated as
the rules would have dated them at the time. Seeded history sends no email.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.apps import apps
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Role, User
from demo.registry import DemoContext, register_demo_step
from people.models import EmploymentStatus, Function, Person
from training import services
from training.curriculum import default_curriculum_install
from training.models import (
    Booking,
    CalendarFeed,
    Certification,
    Cohort,
    Course,
    Deferral,
    Enrolment,
    Exemption,
    Notice,
    ProgramSettings,
    ProviderRating,
    Session,
    Track,
)
from training.permissions import hr_partners_for, senior_leaders_over
from training.prerequisites import missing_prerequisites

DEMO_ORDER = 40
PULL_OUT_REASONS = [
    ("forecast", "Needed on the quarter-end forecast call with the CRO."),
    ("customer", "Escalation at our largest key account; she has to be on site that week."),
    ("workload", "Two sellers out this month; cannot leave the team without cover."),
    ("forecast", "Pipeline review for the board pack clashes with the session."),
]


def register_demo_steps() -> None:
    register_demo_step("training", DEMO_ORDER, training_demo_step, reset=training_demo_reset)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _schedule(track: Track, name: str, start: dt.date, facilitator: Person | None) -> Cohort:
    workshops = list(
        Course.objects.filter(track=track, is_active=True, format=Course.Format.WORKSHOP).order_by("position")
    )
    gap = 3 if track.audience == Track.Audience.SALES_MANAGERS else 2
    end = start + dt.timedelta(days=gap * max(len(workshops) - 1, 0) + 2)
    cohort = Cohort.objects.create(
        track=track,
        name=name,
        starts_on=start,
        ends_on=end,
        description=f"{track.name}, mixed functions on purpose.",
    )
    for i, course in enumerate(workshops):
        day = start + dt.timedelta(days=gap * i)
        while day.weekday() >= 5:  # sessions run on working days
            day += dt.timedelta(days=1)
        Session.objects.create(
            course=course,
            cohort=cohort,
            starts_at=_at(day, 9),
            ends_at=_at(day, 9 + max(course.duration_minutes // 60, 2)),
            location="Head office, Learning room 2" if i % 2 == 0 else "",
            online_url="" if i % 2 == 0 else "https://meet.example/manager-program",
            facilitator=facilitator if course.provider.kind == "internal" else None,
            facilitator_name="" if course.provider.kind == "internal" else f"{course.provider.name} trainer",
            capacity=14,
        )
    return cohort


def _hr_user(person: Person, admin: User) -> Any:
    partners = [p for p in hr_partners_for(person) if p.user_id]
    return partners[0].user if partners else admin


def _blocked(enrolment: Enrolment, day: dt.date) -> bool:
    return bool(missing_prerequisites([enrolment], on=day)[enrolment.pk])


def _history(cohort: Cohort, people: list[Person], admin: User, rng: random.Random, today: dt.date) -> None:
    """Enrol `people` in `cohort`'s track as the rules did then, with their attendance at its past
    sessions."""
    track = cohort.track
    courses = list(Course.objects.filter(track=track, is_active=True).order_by("position"))
    sessions = {s.course_id: s for s in Session.objects.filter(cohort=cohort)}
    for person in people:
        assert person.manager_since is not None
        hr = _hr_user(person, admin)
        diligent = rng.random() < 0.7
        promoted_for_it = (cohort.starts_on - person.manager_since).days <= 90
        due = person.manager_since + dt.timedelta(days=track.due_within_days)
        if not promoted_for_it:
            due = cohort.starts_on + dt.timedelta(days=ProgramSettings.load().catch_up_due_days)
        for course in courses:
            enrolment = Enrolment.objects.create(
                person=person,
                course=course,
                cohort=cohort,
                source=Enrolment.Source.PROMOTION if promoted_for_it else Enrolment.Source.CATCH_UP,
                enrolled_on=min(person.manager_since, cohort.starts_on)
                if promoted_for_it
                else cohort.starts_on - dt.timedelta(days=20),
                status=Enrolment.Status.ENROLLED,
                due_on=due,
            )
            session = sessions.get(course.pk)
            if session is not None:
                booking = Booking.objects.create(
                    session=session,
                    enrolment=enrolment,
                    person=person,
                    invited_at=timezone.now(),
                    reminded_at=timezone.now(),
                )
                session_day = timezone.localtime(session.starts_at).date()
                # Attendance completes the course, which its prerequisites must allow (they are enforced).
                attended = rng.random() < (0.95 if diligent else 0.6) and not _blocked(enrolment, session_day)
                services.attendance_mark(
                    booking=booking, actor=hr, attendance="attended" if attended else "absent"
                )
            elif course.validity_months or diligent or rng.random() < 0.4:
                done = min(cohort.ends_on + dt.timedelta(days=rng.randint(0, 20)), today)
                if _blocked(enrolment, done):
                    continue
                services.enrolment_complete(enrolment=enrolment, actor=hr, completed_on=done, source="demo")


def training_demo_step(context: DemoContext) -> None:
    """Seed the program in progress (see the module docstring)."""
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        summary = _seed(seed=context.seed)
    context.write(
        f"Training program: {summary['cohorts']} cohorts, {summary['enrolled']} managers enrolled, "
        f"{summary['behind']} behind schedule, {summary['pull_outs']} pull-outs by leaders, "
        f"{summary['expiring']} compliance certificates expiring within 90 days."
    )
    context.shared["training"] = summary


def _seed(*, seed: int) -> dict[str, int]:
    rng = random.Random(seed * 31 + 5)
    today = timezone.localdate()
    default_curriculum_install(apps)
    ProgramSettings.load()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        admin = User.objects.create_user(
            email="training-demo-admin@localhost", is_staff=True, is_superuser=True
        )
    fundamentals = Track.objects.get(key="management-fundamentals")
    sales = Track.objects.get(key="sales-management")
    facilitator = Person.objects.filter(user__role_grants__role=Role.HR_PARTNER).order_by("pk").first()

    month = "%B %Y"
    f_past1 = _schedule(
        fundamentals,
        f"Fundamentals {today - dt.timedelta(days=150):{month}}",
        today - dt.timedelta(days=150),
        facilitator,
    )
    f_past2 = _schedule(
        fundamentals,
        f"Fundamentals {today - dt.timedelta(days=60):{month}}",
        today - dt.timedelta(days=60),
        facilitator,
    )
    _schedule(
        fundamentals,
        f"Fundamentals {today + dt.timedelta(days=7):{month}}",
        today + dt.timedelta(days=7),
        facilitator,
    )
    _schedule(
        fundamentals,
        f"Fundamentals {today + dt.timedelta(days=42):{month}} (B)",
        today + dt.timedelta(days=42),
        facilitator,
    )
    s_past = _schedule(
        sales,
        f"Sales management {today - dt.timedelta(days=110):{month}}",
        today - dt.timedelta(days=110),
        facilitator,
    )
    _schedule(
        sales,
        f"Sales management {today + dt.timedelta(days=60):{month}}",
        today + dt.timedelta(days=60),
        facilitator,
    )

    # When the program launched, HR chose to catch up everyone who became a manager in the last four years.
    cfg = ProgramSettings.load()
    cfg.catch_up_lookback_days = 4 * 365
    cfg.save(update_fields=["catch_up_lookback_days", "updated_at"])
    eligible = list(
        Person.objects.filter(
            status=EmploymentStatus.ACTIVE,
            manager_since__isnull=False,
            manager_since__gte=today - dt.timedelta(days=cfg.catch_up_lookback_days),
            manager_since__lte=today,
        )
        .select_related("org_unit", "manager")
        .order_by("manager_since", "pk")
    )
    before_first = [
        p for p in eligible if p.manager_since and p.manager_since <= f_past1.starts_on - dt.timedelta(days=5)
    ]
    early = before_first[::2]
    middle = [
        p
        for p in eligible
        if p not in early and p.manager_since and p.manager_since <= f_past2.starts_on - dt.timedelta(days=5)
    ]
    _history(f_past1, early, admin, rng, today)
    _history(f_past2, middle, admin, rng, today)
    _history(s_past, [p for p in early if p.function == Function.SALES], admin, rng, today)

    # Everyone else the rules catch: new managers, catch-up, and new seats for those who were absent.
    services.enrolment_rules_apply(today=today, actor=admin)

    pull_outs = _pull_outs(rng, admin)
    expiring = _certificates(eligible, admin, today)
    _ratings(rng)
    behind = _behind_count(today)
    return {
        "cohorts": Cohort.objects.count(),
        "enrolled": Enrolment.objects.values("person").distinct().count(),
        "behind": behind,
        "pull_outs": pull_outs,
        "expiring": expiring,
    }


def _pull_outs(rng: random.Random, admin: User) -> int:
    """Leaders pull some managers out of upcoming sessions: one approved, one pending, one repeat (escalated),
    and a manager's own deferral that HR rejected."""
    upcoming = list(
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            session__starts_at__gt=timezone.now(),
            person__function=Function.SALES,
        )
        .select_related("person", "person__manager", "person__org_unit", "session", "enrolment")
        .order_by("session__starts_at", "pk")
    )
    chosen: list[Booking] = []
    seen: set[int] = set()
    for booking in upcoming:
        leaders = senior_leaders_over(booking.person)
        if booking.person_id in seen or len(leaders) < 2 or booking.person.manager_id != leaders[0].pk:
            continue
        seen.add(booking.person_id)
        chosen.append(booking)
        if len(chosen) == 4:
            break
    made = 0
    for i, booking in enumerate(chosen):
        person = booking.person
        leader, top = senior_leaders_over(person)[0], senior_leaders_over(person)[-1]
        assert leader.user is not None
        assert top.user is not None
        hr = _hr_user(person, admin)
        category, reason = PULL_OUT_REASONS[i % len(PULL_OUT_REASONS)]
        if i == 3:
            own = services.deferral_request(
                booking=booking,
                actor=person.user,
                reason_category="travel",
                reason="Booked on a customer trip before the session was scheduled.",
            )
            services.deferral_decide(
                deferral=own,
                actor=hr,
                role="hr",
                approve=False,
                note="The trip can move; this session is the last before the due date.",
            )
            continue
        deferral = services.deferral_request(
            booking=booking, actor=leader.user, reason_category=category, reason=reason
        )
        made += 1
        if i == 0:
            services.deferral_decide(
                deferral=deferral,
                actor=hr,
                role="hr",
                approve=True,
                note="Approved once; the next session is within the due date.",
            )
            services.deferral_decide(deferral=deferral, actor=top.user, role="leader", approve=True)
        if i == 2:
            # Rejected, and the leader asks again: the repeat escalates to their own leader and HR.
            services.deferral_decide(
                deferral=deferral,
                actor=hr,
                role="hr",
                approve=False,
                note="This is the only session before the due date.",
            )
            services.deferral_request(
                booking=booking,
                actor=leader.user,
                reason_category="forecast",
                reason="Quarter-end again: the team's number is at risk.",
            )
            made += 1
    return made


def _certificates(eligible: list[Person], admin: User, today: dt.date) -> int:
    """A few harassment-prevention certificates about to expire, and one expired."""
    course = Course.objects.get(key="harassment-prevention")
    expiring = 0
    for i, person in enumerate(eligible[:5]):
        hr = _hr_user(person, admin)
        certified_on = today - dt.timedelta(days=395 if i == 4 else 300 + 12 * i)
        Certification.objects.filter(person=person, course=course).delete()
        services.certification_record(person=person, course=course, certified_on=certified_on, actor=hr)
        expiring += i != 4
    return expiring


def _ratings(rng: random.Random) -> None:
    done = Enrolment.objects.filter(
        status=Enrolment.Status.COMPLETED, course__provider__kind="external"
    ).select_related("course__provider", "person")[:60]
    for enrolment in done:
        if rng.random() < 0.5:
            services.provider_rate(
                provider=enrolment.course.provider,
                person=enrolment.person,
                course=enrolment.course,
                score=rng.choice([3, 4, 4, 5, 5]),
            )


def _behind_count(today: dt.date) -> int:
    from training.selectors import progress_for

    people = Person.objects.filter(training_enrolments__isnull=False).distinct()
    return sum(1 for p in progress_for(people, today=today) if p.behind)


def training_demo_reset() -> None:
    """Delete the program's demo data (the curriculum and settings stay: they came with the migrations)."""
    with transaction.atomic():
        Notice.objects.all().delete()
        Deferral.objects.update(moved_to=None)
        Deferral.objects.all().delete()
        Exemption.objects.all().delete()
        Certification.objects.all().delete()
        Booking.objects.all().delete()
        Enrolment.objects.all().delete()
        Session.objects.all().delete()
        Cohort.objects.all().delete()
        CalendarFeed.objects.all().delete()
        ProviderRating.objects.all().delete()
