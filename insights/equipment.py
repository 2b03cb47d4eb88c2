"""Whether a manager is equipped to coach a task: they have shown mastery in a course that teaches it.

The rule is the development app's (`development.selectors.coaching_tasks_mastered`): a course equips a manager to
coach the seller tasks it teaches (training.CourseSellerTask) once accepted mastery evidence covers every
competency the course builds. This module applies the same rule to many managers at once (the gap map lists all
of them), with a fixed number of queries; insights/tests/test_equipment.py checks the two agree.
Without the development app (or before any course names the tasks it teaches) nobody counts as equipped, and the
pages say so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps


def mastery_is_recorded() -> bool:
    """True when the development app is installed and some course names the seller tasks it teaches."""
    if not apps.is_installed("development") or not apps.is_installed("training"):
        return False
    from training.models import CourseSellerTask

    return CourseSellerTask.objects.exists()


def equipped_task_keys(manager_ids: Iterable[int]) -> dict[int, set[str]]:
    """Manager person id -> the seller task keys they are equipped to coach (missing ids: none)."""
    ids = list(manager_ids)
    if not ids or not apps.is_installed("development") or not apps.is_installed("training"):
        return {}
    from development.models import MasteryEvidence
    from training.models import Course

    mastered: dict[int, set[int]] = defaultdict(set)
    for manager_id, competency_id in MasteryEvidence.objects.filter(
        manager_id__in=ids, status=MasteryEvidence.Status.ACCEPTED, decided_at__isnull=False
    ).values_list("manager_id", "competency_id"):
        mastered[manager_id].add(competency_id)
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


def courses_teaching(task_keys: Iterable[str]) -> dict[str, list[Any]]:
    """Task key -> the active courses (training.Course, by title) that teach a manager to coach it."""
    keys = list(task_keys)
    if not keys or not apps.is_installed("training"):
        return {}
    from training.models import CourseSellerTask

    result: dict[str, list[Any]] = defaultdict(list)
    for link in (
        CourseSellerTask.objects.filter(task_key__in=keys, course__is_active=True)
        .select_related("course").order_by("course__title")
    ):
        result[link.task_key].append(link.course)
    return dict(result)
