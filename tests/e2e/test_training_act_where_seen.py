"""Browser journeys of issue 12's "act where the problem is seen": a senior leader pulls a manager out from
"My managers" and from her page, HR and the leader above decide with the due date and the sessions before it
in view, the closed request reads as closed; HR books a seat for someone behind from "Who is behind". Each page
on the way is checked with axe-core (no serious or critical violation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from tests.e2e.test_every_page import violations
from training.models import Booking, Deferral, Session
from training.tests.conftest import at, book_giving_feedback, make_program

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def _accessible(axe: Axe, page: Any) -> None:
    assert violations(axe, page) == [], page.url


def test_a_leader_pulls_a_manager_out_from_my_managers_and_the_request_closes_as_decided(
    browser_page, live_login, company
):
    make_program()
    booking = book_giving_feedback(company.nora)
    axe = Axe()
    page = live_login(browser_page, "dirk")
    page.goto("/training/accountability/")
    _accessible(axe, page)
    page.get_by_role("link", name="Pull out of Giving feedback (Nora Acme)").first.click()
    assert page.get_by_role("heading", name="Pull Nora Acme out of a session").is_visible()
    _accessible(axe, page)
    page.get_by_label("Reason").select_option("forecast")
    page.get_by_label("Explain").fill("Needed on the Q4 forecast call")
    page.get_by_role("button", name="Request pull-out").click()
    deferral = Deferral.objects.get(booking=booking)
    page.wait_for_url(f"**/training/deferrals/{deferral.pk}/")
    assert page.get_by_text("Request sent to HR and senior leadership for approval.").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page = live_login(browser_page, "hana")
    page.goto(f"/training/deferrals/{deferral.pk}/")
    facts = page.locator("section", has=page.get_by_role("heading", name="Before you decide"))
    assert facts.get_by_text(f"{booking.enrolment.due_on.day} {booking.enrolment.due_on:%b %Y}").is_visible()
    assert facts.get_by_text("10 seats free").is_visible()
    assert facts.get_by_text("0 of").is_visible()
    _accessible(axe, page)
    page.get_by_label("Approve").check()
    page.get_by_label("Note").fill("Fine once")
    page.get_by_role("button", name="Record decision").click()
    assert page.get_by_text("Decision recorded.").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page = live_login(browser_page, "vera")
    page.goto(f"/training/deferrals/{deferral.pk}/")
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Record decision").click()
    today = timezone.localdate()
    closed = (f"Approved by Hana Acme (HR) on {today.day} {today:%b %Y}, noting \u201cFine once\u201d and by "
              f"Vera Acme (senior leader) on {today.day} {today:%b %Y}")
    assert page.get_by_text(closed).first.is_visible()
    assert page.get_by_text("Closed", exact=True).first.is_visible()
    assert page.get_by_role("button", name="Record decision").count() == 0
    _accessible(axe, page)
    # Dirk's notifications read the request as closed, not as asking for anything.
    page.get_by_role("button", name="Sign out").click()
    page = live_login(browser_page, "dirk")
    page.goto("/training/accountability/")
    assert page.get_by_text(closed).first.is_visible()
    assert page.get_by_text("Approval needed").count() == 0
    booking.refresh_from_db()
    assert booking.status == Booking.Status.MOVED


def test_hr_books_a_seat_for_someone_behind_from_who_is_behind(browser_page, live_login, company):
    make_program()
    booking = book_giving_feedback(company.nora)
    enrolment = booking.enrolment
    enrolment.due_on = timezone.localdate() + dt.timedelta(days=5)  # her seat is after the due date
    enrolment.save()
    soon = Session.objects.create(course=enrolment.course, starts_at=at(3), ends_at=at(3, 13),
                                  location="HQ, room 2.10", capacity=4)
    axe = Axe()
    page = live_login(browser_page, "hana")
    page.goto("/training/behind/")
    _accessible(axe, page)
    page.get_by_label("Move to Giving feedback for Nora Acme").select_option(str(soon.pk))
    page.locator("section", has=page.get_by_role("heading", name="Book a seat for those behind (1)")).get_by_role(
        "button", name="Book").click()
    assert page.get_by_text("Nora Acme has a seat in Giving feedback on").is_visible()
    assert Booking.objects.get(enrolment=enrolment, session=soon).status == Booking.Status.CONFIRMED
    page.goto(f"/training/people/{company.nora.pk}/")
    _accessible(axe, page)
    page.goto(f"/people/{company.nora.pk}/")
    _accessible(axe, page)
