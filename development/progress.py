"""Completion and mastery, kept apart and defined once. Completing a course (attending it, an imported
completion) is not mastering it: a course is done when every competency it builds is shown by accepted
evidence. HR's exemption counts as done; a course that builds no competency is done when completed.

`course_done` is the rule and `fundamentals_standing` the count every page reads: the plan, the list of plans,
a leader's accountability page and HR's "who is behind". `plan_percent` is the one progress figure of a plan,
read by the plan and the list of plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from development.models import ImportedCompletion, MasteryEvidence
from training.hooks import Standing
from training.models import Course, Enrolment, Track


def course_done(*, competency_ids: set[int], mastered: set[int], completed: bool, exempted: bool) -> bool:
    """Whether a course counts as done for a manager (see the module docstring)."""
    if exempted:
        return True
    if competency_ids:
        return competency_ids <= mastered
    return completed


def course_fraction(*, competency_ids: set[int], mastered: set[int], done: bool) -> float:
    """How far a plan module is, 0 to 1: 1 when done, else the share of its competencies mastered."""
    if done:
        return 1.0
    if competency_ids:
        return len(competency_ids & mastered) / len(competency_ids)
    return 0.0


def plan_percent(*, fundamentals_done: int, fundamentals_total: int, module_fractions: Iterable[float]) -> int:
    """A plan's progress in percent: each fundamental counts 1 when done (mastered or exempted), each module its
    `course_fraction`, all weighted alike."""
    fractions = list(module_fractions)
    parts = fundamentals_total + len(fractions)
    return round(100 * (fundamentals_done + sum(fractions)) / parts) if parts else 0


def fundamentals_courses() -> list[Course]:
    """The active fundamentals courses (every manager's track), in curriculum order."""
    return list(
        Course.objects.filter(is_active=True, track__is_active=True, track__audience=Track.Audience.ALL_MANAGERS)
        .select_related("track").prefetch_related("competencies")
        .order_by("track__position", "position", "title")
    )


def mastered_by_manager(manager_ids: Iterable[int]) -> dict[int, set[int]]:
    """Competency ids each manager has mastered (accepted evidence only; attendance never masters)."""
    result: dict[int, set[int]] = defaultdict(set)
    for manager_id, competency_id in MasteryEvidence.objects.filter(
        manager_id__in=list(manager_ids), status=MasteryEvidence.Status.ACCEPTED
    ).values_list("manager_id", "competency_id"):
        result[manager_id].add(competency_id)
    return result


def fundamentals_standing(person_ids: Iterable[int]) -> dict[int, Standing]:
    """Per person, fundamentals completed and mastered. Four queries whatever the number of people."""
    ids = list(person_ids)
    courses = fundamentals_courses()
    course_ids = {c.pk for c in courses}
    completed: dict[int, set[int]] = defaultdict(set)
    exempted: dict[int, set[int]] = defaultdict(set)
    for person_id, course_id, status in Enrolment.objects.filter(
        person_id__in=ids, course_id__in=course_ids,
        status__in=[Enrolment.Status.COMPLETED, Enrolment.Status.EXEMPTED],
    ).values_list("person_id", "course_id", "status"):
        (completed if status == Enrolment.Status.COMPLETED else exempted)[person_id].add(course_id)
    for person_id, course_id in ImportedCompletion.objects.filter(
        person_id__in=ids, course_id__in=course_ids
    ).exclude(passed=False).values_list("person_id", "course_id"):
        completed[person_id].add(course_id)
    mastered = mastered_by_manager(ids)
    result = {}
    for pid in ids:
        done = sum(
            1 for c in courses
            if course_done(competency_ids={x.pk for x in c.competencies.all()}, mastered=mastered.get(pid, set()),
                           completed=c.pk in completed[pid], exempted=c.pk in exempted[pid])
        )
        finished = sum(1 for c in courses if c.pk in completed[pid] or c.pk in exempted[pid])
        result[pid] = Standing(len(courses), finished, done)
    return result
