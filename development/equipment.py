"""Equipped to coach: the one rule. A course equips a manager to coach the seller tasks it teaches
(training.CourseSellerTask) once accepted mastery evidence covers every competency the course builds; a course
without competencies equips no one. For many managers at once, with a fixed number of queries; development's own
pages ask through `development.selectors.coaching_tasks_mastered`, and insights through insights.equipment, to
which `register` hands these functions when Django starts.
"""

from __future__ import annotations

from collections import defaultdict

from development.progress import mastered_by_manager
from insights.equipment import Equipment, equipment_register
from training.models import Course, CourseSellerTask


def mastery_is_recorded() -> bool:
    """True when some course names the seller tasks it teaches."""
    return CourseSellerTask.objects.exists()


def equipped_task_keys(manager_ids: list[int]) -> dict[int, set[str]]:
    """Manager person id -> the seller task keys they are equipped to coach (ids without accepted evidence are
    missing)."""
    mastered = mastered_by_manager(manager_ids)
    if not mastered:
        return {}
    courses = [
        ({c.pk for c in course.competencies.all()}, {t.task_key for t in course.seller_tasks.all()})
        for course in Course.objects.filter(seller_tasks__isnull=False)
        .prefetch_related("competencies", "seller_tasks").distinct()
    ]
    result: dict[int, set[str]] = {}
    for manager_id, competencies in mastered.items():
        keys: set[str] = set()
        for required, teaches in courses:
            if required and required <= competencies:
                keys |= teaches
        result[manager_id] = keys
    return result


def courses_teaching(task_keys: list[str]) -> dict[str, list[Course]]:
    """Task key -> the active courses (by title) that teach a manager to coach it."""
    result: dict[str, list[Course]] = defaultdict(list)
    for link in (
        CourseSellerTask.objects.filter(task_key__in=task_keys, course__is_active=True)
        .select_related("course").order_by("course__title")
    ):
        result[link.task_key].append(link.course)
    return dict(result)


def register() -> None:
    """Called from DevelopmentConfig.ready()."""
    equipment_register(Equipment(
        mastery_is_recorded=mastery_is_recorded,
        equipped_task_keys=equipped_task_keys,
        courses_teaching=courses_teaching,
    ))
