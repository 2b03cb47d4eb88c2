"""Browser journeys of the manager development program: HR records a promotion and the new manager is enrolled
and invited; a leader pulls a manager out with a reason and HR sees it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from training import services
from training.models import Booking, Deferral, Enrolment
from training.tests.conftest import make_program

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_hr_records_a_promotion_and_the_person_is_enrolled_and_invited(browser_page, live_login, company):
    make_program()
    mail.outbox.clear()
    page = live_login(browser_page, "hana")
    page.get_by_role("link", name="Training", exact=True).click()
    page.get_by_role("link", name="Record a promotion").first.click()
    page.get_by_label("Find the person").fill("Sara")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Record promotion").click()
    assert page.get_by_role("heading", name="Record promotion: Sara Acme").is_visible()
    page.get_by_label("New job title").fill("Sales Manager")
    page.get_by_role("button", name="Record promotion to people manager").click()
    page.wait_for_url(f"**/training/people/{company.sara.pk}/")
    assert page.get_by_text("Recorded Sara Acme's promotion").is_visible()
    assert page.get_by_role("link", name="Giving feedback").is_visible()
    assert Enrolment.objects.filter(person=company.sara).count() == 17
    invitations = [
        m for m in mail.outbox if m.to == ["sara@acme.example"] and m.subject.startswith("Invitation:")
    ]
    assert invitations
    assert invitations[0].attachments[0][0] == "invitation.ics"
    # Sara now sees her training, and its invitation, herself.
    page.get_by_role("button", name="Sign out").click()
    page = live_login(browser_page, "sara")
    page.goto("/training/me/")
    assert page.get_by_role("cell", name="Giving feedback Management fundamentals").is_visible()


def test_leader_pulls_a_manager_out_with_a_reason_and_hr_sees_it(browser_page, live_login, company):
    make_program()
    company.nora.manager_since = timezone.localdate() - dt.timedelta(days=100)
    company.nora.save()
    services.enrolment_rules_apply(today=timezone.localdate(), people=[company.nora])
    booking = Booking.objects.get(person=company.nora, session__course__key="giving-feedback")

    page = live_login(browser_page, "dirk")
    page.goto(f"/training/sessions/{booking.session_id}/")
    page.locator(f"#booking-{booking.pk}").get_by_role("link", name="Defer / pull out").click()
    assert page.get_by_role("heading", name="Pull Nora Acme out of a session").is_visible()
    page.get_by_role("button", name="Request pull-out").click()  # no reason: refused
    assert page.get_by_text("This field is required.").is_visible()
    assert not Deferral.objects.exists()
    page.get_by_label("Reason").select_option("forecast")
    page.get_by_label("Explain").fill("Needed on the quarter-end forecast call")
    page.get_by_role("button", name="Request pull-out").click()
    assert page.get_by_text("Request sent to HR and senior leadership").is_visible()
    assert Deferral.objects.get().is_pull_out

    page.get_by_role("button", name="Sign out").click()
    page = live_login(browser_page, "hana")
    page.goto("/training/behind/")
    waiting_section = page.locator(
        "section", has=page.get_by_role("heading", name="Deferrals and pull-outs waiting")
    )
    row = waiting_section.locator("tr", has_text="Nora Acme")
    assert row.get_by_text("Pull-out").is_visible()
    assert row.get_by_text("Dirk Acme").is_visible()
    assert row.get_by_text("Needed on the quarter-end forecast call").is_visible()
    page.goto("/training/deferrals/")
    waiting = page.locator("section", has=page.get_by_role("heading", name="Waiting for your decision (1)"))
    waiting.get_by_role("link", name="Giving feedback").click()
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Record decision").click()
    assert page.get_by_text("Decision recorded.").is_visible()
    deferral = Deferral.objects.get()
    assert deferral.hr_decision == Deferral.Decision.APPROVED
    assert deferral.status == Deferral.Status.PENDING  # the senior sales leader decides too
