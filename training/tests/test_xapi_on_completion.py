"""Every completed enrolment, whatever marked it complete, queues one xAPI statement for the learning record store."""

from __future__ import annotations

import datetime as dt

import pytest

from development.models import XapiOutbox
from training.models import Course, Enrolment
from training.services import enrolment_complete

pytestmark = pytest.mark.django_db


def test_completing_an_enrolment_queues_one_statement(company):
    course = Course.objects.order_by("pk").first()
    assert course is not None
    enrolment = Enrolment.objects.create(
        person=company.nora, course=course, enrolled_on=dt.date(2026, 9, 1), due_on=dt.date(2026, 12, 31)
    )
    enrolment_complete(enrolment=enrolment, actor=company.admin, completed_on=dt.date(2026, 11, 1))
    enrolment_complete(enrolment=enrolment, actor=company.admin, completed_on=dt.date(2026, 11, 1))
    statements = list(XapiOutbox.objects.all())
    assert len(statements) == 1
    assert "completed" in str(statements[0].statement["verb"]["id"])
    assert statements[0].statement["actor"]["mbox"] == "mailto:nora@acme.example"
