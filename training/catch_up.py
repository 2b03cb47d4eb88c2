"""Which tracks a manager takes, and HR's bulk catch-up: senior leaders and long-serving managers, whom the
automatic rules never enrol (they catch only managers promoted within `catch_up_lookback_days`).

`catch_up_plan` is the read: who would be enrolled in which courses, and by when. The page shows it before HR
confirms, and `training.services.catch_up_enrol` recomputes it inside its transaction, so what HR saw is what
is written (for the people HR ticked). Only what is missing is planned: a course someone was ever enrolled in
(open, completed or exempted) or holds a valid certificate for is never added again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from people.models import EmploymentStatus, Function, OrgUnit, Person
from people.scoping import is_hr_for, visible_org_units, visible_people
from training.models import Certification, Course, Enrolment, ProgramSettings, Track
from training.permissions import leads_managers_q

SENIOR_LEADERS = "senior_leaders"
LONG_SERVING = "long_serving"
GROUPS = {
    SENIOR_LEADERS: "Senior leaders (they lead people managers)",
    LONG_SERVING: "Long-serving managers (managers for longer than the automatic catch-up reaches)",
}


def manages_sellers(person: Person) -> bool:
    """A sales person, or someone with active sales direct reports: they take the sales-management track."""
    return (
        person.function == Function.SALES
        or person.direct_reports.filter(function=Function.SALES)
        .exclude(status=EmploymentStatus.INACTIVE)
        .exists()
    )


def leads_managers(person: Person) -> bool:
    """Someone with an active direct report who manages people: a senior leader, in any function."""
    return Person.objects.filter(pk=person.pk).filter(leads_managers_q()).exists()


def track_applies(track: Track, person: Person) -> bool:
    """Whether the track's audience includes the person (every manager takes the fundamentals)."""
    if track.audience == Track.Audience.SALES_MANAGERS:
        return manages_sellers(person)
    if track.audience == Track.Audience.SENIOR_LEADERS:
        return leads_managers(person)
    return True


def taken_or_certified(person_ids: Iterable[int], *, today: dt.date, cfg: ProgramSettings) -> set[tuple[int, int]]:
    """(person, course) pairs that need no new enrolment: ever enrolled (whatever became of it), or certified
    beyond the recertification window."""
    ids = list(person_ids)
    pairs = set(Enrolment.objects.filter(person_id__in=ids).values_list("person_id", "course_id"))
    pairs |= set(
        Certification.objects.filter(
            person_id__in=ids, expires_on__gt=today + dt.timedelta(days=cfg.recertify_before_days)
        ).values_list("person_id", "course_id")
    )
    return pairs


def rules_due_on(
    track: Track, *, manager_since: dt.date, catch_up: bool, today: dt.date, cfg: ProgramSettings, base_due: int
) -> dt.date:
    """When the automatic rules make a track due: `due_within_days` after the promotion; for a caught-up
    manager at least `catch_up_due_days` from today (later tracks as much later as their usual time is longer
    than the first track's, `base_due`)."""
    due = manager_since + dt.timedelta(days=track.due_within_days)
    if catch_up:
        due = max(due, today + dt.timedelta(days=cfg.catch_up_due_days + track.due_within_days - base_due))
    return due


def course_due_on(person: Person, course: Course, *, today: dt.date) -> dt.date:
    """When `course` is due for `person` by the program's rules (the one rule every page and plan uses when there
    is no enrolment yet): its track's `due_within_days` after the promotion (`rules_due_on`); without a
    promotion date, that many days from today. An enrolment's own `due_on` always wins once it exists."""
    track = course.track
    if person.manager_since is None:
        return today + dt.timedelta(days=track.due_within_days)
    cfg = ProgramSettings.load()
    first = Track.objects.filter(is_active=True).order_by("position", "pk").first()
    recent = person.manager_since >= today - dt.timedelta(days=cfg.fundamentals_start_within_days)
    return rules_due_on(
        track, manager_since=person.manager_since, catch_up=not recent, today=today, cfg=cfg,
        base_due=first.due_within_days if first is not None else 0,
    )


