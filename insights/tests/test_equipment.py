"""Equipped to coach: the bulk rule agrees with the development app's own selector."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from development.models import MasteryEvidence
from development.selectors import coaching_tasks_mastered
from insights.equipment import courses_teaching, equipped_task_keys, mastery_is_recorded
from training.models import Course

pytestmark = pytest.mark.django_db


def master(manager, course: Course) -> None:
    for competency in course.competencies.all():
        MasteryEvidence.objects.create(
            manager=manager, competency=competency, course=course, kind=MasteryEvidence.Kind.ASSIGNMENT_REVIEW,
            summary="Done.", occurred_on=dt.date(2026, 1, 10), status=MasteryEvidence.Status.ACCEPTED,
            submitted_at=timezone.now(), decided_at=timezone.now(),
        )


def test_nobody_is_equipped_without_accepted_mastery(company):
    assert mastery_is_recorded()  # the curriculum names the seller tasks its courses teach
    assert equipped_task_keys([company.nora.pk, company.mick.pk]) == {}


def test_mastering_every_competency_of_a_course_equips_for_the_tasks_it_teaches(company):
    course = Course.objects.filter(seller_tasks__task_key="account_coverage").exclude(competencies=None).first()
    assert course is not None
    master(company.nora, course)
    ours = equipped_task_keys([company.nora.pk, company.mick.pk])
    assert "account_coverage" in ours[company.nora.pk]
    assert ours[company.nora.pk] == coaching_tasks_mastered(manager=company.nora)
    assert company.mick.pk not in ours


def test_courses_teaching_a_task():
    courses = courses_teaching(["follow_up", "no_such_task"])
    assert courses["follow_up"]
    assert all(course.is_active and course.title for course in courses["follow_up"])
    assert "no_such_task" not in courses
