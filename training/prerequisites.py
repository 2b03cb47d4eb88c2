"""Prerequisites are enforced, not only used to order session dates: a course cannot be completed before the
courses it requires. One read, used by the service that records completions and by the progress pages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from training.models import Certification, Course, Enrolment


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
