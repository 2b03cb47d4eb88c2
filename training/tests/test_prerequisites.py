"""Prerequisites are enforced where a completion is recorded (a clear error naming what is missing), and the
pages say what a course waits for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from development import services as development_services
from development.models import CompletionImport
from training import services
from training.models import Enrolment
from training.tests.conftest import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def nora(company):
    make_program()
    company.nora.manager_since = timezone.localdate() - dt.timedelta(days=100)
    company.nora.save()
    services.enrolment_rules_apply(today=timezone.localdate(), people=[company.nora])
    return company.nora


def _enrolment(person, key: str) -> Enrolment:
    return Enrolment.objects.get(person=person, course__key=key)


def test_a_course_cannot_be_completed_before_its_prerequisites(company, nora):
    today = timezone.localdate()
    documenting = _enrolment(nora, "documenting-performance")
    with pytest.raises(ValidationError) as exc:
        services.enrolment_complete(enrolment=documenting, actor=company.admin, completed_on=today)
    message = " ".join(exc.value.messages)
    assert "Documenting performance needs Setting expectations and Giving feedback completed first" in message
    assert "Nora Acme" in message
    documenting.refresh_from_db()
    assert documenting.status == Enrolment.Status.ENROLLED
    services.enrolment_complete(
        enrolment=_enrolment(nora, "setting-expectations"), actor=company.admin, completed_on=today
    )
    # A prerequisite completed later than the completion being recorded does not count for it.
    services.enrolment_complete(
        enrolment=_enrolment(nora, "giving-feedback"), actor=company.admin, completed_on=today
    )
    with pytest.raises(ValidationError, match="has not completed them by"):
        services.enrolment_complete(
            enrolment=documenting, actor=company.admin, completed_on=today - dt.timedelta(days=3)
        )
    services.enrolment_complete(enrolment=documenting, actor=company.admin, completed_on=today)
    documenting.refresh_from_db()
    assert documenting.status == Enrolment.Status.COMPLETED


def test_an_exempted_prerequisite_counts_as_done(company, nora):
    today = timezone.localdate()
    services.exemption_grant(
        enrolment=_enrolment(nora, "giving-feedback"), actor=company.admin,
        reason="Certified in feedback by her previous employer",
    )
    with pytest.raises(ValidationError, match="needs Setting expectations completed first"):
        services.enrolment_complete(
            enrolment=_enrolment(nora, "documenting-performance"), actor=company.admin, completed_on=today
        )


def test_the_pages_say_what_a_course_waits_for(company, nora, login):
    page = login("nora").get("/training/me/").content.decode()
    assert "Can be completed only after Setting expectations and Giving feedback" in page
    client = login("hana")
    documenting = _enrolment(nora, "documenting-performance")
    response = client.post(
        f"/training/enrolments/{documenting.pk}/complete/",
        {"completed_on": timezone.localdate().isoformat()}, follow=True,
    )
    assert "needs Setting expectations and Giving feedback completed first" in response.content.decode()
    documenting.refresh_from_db()
    assert documenting.status == Enrolment.Status.ENROLLED


def test_an_imported_file_is_taken_in_order_and_refused_by_row_when_a_prerequisite_is_missing(company, nora):
    def run(text: str) -> CompletionImport:
        return development_services.completions_import(
            actor=company.user("hana"), file_name="lms.csv", content=text.encode(), source_system="Cornerstone"
        )

    header = "Employee ID,Course Code,Completed On\n"
    refused = run(header + f"{nora.employee_id},documenting-performance,2026-11-02\n")
    assert refused.status == CompletionImport.Status.REJECTED
    assert refused.errors[0]["row"] == 2
    assert refused.errors[0]["column"] == "course_code"
    assert "needs Setting expectations and Giving feedback completed first" in refused.errors[0]["message"]
    assert _enrolment(nora, "documenting-performance").status == Enrolment.Status.ENROLLED
    # The same course after its prerequisites, even listed first in the file, is accepted.
    applied = run(
        header + f"{nora.employee_id},documenting-performance,2026-11-02\n"
        f"{nora.employee_id},setting-expectations,2026-10-01\n"
        f"{nora.employee_id},giving-feedback,2026-10-08\n"
    )
    assert applied.status == CompletionImport.Status.APPLIED
    assert _enrolment(nora, "documenting-performance").status == Enrolment.Status.COMPLETED
