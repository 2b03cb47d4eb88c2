"""Course names are links to the course page wherever they are shown, for those who may open it; plain text
for anyone else (no link that answers 404)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from training.models import Course
from training.tests.test_deferrals import nora_booked, pull_out  # noqa: F401 - nora_booked is a fixture


@pytest.fixture(autouse=True)
def _no_task_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def render_for(user, course: Course) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load course_tags %}{% course_link course %}").render(Context({"request": request,
                                                                                      "course": course}))


def test_the_tag_links_for_people_in_the_program_and_not_for_others(company):
    course = Course.objects.order_by("pk")[0]
    link = f'<a href="{reverse("training:course", args=[course.pk])}">{course.title}</a>'
    assert render_for(company.user("nora"), course) == link
    assert render_for(company.user("hana"), course) == link
    assert render_for(company.user("otto"), course) == course.title  # outside the program: the course page is 404
    assert render_for(company.user("sam"), course) == course.title
    assert course_status(company, "otto", course) == 404


def course_status(company, who: str, course: Course) -> int:
    client = Client()
    client.force_login(company.user(who))
    return client.get(reverse("training:course", args=[course.pk])).status_code


def test_the_curriculum_links_prerequisites_to_their_course(login, company):
    course = Course.objects.filter(prerequisites__isnull=False).first()
    assert course is not None
    prerequisite = course.prerequisites.all()[0]
    page = login("hana").get(reverse("training:curriculum")).content.decode()
    row = page[page.index(f'href="{reverse("training:course", args=[course.pk])}"'):]
    row = row[:row.index("</tr>")]
    assert f'<a href="{reverse("training:course", args=[prerequisite.pk])}">{prerequisite.title}</a>' in row


def test_a_deferral_notice_links_its_course(company, nora_booked):  # noqa: F811
    _, booking = nora_booked
    pull_out(company, booking)
    course = booking.session.course
    link = f'<a href="{reverse("training:course", args=[course.pk])}">{course.title}</a>'
    for who in ("hana", "nora"):
        client = Client()
        client.force_login(company.user(who))
        notices = client.get(reverse("training:home")).content.decode()
        assert f"Course: {link}" in notices


def test_the_deferral_request_form_links_the_course(company, nora_booked):  # noqa: F811
    _, booking = nora_booked
    client = Client()
    client.force_login(company.user("dirk"))
    page = client.get(reverse("training:deferral_request", args=[booking.pk])).content.decode()
    course = booking.session.course
    assert f'<a href="{reverse("training:course", args=[course.pk])}">{course.title}</a>' in page


def test_a_profile_links_the_upcoming_sessions_course(company, nora_booked):  # noqa: F811
    _, booking = nora_booked
    client = Client()
    client.force_login(company.user("dirk"))
    page = client.get(reverse("people:person", args=[company.nora.pk])).content.decode()
    course = booking.session.course
    assert f'<a href="{reverse("training:course", args=[course.pk])}">{course.title}</a>' in page
