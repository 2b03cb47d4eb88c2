"""The default curriculum the product ships (installed by the data migration) and its loader."""

from __future__ import annotations

import pytest
from django.apps import apps

from training.curriculum import COURSES, default_curriculum_install
from training.models import Course, CourseSellerTask, Provider, Track

pytestmark = pytest.mark.django_db

PLANTED_TASK_KEYS = {
    "prospecting",
    "account_coverage",
    "multithreading",
    "discovery",
    "qualification",
    "follow_up",
    "negotiation",
    "expansion",
    "pipeline_hygiene",
    "activity_volume",
}


def test_migration_installs_the_three_tracks_in_order():
    tracks = list(Track.objects.order_by("position"))
    assert [t.key for t in tracks] == ["management-fundamentals", "sales-management", "leading-managers"]
    assert tracks[0].audience == Track.Audience.ALL_MANAGERS
    assert tracks[1].audience == Track.Audience.SALES_MANAGERS
    assert tracks[2].audience == Track.Audience.SENIOR_LEADERS


def test_every_module_named_in_the_issue_is_there_with_real_content():
    titles = set(Course.objects.values_list("title", flat=True))
    for needed in [
        "Setting expectations",
        "Giving feedback",
        "Effective meetings",
        "Documenting performance",
        "Company policies and values",
        "Harassment prevention for managers",
        "Workplace safety for managers",
        "Coaching versus mentoring",
        "Time management to support sellers",
        "Motivating sellers",
        "Building a performance culture",
        "Diagnosing performance gaps",
        "Market opportunities",
        "Productivity drivers",
        "Forecasting",
        "Enablement tools",
        "Leadership",
    ]:
        assert needed in titles
    for course in Course.objects.prefetch_related("competencies"):
        assert len(course.objectives) >= 3, course.key
        assert course.competencies.exists(), course.key
        assert course.mastery_criteria, course.key
        assert course.duration_minutes > 0
    formats = set(Course.objects.values_list("format", flat=True))
    assert formats == {"workshop", "elearning", "on_the_job"}


def test_sales_modules_name_seller_tasks_from_the_contract():
    for course in Course.objects.filter(track__key="sales-management"):
        keys = set(course.seller_tasks.values_list("task_key", flat=True))
        assert keys, f"{course.key} names no seller task"
        assert keys <= PLANTED_TASK_KEYS
    covered = set(CourseSellerTask.objects.values_list("task_key", flat=True))
    assert covered == PLANTED_TASK_KEYS  # every seller task maps to at least one module
    assert not CourseSellerTask.objects.filter(course__track__key="management-fundamentals").exists()


def test_compliance_courses_carry_a_validity_and_later_modules_require_earlier_ones():
    harassment = Course.objects.get(key="harassment-prevention")
    assert harassment.is_compliance
    assert harassment.validity_months == 12
    assert Course.objects.get(key="workplace-safety").validity_months == 24
    leadership = Course.objects.get(key="sales-leadership")
    assert {p.key for p in leadership.prerequisites.all()} == {"motivation", "performance-culture"}
    coaching = Course.objects.get(key="coaching-vs-mentoring")
    assert {"giving-feedback", "setting-expectations"} <= {p.key for p in coaching.prerequisites.all()}


def test_providers_internal_and_external_with_costs():
    assert Provider.objects.filter(kind="internal").count() == 1
    external = Provider.objects.filter(kind="external")
    assert external.count() >= 2
    assert all(p.cost_per_participant > 0 for p in external)


def test_loader_is_idempotent_and_keeps_hr_edits():
    course = Course.objects.get(key="forecasting")
    course.title = "Forecasting (our version)"
    course.save()
    created = default_curriculum_install(apps)
    assert created == {"competencies": 0, "providers": 0, "tracks": 0, "courses": 0}
    assert Course.objects.get(key="forecasting").title == "Forecasting (our version)"
    assert Course.objects.count() == len(COURSES)


def test_loader_restores_a_deleted_course():
    Course.objects.get(key="enablement-tools").delete()
    created = default_curriculum_install(apps)
    assert created["courses"] == 1
    restored = Course.objects.get(key="enablement-tools")
    assert set(restored.seller_tasks.values_list("task_key", flat=True)) == {
        "multithreading",
        "discovery",
        "negotiation",
    }
