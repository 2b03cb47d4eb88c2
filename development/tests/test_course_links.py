"""Course names on the development pages are links to the course page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from development.models import PlanModule
from development.progress import fundamentals_courses
from development.tests.conftest import Need
from training.tests.test_course_links import course_status


@pytest.fixture(autouse=True)
def _no_task_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_the_development_plan_links_each_module_to_its_course(login, company, stub_needs):
    stub_needs({company.nora.pk: [Need("multithreading", "Multi-threading", 1, [company.sam], "Few contacts")]})
    page = login("nora").get(f"/development/plans/{company.nora.pk}/").content.decode()
    courses = [m.course for m in PlanModule.objects.filter(plan__manager=company.nora).select_related("course")]
    courses += fundamentals_courses()
    assert courses
    for course in courses:
        assert f'<a href="{reverse("training:course", args=[course.pk])}">{course.title}</a>' in page
        assert course_status(company, "nora", course) == 200
