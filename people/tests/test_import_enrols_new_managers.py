"""An HR import that makes someone a people manager enrols them in the development program at once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from people.importing import import_people
from training.models import Enrolment

pytestmark = pytest.mark.django_db


def _csv(company, promoted_on: dt.date) -> bytes:
    rows = [
        "employee_id,first_name,last_name,email,function,hire_date,manager_employee_id,manager_since,job_title",
        f"N1,Nia,New,nia@acme.example,Sales,2019-02-01,{company.vera.employee_id},{promoted_on:%Y-%m-%d},Sales Manager",
        "N2,Ned,Seller,ned@acme.example,Sales,2024-05-01,N1,,Account Executive",
    ]
    return ("\n".join(rows) + "\n").encode()


def test_a_newly_promoted_manager_in_the_file_is_enrolled_with_the_import(company):
    promoted_on = timezone.localdate() - dt.timedelta(days=5)
    record = import_people(file=io.BytesIO(_csv(company, promoted_on)), filename="hr.csv", actor=company.admin,
                           full=False)
    assert record.status == "succeeded", record.errors
    enrolled = Enrolment.objects.filter(person__employee_id="N1")
    assert enrolled.exists()
    tracks = set(enrolled.values_list("course__track__key", flat=True))
    assert len(tracks) >= 1
    assert record.changes["training"]["enrolled"] == Enrolment.objects.count()  # includes catch-up of others
    assert not Enrolment.objects.filter(person__employee_id="N2").exists()  # sellers are not enrolled


def test_a_failed_import_enrols_nobody(company):
    bad = _csv(company, timezone.localdate()).replace(b"2019-02-01", b"01/02/2019")
    record = import_people(file=io.BytesIO(bad), filename="hr.csv", actor=company.admin, full=False)
    assert record.status == "failed"
    assert not Enrolment.objects.exists()
