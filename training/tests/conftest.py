"""Fixtures for the program's tests: a scheduled program on top of the default curriculum, and a real SMTP
server (aiosmtpd) on loopback."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from training.curriculum import default_curriculum_install
from training.models import Cohort, Course, Session, Track


@dataclass
class Program:
    fundamentals: Track
    sales: Track
    cohort_f: Cohort  # fundamentals, starts in 10 days
    cohort_s: Cohort  # sales management, starts in 60 days
    later_f: Cohort  # a later fundamentals cohort, starts in 40 days
    sessions: dict[tuple[str, str], Session] = field(default_factory=dict)  # (cohort name, course key)

    def session(self, cohort: Cohort, key: str) -> Session:
        return self.sessions[(cohort.name, key)]


def at(days: int, hour: int = 9) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def schedule(cohort: Cohort, start_day: int, capacity: int, program: Program) -> None:
    courses = Course.objects.filter(track=cohort.track, format=Course.Format.WORKSHOP).order_by("position")
    for i, course in enumerate(courses):
        session = Session.objects.create(
            course=course,
            cohort=cohort,
            starts_at=at(start_day + 2 * i),
            ends_at=at(start_day + 2 * i, 13),
            location="HQ, room 4.01",
            online_url="https://meet.example/room",
            facilitator_name="Fay Facilitator",
            capacity=capacity,
        )
        program.sessions[(cohort.name, course.key)] = session


def make_program(capacity: int = 10) -> Program:
    # Transactional tests flush the database, data migrations included: put the default curriculum back.
    default_curriculum_install(apps)
    fundamentals = Track.objects.get(key="management-fundamentals")
    sales = Track.objects.get(key="sales-management")
    today = timezone.localdate()
    cohort_f = Cohort.objects.create(
        track=fundamentals,
        name="Fundamentals Spring",
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=20),
    )
    later_f = Cohort.objects.create(
        track=fundamentals,
        name="Fundamentals Summer",
        starts_on=today + dt.timedelta(days=40),
        ends_on=today + dt.timedelta(days=50),
    )
    cohort_s = Cohort.objects.create(
        track=sales,
        name="Sales management Autumn",
        starts_on=today + dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=90),
    )
    program = Program(fundamentals, sales, cohort_f, cohort_s, later_f)
    schedule(cohort_f, 10, capacity, program)
    schedule(later_f, 40, capacity, program)
    schedule(cohort_s, 60, capacity, program)
    return program


def book_giving_feedback(person: Any) -> Any:
    """Make `person` a manager of 100 days, apply the rules, and return their seat in Giving feedback."""
    from training import services
    from training.models import Booking

    person.manager_since = timezone.localdate() - dt.timedelta(days=100)
    person.save()
    services.enrolment_rules_apply(today=timezone.localdate(), people=[person])
    return Booking.objects.get(person=person, session__course__key="giving-feedback")


@pytest.fixture
def program(company: Any) -> Program:
    return make_program()


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Message]

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m["To"] or "")]


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    """A real SMTP server on 127.0.0.1 (aiosmtpd); Django's SMTP backend sends to it."""
    from aiosmtpd.controller import Controller

    received: list[Message] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield SmtpServer("127.0.0.1", port, received)
    finally:
        controller.stop()


def ics_parts(message: Message) -> list[bytes]:
    parts = []
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts.append(payload)
    return parts
