"""Prerequisites are enforced, not only used to order session dates: a course cannot be completed before the
courses it requires. One read, used by the service that records completions and by the progress pages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from training.models import Booking, Certification, Course, Enrolment, Session

# A seat still to be used: confirmed or on the waitlist, attendance not marked yet.
ACTIVE_BOOKING = Q(
    status__in=[Booking.Status.CONFIRMED, Booking.Status.WAITLISTED], attendance=Booking.Attendance.UNMARKED
)


def prerequisite_session_ends(enrolments: Iterable[Enrolment]) -> dict[int, dt.datetime]:
    """For each enrolment (by pk) whose course has prerequisites the person holds seats for: when the last of
    those booked sessions ends (later sessions of the course come after it). Two queries."""
    enrolments = list(enrolments)
    through = Course.prerequisites.through
    needs: dict[int, set[int]] = defaultdict(set)
    for from_id, to_id in through.objects.filter(
        from_course_id__in={e.course_id for e in enrolments}
    ).values_list("from_course_id", "to_course_id"):
        needs[from_id].add(to_id)
    if not needs:
        return {}
    last: dict[tuple[int, int], dt.datetime] = {}
    for person_id, course_id, ends_at in Booking.objects.filter(
        ACTIVE_BOOKING,
        person_id__in={e.person_id for e in enrolments if e.course_id in needs},
        session__course_id__in={c for ids in needs.values() for c in ids},
        session__status=Session.Status.SCHEDULED,
    ).values_list("person_id", "session__course_id", "session__ends_at"):
        key = (person_id, course_id)
        last[key] = max(ends_at, last.get(key, ends_at))
    result: dict[int, dt.datetime] = {}
    for e in enrolments:
        found = [last[(e.person_id, c)] for c in needs.get(e.course_id, ()) if (e.person_id, c) in last]
        if found:
            result[e.pk] = max(found)
    return result


def prerequisites_end(enrolment: Enrolment) -> dt.datetime | None:
    """When the person's booked sessions of the course's prerequisites end (None when they hold none)."""
    return prerequisite_session_ends([enrolment]).get(enrolment.pk)


def missing_prerequisites(
    enrolments: Iterable[Enrolment], *, on: dt.date | None = None
) -> dict[int, list[Course]]:
    """For each enrolment (by pk), the prerequisites of its course the person has not completed — by `on`, when
    given (a completion dated that day needs its prerequisites done on or before it). An HR exemption from the
    prerequisite, or a certificate for it, counts as done. Two queries whatever the number of enrolments."""
    enrolments = list(enrolments)
    through = Course.prerequisites.through
    needs: dict[int, list[Course]] = defaultdict(list)
    for link in through.objects.filter(from_course_id__in={e.course_id for e in enrolments}).select_related(
        "to_course"
    ):
        needs[link.from_course_id].append(link.to_course)
    if not needs:
        return {e.pk: [] for e in enrolments}
    people = {e.person_id for e in enrolments}
    prereq_ids = {c.pk for courses in needs.values() for c in courses}
    done: dict[tuple[int, int], dt.date] = {}

    def mark(person_id: int, course_id: int, day: dt.date) -> None:
        key = (person_id, course_id)
        done[key] = min(day, done.get(key, day))

    for person_id, course_id, completed_on in Enrolment.objects.filter(
        person_id__in=people,
        course_id__in=prereq_ids,
        status__in=[Enrolment.Status.COMPLETED, Enrolment.Status.EXEMPTED],
    ).values_list("person_id", "course_id", "completed_on"):
        # An exemption has no completion date: it never holds a later course back.
        mark(person_id, course_id, completed_on or dt.date.min)
    for person_id, course_id, certified_on in Certification.objects.filter(
        person_id__in=people, course_id__in=prereq_ids
    ).values_list("person_id", "course_id", "certified_on"):
        mark(person_id, course_id, certified_on)
    return {
        e.pk: [
            c
            for c in sorted(needs.get(e.course_id, []), key=lambda c: (c.track_id, c.position, c.pk))
            if (e.person_id, c.pk) not in done or (on is not None and done[(e.person_id, c.pk)] > on)
        ]
        for e in enrolments
    }