def promotion_preview(*, manager_since: dt.date, sales: bool, today: dt.date) -> dict[str, Any]:
    """What the automatic rules will enrol someone in who becomes a people manager on `manager_since` (a sales
    person or a manager of sellers when `sales`): {"enrolled": bool, "tracks": [{"name", "courses", "due"}],
    "note"}; plain values, so an HR import record can keep it."""
    cfg = ProgramSettings.load()
    if manager_since > today + dt.timedelta(days=cfg.fundamentals_start_within_days):
        return {"enrolled": False, "tracks": [], "note": (
            f"Enrolled automatically {cfg.fundamentals_start_within_days} days before the promotion date.")}
    if manager_since < today - dt.timedelta(days=cfg.catch_up_lookback_days):
        return {"enrolled": False, "tracks": [], "note": (
            "Promoted too long ago to be enrolled automatically: HR enrols them from the catch-up page.")}
    tracks = list(Track.objects.filter(is_active=True).order_by("position", "pk"))
    base_due = tracks[0].due_within_days if tracks else 0
    recent = manager_since >= today - dt.timedelta(days=cfg.fundamentals_start_within_days)
    planned = []
    for track in tracks:
        if track.audience == Track.Audience.SENIOR_LEADERS or (
            track.audience == Track.Audience.SALES_MANAGERS and not sales
        ):
            continue
        due = rules_due_on(
            track, manager_since=manager_since, catch_up=not recent, today=today, cfg=cfg, base_due=base_due
        )
        count = Course.objects.filter(track=track, is_active=True).count()
        planned.append({"name": track.name, "courses": count, "due": f"{due.day} {due:%b %Y}"})
    return {"enrolled": True, "tracks": planned, "note": ""}


@dataclass
class PlannedTrack:
    track: Track
    courses: list[Course]
    due_on: dt.date


@dataclass
class PlannedPerson:
    person: Person
    reasons: list[str]
    tracks: list[PlannedTrack] = field(default_factory=list)

    @property
    def course_count(self) -> int:
        return sum(len(t.courses) for t in self.tracks)


@dataclass
class CatchUpPlan:
    people: list[PlannedPerson]  # each with at least one course to add
    up_to_date: list[Person]  # chosen, but with nothing missing
    first_due_on: dt.date

    @property
    def course_count(self) -> int:
        return sum(p.course_count for p in self.people)


def catch_up_candidates(
    *, user: Any, units: Iterable[OrgUnit], groups: Iterable[str], today: dt.date
) -> QuerySet[Person]:
    """Active people HR runs the program for, in the chosen units (and their sub-units), who are in one of the
    chosen groups: senior leaders, or managers since before the automatic catch-up window."""
    cfg = ProgramSettings.load()
    people = visible_people(user).exclude(status=EmploymentStatus.INACTIVE)
    unit_paths = [u.path for u in visible_org_units(user).filter(pk__in=[u.pk for u in units]) if u.path]
    unit_q = Q(pk__in=[])
    for path in unit_paths:
        unit_q |= Q(org_unit__path__startswith=path)
    group_q = Q(pk__in=[])
    groups = set(groups)
    if SENIOR_LEADERS in groups:
        group_q |= Q(pk__in=Person.objects.filter(leads_managers_q()).values("pk"))
    if LONG_SERVING in groups:
        group_q |= Q(manager_since__lt=today - dt.timedelta(days=cfg.catch_up_lookback_days))
    chosen = people.filter(unit_q).filter(group_q).select_related("org_unit", "manager")
    return chosen.order_by("last_name", "first_name", "pk")


def catch_up_plan(
    *, user: Any, people: Iterable[Person], tracks: Iterable[Track], first_due_on: dt.date, today: dt.date
) -> CatchUpPlan:
    """What a catch-up would enrol: per person (only those `user` is HR for), the missing active courses of
    each chosen track whose audience includes them. The first chosen track is due `first_due_on`; each later
    track as much later as its `due_within_days` is longer than the first's."""
    cfg = ProgramSettings.load()
    chosen_tracks = sorted(
        (t for t in tracks if t.is_active), key=lambda t: (t.position, t.pk)
    )
    base_days = chosen_tracks[0].due_within_days if chosen_tracks else 0
    courses = {
        t.pk: list(Course.objects.filter(track=t, is_active=True).order_by("position", "pk")) for t in chosen_tracks
    }
    people = [p for p in people if is_hr_for(user, p)]
    done = taken_or_certified([p.pk for p in people], today=today, cfg=cfg)
    long_ago = today - dt.timedelta(days=cfg.catch_up_lookback_days)
    planned: list[PlannedPerson] = []
    up_to_date: list[Person] = []
    for person in people:
        reasons = []
        if leads_managers(person):
            reasons.append("Senior leader")
        if person.manager_since is not None and person.manager_since < long_ago:
            reasons.append(f"Manager since {person.manager_since:%d %b %Y}")
        entry = PlannedPerson(person, reasons)
        for track in chosen_tracks:
            if not track_applies(track, person):
                continue
            missing = [c for c in courses[track.pk] if (person.pk, c.pk) not in done]
            if missing:
                due = first_due_on + dt.timedelta(days=max(0, track.due_within_days - base_days))
                entry.tracks.append(PlannedTrack(track, missing, due))
        if entry.tracks:
            planned.append(entry)
        else:
            up_to_date.append(person)
    return CatchUpPlan(planned, up_to_date, first_due_on)
